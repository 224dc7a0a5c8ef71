"""Adjacent raster tiles join without seams, on every path that serves them.

A generated scan in VN-2000 (EPSG:9214, so reprojected on every path below) is centred on
a corner shared by four metatiles of the web-mercator grid. At two zooms — 16, where its
COG's ×2 overview is read, and 18, where full-resolution pixels are magnified — the four
tiles around that corner are fetched over HTTP (XYZ and WMTS from MapProxy's metatile
cache; WMS GetMap per tile in EPSG:3857 and EPSG:4326; the signed-in direct render),
stitched, and compared with one GetMap of the whole block. Inside the scan's footprint
(shrunk by two output pixels) every stitched pixel must be opaque and match the single
render: a tile must be that area cut out of a larger image, whatever bbox it was drawn for.

The scan is a texture of sines (periods of 23–37 scan pixels in each colour), so a tile
drawn even a fraction of a pixel away from its neighbours shows up as a colour jump. An
elevation model (ramp colours, a nodata square) and a paletted scan go through the XYZ path
the same way. Measurements before and after the fix: docs/rasters.md, "Seams".
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import pytest
import rasterio
from affine import Affine
from PIL import Image
from pyproj import Transformer

from planning.crs import proj4_for
from rasters.gdal_env import safe_env
from tests.conftest import HUE_X, HUE_Y
from tests.rasters.conftest import write_tiff
from tests.rasters.test_serving import BASIC_PLANNER, _raster_plan
from tests.wms.helpers import get

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("private_tile_cache"),
]
HALF = 2 * math.pi * 6378137 / 2  # half the web-mercator world, metres
SCAN_PIXELS = 1600  # 1 m scan pixels: the scan is 1.6 km square
# Zoom 16 draws 2.3 m pixels (the COG's ×2 overview); zoom 18 0.57 m ones (full resolution).
ZOOMS = (16, 18)
# The largest colour difference tolerated between stitched tiles and the single render.
TOLERANCE = 3
# Output pixels (at least as many scan pixels) left out along the footprint's edge, where
# pixels are partly covered.
EDGE = 2


def _texture(size: int) -> np.ndarray:
    cols, rows = np.meshgrid(np.arange(size), np.arange(size))
    bands = [
        np.sin(2 * np.pi * cols / 23),
        np.sin(2 * np.pi * rows / 29),
        np.sin(2 * np.pi * (cols + rows) / 37),
    ]
    return np.stack([(127.5 + 120 * band).astype("uint8") for band in bands])


def _metatile_corner() -> tuple[int, int]:
    """A zoom-16 tile (column, row), both multiples of 4, near the test lots: its
    upper-left corner is shared by four 4 × 4 metatiles at zoom 16 and at every zoom above."""
    lon, lat = Transformer.from_crs(proj4_for(9214), "EPSG:4326", always_xy=True).transform(
        HUE_X, HUE_Y
    )
    n = 2**16
    col = (lon + 180) / 360 * n
    row = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return 4 * round(col / 4), 4 * round(row / 4)


def _tile_bbox(z: int, col: int, row: int) -> tuple[float, float, float, float]:
    size = 2 * HALF / 2**z
    return (
        -HALF + col * size,
        HALF - (row + 1) * size,
        -HALF + (col + 1) * size,
        HALF - row * size,
    )


@dataclass(frozen=True)
class Block:
    """The 2 × 2 tiles around the metatile corner at zoom `z`."""

    z: int
    col: int  # the corner's tile column and row at this zoom
    row: int

    @classmethod
    def at(cls, z: int) -> Block:
        col, row = _metatile_corner()
        return cls(z, col * 2 ** (z - 16), row * 2 ** (z - 16))

    def tiles(self) -> list[tuple[int, int, int, int]]:
        """(column, row, i, j): tile and its place (i across, j down) in the block."""
        return [(self.col - 1 + i, self.row - 1 + j, i, j) for j in range(2) for i in range(2)]

    def bbox_3857(self) -> tuple[float, float, float, float]:
        left, bottom, _, _ = _tile_bbox(self.z, self.col - 1, self.row)
        _, _, right, top = _tile_bbox(self.z, self.col, self.row - 1)
        return left, bottom, right, top


@dataclass(frozen=True)
class Scan:
    layer: str
    transform: Affine
    hole: tuple[int, int, int, int] | None = None  # a nodata square: columns, then rows


def _import_centred(planner, reviewer, path, data: np.ndarray, kind: str, **options) -> Scan:
    """`data` imported as a raster in force, centred on the metatile corner; `colormap`
    among the options makes a paletted TIFF."""
    corner = _tile_bbox(16, *_metatile_corner())
    x, y = Transformer.from_crs("EPSG:3857", proj4_for(9214), always_xy=True).transform(
        corner[0], corner[3]
    )
    half = SCAN_PIXELS / 2
    transform = Affine(1.0, 0.0, round(x) - half, 0.0, -1.0, round(y) + half)
    colormap = options.pop("colormap", None)
    write_tiff(path, data, transform=transform, crs="EPSG:9214", **options)
    if colormap:
        with safe_env(), rasterio.open(path, "r+") as dataset:
            dataset.write_colormap(1, colormap)
    raster = _raster_plan(planner, reviewer, path, f"seams-{kind}", approve=True, kind=kind)
    return Scan(raster.layer_name, transform)


@pytest.fixture
def scan(planner, reviewer, tmp_path) -> Scan:
    return _import_centred(
        planner, reviewer, tmp_path / "texture.tif", _texture(SCAN_PIXELS), "scan"
    )


def _rgba(body: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(body)).convert("RGBA")).astype(int)


def _fetch(url: str, headers: dict[str, str] | None = None) -> np.ndarray:
    status, _, body = get(url, headers)
    assert status == 200, body[:300]
    return _rgba(body)


def _getmap(
    base: str,
    layer: str,
    srs: str,
    bbox: tuple[float, ...],
    size: int,
    headers: dict[str, str] | None = None,
) -> np.ndarray:
    query = {
        "SERVICE": "WMS",
        "VERSION": "1.1.1",  # x/y axis order in EPSG:4326 too
        "REQUEST": "GetMap",
        "LAYERS": layer,
        "STYLES": "",
        "SRS": srs,
        "BBOX": ",".join(f"{v:.10f}" for v in bbox),
        "WIDTH": size,
        "HEIGHT": size,
        "FORMAT": "image/png",
        "TRANSPARENT": "TRUE",
    }
    return _fetch(f"{base}/ows?{urlencode(query)}", headers)


def _stitch(tiles: dict[tuple[int, int], np.ndarray]) -> np.ndarray:
    """The 2 × 2 tiles keyed (i across, j down) as one 512 × 512 image."""
    image = np.zeros((512, 512, 4), dtype=int)
    for (i, j), tile in tiles.items():
        image[j * 256 : (j + 1) * 256, i * 256 : (i + 1) * 256] = tile
    return image


def _wms_tiles(
    base: str, layer: str, srs: str, bbox: tuple[float, ...], headers: dict[str, str] | None
) -> np.ndarray:
    """`bbox` drawn as four 256 × 256 GetMaps of its quarters, stitched."""
    left, bottom, right, top = bbox
    width, height = (right - left) / 2, (top - bottom) / 2
    quarters = {
        (i, j): (left + i * width, top - (j + 1) * height, left + (i + 1) * width, top - j * height)
        for i in range(2)
        for j in range(2)
    }
    return _stitch(
        {key: _getmap(base, layer, srs, box, 256, headers) for key, box in quarters.items()}
    )


def _scan_pixels(scan: Scan, srs: str, bbox: tuple[float, float, float, float]):
    """Scan column and row of every block pixel's centre, and one output pixel's width
    in scan pixels."""
    left, bottom, right, top = bbox
    step_x, step_y = (right - left) / 512, (top - bottom) / 512
    centres = np.arange(512) + 0.5
    xs, ys = np.meshgrid(left + centres * step_x, top - centres * step_y)
    to_scan = Transformer.from_crs(srs, proj4_for(9214), always_xy=True)
    cols, rows = ~scan.transform @ to_scan.transform(xs, ys)
    (west, _), (east, _) = (
        ~scan.transform @ to_scan.transform(x, (bottom + top) / 2) for x in (left, right)
    )
    return cols, rows, (east - west) / 512


def _within(cols, rows, box: tuple[float, float, float, float], margin: float) -> np.ndarray:
    left, top, right, bottom = box
    inside_cols = (cols > left + margin) & (cols < right - margin)
    return inside_cols & (rows > top + margin) & (rows < bottom - margin)


def _core(scan: Scan, srs: str, bbox: tuple[float, float, float, float]) -> np.ndarray:
    """The block's pixels whose centres lie in the scan (and not in its nodata square),
    `EDGE` output pixels in."""
    cols, rows, pixel = _scan_pixels(scan, srs, bbox)
    margin = EDGE * max(1.0, pixel)
    core = _within(cols, rows, (0, 0, SCAN_PIXELS, SCAN_PIXELS), margin)
    if scan.hole:
        core &= ~_within(cols, rows, scan.hole, -margin)
    return core


@dataclass(frozen=True)
class Seams:
    transparent: int  # stitched pixels inside the footprint that are not opaque
    seam_difference: int  # largest colour difference on the 4 pixels either side of a seam
    difference: int  # largest colour difference anywhere inside the footprint


def _measure(stitched: np.ndarray, single: np.ndarray, core: np.ndarray) -> Seams:
    assert core.sum() > 200_000  # most of the block lies inside the scan
    difference = np.abs(stitched[..., :3] - single[..., :3]).max(axis=-1)
    near_seam = np.zeros_like(core)
    near_seam[:, 252:260] = True
    near_seam[252:260, :] = True
    return Seams(
        transparent=int((stitched[..., 3][core] < 255).sum()),
        seam_difference=int(difference[core & near_seam].max()),
        difference=int(difference[core].max()),
    )


def _assert_seamless(stitched: np.ndarray, single: np.ndarray, core: np.ndarray) -> None:
    measured = _measure(stitched, single, core)
    assert measured.transparent == 0, measured
    assert measured.seam_difference <= TOLERANCE, measured
    assert measured.difference <= TOLERANCE, measured
    assert (single[..., 3][core] == 255).all()


@pytest.mark.parametrize("path", ["xyz", "wmts"])
def test_cached_tiles_join_across_metatiles(live_server, scan, path):
    """XYZ and WMTS tiles come from MapProxy's 4 × 4 metatiles; the four tiles around the
    corner are cut from four different metatiles."""
    base = live_server.url
    for z in ZOOMS:
        block = Block.at(z)
        tiles = {
            (i, j): (
                f"{base}/tiles/{scan.layer}/{z}/{col}/{row}.png"
                if path == "xyz"
                else f"{base}/wmts/{scan.layer}/webmercator/{z:02d}/{col}/{row}.png"
            )
            for col, row, i, j in block.tiles()
        }
        stitched = _stitch({key: _fetch(url) for key, url in tiles.items()})
        single = _getmap(base, scan.layer, "EPSG:3857", block.bbox_3857(), 512)
        _assert_seamless(stitched, single, _core(scan, "EPSG:3857", block.bbox_3857()))


@pytest.mark.parametrize("srs", ["EPSG:3857", "EPSG:4326"])
def test_wms_tiles_join(live_server, scan, srs):
    """A tiled WMS client asks for each tile's bbox: each is a separate render."""
    base = live_server.url
    to_srs = Transformer.from_crs("EPSG:3857", srs, always_xy=True)
    for z in ZOOMS:
        left, bottom, right, top = Block.at(z).bbox_3857()
        x0, y0 = to_srs.transform(left, bottom)
        x1, y1 = to_srs.transform(right, top)
        bbox = (x0, y0, x1, y1)
        stitched = _wms_tiles(base, scan.layer, srs, bbox, None)
        single = _getmap(base, scan.layer, srs, bbox, 512)
        _assert_seamless(stitched, single, _core(scan, srs, bbox))


def test_direct_render_tiles_join(live_server, scan, planner):
    """A signed-in caller's GetMap is drawn directly (rasters under the vector kinds)."""
    base, auth = live_server.url, {"Authorization": BASIC_PLANNER}
    query = f"SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&LAYERS={scan.layer}&STYLES=&SRS=EPSG:3857"
    box = ",".join(map(str, Block.at(16).bbox_3857()))
    status, headers, _ = get(
        f"{base}/ows?{query}&BBOX={box}&WIDTH=8&HEIGHT=8&FORMAT=image/png", auth
    )
    assert (status, headers["Cache-Control"]) == (200, "private, no-store")  # not MapProxy
    for z in ZOOMS:
        bbox = Block.at(z).bbox_3857()
        stitched = _wms_tiles(base, scan.layer, "EPSG:3857", bbox, auth)
        single = _getmap(base, scan.layer, "EPSG:3857", bbox, 512, auth)
        _assert_seamless(stitched, single, _core(scan, "EPSG:3857", bbox))


def _elevation() -> np.ndarray:
    """Heights from 20 to 80 m with a 100 × 100 nodata square left of the centre."""
    heights = 50 + 30 * (_texture(SCAN_PIXELS)[0].astype("float32") - 127.5) / 120
    heights[700:800, 400:500] = -9999
    return heights[None]


def _paletted() -> tuple[np.ndarray, dict[int, tuple[int, int, int, int]]]:
    cols, rows = np.meshgrid(np.arange(SCAN_PIXELS), np.arange(SCAN_PIXELS))
    indexes = ((cols // 7 + rows // 11) % 3).astype("uint8")
    return indexes[None], {0: (200, 30, 30, 255), 1: (30, 200, 30, 255), 2: (30, 30, 200, 255)}


@pytest.mark.parametrize("kind", ["elevation", "paletted"])
def test_elevation_and_paletted_tiles_join(live_server, planner, reviewer, tmp_path, kind):
    """An elevation model (coloured by the ramp, its nodata transparent) and a paletted
    scan (its colour table applied before resampling) join across metatiles too."""
    if kind == "elevation":
        scan = _import_centred(
            planner, reviewer, tmp_path / "dem.tif", _elevation(), "elevation", nodata=-9999
        )
        scan = Scan(scan.layer, scan.transform, hole=(400, 700, 500, 800))
    else:
        indexes, colours = _paletted()
        scan = _import_centred(
            planner, reviewer, tmp_path / "pal.tif", indexes, "scan", colormap=colours
        )
    base = live_server.url
    for z in ZOOMS:
        block = Block.at(z)
        urls = {
            (i, j): f"{base}/tiles/{scan.layer}/{z}/{c}/{r}.png" for c, r, i, j in block.tiles()
        }
        stitched = _stitch({key: _fetch(url) for key, url in urls.items()})
        single = _getmap(base, scan.layer, "EPSG:3857", block.bbox_3857(), 512)
        core = _core(scan, "EPSG:3857", block.bbox_3857())
        _assert_seamless(stitched, single, core)
        if scan.hole and z == 16:  # the nodata square lies in the zoom-16 block
            cols, rows, pixel = _scan_pixels(scan, "EPSG:3857", block.bbox_3857())
            in_hole = _within(cols, rows, scan.hole, EDGE * pixel)
            assert in_hole.sum() > 500
            assert (stitched[..., 3][in_hole] == 0).all()
        if kind == "paletted" and z == 18:  # magnified: most pixels show a table colour
            table = np.array([colour[:3] for colour in _paletted()[1].values()])
            drawn = stitched[..., :3][core]
            exact = (drawn[:, None, :] == table[None, :, :]).all(axis=-1).any(axis=-1)
            assert exact.mean() > 0.5
