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
    parts = _snap_ends(parts, tolerance)
    noded = shapely.union_all(parts)
    faces, cuts, dangles, invalid = shapely.polygonize_full([noded])
    polygons = [p for p in shapely.get_parts(faces) if p.area > tolerance * tolerance]
    loose = [*shapely.get_parts(dangles), *shapely.get_parts(cuts), *shapely.get_parts(invalid)]
    return polygons, _unclosed(loose, parts, owners, tolerance)


def _snap_ends(lines: np.ndarray, tolerance: float) -> np.ndarray:
    coords = [np.array(shapely.get_coordinates(line)) for line in lines]
    ends = np.array([c[i] for c in coords for i in (0, -1)]) if coords else np.empty((0, 2))
    merged, alone = _cluster(ends, tolerance)
    for index, line_coords in enumerate(coords):
        line_coords[0], line_coords[-1] = merged[2 * index], merged[2 * index + 1]
    snapped = [shapely.LineString(c) for c in coords]
    tree = shapely.STRtree(snapped)
    for end in np.flatnonzero(alone):
        index, position = divmod(int(end), 2)
        point = coords[index][-position]
        coords[index][-position] = _onto_nearby_line(point, index, snapped, tree, tolerance)
    return np.asarray(
        [shapely.LineString(c) for c in coords if len(np.unique(c, axis=0)) >= 2], dtype=object
    )


def _cluster(points: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Each end point replaced by the mean of the ends within tolerance of it (union-find),
    and which ends met no other (dangling ends, candidates for T junctions)."""
    if not len(points):
        return points, np.zeros(0, dtype=bool)
    geoms = shapely.points(points)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance)
    parent = np.arange(len(points))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([root(i) for i in range(len(points))])
    groups, inverse, sizes = np.unique(roots, return_inverse=True, return_counts=True)
    sums = np.zeros((len(groups), 2))
    np.add.at(sums, inverse, points[:, :2])
    return sums[inverse] / sizes[inverse][:, None], sizes[inverse] == 1


def _onto_nearby_line(point: np.ndarray, own: int, lines, tree, tolerance: float) -> np.ndarray:
    """An end that stops short of another line (a T junction with a gap) is moved onto it."""
    here = shapely.Point(point)
    candidates = tree.query(here, predicate="dwithin", distance=tolerance)
    others = [int(c) for c in candidates if int(c) != own]
    if not others:
        return point
    distances = [lines[c].distance(here) for c in others]
    best = others[int(np.argmin(distances))]
    if min(distances) == 0:
        return point
    projected = lines[best].interpolate(lines[best].project(here))
    return np.array([projected.x, projected.y])


def _unclosed(loose, parts, owners, tolerance: float) -> list[Unclosed]:
    if not loose:
        return []
    merged = shapely.line_merge(shapely.union_all(loose))
    tree = shapely.STRtree(parts)
    found = []
    for piece in shapely.get_parts(merged):
        if piece.length <= tolerance:
            continue
        touching = tree.query(piece, predicate="dwithin", distance=tolerance)
        point = piece.interpolate(0.5, normalized=True)
        found.append(
            Unclosed(
                (round(point.x, 3), round(point.y, 3)),
                piece.length,
                sorted({str(owners[i]) for i in touching.tolist()})[:10],
            )
        )
    return found
