"""VN-2000 coordinate reference systems with the official datum shift.

Debian's PostGIS 3.3 has no rows for EPSG:9205-9218 (the provincial TM-3 zones, Hue is
9214). The definitions below are added to spatial_ref_sys by a migration and reused by
the renderers so that every path applies the same 7-parameter shift (EPSG:6960,
Decision 05/2007/QD-BTNMT).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _

from planning.errors import InvalidInput

# Coordinate-frame rotations of EPSG:6960 written in the position-vector convention that
# PROJ's +towgs84 expects (the rotation signs flip).
VN2000_TOWGS84 = (
    "-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278"
)
ZONES_CSV = Path(__file__).parent / "data" / "vn2000_zones.csv"

# CRSs every service offers besides the VN-2000 projected ones.
COMMON_SRIDS = (4326, 3857, 4756, 32648, 32649)


@dataclass(frozen=True)
class ProjectedVN2000:
    srid: int
    name: str
    central_meridian: float
    scale_factor: float
    area_of_use: str

    @property
    def proj4(self) -> str:
        return (
            f"+proj=tmerc +lat_0=0 +lon_0={self.central_meridian:g} +k={self.scale_factor:g} "
            f"+x_0=500000 +y_0=0 +ellps=WGS84 +towgs84={VN2000_TOWGS84} +units=m +no_defs"
        )

    @property
    def wkt1(self) -> str:
        return (
            f'PROJCS["{self.name}",GEOGCS["VN-2000",DATUM["Vietnam_2000",'
            f'SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
            f'TOWGS84[{VN2000_TOWGS84}],AUTHORITY["EPSG","1151"]],'
            f'PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],'
            f'UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
            f'AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],'
            f'PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",{self.central_meridian:g}],'
            f'PARAMETER["scale_factor",{self.scale_factor:g}],PARAMETER["false_easting",500000],'
            f'PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],'
            f'AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","{self.srid}"]]'
        )


@cache
def vn2000_projected() -> tuple[ProjectedVN2000, ...]:
    """Every current (non-deprecated) VN-2000 projected CRS: TM-3 zones and UTM 48N/49N."""
    with ZONES_CSV.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["deprecated"] == "0"]
    return tuple(
        ProjectedVN2000(
            srid=int(row["epsg"]),
            name=row["name"],
            central_meridian=float(row["central_meridian"]),
            scale_factor=float(row["scale_factor"]),
            area_of_use=row["area_of_use"],
        )
        for row in rows
    )


def offered_srids() -> list[int]:
    """The CRSs every map and feature service offers, storage CRS first."""
    from django.conf import settings

    srids = [settings.PLANNING_STORAGE_SRID, *COMMON_SRIDS, *(z.srid for z in vn2000_projected())]
    return list(dict.fromkeys(srids))


def proj4_for(srid: int) -> str | None:
    """The proj4 definition with datum shift for a VN-2000 SRID, None for others."""
    if srid == 4756:
        return f"+proj=longlat +ellps=WGS84 +towgs84={VN2000_TOWGS84} +no_defs"
    for zone in vn2000_projected():
        if zone.srid == srid:
            return zone.proj4
    return None


def refuse_file_references(text: str) -> None:
    """InvalidInput for a user's PROJ string naming an init file (`+init=/path:key`): PROJ
    opens it while parsing, before refuse_grid_files can look at the result."""
    if re.search(r"\binit\s*=", text, re.IGNORECASE):
        raise InvalidInput(
            _("PROJ definitions with +init files are not accepted: give an EPSG code instead.")
        )


def refuse_grid_files(crs) -> None:
    """InvalidInput when PROJ would open grid files to use this pyproj CRS (+nadgrids,
    +geoidgrids, a WKT PARAMETERFILE; a WKT1 .prj carries its PROJ string in a REMARK that
    PROJ still applies): a definition from a user or an uploaded file must not make the
    server open a path it names. VN-2000 needs none (its shift is +towgs84), and the legacy
    Web Mercator's `+nadgrids=@null` names no file."""
    wkt = crs.to_wkt()
    grids = (name for names in _GRID_LISTS.findall(wkt) for name in names.split(","))
    if "PARAMETERFILE[" in wkt or any(name.lstrip("@") != "null" for name in grids):
        raise InvalidInput(
            _(
                "Coordinate reference systems that read grid files (+nadgrids, +geoidgrids) "
                "are not accepted: give an EPSG code, a province preset or a definition with "
                "+towgs84."
            )
        )


_GRID_LISTS = re.compile(r"\b(?:nadgrids|geoidgrids|grids)=([^\s\"\]]*)")
