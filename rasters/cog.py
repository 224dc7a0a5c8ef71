"""Conversion to Cloud-Optimised GeoTIFF with rasterio (GDAL's COG driver).

Rasters keep their own CRS (docs/rasters.md): a scan in VN-2000 stays in VN-2000, an
orthophoto in UTM stays in UTM, and Mapnik reprojects while rendering. Only images Mapnik
cannot place as they are get warped, within their CRS, to a north-up grid: rotated
geotransforms (world files with rotation terms) and images placed by control points.

A georeference that does not come from the file itself (world file, .aux.xml, control
points) is attached through a small VRT written here, so no pixel is copied before the
one pass that writes the COG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import rasterio.shutil
from affine import Affine
from lxml import etree
from rasterio.crs import CRS as RioCRS
from rasterio.enums import ColorInterp, Resampling
from rasterio.warp import reproject

from rasters.gdal_env import safe_env

BLOCK_SIZE = 512
JPEG_QUALITY = 90
_GDAL_TYPES = {
    "uint8": "Byte",
    "int8": "Int8",
    "uint16": "UInt16",
    "int16": "Int16",
    "uint32": "UInt32",
    "int32": "Int32",
    "float32": "Float32",
    "float64": "Float64",
}
# Sample types stored and drawn; 64-bit integers and complex numbers are refused at import.
SAMPLE_TYPES = frozenset(_GDAL_TYPES)


def creation_options(dtype: str, count: int, *, elevation: bool, paletted: bool) -> dict:
    """COG options by band type: JPEG for RGB bytes, DEFLATE (with predictor) otherwise."""
    options: dict[str, object] = {
        "BLOCKSIZE": BLOCK_SIZE,
        "OVERVIEWS": "AUTO",
        "BIGTIFF": "IF_SAFER",
        "NUM_THREADS": "ALL_CPUS",
    }
    if dtype == "uint8" and count == 3 and not elevation:
        options.update(COMPRESS="JPEG", QUALITY=JPEG_QUALITY, RESAMPLING="AVERAGE")
    else:
        options.update(COMPRESS="DEFLATE", PREDICTOR="YES" if not paletted else "NO")
        options["RESAMPLING"] = "NEAREST" if paletted else "AVERAGE"
    return options


def write_cog(
    source, target: Path, *, elevation: bool = False, compress: str | None = None
) -> None:
    """Write the open dataset `source` (file or VRT) as a COG at `target`; `compress`
    overrides the compression chosen by band type (the benchmark compares both)."""
    paletted = source.count == 1 and source.colorinterp[0] == ColorInterp.palette
    options = creation_options(
        source.dtypes[0], source.count, elevation=elevation, paletted=paletted
    )
    if compress == "DEFLATE":
        options.pop("QUALITY", None)
        options.update(COMPRESS="DEFLATE", PREDICTOR="YES")
    with safe_env():
        rasterio.shutil.copy(source, str(target), driver="COG", **options)


# --- attaching a georeference -------------------------------------------------------------


def vrt_xml(
    source_path: Path,
    dataset,
    *,
    transform: Affine | None = None,
    crs_wkt: str | None = None,
    gcps: list[tuple[float, float, float, float]] | None = None,
) -> str:
    """A VRT of `dataset` (at `source_path`) with a given geotransform or control points."""
    root = etree.Element(
        "VRTDataset", rasterXSize=str(dataset.width), rasterYSize=str(dataset.height)
    )
    if gcps:
        gcp_list = etree.SubElement(root, "GCPList", Projection=crs_wkt or "")
        for index, (col, row, x, y) in enumerate(gcps):
            etree.SubElement(
                gcp_list,
                "GCP",
                Id=str(index + 1),
                Pixel=repr(float(col)),
                Line=repr(float(row)),
                X=repr(float(x)),
                Y=repr(float(y)),
            )
    else:
        if crs_wkt:
            etree.SubElement(root, "SRS").text = crs_wkt
        if transform is not None:
            etree.SubElement(root, "GeoTransform").text = ", ".join(
                repr(float(v)) for v in transform.to_gdal()
            )
    for band in range(1, dataset.count + 1):
        root.append(_vrt_band(source_path, dataset, band))
    return etree.tostring(root, encoding="unicode")


def _vrt_band(source_path: Path, dataset, band: int) -> etree._Element:
    element = etree.Element(
        "VRTRasterBand", dataType=_GDAL_TYPES[dataset.dtypes[band - 1]], band=str(band)
    )
    interp = dataset.colorinterp[band - 1]
    etree.SubElement(element, "ColorInterp").text = interp.name.capitalize()
    if dataset.nodata is not None:
        etree.SubElement(element, "NoDataValue").text = repr(float(dataset.nodata))
    if interp == ColorInterp.palette:
        table = etree.SubElement(element, "ColorTable")
        for _index, rgba in sorted(dataset.colormap(band).items()):
            etree.SubElement(
                table, "Entry", c1=str(rgba[0]), c2=str(rgba[1]), c3=str(rgba[2]), c4=str(rgba[3])
            )
    source = etree.SubElement(element, "SimpleSource")
    etree.SubElement(source, "SourceFilename", relativeToVRT="0").text = str(source_path)
    etree.SubElement(source, "SourceBand").text = str(band)
    return element


@dataclass(frozen=True)
class Grid:
    """A north-up output grid."""

    transform: Affine
    width: int
    height: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north)."""
        west, north = self.transform.c, self.transform.f
        east = west + self.transform.a * self.width
        south = north + self.transform.e * self.height
        return (west, south, east, north)


def north_up_grid(transform: Affine, width: int, height: int) -> Grid:
    """The north-up grid covering a (rotated) image at its own resolution."""
    corners = [transform @ (c, r) for c, r in ((0, 0), (width, 0), (0, height), (width, height))]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    resolution = math.sqrt(abs(transform.determinant))
    out_w = max(1, math.ceil((max(xs) - min(xs)) / resolution))
    out_h = max(1, math.ceil((max(ys) - min(ys)) / resolution))
    return Grid(Affine(resolution, 0, min(xs), 0, -resolution, max(ys)), out_w, out_h)


def is_north_up(transform: Affine) -> bool:
    return transform.b == 0 and transform.d == 0 and transform.a > 0 and transform.e < 0


def adds_alpha(dtype: str, nodata: float | None) -> bool:
    """Whether a warp gives the image an alpha band (bytes without nodata) for the area
    outside it."""
    return dtype == "uint8" and nodata is None


def warp_to_file(
    dataset, target: Path, crs: RioCRS, grid: Grid, *, order: int | None = None
) -> None:
    """Warp `dataset` (through its GCPs when it has some) onto `grid` as a tiled GeoTIFF.

    Byte images get an alpha band for the area outside the image; other types keep (or
    get) a nodata value. rasterio's WarpedVRT ignores GCPs when given an explicit grid,
    so the warp runs through rasterio.warp.reproject, chunked by GDAL.
    """
    count = dataset.count
    alpha = adds_alpha(dataset.dtypes[0], dataset.nodata)
    nodata = None if alpha else (dataset.nodata if dataset.nodata is not None else -9999)
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": count + (1 if alpha else 0),
        "dtype": dataset.dtypes[0],
        "crs": crs,
        "transform": grid.transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": BLOCK_SIZE,
        "blockysize": BLOCK_SIZE,
        "compress": "deflate",
        "bigtiff": "IF_SAFER",
    }
    gcps, gcp_crs = dataset.gcps
    placement: dict[str, object] = (
        {"gcps": gcps, "src_crs": gcp_crs}
        if gcps
        else {"src_transform": dataset.transform, "src_crs": crs}
    )
    if order is not None:
        placement["MAX_GCP_ORDER"] = order
    bands = list(range(1, count + 1))
    with rasterio.open(target, "w", **profile) as out:
        if alpha:
            out.colorinterp = [*dataset.colorinterp, ColorInterp.alpha]
        reproject(
            source=rasterio.band(dataset, bands),
            destination=rasterio.band(out, bands),
            dst_transform=grid.transform,
            dst_crs=crs,
            dst_nodata=nodata,
            dst_alpha=count + 1 if alpha else 0,
            resampling=Resampling.bilinear,
            **placement,
        )
