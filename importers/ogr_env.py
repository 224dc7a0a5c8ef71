"""The configuration pyogrio's GDAL runs under, set once for the whole process.

pyogrio bundles its own GDAL (separate from rasterio's, see rasters.gdal_env, and from the
system GDAL GeoDjango uses), and GDAL picks a driver by content. Uploaded vector files
must never reach a driver that follows references to other files or to URLs (OGR VRT,
CSV with open options, SQLite's VirtualOGR, GML xlinks, WFS, OAPIF, HTTP...). So:

- every driver except the upload formats' own (importers.sources.FORMATS) is deregistered
  through GDAL_SKIP; the result is verified and the process refuses to read vector files
  if any other driver survives (fail closed);
- the network file systems are closed (/vsicurl/ and its cloud variants accept no file
  name, HTTP goes to a dead proxy), /vsistdin/ is off;
- xlink resolution, VirtualOGR from views and triggers and PROJ's network are off.
"""

from __future__ import annotations

import threading

import pyogrio
from django.core.exceptions import ImproperlyConfigured

from importers.sources import FORMATS

ALLOWED_DRIVERS = frozenset(driver for fmt in FORMATS for driver in fmt.drivers)

SAFE_OPTIONS: dict[str, str] = {
    # /vsicurl/, /vsis3/, /vsigs/, /vsiaz/... open only this exact (impossible) name.
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/vsicurl/http://network-access.invalid/",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".invalid-no-network",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "CPL_VSIL_CURL_USE_HEAD": "NO",
    "CPL_ALLOW_VSISTDIN": "NO",
    "GDAL_HTTP_NETRC": "NO",
    "PROJ_NETWORK": "OFF",
    # GML/KML: never fetch or open what an xlink:href points at.
    "GML_SKIP_RESOLVE_ELEMS": "ALL",
    "GML_DOWNLOAD_WFS_SCHEMA": "NO",
    # GeoPackage (SQLite): no VirtualOGR tables, even behind a view or trigger.
    "ALLOW_VIRTUAL_OGR_FROM_TRIGGER_AND_VIEW": "NO",
    "OGR_SQLITE_LIST_VIRTUAL_OGR": "NO",
    # ... and no SQL that opens other datasets.
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
}

_lock = threading.Lock()
_applied = False


def harden() -> None:
    """Apply SAFE_OPTIONS and the driver allow-list to pyogrio's GDAL (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        pyogrio.set_gdal_config_options(SAFE_OPTIONS)
        _keep_only(ALLOWED_DRIVERS)
        _applied = True


def registered_drivers() -> frozenset[str]:
    return frozenset(pyogrio.list_drivers())


def _keep_only(allowed: frozenset[str]) -> None:
    """Deregister every other driver: GDALAllRegister (pyogrio's _register_drivers) skips
    and removes the drivers listed in GDAL_SKIP each time it runs."""
    others = sorted(registered_drivers() - allowed)
    if others:
        pyogrio.set_gdal_config_options({"GDAL_SKIP": " ".join(others)})
        try:
            from pyogrio._ogr import _register_drivers
        except ImportError as exc:  # a pyogrio without it: fail closed below
            raise ImproperlyConfigured(_refusal(registered_drivers() - allowed)) from exc
        _register_drivers()
    left = registered_drivers() - allowed
    if left:
        raise ImproperlyConfigured(_refusal(left))


def _refusal(left: frozenset[str]) -> str:
    return (
        "pyogrio's GDAL still has drivers that may open uploads unsafely: "
        f"{', '.join(sorted(left))}; refusing to read vector files."
    )
