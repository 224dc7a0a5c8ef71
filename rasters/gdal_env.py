"""The GDAL configuration every raster read and write runs under.

GDAL is told not to look around: no directory listing beside the file (so no sidecar is
picked up behind our back), no .aux.xml (we parse sidecars ourselves, with lxml and
entities off), and no network file systems. Uploaded files are opened with the one
driver their magic bytes name (rasters.sniff), never by GDAL's guess.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import rasterio
from django.utils.translation import gettext as _
from rasterio.env import GDALDataFinder, PROJDataFinder, set_gdal_config, set_proj_data_search_path
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from planning.errors import InvalidInput

SAFE_OPTIONS: dict[str, object] = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_PAM_ENABLED": "NO",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".invalid-no-network",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "CPL_VSIL_CURL_USE_HEAD": "NO",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "VSI_CACHE": "FALSE",
    "GDAL_NUM_THREADS": "ALL_CPUS",
    # rasterio takes an integer GDAL_CACHEMAX in bytes (256 alone meant 256 bytes).
    "GDAL_CACHEMAX": 256 * 1024 * 1024,
}


def use_bundled_data() -> None:
    """Point rasterio's GDAL and PROJ at the data files of its own wheel.

    Importing mapnik sets GDAL_DATA to its own share directory (and PROJ_LIB, removed again
    by planning.mapnik_env): rasterio's GDAL reads its own.
    """
    proj = PROJDataFinder().search_wheel()
    if proj:
        set_proj_data_search_path(proj)
    gdal_data = GDALDataFinder().search_wheel()
    if gdal_data:
        set_gdal_config("GDAL_DATA", gdal_data)


use_bundled_data()


@contextmanager
def safe_env() -> Iterator[None]:
    """rasterio.Env with SAFE_OPTIONS and rasterio's own GDAL and PROJ data.

    Starting an environment makes rasterio read PROJ_DATA, PROJ_LIB and GDAL_DATA from
    os.environ again; planning.mapnik_env keeps mapnik's PROJ_LIB out of it, and the data
    paths are set again here in case an operator's variables name another PROJ's data.
    """
    with rasterio.Env(**SAFE_OPTIONS), warnings.catch_warnings():
        # Unplaced scans are expected here; their state is recorded, not warned about.
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        use_bundled_data()
        yield


@contextmanager
def open_image(path, driver: str) -> Iterator[rasterio.io.DatasetReader]:
    """Open a checked upload with exactly one driver, GDAL's errors as InvalidInput."""
    with safe_env():
        try:
            dataset = rasterio.open(path, driver=driver)
        except RasterioError as exc:
            detail = str(exc).replace(str(path), path.name)  # no server paths in messages
            raise InvalidInput(
                _("GDAL cannot read %(name)s: %(error)s") % {"name": path.name, "error": detail}
            ) from exc
        with dataset:
            yield dataset
