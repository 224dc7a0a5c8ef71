"""CRS resolution for imports: the file's CRS or the user's, to the storage CRS."""

from __future__ import annotations

import math
import warnings

from django.conf import settings
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from importers.cad.provinces import preset_for
from planning import crs as planning_crs
from planning.errors import InvalidInput

ANONYMOUS_NAMES = ("", "unnamed", "unknown")
# PROJ parameters a VN-2000 zone is recognised by, compared as numbers.
_ZONE_NUMBERS = ("lat_0", "lon_0", "k", "x_0", "y_0")


def parse_user_crs(text: str) -> CRS:
    """An EPSG code ("EPSG:9214" or "9214") or a WKT/PROJ definition given by the user."""
    value = text.strip()
    if value.isdigit():
        value = f"EPSG:{value}"
    if value.upper().startswith("EPSG:") and value[5:].isdigit():
        srid = int(value[5:])
        known = planning_crs.proj4_for(srid)
        if srid in {6956, 6957, 6958, 6959}:
            raise InvalidInput(
                _("EPSG:%(srid)d is deprecated (swapped axes); use 5896-5899 instead.")
                % {"srid": srid}
            )
        if known:
            return CRS.from_user_input(known)
    planning_crs.refuse_file_references(value)
    try:
        crs = CRS.from_user_input(value)
    except CRSError as exc:
        raise InvalidInput(
            _("Unknown coordinate reference system %(crs)s.") % {"crs": repr(text)}
        ) from exc
    planning_crs.refuse_grid_files(crs)
    return crs


def storage_crs() -> CRS:
    srid = settings.PLANNING_STORAGE_SRID
    return CRS.from_user_input(planning_crs.proj4_for(srid) or f"EPSG:{srid}")


def describe(crs: CRS, given: str | None = None) -> str:
    """A short label: the code the user gave (a province preset as its zone's code), else
    the EPSG code pyproj finds, else the VN-2000 zone the definition matches (MapInfo
    writes VN-2000 as a custom datum pyproj cannot name), else the CRS name, else its PROJ
    definition: never "unnamed" or "unknown"."""
    value = (given or "").strip().upper()
    if value.isdigit():
        return f"EPSG:{value}"
    if value.startswith("EPSG:"):
        return value[:100]
    if value.startswith("PROVINCE:"):
        preset = preset_for(value.split(":", 1)[1].lower())
        if preset is not None:
            return f"EPSG:{preset.srid}"
    epsg = crs.to_epsg(min_confidence=70)
    if epsg:
        return f"EPSG:{epsg}"
    zone = vn2000_zone(crs)
    if zone is not None:
        return f"EPSG:{zone.srid}"
    if crs.name.strip().lower() not in ANONYMOUS_NAMES:
        return crs.name[:100]
    return (_proj_text(crs) or crs.type_name)[:100]


def vn2000_zone(crs: CRS) -> planning_crs.ProjectedVN2000 | None:
    """The VN-2000 projected CRS of planning/crs.py that `crs` is: by its EPSG code, else by
    its projection parameters and datum shift (the official +towgs84, so that the label
    never hides a definition that places the data elsewhere)."""
    zones = planning_crs.vn2000_projected()
    epsg = crs.to_epsg(min_confidence=70)
    if epsg:
        return next((zone for zone in zones if zone.srid == epsg), None)
    found = _proj_parameters(_proj_text(crs))
    if found.get("proj") != "tmerc" or found.get("units", "m") != "m":
        return None
    return next((zone for zone in zones if _same_zone(found, zone)), None)


def _same_zone(found: dict[str, str], zone: planning_crs.ProjectedVN2000) -> bool:
    wanted = _proj_parameters(zone.proj4)
    if found.get("ellps") != "WGS84" and (found.get("a"), found.get("rf")) != (
        "6378137",
        "298.257223563",
    ):
        return False
    numbers = [(found.get(key, "0"), wanted.get(key, "0")) for key in _ZONE_NUMBERS]
    shifts = list(zip(_numbers(found.get("towgs84")), _numbers(wanted["towgs84"]), strict=False))
    return (
        all(_close(a, b) for a, b in numbers)
        and len(shifts) == 7
        and all(math.isclose(a, b, abs_tol=1e-6) for a, b in shifts)
    )


def _close(a: str, b: str) -> bool:
    try:
        return math.isclose(float(a), float(b), abs_tol=1e-9)
    except ValueError:
        return False


def _numbers(text: str | None) -> list[float]:
    try:
        return [float(part) for part in (text or "").split(",") if part]
    except ValueError:
        return []


def _proj_text(crs: CRS) -> str:
    """The CRS as a PROJ string ('' when it has none); pyproj warns that PROJ strings lose
    information, which a label and a comparison of parameters can afford."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            return crs.to_proj4() or ""
        except CRSError:
            return ""


def _proj_parameters(text: str) -> dict[str, str]:
    pairs = (token.lstrip("+").partition("=") for token in text.split())
    return {key: value for key, _sep, value in pairs if key}


def is_local(crs: CRS) -> bool:
    """A local ("NonEarth", engineering) CRS: its coordinates are tied to no place on Earth,
    so nothing can be transformed out of it."""
    return crs.is_engineering


def local_crs_error() -> InvalidInput:
    """The error of a file in local coordinates (the message gis_mapping gives too)."""
    return InvalidInput(
        _(
            "The file has no usable CRS (none, or local coordinates); give one, e.g. "
            "EPSG:9214 or province:thua-thien-hue."
        )
    )


def transformer_to_storage(source: CRS) -> Transformer | None:
    """None when the source already is the storage CRS (no needless round trip); a local
    CRS is refused with a message saying what to do (pyproj would fail obscurely)."""
    if is_local(source):
        raise local_crs_error()
    srid = settings.PLANNING_STORAGE_SRID
    target = storage_crs()
    if source.to_epsg(min_confidence=70) == srid or source == target:
        return None
    planning_crs.refuse_grid_files(source)  # also a file's own CRS
    try:
        return Transformer.from_crs(source, target, always_xy=True)
    except ProjError as exc:  # an operation PROJ cannot instantiate: the data's problem
        raise InvalidInput(
            _("No transformation from %(crs)s to the storage CRS could be made.")
            % {"crs": describe(source)}
        ) from exc
