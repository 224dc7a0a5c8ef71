"""Polygons from planning linework: closed entities as drawn, loose lines snapped and
polygonised, and what still cannot be closed reported with its location.

Lot boundaries in real drawings are loose LINEs and open polylines whose ends miss each
other by centimetres. Ends within the snap tolerance are merged to their common mean,
ends that stop short of (or overshoot onto) another line are moved onto it, then the
linework is noded and polygonised. Lines that bound no face are dangles: reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry


@dataclass
class Unclosed:
    location: tuple[float, float]
    length: float
    refs: list[str]

    def as_dict(self) -> dict:
        return {"location": self.location, "length": round(self.length, 3), "refs": self.refs}


def polygonise(
    lines: list[BaseGeometry], refs: list[str], tolerance: float
) -> tuple[list[BaseGeometry], list[Unclosed]]:
    """Faces of the snapped, noded linework and the pieces that close nothing."""
    if not lines:
        return [], []
    parts = shapely.get_parts(np.asarray(lines, dtype=object))
    owners = np.repeat(np.asarray(refs, dtype=object), shapely.get_num_geometries(lines))
    drawn = ~shapely.is_empty(parts)
    parts, kept = _snap_ends(parts[drawn], tolerance)
    owners = owners[drawn][kept]
    noded = shapely.union_all(parts)
    faces, cuts, dangles, invalid = shapely.polygonize_full([noded])
    polygons = [p for p in shapely.get_parts(faces) if p.area > tolerance * tolerance]
    loose = [*shapely.get_parts(dangles), *shapely.get_parts(cuts), *shapely.get_parts(invalid)]
    return polygons, _unclosed(loose, parts, owners, tolerance)


def _snap_ends(lines: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """The lines with their ends snapped (vectorised over all lines at once), and which of
    the input lines are kept (a line whose points all snapped together is dropped)."""
    if not len(lines):
        return lines, np.zeros(0, dtype=bool)
    coords, index = shapely.get_coordinates(lines, return_index=True)
    counts = np.bincount(index, minlength=len(lines))
    first = np.cumsum(counts) - counts
    end_positions = np.column_stack([first, first + counts - 1]).ravel()  # start, end per line
    merged, alone = _cluster(coords[end_positions], tolerance)
    coords[end_positions] = merged
    snapped = shapely.linestrings(coords, indices=index)
    lonely = np.flatnonzero(alone)
    if len(lonely):
        coords[end_positions[lonely]] = _onto_nearby_lines(
            coords[end_positions[lonely]], lonely // 2, snapped, tolerance
        )
    moved = np.any(coords != coords[first[index]], axis=1)
    kept = np.bincount(index, weights=moved, minlength=len(lines)) > 0
    result = shapely.linestrings(coords, indices=index)
    return result[kept], kept


def _cluster(points: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Each end point replaced by the mean of the ends within tolerance of it (union-find),
    and which ends met no other (dangling ends, candidates for T junctions)."""
    if not len(points):
        return points, np.zeros(0, dtype=bool)
    geoms = shapely.points(points)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance)
    pairs = left < right
    left, right = left[pairs], right[pairs]
    roots = _lowest_connected(len(points), left, right)
    groups, inverse, sizes = np.unique(roots, return_inverse=True, return_counts=True)
    sums = np.zeros((len(groups), 2))
    np.add.at(sums, inverse, points[:, :2])
    return sums[inverse] / sizes[inverse][:, None], sizes[inverse] == 1


def _lowest_connected(count: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """For each node, the lowest node index of its connected component (the root a
    union-find that links to the lower root finds), by vectorised label propagation
    with pointer jumping."""
    labels = np.arange(count)
    while True:
        low = np.minimum(labels[left], labels[right])
        lowered = labels.copy()
        np.minimum.at(lowered, left, low)
        np.minimum.at(lowered, right, low)
        lowered = lowered[lowered]
        if np.array_equal(lowered, labels):
            return labels
        labels = lowered


def _onto_nearby_lines(
    points: np.ndarray, own: np.ndarray, lines: np.ndarray, tolerance: float
) -> np.ndarray:
    """Ends that stop short of another line (T junctions with a gap) moved onto the
    nearest other line within tolerance; ends already on a line stay where they are."""
    here = shapely.points(points)
    near, line = shapely.STRtree(lines).query(here, predicate="dwithin", distance=tolerance)
    other = line != own[near]
    near, line = near[other], line[other]
    if not len(near):
        return points
    distance = shapely.distance(here[near], lines[line])
    order = np.lexsort((line, distance, near))  # per end: nearest first, then lowest index
    near, line, distance = near[order], line[order], distance[order]
    best = np.r_[True, near[1:] != near[:-1]]
    near, line, distance = near[best], line[best], distance[best]
    off = distance > 0
    near, line = near[off], line[off]
    projected = shapely.line_interpolate_point(
        lines[line], shapely.line_locate_point(lines[line], here[near])
    )
    moved = points.copy()
    moved[near] = shapely.get_coordinates(projected)
    return moved


def _unclosed(loose, parts, owners, tolerance: float) -> list[Unclosed]:
    if not loose:
        return []
    merged = shapely.get_parts(shapely.line_merge(shapely.union_all(loose)))
    pieces = merged[shapely.length(merged) > tolerance]
    if not len(pieces):
        return []
    piece_idx, part_idx = shapely.STRtree(parts).query(
        pieces, predicate="dwithin", distance=tolerance
    )
    carries = _carries(pieces[piece_idx], parts[part_idx], tolerance)
    found = []
    for index, piece in enumerate(pieces.tolist()):
        touching = piece_idx == index
        mine = part_idx[touching & carries] if (touching & carries).any() else part_idx[touching]
        point = piece.interpolate(0.5, normalized=True)
        found.append(
            Unclosed(
                (round(point.x, 3), round(point.y, 3)),
                piece.length,
                sorted({str(owners[i]) for i in mine.tolist()})[:10],
            )
        )
    return found


def _carries(pieces: np.ndarray, parts: np.ndarray, tolerance: float) -> np.ndarray:
    """Per aligned pair: the part runs along the piece, not just meets it at a junction.
    A line that ends on the piece or crosses it lies within `tolerance` of it for about
    two tolerances at most (unless at a grazing angle); one drawn along it, far longer."""
    near = shapely.intersection(parts, shapely.buffer(pieces, tolerance))
    return shapely.length(near) > 2.5 * tolerance
