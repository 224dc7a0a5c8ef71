"""Hostile and broken rasters are refused before any pixel is read, and nothing is written."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from planning.errors import InvalidInput
from rasters import sniff
from rasters.importing import import_raster
from rasters.models import RasterLayer
from tests.rasters.conftest import SAMPLES, stored_files, write_tiff


def _huge_header_tiff(path: Path, width: int, height: int) -> Path:
    """A classic little-endian TIFF header whose one directory claims width × height."""
    entries = [
        (256, 4, 1, width),  # ImageWidth (LONG)
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # Compression none
        (262, 3, 1, 1),  # BlackIsZero
        (273, 4, 1, 8 + 2 + 12 * 8 + 4),  # StripOffsets
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, width * height % 2**32),  # StripByteCounts
    ]
    body = struct.pack("<2sHI", b"II", 42, 8) + struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        body += struct.pack("<HHII", tag, kind, count, value)
    body += struct.pack("<I", 0) + b"\x00" * 64
    path.write_bytes(body)
    return path


def _refused(revision, user, path: Path, match: str, **kwargs) -> None:
    with pytest.raises(InvalidInput, match=match):
        import_raster(
            user=user, revision=revision, path=path, filename=path.name, name="x", **kwargs
        )


@pytest.fixture
def nothing_written(settings):
    yield
    assert RasterLayer.objects.count() == 0
    assert stored_files(settings.PLANNING_RASTER_DIR) == []


def test_million_by_million_header(draft_plan, planner, tmp_path, nothing_written):
    path = _huge_header_tiff(tmp_path / "huge.tif", 1_000_000, 1_000_000)
    _refused(draft_plan, planner, path, "1000000 × 1000000 pixels")


def test_limit_is_a_setting(draft_plan, planner, tmp_path, settings, nothing_written):
    settings.PLANNING_RASTER_MAX_PIXELS = 100
    _refused(draft_plan, planner, SAMPLES / "byte.tif", "more than the 100 pixels")


def test_truncated_tiff(draft_plan, planner, tmp_path, nothing_written):
    data = np.arange(200 * 300, dtype="uint16").reshape(1, 200, 300)
    full = write_tiff(tmp_path / "full.tif", data, transform=None)
    cut = tmp_path / "cut.tif"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    _refused(draft_plan, planner, cut, "truncated")


def test_truncated_sample_header(draft_plan, planner, tmp_path, nothing_written):
    cut = tmp_path / "utm.tif"
    cut.write_bytes((SAMPLES / "utmsmall.tif").read_bytes()[:100])
    _refused(draft_plan, planner, cut, "truncated")


@pytest.mark.parametrize(
    "content",
    [
        b'<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand dataType="Byte" band="1">'
        b"<SimpleSource><SourceFilename>/etc/passwd</SourceFilename></SimpleSource>"
        b"</VRTRasterBand></VRTDataset>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/">]><x>&e;</x>',
        b"/vsicurl/http://127.0.0.1:9/remote.tif",
        b"GDAL_WMS",
    ],
)
def test_xml_or_reference_disguised_as_tif(draft_plan, planner, tmp_path, content, nothing_written):
    path = tmp_path / "innocent.tif"
    path.write_bytes(content)
    _refused(draft_plan, planner, path, "not a TIFF, JPEG or PNG")


def test_truncated_jpeg(draft_plan, planner, tmp_path, nothing_written):
    import rasterio

    from rasters.gdal_env import safe_env

    path = tmp_path / "photo.jpg"
    data = np.random.default_rng(1).integers(0, 255, (3, 300, 300), dtype="uint8")
    with (
        safe_env(),
        rasterio.open(
            path, "w", driver="JPEG", width=300, height=300, count=3, dtype="uint8"
        ) as out,
    ):
        out.write(data)
    path.write_bytes(path.read_bytes()[:-5000])
    _refused(draft_plan, planner, path, "truncated")


@pytest.mark.parametrize(
    ("world", "match"),
    [
        ("1\n0\n0\n-1\n100\n", "exactly 6 numbers"),
        ("1\n0\n0\n-1\n100\nabc\n", "not a number"),
        ("1\n0\n0\n-1\nnan\n200\n", "infinite or NaN"),
        ("1\n0\n0\ninf\n100\n200\n", "infinite or NaN"),
        ("0\n0\n0\n0\n100\n200\n", "zero determinant"),
        ("1\n2\n0.5\n1\n100\n200\n", "zero determinant"),
    ],
)
def test_world_file_with_garbage(draft_plan, planner, tmp_path, world, match, nothing_written):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(SAMPLES / "byte_nogeoref.tif", "byte_nogeoref.tif")
        handle.writestr("byte_nogeoref.tfw", world)
    _refused(draft_plan, planner, archive, match, crs="EPSG:9214")


def test_aux_xml_with_entities_is_not_expanded(draft_plan, planner, tmp_path, nothing_written):
    archive = tmp_path / "aux.zip"
    aux = (
        '<?xml version="1.0"?><!DOCTYPE PAMDataset [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<PAMDataset><GeoTransform>&x;</GeoTransform></PAMDataset>"
    )
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(SAMPLES / "byte_nogeoref.tif", "byte_nogeoref.tif")
        handle.writestr("byte_nogeoref.tif.aux.xml", aux)
    _refused(draft_plan, planner, archive, "DTD or entities", crs="EPSG:9214")


def test_aux_xml_entity_bomb_is_refused_as_a_dtd(draft_plan, planner, tmp_path, nothing_written):
    """libxml2 stops a deep entity bomb as a syntax error; the planner still hears why."""
    archive = tmp_path / "bomb.zip"
    entities = "".join(
        f'<!ENTITY lol{depth} "{f"&lol{depth - 1};" * 10}">' for depth in range(1, 10)
    )
    aux = (
        f'<?xml version="1.0"?><!DOCTYPE PAMDataset [<!ENTITY lol0 "lol">{entities}]>'
        "<PAMDataset><GeoTransform>&lol9;</GeoTransform></PAMDataset>"
    )
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(SAMPLES / "byte_nogeoref.tif", "byte_nogeoref.tif")
        handle.writestr("byte_nogeoref.tif.aux.xml", aux)
    _refused(draft_plan, planner, archive, "DTD or entities", crs="EPSG:9214")


def test_two_images_in_a_zip(draft_plan, planner, tmp_path, nothing_written):
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(SAMPLES / "byte.tif", "a.tif")
        handle.write(SAMPLES / "byte.tif", "b.tif")
    _refused(draft_plan, planner, archive, "exactly one image")


def test_sniff_reads_sample_sizes():
    assert sniff.check_image(SAMPLES / "utmsmall.tif") == sniff.ImageHeader("tiff", 100, 100)
    assert sniff.check_image(SAMPLES / "rgbsmall.tif") == sniff.ImageHeader("tiff", 50, 50)
