"""Django system checks of settings that need more than planning.config can see at import.

PLANNING_STORAGE_SRID is an integer there; here it must name a projected CRS in metres,
since areas, QA tolerances, snapping and buffers are all computed in storage coordinates.
`storage_srid_is_projected` asks PROJ (through pyproj, with the VN-2000 definitions of
planning.crs), never the database, so it runs with every management command (runserver,
migrate, check). `storage_srid_in_database` is a database check, run only by `migrate` and
`check --database`: it asks PostGIS. Registered in planning.apps.PlanningConfig.ready().
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.db import connections
from pyproj import CRS
from pyproj.exceptions import CRSError

from planning import crs as planning_crs

SETTING = "PLANNING_STORAGE_SRID"
EXAMPLES = (
    "e.g. 9214 (VN-2000 / TM-3 107-00, Hue; the default), another VN-2000 TM-3 zone "
    "9205-9218, 3405/3406 (VN-2000 / UTM 48N/49N) or 32648/32649 (WGS 84 / UTM 48N/49N)"
)
METRE_UNITS = {"metre", "meter"}


def storage_srid_problem(srid: int) -> str | None:
    """Why `srid` cannot be the storage CRS, or None when it can."""
    try:
        crs = CRS.from_user_input(planning_crs.proj4_for(srid) or f"EPSG:{srid}")
    except CRSError:
        return f"{SETTING}={srid} is not a CRS known to PROJ or to planning.crs"
    if crs.is_geographic:
        return f"{SETTING}={srid} is a geographic CRS (degrees), not a projected one in metres"
    if not crs.is_projected:
        return f"{SETTING}={srid} is not a projected CRS ({crs.type_name})"
    units = {axis.unit_name for axis in crs.axis_info}
    if not units <= METRE_UNITS:
        return f"{SETTING}={srid} is not in metres (its axes are in {', '.join(sorted(units))})"
    return None


def storage_srid_is_projected(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    problem = storage_srid_problem(settings.PLANNING_STORAGE_SRID)
    if problem is None:
        return []
    hint = f"Set {SETTING} to the EPSG code of a projected CRS in metres, {EXAMPLES}."
    return [checks.Error(problem, hint=hint, id="planning.E001")]


def storage_srid_in_database(
    app_configs=None, databases=None, **kwargs
) -> list[checks.CheckMessage]:
    """PostGIS must know the storage SRID. The VN-2000 zones Debian's PostGIS lacks are
    added by migration 0001 (planning.crs), so they pass before it has run."""
    srid = settings.PLANNING_STORAGE_SRID
    if not databases or srid in {zone.srid for zone in planning_crs.vn2000_projected()}:
        return []
    return [
        checks.Error(
            f"{SETTING}={srid} is not in spatial_ref_sys of database {alias!r} (PostGIS)",
            hint=f"Use an EPSG code PostGIS knows, {EXAMPLES}.",
            id="planning.E002",
        )
        for alias in databases
        if not _postgis_knows(alias, srid)
    ]


def _postgis_knows(alias: str, srid: int) -> bool:
    """True when spatial_ref_sys has `srid`, or has no table yet (PostGIS is installed by
    migration 0001: before it, `migrate` must be able to run)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT to_regclass('spatial_ref_sys') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return True
        cursor.execute("SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = %s)", [srid])
        return bool(cursor.fetchone()[0])
