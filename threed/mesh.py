"""Triangulation of 3D faces (planar polygons) with numpy and GEOS.

SFCGAL's ST_Tesselate takes about 30 ms per building (minutes for a city), so the tile
builder triangulates here: each face is projected onto the plane of its dominant normal
axis, triangulated there (constrained Delaunay keeps concave outlines and holes), and
lifted back onto its plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

# The two axes kept when the face's normal points mostly along axis 0, 1 or 2.
_KEPT_AXES = np.array([[1, 2], [0, 2], [0, 1]])


@dataclass
class Triangles:
    vertices: np.ndarray  # (n, 3, 3) float64
    face: np.ndarray  # (n,) index of the face each triangle came from


def face_normals(faces: np.ndarray) -> np.ndarray:
    """Newell normals (not normalised) of Polygon Z faces from their exterior rings."""
    coords, index = shapely.get_coordinates(
        shapely.get_exterior_ring(faces), include_z=True, return_index=True
    )
    if len(coords) == 0:
        return np.zeros((len(faces), 3))
    here, after = coords[:-1], coords[1:]
    same_ring = index[:-1] == index[1:]
    terms = np.stack(
        [
            (here[:, 1] - after[:, 1]) * (here[:, 2] + after[:, 2]),
            (here[:, 2] - after[:, 2]) * (here[:, 0] + after[:, 0]),
            (here[:, 0] - after[:, 0]) * (here[:, 1] + after[:, 1]),
        ],
        axis=1,
    )
    normals = np.zeros((len(faces), 3))
    np.add.at(normals, index[:-1][same_ring], terms[same_ring])
    return normals


def triangulate(faces: np.ndarray) -> Triangles:
    """Triangles of Polygon Z faces (coordinates already centred near the origin)."""
    faces = np.asarray(faces, dtype=object)
    normals = face_normals(faces)
    usable = np.linalg.norm(normals, axis=1) > 1e-9  # degenerate faces have no area
    faces, normals = faces[usable], normals[usable]
    face_ids = np.flatnonzero(usable)
    if len(faces) == 0:
        return Triangles(np.zeros((0, 3, 3)), np.zeros(0, dtype=np.int64))
    axis = np.argmax(np.abs(normals), axis=1)
    coords, index = shapely.get_coordinates(faces, include_z=True, return_index=True)
    kept = _KEPT_AXES[axis[index]]
    flat = shapely.set_coordinates(
        shapely.force_2d(faces), np.take_along_axis(coords, kept, axis=1)
    )
    parts, part_face = shapely.get_parts(
        shapely.constrained_delaunay_triangles(flat), return_index=True
    )
    corners = shapely.get_coordinates(shapely.get_exterior_ring(parts)).reshape(-1, 4, 2)[:, :3]
    return Triangles(_lift(corners, part_face, faces, normals, axis), face_ids[part_face])


def _lift(corners, part_face, faces, normals, axis) -> np.ndarray:
    """Put the dropped coordinate back: solve the face's plane n·p = n·p0 for it."""
    first = shapely.get_coordinates(
        shapely.get_point(shapely.get_exterior_ring(faces), 0), include_z=True
    )
    offset = np.einsum("ij,ij->i", normals, first)
    n, k, d = normals[part_face], axis[part_face], offset[part_face]
    kept = _KEPT_AXES[k]
    n_kept = np.take_along_axis(n, kept, axis=1)
    n_dropped = np.take_along_axis(n, k[:, None], axis=1)[:, 0]
    dropped = (d[:, None] - np.einsum("tj,tvj->tv", n_kept, corners)) / n_dropped[:, None]
    vertices = np.empty((len(corners), 3, 3))
    for a in range(3):
        from_kept = np.where((kept[:, 0] == a)[:, None], corners[:, :, 0], corners[:, :, 1])
        vertices[:, :, a] = np.where((k == a)[:, None], dropped, from_kept)
    return vertices
