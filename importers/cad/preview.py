"""A light preview of a drawing for the mapping step: its linework in EPSG:4326.

Every entity is read like the converter reads it (the fast reader's items, or the
Walker's, blocks expanded), moved by the GEODATA object or the two-point fix, projected to
WGS 84 and simplified; at most PREVIEW_CAP features are returned (texts are left out), so
the browser stays responsive whatever the drawing's size. Also returns the extent and the
CRS warnings.
"""

from __future__ import annotations

import numpy as np
import shapely
from ezdxf.document import Drawing
from pyproj import CRS, Transformer

from importers.cad.convert import CadReport
from importers.cad.crs import plausibility_warning, resolve_crs
from importers.cad.geometry import CadItem, Walker
from importers.cad.limits import CadLimits, CadTolerances
from importers.control_points import control_transform

PREVIEW_CAP = 5000  # features in the preview at most
SIMPLIFY_SHARE = 1 / 2000  # simplification tolerance as a share of the extent's diagonal


def preview(
    doc: Drawing,
    filename: str,
    *,
    crs: str | None,
    control_points: list[list[float]] | None,
    limits: CadLimits,
    tolerances: CadTolerances,
    items: list[CadItem] | None = None,
) -> dict:
    """`items`: every layer's items as the fast reader read them; None: walked here."""
    report = CadReport(filename)
    if items is None:
        walker = Walker(tolerances.arc, limits.max_depth, lambda name: True)
        items = list(walker.items(doc.modelspace()))
    items = [i for i in items if i.geom is not None and not i.text and i.dxftype != "LEADER"]
    source_crs, move = resolve_crs(doc, crs, report)
    moves = [move] if move is not None else []
    transform_info = None
    if control_points:  # a mistyped point: 400 before the drawing is moved anywhere
        move, transform_info = control_transform(
            control_points, source_crs, report.source_crs, report.warnings
        )
        moves.append(move)
    geoms = np.asarray([i.geom for i in items], dtype=object)
    for move in moves:
        geoms = shapely.transform(geoms, move)
    if len(geoms):
        warning = plausibility_warning(source_crs, shapely.total_bounds(geoms))
        if warning:
            report.warnings.append(warning)
    layers = [i.layer for i in items]
    return {
        **geojson_preview(geoms, layers, source_crs),
        "crs": report.source_crs,
        "crs_source": report.crs_source,
        "drawable": len(geoms),  # lines and areas, placed or not (texts are never drawn)
        "transform": transform_info,
        "warnings": report.warnings,
    }


def geojson_preview(geoms: np.ndarray, layers: list[str], source_crs: CRS) -> dict:
    empty = {"type": "FeatureCollection", "features": []}
    if not len(geoms):
        return {"preview": empty, "extent": None, "preview_truncated": False}
    to_lonlat = Transformer.from_crs(source_crs, CRS.from_epsg(4326), always_xy=True)

    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_lonlat.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    lonlat = shapely.transform(geoms, project)
    # Coordinates PROJ cannot place come back infinite (or NaN), and metres read as degrees
    # (a drawing in VN-2000 given EPSG:4326) lie off the globe: such geometries are left out
    # of the preview and its extent, which never carry what JSON or a map cannot.
    placed = _on_earth(lonlat)
    if not placed.any():
        return {"preview": empty, "extent": None, "preview_truncated": False}
    lonlat, layers = lonlat[placed], [name for name, ok in zip(layers, placed, strict=True) if ok]
    west, south, east, north = (float(v) for v in shapely.total_bounds(lonlat))
    tolerance = float(np.hypot(east - west, north - south)) * SIMPLIFY_SHARE
    chosen = _sample(len(lonlat))
    simple = shapely.simplify(lonlat[chosen], tolerance, preserve_topology=False)
    features = [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(geom),
            "properties": {"layer": layers[index]},
        }
        for geom, index in zip(simple, chosen, strict=True)
        if geom is not None and not geom.is_empty
    ]
    return {
        "preview": {"type": "FeatureCollection", "features": features},
        "extent": [west, south, east, north],
        "preview_truncated": len(chosen) < len(lonlat),
    }


def _on_earth(geoms: np.ndarray) -> np.ndarray:
    """Per geometry: are all its coordinates finite longitudes and latitudes?"""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    with np.errstate(invalid="ignore"):  # NaN compares False: off the globe too
        inside = (np.abs(coords[:, 0]) <= 180) & (np.abs(coords[:, 1]) <= 90)
    bad = index[~inside]
    finite = np.ones(len(geoms), dtype=bool)
    finite[bad] = False
    return finite


def _sample(count: int) -> np.ndarray:
    """Indexes of at most PREVIEW_CAP features spread evenly over the drawing order."""
    if count <= PREVIEW_CAP:
        return np.arange(count)
    return np.linspace(0, count - 1, PREVIEW_CAP).astype(int)
