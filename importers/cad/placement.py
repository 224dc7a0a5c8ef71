"""Where a converted drawing lands, compared with where its project is."""

from __future__ import annotations

import math

import numpy as np
import shapely
from django.contrib.gis.db.models import Extent
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from importers import crs as import_crs
from importers.cad.convert import Conversion
from importers.cad.crs import far_from_project_warning
from planning.models import Feature, Project

LONLAT = CRS.from_epsg(4326)


def far_from_project(project: Project, conversion: Conversion) -> str | None:
    """A warning when the drawing lands far from the project (a neighbouring TM-3 zone),
    judged against the project's boundary, else its layers; None when it has neither."""
    geoms = [f.geom for features in conversion.outputs.values() for f in features]
    return geoms_far_from_project(project, conversion.crs, geoms)


def geoms_far_from_project(project: Project, crs: CRS, geoms) -> str | None:
    """The same warning for geometries in `crs` (a GIS file's layer, an upload)."""
    return lonlat_far_from_project(project, lonlat_bounds(crs, geoms))


def lonlat_far_from_project(project: Project | None, lonlat) -> str | None:
    """The same warning for a lon/lat box (west, south, east, north), e.g. an inspect
    preview's extent; None without a box or a project to compare with."""
    if project is None or lonlat is None or not _on_the_globe(lonlat):
        return None  # metres taken for degrees: the plausibility warning says so
    where = project_lonlat(project)
    if where is None:
        return None
    return far_from_project_warning(tuple(lonlat), where)


def _on_the_globe(lonlat) -> bool:
    west, south, east, north = (float(value) for value in lonlat)
    finite = all(math.isfinite(value) for value in (west, south, east, north))
    return finite and -180 <= west <= east <= 180 and -90 <= south <= north <= 90


def storage_box_far_from_project(project: Project, box) -> str | None:
    """The same warning for a box in the storage CRS (importers.geometry.PreparedGeometries
    .bounds: the geometries are decoded once, by the import itself)."""
    if box is None:
        return None
    to_lonlat = Transformer.from_crs(import_crs.storage_crs(), LONLAT, always_xy=True)
    try:
        lonlat = to_lonlat.transform_bounds(*box)
    except ProjError:
        return None
    finite = all(math.isfinite(value) for value in lonlat)
    return lonlat_far_from_project(project, lonlat) if finite else None


def lonlat_bounds(crs: CRS, geoms) -> tuple | None:
    """The lon/lat box of geometries in `crs`; None when there are none or PROJ cannot
    place them (outside the CRS's domain: the plausibility warning says so)."""
    present = [geom for geom in geoms if geom is not None and not geom.is_empty]
    if not present:
        return None
    bounds = shapely.total_bounds(np.asarray(present, dtype=object))
    try:
        box = Transformer.from_crs(crs, LONLAT, always_xy=True).transform_bounds(*bounds)
    except ProjError:
        return None
    return box if all(math.isfinite(value) for value in box) else None


def union_box(boxes) -> tuple | None:
    """The box around several in one CRS (None entries skipped)."""
    found = [box for box in boxes if box is not None]
    if not found:
        return None
    west, south, east, north = zip(*found, strict=True)
    return min(west), min(south), max(east), max(north)


def project_lonlat(project: Project) -> tuple | None:
    """The lon/lat box of the project's boundary, else of its layers' features."""
    extent = project.boundary.extent if project.boundary else None
    if extent is None:
        features = Feature.objects.filter(layer__revision__project=project)
        extent = features.aggregate(box=Extent("geom"))["box"]
    if extent is None:
        return None
    to_lonlat = Transformer.from_crs(import_crs.storage_crs(), LONLAT, always_xy=True)
    return to_lonlat.transform_bounds(*extent)
