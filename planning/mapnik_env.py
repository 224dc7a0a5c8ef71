"""Import mapnik early and take back the PROJ_LIB its wheel puts in the environment.

On import, the mapnik wheel sets PROJ_LIB to its own share/proj directory, which holds no
proj.db. The other PROJ copies of the process read that variable: rasterio's each time a
GDAL environment starts (any rasterio.open outside rasters.gdal_env.safe_env starts one),
and from then on every new thread (each request of a threaded server) knew no EPSG code
(raster tiles failed with "Cannot find proj.db"); Debian's PROJ under GeoDjango and
pyogrio's read it too. Without it each finds its own data. mapnik's own PROJ loses nothing:
that directory never held its database, and VN-2000 reaches Mapnik as PROJ strings.

planning.settings calls this first, so it runs before any module imports mapnik.
"""

from __future__ import annotations

import os
from pathlib import Path


def import_mapnik() -> None:
    """Import mapnik once; drop PROJ_LIB if it is the one mapnik set (an operator's stays).

    mapnik names its directory through os.path.realpath: compared resolved, so an install
    reached through a symbolic link (a `current` release link, lib64 -> lib) is recognised.
    """
    import mapnik

    own = Path(mapnik.__file__).resolve().parent / "share" / "proj"
    value = os.environ.get("PROJ_LIB")
    if value and Path(value).resolve() == own:
        del os.environ["PROJ_LIB"]
