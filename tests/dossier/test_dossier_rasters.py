"""The dossier lists the revision's raster layers (scans, orthophotos, elevation models):
name, kind, source file, scan date, georeference, RMS error and CRS."""

from __future__ import annotations

from datetime import date

import pytest

from rasters.models import GeoreferenceMethod, RasterKind, RasterLayer
from tests.dossier.conftest import client_for, dossier_url, pdf_text

pytestmark = pytest.mark.django_db


def raster(revision, author, **fields) -> RasterLayer:
    """A raster row as an import leaves it; the dossier reads no pixel."""
    defaults = {
        "width": 4000,
        "height": 3000,
        "band_count": 3,
        "dtype": "uint8",
        "source_format": "GTiff",
        "cog_path": "rasters/x.tif",
    }
    return RasterLayer.objects.create(
        revision=revision, created_by=author, **{**defaults, **fields}
    )


def rasters_of(planner, submitted) -> list[RasterLayer]:
    return [
        raster(
            submitted,
            planner,
            name="Bản đồ quy hoạch 1998",
            kind=RasterKind.SCAN,
            source_filename="qh_1998_scan.tif",
            scan_date=date(2024, 3, 15),
            georeference_method=GeoreferenceMethod.CONTROL_POINTS,
            rms_error=1234.5671,  # large enough to show the thousands separator
            rms_error_pixels=0.42,
            crs_epsg=9214,
        ),
        raster(
            submitted,
            planner,
            name="Ảnh bay 2023",
            kind=RasterKind.ORTHOPHOTO,
            source_filename="ortho_2023.tif",
            georeference_method=GeoreferenceMethod.FILE,
            crs_epsg=3857,
        ),
        raster(
            submitted,
            planner,
            name="Bản scan chưa nắn",
            kind=RasterKind.SCAN,
            source_filename="chua_nan.jpg",
            georeference_method=GeoreferenceMethod.NONE,
            cog_path="",
        ),
    ]


def dossier_text(user, revision, language: str) -> str:
    response = client_for(user).get(dossier_url(revision), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return pdf_text(response.content)


@pytest.fixture
def rasters(planner, submitted) -> list[RasterLayer]:
    return rasters_of(planner, submitted)


def test_the_section_appears_only_with_rasters(planner, reviewer, submitted):
    before = dossier_text(reviewer, submitted, "en")
    assert "Source file" not in before
    assert "Georeferenced" not in before
    rasters_of(planner, submitted)
    after = dossier_text(reviewer, submitted, "en")
    assert "Rasters Name Kind Source file" in after


def test_the_rasters_of_the_revision_are_listed(reviewer, submitted, rasters):
    text = dossier_text(reviewer, submitted, "en")
    assert "Rasters Name Kind Source file Scan or survey date Georeferenced" in text
    assert (
        "Bản đồ quy hoạch 1998 Scanned map qh_1998_scan.tif 2024-03-15 Yes "
        "Control points entered by the planner 1,234.567 m 0.42 px EPSG:9214"
    ) in text
    assert "Ảnh bay 2023 Orthophoto ortho_2023.tif – Yes Embedded in the file – EPSG:3857" in text
    assert "Bản scan chưa nắn Scanned map chua_nan.jpg – No Not georeferenced yet – –" in text
    # After the map, before the balance.
    assert text.index("Legend") < text.index("Rasters Name") < text.index("Land-use balance")


def test_raster_numbers_and_dates_follow_the_language(reviewer, submitted, rasters):
    text = dossier_text(reviewer, submitted, "vi")
    assert "Lớp ảnh" in text
    assert "Bản đồ quét" in text
    assert "15/03/2024" in text
    assert "1.234,567 m 0,42 px" in text
