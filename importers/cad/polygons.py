"""Polygons from planning linework: closed entities as drawn, loose lines snapped and
polygonised, and what still cannot be closed reported with its location.

Lot boundaries in real drawings are loose LINEs and open polylines whose ends miss each
other by centimetres. Ends within the snap tolerance are merged to their common mean;
where that point is left open (a single end, or lines ending from both sides of a line)
and lies within the tolerance of a line (short of it, over it or on it, its own line's
far part included) it is moved onto the nearest one and inserted into it as a vertex, so
the noding splits the line there exactly, then the linework is noded and polygonised.
Lines that bound no face are dangles: reported.
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
    merged, clusters = _cluster(coords[end_positions], tolerance)
    coords[end_positions] = merged
    snapped = shapely.linestrings(coords, indices=index)
    feet = _feet_on_lines(coords, index, end_positions, clusters, tolerance)
    if feet is not None:
        coords, index = _node(coords, index, end_positions, clusters, *feet)
        snapped = shapely.linestrings(coords, indices=index)
        first = np.searchsorted(index, np.arange(len(lines)))
    moved = np.any(coords != coords[first[index]], axis=1)
    kept = np.bincount(index, weights=moved, minlength=len(lines)) > 0
    return snapped[kept], kept


def _cluster(points: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Each end point replaced by the mean of the ends within tolerance of it (union-find),
    and each end's cluster: the lowest index of the ends merged with it."""
    if not len(points):
        return points, np.zeros(0, dtype=np.intp)
    geoms = shapely.points(points)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance)
    pairs = left < right
    left, right = left[pairs], right[pairs]
    roots = _lowest_connected(len(points), left, right)
    groups, inverse, sizes = np.unique(roots, return_inverse=True, return_counts=True)
    sums = np.zeros((len(groups), 2))
    np.add.at(sums, inverse, points[:, :2])
    return sums[inverse] / sizes[inverse][:, None], roots


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


def _feet_on_lines(
    coords: np.ndarray,
    index: np.ndarray,
    ends: np.ndarray,
    clusters: np.ndarray,
    tolerance: float,
) -> tuple[np.ndarray, ...] | None:
    """For each cluster of snapped ends lying within tolerance of a line that does not
    start or end there (a T junction: short of the line, over it or on it) and left open
    at it (`_dangling`), the nearest such segment (by its first vertex), the foot of the
    perpendicular on it and its position along it (0..1); None when there is none. A
    line's own far part counts too (a polyline ending on its first segment)."""
    heads = np.flatnonzero(clusters == np.arange(len(clusters)))  # one end per cluster
    x, y = coords[ends[heads]].T
    boxes = shapely.box(x - tolerance, y - tolerance, x + tolerance, y + tolerance)
    segments = np.flatnonzero(index[1:] == index[:-1])  # by their first vertex
    pieces = shapely.linestrings(np.stack([coords[segments], coords[segments + 1]], axis=1))
    near, hit = shapely.STRtree(pieces).query(boxes)  # envelopes meet; distances below
    segment, cluster = segments[hit], heads[near]
    keep = _not_own_end(coords, index, ends, clusters, segment, cluster, tolerance)
    segment, cluster = segment[keep], cluster[keep]
    point, start = coords[ends[cluster]], coords[segment]
    step = coords[segment + 1] - start
    square = np.einsum("ij,ij->i", step, step)
    along = np.einsum("ij,ij->i", point - start, step) / np.where(square > 0, square, 1.0)
    along = np.clip(along, 0.0, 1.0)
    foot = start + along[:, None] * step
    gap = np.hypot(*(point - foot).T)
    near = gap <= tolerance
    near[near] = _dangling(
        coords, ends, clusters, segment[near], cluster[near], gap[near], tolerance
    )
    if not near.any():
        return None
    segment, cluster, along, foot, gap = (a[near] for a in (segment, cluster, along, foot, gap))
    order = np.lexsort((segment, gap, cluster))  # per cluster: nearest, then first drawn
    best = order[np.r_[True, cluster[order][1:] != cluster[order][:-1]]]
    return segment[best], cluster[best], along[best], foot[best]


def _node(
    coords: np.ndarray,
    index: np.ndarray,
    ends: np.ndarray,
    clusters: np.ndarray,
    segment: np.ndarray,
    cluster: np.ndarray,
    along: np.ndarray,
    foot: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each cluster's ends moved to its foot, and the foot inserted into the segment it
    lies on as a vertex: line and end then share one exact coordinate, so noding splits
    the line there whatever the floating-point noise of the INSERT and control-point
    transforms."""
    target = np.full(len(clusters), -1)
    target[cluster] = np.arange(len(cluster))
    moving = target[clusters] >= 0
    coords = coords.copy()
    coords[ends[moving]] = foot[target[clusters[moving]]]
    inside = (along > 0) & (along < 1)  # at 0 or 1 the foot is the segment's own vertex
    order = np.lexsort((along[inside], segment[inside]))  # along each line, in order
    at = segment[inside][order] + 1
    return np.insert(coords, at, foot[inside][order], axis=0), np.insert(index, at, index[at - 1])


def _not_own_end(
    coords: np.ndarray,
    index: np.ndarray,
    ends: np.ndarray,
    clusters: np.ndarray,
    segment: np.ndarray,
    cluster: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    """Whether each segment is away from the cluster's own ends: a segment of a line
    that ends in the cluster counts only beyond 2 tolerances along that line from the
    end, so a line is not snapped onto its own last segment, nor a short arc or zigzag
    at its end onto itself."""
    step = np.hypot(*np.diff(coords, axis=0).T)
    step[index[1:] != index[:-1]] = 0.0
    walked = np.r_[0.0, np.cumsum(step)]  # length along each line, up to each vertex
    owner = index[segment]
    start, end = ends[2 * owner], ends[2 * owner + 1]
    reach = 2 * tolerance
    near_start = (clusters[2 * owner] == cluster) & (walked[segment] - walked[start] <= reach)
    near_end = (clusters[2 * owner + 1] == cluster) & (walked[end] - walked[segment + 1] <= reach)
    return ~(near_start | near_end)


def _dangling(
    coords: np.ndarray,
    ends: np.ndarray,
    clusters: np.ndarray,
    segment: np.ndarray,
    cluster: np.ndarray,
    gap: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    """Whether each cluster is left open at each segment, and so may be moved onto it. A
    single end is (a T junction). A line's own two ends are a ring drawn open: they stay,
    as its other vertices do, so its area does not depend on where it starts. The ends of
    several lines are a joined corner, which stays unless their lines leave on both sides
    of the segment (two lines ending on a through line from either side: a cross). A line
    leaves on a side when the vertex next to its end lies farther than the tolerance from
    the segment's line: one drawn along the segment leaves on neither. A joined corner
    within rounding of the segment (ON_LINE of the tolerance) is on it as drawn: lots
    standing side by side on a road line, their shared side drawn twice, meet it there
    (review finding: in some copies the transform left the corner a hair off the road)."""
    sizes = np.bincount(clusters, minlength=len(clusters))
    line_start = clusters[0::2]
    ring = np.zeros(len(clusters), dtype=bool)
    ring[line_start] = (clusters[1::2] == line_start) & (sizes[line_start] == 2)
    count = sizes[cluster]
    open_ = count == 1
    joined = np.flatnonzero((count > 1) & ~ring[cluster])
    if len(joined):
        pair, member = _members(clusters, cluster[joined], count[joined])
        next_vertex = ends[member] + np.where(member % 2 == 0, 1, -1)  # inwards from the end
        start = coords[segment[joined][pair]]
        step = coords[segment[joined][pair] + 1] - start
        offset = coords[next_vertex] - start
        cross = step[:, 0] * offset[:, 1] - step[:, 1] * offset[:, 0]  # |step| x distance
        reach = tolerance * np.hypot(*step.T)
        left = np.bincount(pair, weights=cross > reach, minlength=len(joined)) > 0
        right = np.bincount(pair, weights=cross < -reach, minlength=len(joined)) > 0
        open_[joined] = (left & right) | (gap[joined] <= ON_LINE * tolerance)
    return open_


ON_LINE = 0.01  # of the tolerance: a joined corner this close to a line was drawn on it


def _members(
    clusters: np.ndarray, cluster: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The ends of each given cluster (of `count` ends), flattened: for each row, the
    position of its cluster in `cluster` and the end's index."""
    by_cluster = np.argsort(clusters, kind="stable")
    first = np.searchsorted(clusters[by_cluster], cluster)
    pair = np.repeat(np.arange(len(cluster)), count)
    rank = np.arange(len(pair)) - np.repeat(np.cumsum(count) - count, count)
    return pair, by_cluster[first[pair] + rank]


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
