"""Where a converted drawing lands, compared with where its project is."""

from __future__ import annotations

import math

import numpy as np
import shapely
from django.contrib.gis.db.models import Extent
from pyproj import CRS, Transformer

from importers import crs as import_crs
from importers.cad.convert import Conversion
from importers.cad.crs import far_from_project_warning
from planning.models import Feature, Project

LONLAT = CRS.from_epsg(4326)


def far_from_project(project: Project, conversion: Conversion) -> str | None:
    """A warning when the drawing lands far from the project (a neighbouring TM-3 zone),
    judged against the project's boundary, else its layers; None when it has neither."""
    where = project_lonlat(project)
    geoms = [f.geom for features in conversion.outputs.values() for f in features]
    if where is None or not geoms:
        return None
    bounds = shapely.total_bounds(np.asarray(geoms, dtype=object))
    drawing = Transformer.from_crs(conversion.crs, LONLAT, always_xy=True).transform_bounds(*bounds)
    if not all(math.isfinite(value) for value in drawing):
        return None  # outside the CRS's domain: the plausibility warning says so
    return far_from_project_warning(drawing, where)


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
