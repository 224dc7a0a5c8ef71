"""GIS files whose function column holds Vietnamese land-use names (CHUCNANG = "Đất ở"), the
way QA found them: a legacy TCVN3 shapefile without .cpg and a MapInfo MIF/MID with
Charset "Neutral" and a local ("NonEarth") CRS. The names become catalogue codes as a drawing
label's do (planning.catalogue.function_names), so lots get the catalogue name and colour; and
the NonEarth file imports in the CRS its preview assumed instead of being refused.

Every file is real: the shapefile written with GDAL, the MIF/MID byte by byte as MapInfo
writes it; both are read by the real readers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from django.contrib.gis.db.models import Extent
from django.utils import translation
from pyproj import Transformer
from rest_framework.test import APIClient

from importers.gis_mapping import import_mapped_dataset, inspect_dataset
from planning.models import Feature, LandUseCategory
from tests.cad.drawings import tcvn3
from tests.conftest import HUE_X, HUE_Y
from tests.files import shapefile_parts, write_vector, zip_dir

pytestmark = pytest.mark.django_db

# (lot code, what the planner typed) -> the catalogue code expected
LOTS = [
    ("ODT-01", "Đất ở", "OCT"),
    ("ODT-02", "ĐẤT Ở TẠI ĐÔ THỊ", "ODT"),  # capitals
    ("TMDV-01", "Đất thương mại dịch vụ", "TMDV"),
    ("CX-01", "Cây xanh", "CX"),  # without the leading "Đất"
    ("HH-01", "hh", "HH"),  # a code in lower case
    ("K-01", "Khu dân cư", "KHU DÂN CƯ"),  # no catalogue entry: kept in capitals
]
ASSUMED = "The file declares no usable CRS; assumed EPSG:9214."


def boxes() -> list:
    return [
        shapely.box(HUE_X + i * 50, HUE_Y, HUE_X + i * 50 + 40, HUE_Y + 30)
        for i in range(len(LOTS))
    ]


def tcvn3_shapefile(tmp_path: Path) -> Path:
    """CHUCNANG in TCVN3 bytes, no .cpg: what legacy Vietnamese GIS tools leave."""
    fields = {
        "MA_LO": [code for code, _, _ in LOTS],
        "CHUCNANG": [tcvn3(name) for _, name, _ in LOTS],
    }
    shp = write_vector(
        tmp_path / "lo.shp", boxes(), fields, driver="ESRI Shapefile", encoding="latin1"
    )
    for part in shapefile_parts(shp):
        if part.suffix.lower() == ".cpg":
            part.unlink()
    return zip_dir(shapefile_parts(shp), tmp_path / "lo.zip")


def nonearth_mif(tmp_path: Path) -> Path:
    """A MIF/MID pair in local coordinates (the VN-2000 numbers), TCVN3 text, Neutral charset."""
    header = [
        "Version 300",
        'Charset "Neutral"',
        'Delimiter ","',
        'CoordSys NonEarth Units "m" Bounds (0, 0) (2000000, 2000000)',
        "Columns 2",
        "  MA_LO Char(10)",
        "  CHUCNANG Char(60)",
        "Data",
    ]
    body, rows = [], b""
    for (code, name, _), box in zip(LOTS, boxes(), strict=True):
        ring = list(box.exterior.coords)
        body += ["Region 1", f"  {len(ring)}", *(f"{x} {y}" for x, y in ring)]
        rows += f'"{code}","'.encode() + tcvn3(name).encode("latin-1") + b'"\r\n'
    mif = tmp_path / "lo.mif"
    mif.write_text("\r\n".join(header + body) + "\r\n", encoding="ascii")
    (tmp_path / "lo.mid").write_bytes(rows)
    return zip_dir([mif, tmp_path / "lo.mid"], tmp_path / "lo_mif.zip")


def served(planner, layer) -> list[tuple[str, str, str, str]]:
    """(lot code, category, its English name, colour) as the features API gives them."""
    client = APIClient()
    client.force_authenticate(planner)
    response = client.get(f"/api/features/?layer={layer.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    found = [f["properties"] for f in response.json()["features"]]
    return sorted((p["MA_LO"], p["category"], p["category_name"], p["colour"]) for p in found)


def expected() -> list[tuple[str, str, str, str]]:
    rows = {c.code: c for c in LandUseCategory.objects.all()}
    return sorted(
        (code, category, rows[category].name_en, rows[category].colour)
        if category in rows
        else (code, category, "", "")
        for code, _, category in LOTS
    )


def mapped(planner, revision, path: Path):
    return import_mapped_dataset(
        user=planner,
        revision=revision,
        path=path,
        filename=path.name,
        mapping={"*": "landuse"},
    )


@pytest.mark.parametrize("make", [tcvn3_shapefile, nonearth_mif], ids=["tcvn3-shp", "mif"])
def test_function_names_become_catalogue_categories(make, planner, draft_plan, tmp_path):
    path = make(tmp_path)
    with translation.override("en"):
        result = mapped(planner, draft_plan, path)
    (layer,) = result.layers
    assert result.report["text_encoding"] == "tcvn3"
    shown = served(planner, layer)
    assert shown == expected()
    assert sum(1 for _, _, name, colour in shown if name and colour) == len(LOTS) - 1


def test_nonearth_mif_imports_in_the_crs_its_preview_assumed(planner, draft_plan, tmp_path):
    path = nonearth_mif(tmp_path)
    with translation.override("en"):
        inspected = inspect_dataset(path, path.name, project=draft_plan.project)
        result = mapped(planner, draft_plan, path)
    assert inspected["crs_source"] == "default"
    assert ASSUMED in inspected["warnings"]
    assert result.report["crs_source"] == inspected["crs_source"]
    assert result.report["warnings"].count(ASSUMED) == 1
    assert not any("km from the project" in w for w in result.report["warnings"])
    (layer,) = result.layers
    assert layer.feature_count == len(LOTS)
    stored = Feature.objects.filter(layer=layer).aggregate(box=Extent("geom"))["box"]
    assert stored == pytest.approx((HUE_X, HUE_Y, HUE_X + 50 * len(LOTS) - 10, HUE_Y + 30))
    corner = Transformer.from_crs(9214, 4326, always_xy=True).transform(HUE_X, HUE_Y)
    assert inspected["extent"][:2] == pytest.approx(corner, abs=1e-4)  # the preview: same place
