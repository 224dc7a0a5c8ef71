"""Raster layers in the map services: names, drawing, MapProxy sources, pixel values.

A raster is served as the layer `raster_<id>` (WMS, WMTS, XYZ). Once published, the id is
that of the scan's first upload, shared by the copies every answering revision takes
(RasterLayer.lineage): an approval does not rename a scan for the clients that saved its
name, and `raster_<id>` means the copy in force (at a WMS TIME instant, the copy in force
then). An unpublished raster is named by its own id. Public configurations list the
rasters of the plans in force only (rasters.visibility.service_rasters(None)); signed-in
callers reach their drafts' rasters through the direct render (tiles.wms_render), and a
WMS TIME request the rasters in force at that instant (names checked at that instant too).

Rasters are drawn by GDAL's warper (rasterio's WarpedVRT), not by Mapnik. Mapnik's raster
path places the image it reads with roundings that change from one render to the next
(its gdal plugin snaps the window read from an overview to whole overview pixels, and the
warp rounds the target extent to whole pixels): adjacent tiles and metatiles disagreed by
up to an output pixel, which showed as broken lines along their edges (docs/rasters.md,
"Seams"). GDAL maps every output pixel from its own centre whatever the request's bbox, so
a tile is exactly the same area cut out of a larger render. The COG is read in its own CRS
(VN-2000 with the official shift, as for Mapnik's vector layers) from the coarsest
overview still at least as fine as the output; elevation models and other single-band
rasters of values are coloured by a ramp between the band's minimum and maximum.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import mapnik
import numpy as np
import rasterio
from affine import Affine
from django.db.models import Case, Q, QuerySet, Value, When
from PIL import Image
from pyproj import Transformer
from rasterio.crs import CRS as RioCRS
from rasterio.enums import ColorInterp, Resampling
from rasterio.vrt import WarpedVRT
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window

from planning.models import PUBLISHED_STATES
from rasters.gdal_env import safe_env
from rasters.metadata import mapnik_srs, pyproj_crs
from rasters.models import RasterKind, RasterLayer
from rasters.visibility import requestable_rasters, service_rasters

RASTER_NAME = re.compile(r"^raster_([1-9][0-9]{0,17})$")
ELEVATION_RAMP = ("#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c")
# The MapProxy source type of rasters (tiles.raster_source).
SOURCE_TYPE = "planning_raster"


def raster_id(name: str) -> int | None:
    match = RASTER_NAME.match(name)
    return int(match.group(1)) if match else None


def named(rasters: QuerySet[RasterLayer], number: int) -> QuerySet[RasterLayer]:
    """The rasters of `rasters` that `raster_<number>` names (RasterLayer.layer_name): the
    published copies of that scan and the unpublished raster of that id, published first.
    Among what one caller sees at one moment that is one raster per name: one revision of
    a project is in force at a time, and lineages stay in their project."""
    published = Q(revision__state__in=PUBLISHED_STATES)
    of_scan = Q(lineage=number) | Q(lineage__isnull=True, pk=number)
    chosen = rasters.filter((published & of_scan) | (~published & Q(pk=number)))
    return chosen.annotate(
        unpublished=Case(When(published, then=Value(0)), default=Value(1))
    ).order_by("unpublished", "id")


def visible_raster(name: str, user=None, at: datetime | None = None) -> RasterLayer | None:
    """The raster called `name` if the caller may see it (else None: unknown)."""
    number = raster_id(name)
    if number is None:
        return None
    return named(service_rasters(user, at), number).first()


def shown_rasters(numbers: Sequence[int], user=None, at=None) -> list[RasterLayer]:
    """The rasters `raster_<number>` names that the caller sees, in the order of their ids."""
    seen = service_rasters(user, at)
    found = {raster.pk: raster for n in numbers if (raster := named(seen, n).first())}
    return [found[pk] for pk in sorted(found)]


def requestable_raster(name: str, user=None, at: datetime | None = None) -> bool:
    """Whether a WMS request by `user` for the moment `at` may name the raster `name`;
    a raster nobody may see and one that does not exist are alike unknown."""
    number = raster_id(name)
    return number is not None and named(requestable_rasters(user, at), number).exists()


def public_rasters() -> list[RasterLayer]:
    return list(service_rasters(None).order_by("id"))


def title(raster: RasterLayer) -> str:
    return f"{raster.name} ({raster.revision.project.code})"


# --- Drawing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drawing:
    """What drawing a raster needs: its COG, its CRS (PROJ string, EPSG code or WKT) and,
    for a single band of values, the ramp stops (value, "#rrggbb")."""

    path: str
    crs: str
    ramp: tuple[tuple[float, str], ...] = ()

    def as_conf(self) -> dict[str, object]:
        return {"path": self.path, "crs": self.crs, "ramp": [list(s) for s in self.ramp]}

    @classmethod
    def from_conf(cls, conf: dict) -> Drawing:
        ramp = tuple((float(value), str(colour)) for value, colour in conf.get("ramp", ()))
        return cls(str(conf["path"]), str(conf["crs"]), ramp)


def drawing(raster: RasterLayer) -> Drawing:
    ramp: tuple[tuple[float, str], ...] = ()
    if raster.band_count == 1 and (raster.kind == RasterKind.ELEVATION or raster.dtype != "uint8"):
        low, high = _band_range(raster)
        last = len(ELEVATION_RAMP) - 1
        ramp = tuple(
            (low + (high - low) * index / last, colour)
            for index, colour in enumerate(ELEVATION_RAMP)
        )
    # VN-2000 as the PROJ string with the official shift, like every other renderer.
    crs = mapnik_srs(raster.crs_epsg, "") if raster.crs_epsg else raster.crs_wkt
    return Drawing(str(raster.cog_file()), crs, ramp)


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


def draw(raster: Drawing, bbox: Sequence[float], size: tuple[int, int], srs: str) -> np.ndarray:
    """The RGBA pixels (rows × columns × 4, straight alpha) of `raster` over `bbox` in
    `srs` at `size` (width, height): transparent outside the raster and where it has none."""
    with safe_env():
        target = _Target.of(bbox, size, srs)
        source_crs = RioCRS.from_user_input(raster.crs)
        with rasterio.open(raster.path) as dataset:
            reading = _reading(dataset, source_crs, target)
        with rasterio.open(raster.path, overview_level=reading.level) as dataset:
            if dataset.colorinterp[0] == ColorInterp.palette:
                bands, interp = _warp_paletted(dataset, source_crs, target, reading)
            else:
                bands, interp = _warp(dataset, source_crs, target, reading)
    alpha_index = interp.index(ColorInterp.alpha)
    alpha = bands[alpha_index]
    del interp[alpha_index]
    values = np.delete(bands, alpha_index, axis=0)
    rgba = _ramp_colours(values[0], raster.ramp) if raster.ramp else _rgb_colours(values, interp)
    rgba[..., 3] = np.minimum(rgba[..., 3], np.clip(alpha, 0, 255))
    return rgba


@dataclass(frozen=True)
class _Target:
    """The output grid."""

    crs: RioCRS
    grid: Affine
    width: int
    height: int

    @classmethod
    def of(cls, bbox: Sequence[float], size: tuple[int, int], srs: str) -> _Target:
        (left, bottom, right, top), (width, height) = bbox, size
        grid = Affine((right - left) / width, 0, left, 0, -(top - bottom) / height, top)
        return cls(RioCRS.from_user_input(srs), grid, width, height)


@dataclass(frozen=True)
class _Reading:
    """The COG level to read (None: full resolution) and the resampling scale (output
    pixels per pixel read) across and down."""

    level: int | None
    x_scale: float
    y_scale: float

    def warp_options(self) -> dict[str, float]:
        return {"XSCALE": self.x_scale, "YSCALE": self.y_scale}


def _reading(dataset, source_crs: RioCRS, target: _Target) -> _Reading:
    """The coarsest overview still at least as fine as the output pixels, and the scale.

    Both depend on the output resolution only, never on the requested bbox: GDAL would
    otherwise estimate the scale of each chunk it warps from that chunk's shape, and draw a
    tile slightly softer or sharper than the metatile around it. Measured on the raster's
    own extent, which any CRS can take."""
    left, bottom, right, top = transform_bounds(source_crs, target.crs, *dataset.bounds)
    across = (right - left) / abs(target.grid.a)  # output pixels across the raster
    down = (top - bottom) / abs(target.grid.e)
    if not all(math.isfinite(v) and v > 0 for v in (across, down)):
        return _Reading(None, 1.0, 1.0)
    needed = min(dataset.width / across, dataset.height / down)  # read pixels per output pixel
    factors = [1, *dataset.overviews(1)]
    level = max(i for i, factor in enumerate(factors) if factor <= max(needed, 1))
    factor = factors[level]
    return _Reading(
        level - 1 if level else None,
        across / math.ceil(dataset.width / factor),
        down / math.ceil(dataset.height / factor),
    )


def _warp(dataset, source_crs: RioCRS, target: _Target, reading: _Reading):
    """The bands warped bilinearly onto the output grid, an alpha band among them (from the
    raster's own alpha band, else from its nodata and the area it covers)."""
    with WarpedVRT(
        dataset,
        src_crs=source_crs,
        crs=target.crs,
        transform=target.grid,
        width=target.width,
        height=target.height,
        resampling=Resampling.bilinear,
        add_alpha=ColorInterp.alpha not in dataset.colorinterp,
        **reading.warp_options(),
    ) as warped:
        return warped.read(), list(warped.colorinterp)


def _warp_paletted(dataset, source_crs: RioCRS, target: _Target, reading: _Reading):
    """A paletted raster's colours (the table applied to the pixels read, then resampled
    bilinearly like any RGBA image) on the output grid."""
    rgba = np.zeros((4, target.height, target.width), dtype="uint8")
    interp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.alpha]
    margin = math.ceil(2 / min(reading.x_scale, reading.y_scale, 1.0)) + 1
    window = _source_window(dataset, source_crs, target, margin)
    if window is None:
        return rgba, interp
    colours = np.moveaxis(
        _palette_colours(dataset.read(1, window=window), dataset.colormap(1)), -1, 0
    )
    colours[3] = np.minimum(colours[3], dataset.read_masks(1, window=window))
    reproject(
        colours,
        rgba,
        src_transform=dataset.transform @ Affine.translation(window.col_off, window.row_off),
        src_crs=source_crs,
        src_alpha=4,
        dst_transform=target.grid,
        dst_crs=target.crs,
        dst_alpha=4,
        resampling=Resampling.bilinear,
        **reading.warp_options(),
    )
    return rgba, interp


def _source_window(dataset, source_crs: RioCRS, target: _Target, margin: int) -> Window | None:
    """The pixels of `dataset` under the output grid, `margin` pixels wider (the kernel's
    reach), within the raster; None when none are."""
    left, top = target.grid @ (0, 0)
    right, bottom = target.grid @ (target.width, target.height)
    bounds = transform_bounds(target.crs, source_crs, left, bottom, right, top, densify_pts=21)
    if not all(math.isfinite(v) for v in bounds):
        bounds = dataset.bounds
    inverse = ~dataset.transform  # COGs are north-up (rasters.cog)
    (col_a, row_a), (col_b, row_b) = inverse @ bounds[0:2], inverse @ bounds[2:4]
    col0 = max(0, math.floor(min(col_a, col_b)) - margin)
    row0 = max(0, math.floor(min(row_a, row_b)) - margin)
    col1 = min(dataset.width, math.ceil(max(col_a, col_b)) + margin)
    row1 = min(dataset.height, math.ceil(max(row_a, row_b)) + margin)
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


def _ramp_colours(values: np.ndarray, ramp: tuple[tuple[float, str], ...]) -> np.ndarray:
    """Linear colours between the stops; values past the ends take the end colours."""
    stops = np.array([value for value, _ in ramp], dtype="float64")
    colours = np.array([_rgb(colour) for _, colour in ramp], dtype="float64")
    finite = np.isfinite(values)
    values = np.where(finite, values, stops[0])
    rgba = np.full((*values.shape, 4), 255, dtype="uint8")
    for channel in range(3):
        rgba[..., channel] = np.interp(values, stops, colours[:, channel]).round()
    rgba[..., 3] = np.where(finite, 255, 0)
    return rgba


def _palette_colours(values: np.ndarray, colormap: dict[int, tuple]) -> np.ndarray:
    table = np.zeros((max(256, max(colormap) + 1), 4), dtype="uint8")
    for index, entry in colormap.items():
        table[index] = entry[:4]
    return table[np.clip(values, 0, len(table) - 1).astype("int64")]


def _rgb_colours(values: np.ndarray, interp: list[ColorInterp]) -> np.ndarray:
    """Red, green and blue by colour interpretation (else the first three bands); one band
    is grey. Other types than bytes are clipped to 0–255, as GDAL reads them as bytes."""
    named = [ColorInterp.red, ColorInterp.green, ColorInterp.blue]
    if all(colour in interp for colour in named):
        order = [interp.index(colour) for colour in named]
    else:
        order = [0, 1, 2] if len(values) >= 3 else [0, 0, 0]
    rgba = np.full((*values.shape[1:], 4), 255, dtype="uint8")
    for channel, band in enumerate(order):
        rgba[..., channel] = np.clip(values[band], 0, 255)
    return rgba


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def mapnik_base(
    rasters: Sequence[Drawing],
    bbox: Sequence[float],
    size: tuple[int, int],
    srs: str,
    background: str | None = None,
) -> mapnik.Image:
    """A Mapnik image holding `rasters` (the last on top) over `background` ("#rrggbb",
    else transparency), for Mapnik to draw the vector layers on (tiles.wms_render)."""
    width, height = size
    image = mapnik.Image(width, height)
    if background:
        image.fill(mapnik.Color(background))
    image.premultiply()  # Mapnik composites premultiplied pixels
    for raster in rasters:
        image.composite(_mapnik_image(draw(raster, bbox, size, srs)))
    return image


def _mapnik_image(pixels: np.ndarray) -> mapnik.Image:
    encoded = io.BytesIO()  # Mapnik's Python images take encoded data only
    Image.fromarray(pixels, "RGBA").save(encoded, "PNG", compress_level=0)
    image = mapnik.Image.from_buffer(encoded.getvalue())
    image.premultiply()
    return image


# --- MapProxy -----------------------------------------------------------------------------


def mapproxy_parts() -> tuple[dict, dict, list[dict]]:
    """Sources, caches and layers of the public rasters for the MapProxy configuration."""
    sources, caches, layers = {}, {}, []
    for raster in public_rasters():
        name = raster.layer_name
        source: dict[str, object] = {
            "type": SOURCE_TYPE,
            "raster": drawing(raster).as_conf(),
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
