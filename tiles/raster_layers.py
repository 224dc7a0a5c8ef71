"""Raster layers in the map services: names, Mapnik layers, MapProxy sources, pixel values.

A raster is served as the layer `raster_<id>` (WMS, WMTS, XYZ). Public configurations
list the rasters of the plans in force only (rasters.visibility.service_rasters(None));
signed-in callers reach their drafts' rasters through the direct Mapnik render, and a WMS
TIME request the rasters in force at that instant (names checked at that instant too). Mapnik
reads the COG with its gdal input plugin in the raster's own CRS and reprojects it to
the requested CRS while rendering; elevation models are coloured by a ramp between the
band's minimum and maximum.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import rasterio
from lxml import etree
from pyproj import Transformer
from rasterio.windows import Window

from rasters.gdal_env import safe_env
from rasters.metadata import mapnik_srs, pyproj_crs
from rasters.models import RasterKind, RasterLayer
from rasters.visibility import requestable_rasters, service_rasters

RASTER_NAME = re.compile(r"^raster_([1-9][0-9]{0,17})$")
ELEVATION_RAMP = ("#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c")


def raster_id(name: str) -> int | None:
    match = RASTER_NAME.match(name)
    return int(match.group(1)) if match else None


def visible_raster(name: str, user=None, at: datetime | None = None) -> RasterLayer | None:
    """The raster called `name` if the caller may see it (else None: unknown)."""
    pk = raster_id(name)
    if pk is None:
        return None
    return service_rasters(user, at).filter(pk=pk).first()


def requestable_raster(name: str, user=None, at: datetime | None = None) -> bool:
    """Whether a WMS request by `user` for the moment `at` may name the raster `name`;
    a raster nobody may see and one that does not exist are alike unknown."""
    pk = raster_id(name)
    return pk is not None and requestable_rasters(user, at).filter(pk=pk).exists()


def public_rasters() -> list[RasterLayer]:
    return list(service_rasters(None).order_by("id"))


def title(raster: RasterLayer) -> str:
    return f"{raster.name} ({raster.revision.project.code})"


# --- Mapnik -------------------------------------------------------------------------------


def style_element(raster: RasterLayer) -> etree._Element:
    style = etree.Element("Style", name=raster.layer_name)
    rule = etree.SubElement(style, "Rule")
    symbolizer = etree.SubElement(rule, "RasterSymbolizer", scaling="bilinear", opacity="1")
    if raster.kind == RasterKind.ELEVATION or raster.dtype not in ("uint8",):
        low, high = _band_range(raster)
        colorizer = etree.SubElement(
            symbolizer,
            "RasterColorizer",
            **{"default-mode": "linear", "default-color": "transparent"},
        )
        for index, colour in enumerate(ELEVATION_RAMP):
            value = low + (high - low) * index / (len(ELEVATION_RAMP) - 1)
            etree.SubElement(colorizer, "stop", value=f"{value:.6g}", color=colour)
    return style


def _band_range(raster: RasterLayer) -> tuple[float, float]:
    with safe_env(), rasterio.open(raster.cog_file()) as dataset:
        overview = dataset.overviews(1)
        factor = overview[-1] if overview else 1
        data = dataset.read(
            1,
            out_shape=(max(1, dataset.height // factor), max(1, dataset.width // factor)),
            masked=True,
        )
    if data.count() == 0:
        return 0.0, 1.0
    low, high = float(data.min()), float(data.max())
    return (low, high if high > low else low + 1.0)


def layer_element(raster: RasterLayer) -> etree._Element:
    layer = etree.Element(
        "Layer", name=raster.layer_name, srs=mapnik_srs(raster.crs_epsg, raster.crs_wkt)
    )
    etree.SubElement(layer, "StyleName").text = raster.layer_name
    source = etree.SubElement(layer, "Datasource")
    params = {"type": "gdal", "file": str(raster.cog_file())}
    if raster.band_count == 1 and raster.dtype != "uint8":
        params["band"] = "1"
    if raster.nodata is not None and math.isfinite(raster.nodata):
        params["nodata"] = repr(raster.nodata)
    for name, value in params.items():
        etree.SubElement(source, "Parameter", name=name).text = value
    return layer


def map_xml(rasters: list[RasterLayer], map_srs: str = "epsg:3857") -> str:
    root = etree.Element("Map", srs=map_srs)
    for raster in rasters:
        root.append(style_element(raster))
    for raster in rasters:
        root.append(layer_element(raster))
    return etree.tostring(root, encoding="unicode")


def under(vector_xml: str, rasters: list[RasterLayer]) -> str:
    """A Mapnik document with `rasters` drawn below the layers of `vector_xml`."""
    if not rasters:
        return vector_xml
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(vector_xml.encode("utf-8"), parser)
    first_layer = next((i for i, child in enumerate(root) if child.tag == "Layer"), len(root))
    for offset, raster in enumerate(rasters):
        root.insert(offset, style_element(raster))
    first_layer += len(rasters)
    for offset, raster in enumerate(rasters):
        root.insert(first_layer + offset, layer_element(raster))
    return etree.tostring(root, encoding="unicode")


# --- MapProxy -----------------------------------------------------------------------------


def mapproxy_parts(source_type: str) -> tuple[dict, dict, list[dict]]:
    """Sources, caches and layers of the public rasters for the MapProxy configuration."""
    sources, caches, layers = {}, {}, []
    for raster in public_rasters():
        name = raster.layer_name
        source: dict[str, object] = {
            "type": source_type,
            "xml": map_xml([raster]),
            "transparent": True,
        }
        if raster.bounds_wgs84:
            source["coverage"] = {"bbox": list(raster.bounds_wgs84), "srs": "EPSG:4326"}
        sources[f"src_{name}"] = source
        caches[f"cache_{name}"] = {
            "sources": [f"src_{name}"],
            "grids": ["webmercator", "wgs84", "vn2000"],
            "format": "image/png",
            "meta_size": [4, 4],
            "meta_buffer": 32,
            "cache": {"type": "file", "directory_layout": "tc"},
        }
        layers.append(
            {
                "name": name,
                "title": title(raster),
                "sources": [f"src_{name}"],
                "tile_sources": [f"cache_{name}"],
            }
        )
    return sources, caches, layers


# --- GetFeatureInfo -----------------------------------------------------------------------


@dataclass(frozen=True)
class PixelValue:
    raster: RasterLayer
    values: dict[str, float | None]


def pixel_values(raster: RasterLayer, x: float, y: float, srid: int) -> PixelValue | None:
    """The band values of `raster` at (x, y) in EPSG:`srid`, None outside the raster."""
    from planning.crs import proj4_for

    source = proj4_for(srid) or f"EPSG:{srid}"
    to_raster = Transformer.from_crs(
        source, pyproj_crs(raster.crs_epsg, raster.crs_wkt), always_xy=True
    )
    rx, ry = to_raster.transform(x, y)
    if not (math.isfinite(rx) and math.isfinite(ry)):
        return None
    with safe_env(), rasterio.open(raster.cog_file()) as dataset:
        row, col = dataset.index(rx, ry)
        if not (0 <= row < dataset.height and 0 <= col < dataset.width):
            return None
        data = dataset.read(window=Window(col, row, 1, 1), masked=True)
    values: dict[str, float | None] = {}
    for band in range(data.shape[0]):
        cell = data[band, 0, 0]
        values[f"band_{band + 1}"] = None if cell is np.ma.masked else float(cell)
    return PixelValue(raster, values)
