"""CRS resolution for imports: the file's CRS or the user's, to the storage CRS."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from planning import crs as planning_crs
from planning.errors import InvalidInput


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
    try:
        return CRS.from_user_input(value)
    except CRSError as exc:
        raise InvalidInput(
            _("Unknown coordinate reference system %(crs)s.") % {"crs": repr(text)}
        ) from exc


def storage_crs() -> CRS:
    srid = settings.PLANNING_STORAGE_SRID
    return CRS.from_user_input(planning_crs.proj4_for(srid) or f"EPSG:{srid}")


def describe(crs: CRS, given: str | None = None) -> str:
    """A short label: the code the user gave, else the EPSG code found, else the name."""
    value = (given or "").strip().upper()
    if value.isdigit():
        return f"EPSG:{value}"
    if value.startswith("EPSG:"):
        return value[:100]
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.name


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
    return Transformer.from_crs(source, target, always_xy=True)
