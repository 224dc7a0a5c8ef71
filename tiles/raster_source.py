"""A MapProxy source that draws one raster with GDAL's warper (tiles.raster_layers.draw).

Registered through MapProxy's plugin API like tiles.mapnik_source, as `type:
planning_raster` with the drawing (COG path, CRS, ramp) in `raster`. It honours the
source's coverage and resolution range like MapProxy's own sources, and can serve meta
tiles: a tile cut from a metatile equals the tile drawn alone, so metatiles leave no seams.
"""

from __future__ import annotations

import logging
import time

from mapproxy.config.configuration.source import (
    SourceConfiguration,
    register_source_configuration,
    resolution_range,
)
from mapproxy.config.spec import image_opts as image_opts_spec
from mapproxy.config.spec import source_commons
from mapproxy.extent import DefaultMapExtent, MapExtent
from mapproxy.image import ImageResult
from mapproxy.image.opts import ImageOptions
from mapproxy.layer import BlankImageError
from mapproxy.layer.map_layer import MapLayer
from mapproxy.source import SourceError
from mapproxy.util.ext.dictspec.spec import anything, combined, required
from PIL import Image
from rasterio._err import CPLE_BaseError
from rasterio.errors import RasterioError

from tiles.mapnik_source import mapnik_srs
from tiles.raster_layers import SOURCE_TYPE, Drawing, draw

log = logging.getLogger(__name__)


class RasterSource(MapLayer):
    """Draws the requested bbox, size and CRS of one raster; transparent where it has none."""

    supports_meta_tiles = True

    def __init__(self, raster: Drawing, image_opts=None, coverage=None, res_range=None) -> None:
        super().__init__(image_opts=image_opts)
        self.raster = raster
        self.coverage = coverage
        self.res_range = res_range
        self.extent = MapExtent(coverage.bbox, coverage.srs) if coverage else DefaultMapExtent()

    def get_map(self, query) -> ImageResult:
        self.check_res_range(query)
        if self.coverage and not self.coverage.intersects(query.bbox, query.srs):
            raise BlankImageError()
        start = time.monotonic()
        try:
            pixels = draw(self.raster, query.bbox, query.size, mapnik_srs(query.srs.srs_code))
        except (RasterioError, CPLE_BaseError, OSError, ValueError) as exc:
            # GDAL's messages name server paths: logged, never sent.
            log.error("raster drawing failed: %s", exc)
            raise SourceError("the map could not be rendered") from None
        log.debug(
            "raster %s %s %s: %.3fs",
            query.srs.srs_code,
            query.bbox,
            query.size,
            time.monotonic() - start,
        )
        return ImageResult(
            Image.fromarray(pixels, "RGBA"),
            size=query.size,
            image_opts=ImageOptions(format=query.format, transparent=True),
        )


class RasterSourceConfiguration(SourceConfiguration):
    source_type = (SOURCE_TYPE,)

    def source(self, params=None) -> RasterSource:
        return RasterSource(
            Drawing.from_conf(self.conf["raster"]),
            image_opts=self.image_opts(),
            coverage=self.coverage(),
            res_range=resolution_range(self.conf),
        )


_SPEC = combined(
    source_commons,
    {
        required("raster"): {"path": "", "crs": "", "ramp": [[anything()]]},
        "transparent": False,
        "image": image_opts_spec,
    },
)
_registered = False


def register() -> None:
    """Make `type: planning_raster` known to MapProxy's loader (idempotent)."""
    global _registered
    if not _registered:
        register_source_configuration(SOURCE_TYPE, RasterSourceConfiguration, SOURCE_TYPE, _SPEC)
        _registered = True
