"""A MapProxy source that renders with Mapnik 4, registered through MapProxy's plugin API.

MapProxy 7's built-in `mapnik` source fails with Mapnik 4.3: it sets an attribute on
mapnik.Map (map_obj_pid), writes the map srs as '+init=epsg:N' (rejected by PROJ 9) and
calls Image.tostring. This source reuses MapProxy's MapnikSource for everything else
(coverage, resolution range, locking, error reporting) and replaces those three points.

It takes the Mapnik XML itself (option `xml`) rather than a file, because the XML is
generated per in-force generation by tiles.mapproxy_config. VN-2000 CRSs are given to
Mapnik as proj4 strings with the official datum shift (planning.crs) so that every
renderer applies the same transformation.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from functools import cache
from io import BytesIO

import mapnik
from mapproxy.config.configuration.source import (
    MapnikSourceConfiguration,
    register_source_configuration,
    resolution_range,
)
from mapproxy.config.spec import image_opts as image_opts_spec
from mapproxy.config.spec import source_commons
from mapproxy.image import ImageResult
from mapproxy.image.opts import ImageFormat, ImageOptions
from mapproxy.source import LegendSource, SourceError
from mapproxy.source.mapnik import MapnikSource
from mapproxy.util.async_ import run_non_blocking
from mapproxy.util.ext.dictspec.spec import combined, number, required
from pyproj import CRS, Transformer

from planning.crs import proj4_for
from planning.extent import QUERY_AREA_LONLAT

SOURCE_TYPE = "planning_mapnik"
log = logging.getLogger(__name__)
# MapProxy's names for web mercator that PROJ does not know as EPSG codes.
_SRS_ALIASES = {"EPSG:900913": 3857, "EPSG:102100": 3857, "EPSG:102113": 3857, "CRS:84": 4326}
# Mapnik encoders: RGBA with fast zlib keeps exact plan colours at a fraction of the
# default PNG cost (see the design's "Facts checked").
_ENCODINGS = {"png": "png32:z=1", "jpeg": "jpeg85", "jpg": "jpeg85", "webp": "webp"}
_MAX_MAPS_PER_THREAD = 16
_maps = threading.local()


def mapnik_srs(srs_code: str) -> str:
    """The Mapnik srs of a MapProxy SRS code: VN-2000 proj4, else 'epsg:N'."""
    code = srs_code.upper()
    srid = _SRS_ALIASES.get(code)
    if srid is None:
        srid = int(code.split(":", 1)[1])
    return proj4_for(srid) or f"epsg:{srid}"


@cache
def render_limit(srs: str) -> mapnik.Box2d:
    """The part of a map in `srs` (a Mapnik srs) that layers are queried for: the services'
    query area around Viet Nam (planning.extent), beyond which no plan lies. As the Map's
    maximum extent it keeps Mapnik from projecting far parts of a request (a world box) into
    the storage CRS, where PROJ fails point by point, printing each failure to stderr."""
    to_map = Transformer.from_crs("EPSG:4326", CRS.from_user_input(srs), always_xy=True)
    return mapnik.Box2d(*to_map.transform_bounds(*QUERY_AREA_LONLAT, densify_pts=21))


def encoding_for(format_ext: str, mime_type: str = "") -> str:
    """Mapnik's encoder for a format; "image/png; mode=8bit" asks for a paletted PNG."""
    if "mode=8bit" in mime_type.replace(" ", "").lower():
        return "png8:m=h"
    return _ENCODINGS.get(format_ext.lower(), "png32:z=1")


def thread_map(xml: str) -> mapnik.Map:
    """One loaded mapnik.Map per thread and style document (Maps are not thread-safe)."""
    key = hashlib.sha256(xml.encode("utf-8")).hexdigest()
    cached: dict[str, mapnik.Map] = getattr(_maps, "by_hash", None) or {}
    if key not in cached:
        if len(cached) >= _MAX_MAPS_PER_THREAD:
            cached.clear()  # older generations: their configuration is gone
        m = mapnik.Map(256, 256)
        mapnik.load_map_from_string(m, xml)
        cached[key] = m
        _maps.by_hash = cached
    return cached[key]


class PlanningMapnikSource(MapnikSource):
    """MapProxy's Mapnik source adapted to Mapnik 4 and to in-memory style documents."""

    def __init__(self, xml: str, **kwargs) -> None:
        super().__init__(xml, **kwargs)
        self.xml = xml
        self.xml_hash = hashlib.sha256(xml.encode("utf-8")).hexdigest()[:12]

    def render(self, query) -> ImageResult:
        """Render `query`, under the configured lock if any (no mapfile templating).

        Mapnik's errors name the database (host, user, SQL): they are logged, and clients
        get a generic exception report instead."""
        try:
            if self.lock:
                with self.lock():
                    return run_non_blocking(self._render_query, (query,))
            return run_non_blocking(self._render_query, (query,))
        except RuntimeError as exc:
            log.error("mapnik rendering failed (%s): %s", self.xml_hash, exc)
            raise SourceError("the map could not be rendered") from None

    def _render_query(self, query) -> ImageResult:
        start = time.monotonic()
        m = thread_map(self.xml)
        m.resize(query.size[0], query.size[1])
        m.srs = mapnik_srs(query.srs.srs_code)
        m.maximum_extent = render_limit(m.srs)
        m.aspect_fix_mode = mapnik.aspect_fix_mode.RESPECT  # WMS stretches to the exact bbox
        m.zoom_to_box(mapnik.Box2d(*query.bbox))
        image = mapnik.Image(query.size[0], query.size[1])
        if self.scale_factor:
            mapnik.render(m, image, self.scale_factor)
        else:
            mapnik.render(m, image)
        mime_type = str(query.format)
        data = image.to_string(encoding_for(ImageFormat(mime_type).ext, mime_type))
        log.debug(
            "mapnik %s %s %s %s: %d bytes in %.3fs",
            self.xml_hash,
            query.srs.srs_code,
            query.bbox,
            query.size,
            len(data),
            time.monotonic() - start,
        )
        return ImageResult(
            BytesIO(data),
            size=query.size,
            image_opts=ImageOptions(format=query.format, transparent=True),
        )


class AdvertisedLegend(LegendSource):
    """Makes MapProxy write a layer's LegendURL (and GetLegendGraphic) into capabilities.

    The legend itself is drawn by the Django view (tiles.wms_legend), which answers every
    GetLegendGraphic before MapProxy sees it; only the image size is needed here.
    """

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size

    def get_legend(self, query):
        raise SourceError("GetLegendGraphic is answered by tiles.wms_legend")


class PlanningMapnikSourceConfiguration(MapnikSourceConfiguration):
    """`type: planning_mapnik` with the Mapnik XML in `xml` instead of a mapfile path."""

    source_type = (SOURCE_TYPE,)

    def lg_source(self, params=None) -> AdvertisedLegend | None:
        legend_size = self.conf.get("legend_size")
        return AdvertisedLegend(tuple(legend_size)) if legend_size else None

    def source(self, params=None) -> PlanningMapnikSource:
        return PlanningMapnikSource(
            self.conf["xml"],
            image_opts=self.image_opts(),
            coverage=self.coverage(),
            res_range=resolution_range(self.conf),
            scale_factor=self.conf.get("scale_factor"),
        )


_SPEC = combined(
    source_commons,
    {
        required("xml"): "",
        "transparent": False,
        "image": image_opts_spec,
        "scale_factor": number(),
        "legend_size": [number()],
    },
)
_registered = False


def register() -> None:
    """Make `type: planning_mapnik` known to MapProxy's loader (idempotent)."""
    global _registered
    if not _registered:
        register_source_configuration(
            SOURCE_TYPE, PlanningMapnikSourceConfiguration, SOURCE_TYPE, _SPEC
        )
        _registered = True
