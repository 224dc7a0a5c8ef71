"""The MapProxy configuration of the public map services, generated from the database.

One configuration per in-force generation (tiles.generation): WMS renders straight from
Mapnik for any bbox and any offered CRS; WMTS and TMS/XYZ read a file cache whose
directory is named after the generation, so approving a plan can never leave stale
tiles behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from planning.crs import offered_srids
from planning.layer_kinds import KINDS
from tiles import datasource, raster_layers, styles, wms_legend
from tiles.feature_types import published_kinds
from tiles.mapnik_source import SOURCE_TYPE

ALL_PLANS = "plans"
GRIDS = ("webmercator", "wgs84", "vn2000")
# MapProxy keys WMS formats by extension, so it cannot offer "image/png; mode=8bit" beside
# "image/png": tiles.wms_extras renders that one itself (and adds it to capabilities).
MAPPROXY_FORMATS = ("image/png", "image/jpeg")
SERVICE_TITLE = "Quy hoạch đang có hiệu lực / Plans in force"
SERVICE_ABSTRACT = (
    "Approved planning projects (plans in force) served as WMS, WMTS and XYZ tiles. "
    "Drafts and plans under review are never shown."
)


@dataclass(frozen=True)
class PublicLayer:
    """A map layer other parts (web map, capabilities) can refer to by name."""

    name: str
    title: str
    kinds: tuple[str, ...]


def public_layers() -> list[PublicLayer]:
    """`plans` (every kind in draw order), one layer per kind, then the public rasters."""
    return [
        *_vector_layers(),
        *(
            PublicLayer(r.layer_name, raster_layers.title(r), ())
            for r in raster_layers.public_rasters()
        ),
    ]


def _vector_layers() -> list[PublicLayer]:
    """`plans` and the published kinds: the catalogue WFS and OGC API Features list too."""
    ordered = [KINDS[kind] for kind in published_kinds()]
    layers = [PublicLayer(ALL_PLANS, "Quy hoạch / Plans", tuple(k.code for k in ordered))]
    layers += [PublicLayer(k.code, str(k.label), (k.code,)) for k in ordered]
    return layers


def public_layer(name: str, user=None) -> PublicLayer | None:
    """The layer called `name`; a raster (`raster_<id>`) only if `user` may see it."""
    if raster_layers.raster_id(name) is not None:
        raster = raster_layers.visible_raster(name, user)
        return PublicLayer(name, raster_layers.title(raster), ()) if raster else None
    return next((layer for layer in _vector_layers() if layer.name == name), None)


def generation_dir(generation: str) -> Path:
    return Path(settings.PLANNING_TILE_CACHE_DIR) / generation


def build_config(generation: str) -> dict:
    """The whole MapProxy configuration dict for the current database state."""
    storage_srid = settings.PLANNING_STORAGE_SRID
    extents = datasource.data_extents()
    model = styles.load_styles()
    db = datasource.connection_params()
    sources, caches, layers = {}, {}, []
    for layer in _vector_layers():
        storage_box, wgs84_box = _layer_extent(layer, extents, storage_srid)
        sources[f"src_{layer.name}"] = _source(layer, model, storage_box, wgs84_box, db)
        caches[f"cache_{layer.name}"] = _cache(layer)
        layers.append(
            {
                "name": layer.name,
                "title": layer.title,
                "sources": [f"src_{layer.name}"],
                "tile_sources": [f"cache_{layer.name}"],
            }
        )
    raster_sources, raster_caches, raster_layer_list = raster_layers.mapproxy_parts()
    sources.update(raster_sources)
    caches.update(raster_caches)
    layers += raster_layer_list
    return {
        "globals": _globals(generation),
        "services": _services(),
        "grids": _grids(storage_srid),
        "sources": sources,
        "caches": caches,
        "layers": layers,
    }


def _layer_extent(
    layer: PublicLayer, extents: dict[str, datasource.KindExtent], storage_srid: int
) -> tuple[datasource.Bbox, datasource.Bbox]:
    """Extent of the layer's in-force data. A layer with none (an empty annotation layer)
    advertises the extent of all the plans in force, where a client zooming to it finds the
    plans it belongs to; only when nothing is in force, all of Viet Nam."""
    for kinds in (layer.kinds, tuple(extents)):
        present = [extents[k] for k in kinds if k in extents]
        storage = datasource.union([e.storage for e in present])
        wgs84 = datasource.union([e.wgs84 for e in present])
        if storage is not None and wgs84 is not None:
            return storage, wgs84
    return datasource.vietnam_storage_extent(storage_srid), datasource.VIETNAM_WGS84


def _source(
    layer: PublicLayer,
    model: dict[str, styles.KindStyle],
    storage_box: datasource.Bbox,
    wgs84_box: datasource.Bbox,
    db: dict[str, str],
) -> dict:
    xml = styles.mapnik_xml(
        model,
        layer.kinds,
        map_srs="epsg:3857",
        layer_srs=datasource.srs_definition(settings.PLANNING_STORAGE_SRID),
        datasource=lambda kind: datasource.datasource_params(kind, storage_box, db),
    )
    return {
        "type": SOURCE_TYPE,
        "xml": xml,
        "legend_size": list(wms_legend.size(wms_legend.entries(layer.kinds))),
        "transparent": True,
        "coverage": {"bbox": list(wgs84_box), "srs": "EPSG:4326"},
    }


def _cache(layer: PublicLayer) -> dict:
    return {
        "sources": [f"src_{layer.name}"],
        "grids": list(GRIDS),
        "format": "image/png",
        "meta_size": [4, 4],
        "meta_buffer": 32,
        "cache": {"type": "file", "directory_layout": "tc"},
    }


def _globals(generation: str) -> dict:
    base = generation_dir(generation)
    return {
        "cache": {
            "base_dir": str(base),
            "lock_dir": str(base / "locks"),
            "tile_lock_dir": str(base / "tile_locks"),
        },
        # Exact colours: quantising to 256 colours would shift the legend colours.
        "image": {"paletted": False},
        # MapProxy adds "Access-Control-Allow-Origin: *" by default; the project's CORS
        # middleware answers for every service instead, after PLANNING_CORS_ORIGINS.
        "http": {"access_control_allow_origin": ""},
    }


def _metadata() -> dict:
    public = settings.PLANNING_PUBLIC_URL.rstrip("/")
    return {
        "title": SERVICE_TITLE,
        "abstract": SERVICE_ABSTRACT,
        "online_resource": f"{public}/ows",
        "fees": "none",
        "access_constraints": "none",
    }


def _services() -> dict:
    max_size = settings.PLANNING_WMS_MAX_SIZE
    return {
        "wms": {
            "versions": ["1.1.1", "1.3.0"],
            # CRS:84: WMS 1.3.0's longitude-first WGS 84, what web clients often ask for
            "srs": [*(f"EPSG:{srid}" for srid in offered_srids()), "CRS:84"],
            "image_formats": list(MAPPROXY_FORMATS),
            "featureinfo_types": ["html", "json", "xml", "text"],
            "max_output_pixels": max_size * max_size,
            "strict": True,
            "md": _metadata(),
        },
        "wmts": {"kvp": True, "restful": True, "md": _metadata()},
        "tms": {"use_grid_names": True, "origin": "nw"},
    }


def _grids(storage_srid: int) -> dict:
    vn = datasource.vietnam_storage_extent(storage_srid)
    return {
        "webmercator": {"base": "GLOBAL_WEBMERCATOR"},
        "wgs84": {"base": "GLOBAL_GEODETIC", "origin": "ul"},
        "vn2000": {
            "srs": f"EPSG:{storage_srid}",
            "bbox": list(vn),
            "bbox_srs": f"EPSG:{storage_srid}",
            "origin": "ul",
            "num_levels": 20,
            "tile_size": [256, 256],
        },
    }
