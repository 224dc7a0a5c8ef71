"""Which field gives imported lots their land-use category when a file has several.

GIS files often carry the function twice: CHUCNANG as free text ("Đất ở") and MDSD as the
catalogue code ("ODT"). The preference order of planning.layer_kinds puts CHUCNANG first, so
the lots used to get "ĐẤT Ở", no catalogue name and no colour. Now the field whose values are
catalogue codes wins (then the one with catalogue names), chosen once per layer, on every import
path (plain upload and the mapped GIS import); with a single candidate, or none matching, the
preference order still decides. Names and codes in any case become their catalogue code, as in
drawing labels ("Đất ở" -> OCT).

Every file is real: a shapefile (or GeoPackage) written with GDAL in the test, placed in Hue
(EPSG:9214) where the project of `draft_plan` lies.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from importers.gis_mapping import import_mapped_dataset
from importers.service import import_upload
from planning.models import LandUseCategory
from tests.conftest import HUE_X, HUE_Y
from tests.files import shapefile_parts, write_vector, zip_dir

pytestmark = pytest.mark.django_db

NAMES = ["Đất ở", "Đất ở", "Đất cây xanh"]  # what planners type into CHUCNANG
CODES = ["ODT", "ODT", "CX"]  # catalogue codes (land-law ODT, planning function CX)
CATALOGUE_TABLE = LandUseCategory._meta.db_table


def lots(count: int = 3) -> list:
    return [
        shapely.box(HUE_X + i * 60, HUE_Y, HUE_X + i * 60 + 50, HUE_Y + 40) for i in range(count)
    ]


def zipped_shapefile(tmp_path: Path, fields: dict[str, list]) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir()
    shp = write_vector(
        folder / "lots.shp",
        lots(),
        {"MA_LO": ["A-1", "A-2", "A-3"], **fields},
        driver="ESRI Shapefile",
    )
    return zip_dir(shapefile_parts(shp), folder / "lots.zip")


def upload(planner, revision, path: Path):
    result = import_upload(
        user=planner, revision=revision, path=path, filename=path.name, kind="landuse", name="Lots"
    )
    return [result.layer]


def mapped(planner, revision, path: Path):
    return import_mapped_dataset(
        user=planner,
        revision=revision,
        path=path,
        filename=path.name,
        mapping={"*": "landuse"},
    ).layers


IMPORTS = pytest.mark.parametrize("importer", [upload, mapped], ids=["upload", "mapped"])


def served(planner, layer) -> list[dict]:
    """The lots as the features API gives them (category, its name and map colour), by MA_LO."""
    client = APIClient()
    client.force_authenticate(planner)
    response = client.get(f"/api/features/?layer={layer.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    features = [f["properties"] for f in response.json()["features"]]
    return sorted(features, key=lambda p: p["MA_LO"])


def catalogue_view(codes: list[str]) -> list[tuple[str, str, str]]:
    rows = {c.code: c for c in LandUseCategory.objects.filter(code__in=codes)}
    return [(code, rows[code].name_en, rows[code].colour) for code in codes]


def category_view(features: list[dict]) -> list[tuple[str, str, str]]:
    return [(f["category"], f["category_name"], f["colour"]) for f in features]


@IMPORTS
def test_names_in_chucnang_codes_in_mdsd_take_the_codes(importer, planner, draft_plan, tmp_path):
    path = zipped_shapefile(tmp_path, {"CHUCNANG": NAMES, "MDSD": CODES})
    (layer,) = importer(planner, draft_plan, path)
    features = served(planner, layer)
    assert set(catalogue_view(CODES)) != {("", "", "")}
    assert category_view(features) == catalogue_view(CODES)
    assert all(f["colour"] for f in features)  # drawn in the catalogue colour
    assert [f["CHUCNANG"] for f in features] == NAMES  # the attributes stay as the file had them


@IMPORTS
def test_only_chucnang_names_become_catalogue_codes(importer, planner, draft_plan, tmp_path):
    path = zipped_shapefile(tmp_path, {"CHUCNANG": NAMES})
    (layer,) = importer(planner, draft_plan, path)
    assert category_view(served(planner, layer)) == catalogue_view(["OCT", "OCT", "CX"])


@IMPORTS
def test_codes_in_chucnang_win_over_free_text_in_mdsd(importer, planner, draft_plan, tmp_path):
    path = zipped_shapefile(tmp_path, {"CHUCNANG": CODES, "MDSD": NAMES})
    (layer,) = importer(planner, draft_plan, path)
    assert category_view(served(planner, layer)) == catalogue_view(CODES)


@IMPORTS
def test_codes_in_both_fields_follow_the_preference_order(importer, planner, draft_plan, tmp_path):
    path = zipped_shapefile(tmp_path, {"CHUCNANG": CODES, "MDSD": ["ONT", "ONT", "TMD"]})
    (layer,) = importer(planner, draft_plan, path)
    assert [f["category"] for f in served(planner, layer)] == CODES


@IMPORTS
def test_the_field_with_more_codes_wins(importer, planner, draft_plan, tmp_path):
    # CHUCNANG: one code among names; MDSD: codes throughout (one lot left empty).
    path = zipped_shapefile(
        tmp_path, {"CHUCNANG": ["ODT", "Đất ở", "Cây xanh"], "MDSD": ["ODT", "ODT", ""]}
    )
    (layer,) = importer(planner, draft_plan, path)
    assert [f["category"] for f in served(planner, layer)] == ["ODT", "ODT", ""]


@IMPORTS
def test_names_win_over_values_of_no_catalogue_entry(importer, planner, draft_plan, tmp_path):
    path = zipped_shapefile(tmp_path, {"CHUCNANG": ["x1", "x2", "x3"], "MDSD": NAMES})
    (layer,) = importer(planner, draft_plan, path)
    assert [f["category"] for f in served(planner, layer)] == ["OCT", "OCT", "CX"]


@IMPORTS
def test_no_field_matching_keeps_the_first_one(importer, planner, draft_plan, tmp_path):
    path = zipped_shapefile(tmp_path, {"CHUCNANG": ["Khu A", "x", "y"], "MDSD": ["x1", "", "z"]})
    (layer,) = importer(planner, draft_plan, path)
    assert [f["category"] for f in served(planner, layer)] == ["KHU A", "X", "Y"]


def catalogue_queries(run) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as queries:
        result = run()
    return result, sum(CATALOGUE_TABLE in q["sql"] for q in queries.captured_queries)


def test_one_catalogue_query_for_a_mapped_import_of_two_layers(planner, draft_plan, tmp_path):
    gpkg = tmp_path / "two.gpkg"
    for name in ("north", "south"):
        fields = {"MA_LO": ["A-1", "A-2", "A-3"], "CHUCNANG": NAMES, "MDSD": CODES}
        write_vector(gpkg, lots(), fields, driver="GPKG", layer=name)
    layers, count = catalogue_queries(lambda: mapped(planner, draft_plan, gpkg))
    assert len(layers) == 2
    assert count == 1
    for layer in layers:
        assert [f["category"] for f in served(planner, layer)] == CODES


def test_a_single_category_field_reads_the_catalogue_once(planner, draft_plan, tmp_path):
    path = zipped_shapefile(tmp_path, {"MDSD": ["odt", "Đất ở", "cx"]})  # any case, or a name
    layers, count = catalogue_queries(lambda: upload(planner, draft_plan, path))
    assert count == 1
    assert [f["category"] for f in served(planner, layers[0])] == ["ODT", "OCT", "CX"]


def test_no_category_field_reads_no_catalogue(planner, draft_plan, tmp_path):
    path = zipped_shapefile(tmp_path, {"TEN": ["a", "b", "c"]})
    layers, count = catalogue_queries(lambda: upload(planner, draft_plan, path))
    assert count == 0
    assert [f["category"] for f in served(planner, layers[0])] == ["", "", ""]
