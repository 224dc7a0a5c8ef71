"""GIS files that name the lot code and land-use function in Vietnamese (MA_LO, CHUCNANG,
TEN ...), the way the QA walk found them: the upload said "the file lacks the required
attributes code, function" and QA then held 148 errors against the submission. Such
columns are read into the standard attributes (planning.layer_kinds, AttributeSpec.aliases)
and stay beside them; the function is the catalogue code the name stands for, as a
drawing's labels give it. A lot without a code is shown by its number in the file counted
from 1, whether the file counts from 0 (a shapefile) or from 1 (a GeoPackage).

Every file is real (written with GDAL) and goes through the API as the pages send it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from pyproj import Transformer
from rest_framework.test import APIClient

from planning import jobs
from planning.models import Feature, Job, Layer
from tests.conftest import HUE_X, HUE_Y
from tests.files import shapefile_parts, write_vector, zip_dir

pytestmark = pytest.mark.django_db

# (lot code, what the planner typed, the catalogue code expected)
LOTS = [
    ("ODT-01", "Đất ở", "OCT"),
    ("CX-01", "Cây xanh", "CX"),
    ("K-01", "Khu dân cư", "Khu dân cư"),  # no catalogue entry: kept as written
]


def boxes(lonlat: bool = False) -> list:
    shapes = [
        shapely.box(HUE_X + i * 50, HUE_Y, HUE_X + i * 50 + 40, HUE_Y + 30)
        for i in range(len(LOTS))
    ]
    if not lonlat:
        return shapes
    move = Transformer.from_crs(9214, 4326, always_xy=True)

    def to_lonlat(xy):
        return np.column_stack(move.transform(xy[:, 0], xy[:, 1]))

    return [shapely.transform(shape, to_lonlat) for shape in shapes]


def columns(code: str = "MA_LO", function: str = "CHUCNANG") -> dict[str, list]:
    return {
        code: [lot for lot, _, _ in LOTS],
        function: [name for _, name, _ in LOTS],
        "TEN": ["Lô ở", "Công viên", "Khu dân cư"],
        "DIENTICH": [1200.0, 1200.0, 1200.0],
        "MDXD": [60.0, 5.0, 40.0],
    }


def shapefile(tmp_path: Path, fields: dict[str, list]) -> Path:
    shp = write_vector(tmp_path / "lo.shp", boxes(), fields, driver="ESRI Shapefile")
    return zip_dir(shapefile_parts(shp), tmp_path / "lo.zip")


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def upload(user, revision, path: Path):
    return client_for(user).post(
        f"/api/revisions/{revision.pk}/uploads/",
        {"file": SimpleUploadedFile(path.name, path.read_bytes()), "kind": "landuse", "name": "Lô"},
    )


def served(user, layer: Layer) -> list[dict]:
    response = client_for(user).get(f"/api/features/?layer={layer.pk}")
    assert response.status_code == 200
    return sorted((f["properties"] for f in response.json()["features"]), key=lambda p: p["code"])


def qa_messages(user, revision, rule: str, language: str = "en") -> list[str]:
    client = client_for(user)
    response = client.post(f"/api/revisions/{revision.pk}/qa/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content[:2000]
    found = response.json()["features"]
    return [f["properties"]["message"] for f in found if f["properties"]["rule"] == rule]


def test_vietnamese_columns_give_the_lots_their_code_and_function(planner, draft_plan, tmp_path):
    response = upload(planner, draft_plan, shapefile(tmp_path, columns()))
    assert response.status_code == 201, response.content[:2000]
    report = response.json()["report"]
    assert report["missing_attributes"] == []
    assert report["attribute_columns"] == {
        "code": "MA_LO",
        "function": "CHUCNANG",
        "area": "DIENTICH",
        "density": "MDXD",
    }
    layer = Layer.objects.get(revision=draft_plan, name="Lô")
    lots = served(planner, layer)
    assert [(p["code"], p["function"], p["category"]) for p in lots] == [
        ("CX-01", "CX", "CX"),
        ("K-01", "Khu dân cư", "KHU DÂN CƯ"),
        ("ODT-01", "OCT", "OCT"),
    ]
    # the file's own columns stay as they were
    cx, _, odt = lots
    assert (odt["MA_LO"], odt["CHUCNANG"], odt["TEN"]) == ("ODT-01", "Đất ở", "Lô ở")
    assert (cx["area"], cx["density"]) == (1200.0, 5.0)
    assert qa_messages(planner, draft_plan, "attributes.required") == []


@pytest.mark.parametrize(
    ("code", "function"),
    [("KH_LO", "CHUC_NANG"), ("Mã lô", "Chức năng"), ("SO_HIEU_LO", "LOAI_DAT"), ("malo", "mdsd")],
)
def test_the_names_are_read_in_any_case_with_or_without_diacritics(
    code, function, planner, draft_plan, tmp_path
):
    path = write_vector(tmp_path / "lo.gpkg", boxes(), columns(code, function), driver="GPKG")
    response = upload(planner, draft_plan, path)
    assert response.status_code == 201, response.content[:2000]
    assert response.json()["report"]["missing_attributes"] == []
    lots = served(planner, Layer.objects.get(revision=draft_plan, name="Lô"))
    assert [(p["code"], p["function"]) for p in lots][2] == ("ODT-01", "OCT")


def test_kyhieu_of_land_use_codes_is_the_function_not_the_lot_code(planner, draft_plan, tmp_path):
    fields = {"MA_LO": [lot for lot, _, _ in LOTS], "KYHIEU": ["ODT", "CX", "HH"]}
    response = upload(planner, draft_plan, shapefile(tmp_path, fields))
    assert response.status_code == 201, response.content[:2000]
    assert response.json()["report"]["attribute_columns"] == {
        "code": "MA_LO",
        "function": "KYHIEU",
    }


def test_kyhieu_of_lot_codes_is_the_lot_code(planner, draft_plan, tmp_path):
    """Review: a KYHIEU of lot codes alone became the function ("A1") and the code stayed
    missing."""
    fields = {"KYHIEU": [lot for lot, _, _ in LOTS], "DIENTICH": [100.0, 200.0, 300.0]}
    response = upload(planner, draft_plan, shapefile(tmp_path, fields))
    assert response.status_code == 201, response.content[:2000]
    assert response.json()["report"]["attribute_columns"] == {"code": "KYHIEU", "area": "DIENTICH"}
    assert "code" not in response.json()["report"]["missing_attributes"]


def geojson(tmp_path: Path) -> Path:
    return write_vector(
        tmp_path / "lo.geojson", boxes(True), columns(), driver="GeoJSON", crs="EPSG:4326"
    )


def kml(tmp_path: Path) -> Path:
    return write_vector(tmp_path / "lo.kml", boxes(True), columns(), driver="KML", crs="EPSG:4326")


def gpkg(tmp_path: Path) -> Path:
    return write_vector(tmp_path / "lo.gpkg", boxes(), columns(), driver="GPKG")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("make", [geojson, kml, gpkg, lambda p: shapefile(p, columns())])
def test_a_mapping_job_reads_the_columns_too(make, planner, draft_plan, tmp_path):
    with make(tmp_path).open("rb") as handle:
        started = client_for(planner).post(
            f"/api/revisions/{draft_plan.pk}/cad/jobs/",
            {"file": handle, "mapping": json.dumps({"*": "landuse"})},
            format="multipart",
        )
    assert started.status_code == 202, started.content
    jobs.run_worker_until_idle()
    job = Job.objects.get(pk=started.json()["id"])
    assert job.state == "succeeded", job.message
    (layer_report,) = job.report["layers"]
    assert layer_report["missing_attributes"] == []
    assert layer_report["attribute_columns"]["code"] == "MA_LO"
    lots = Feature.objects.filter(layer__revision=draft_plan, layer__source_name__startswith="lo")
    assert sorted((f.attributes["code"], f.attributes["function"]) for f in lots) == sorted(
        (lot, function) for lot, _, function in LOTS
    )
    assert qa_messages(planner, draft_plan, "attributes.required") == []


def test_lots_without_a_code_are_numbered_from_one_in_every_format(planner, draft_plan, tmp_path):
    """A shapefile and GeoJSON count their features from 0, a GeoPackage from 1: QA said
    "lô số 0" for the first lot of one and "lô số 1" for the other's."""
    fields = {"X": ["a"] * len(LOTS)}
    shp = write_vector(tmp_path / "lo.shp", boxes(), fields, driver="ESRI Shapefile")
    files = [
        zip_dir(shapefile_parts(shp), tmp_path / "lo.zip"),
        write_vector(tmp_path / "lo.gpkg", boxes(), fields, driver="GPKG"),
        write_vector(tmp_path / "lo.geojson", boxes(), fields, driver="GeoJSON"),
    ]
    for path in files:
        assert upload(planner, draft_plan, path).status_code == 201
    messages = qa_messages(planner, draft_plan, "attributes.required", "vi")
    for path in files:
        said = [m for m in messages if f" trong {path.name} " in m]
        numbers = sorted({m.split("lô số ")[1].split(" ")[0] for m in said})
        assert numbers == ["1", "2", "3"], said


def test_a_roads_ten_column_is_its_name(planner, draft_plan, tmp_path):
    line = shapely.LineString([(HUE_X, HUE_Y), (HUE_X + 200, HUE_Y)])
    path = write_vector(tmp_path / "duong.gpkg", [line], {"TEN": ["Đường số 5"]}, driver="GPKG")
    response = client_for(planner).post(
        f"/api/revisions/{draft_plan.pk}/uploads/",
        {"file": SimpleUploadedFile(path.name, path.read_bytes()), "kind": "roads", "name": "GT"},
    )
    assert response.status_code == 201, response.content[:2000]
    assert response.json()["report"]["attribute_columns"] == {"name": "TEN"}
    (road,) = Feature.objects.filter(layer__revision=draft_plan, layer__name="GT")
    assert road.attributes == {"TEN": "Đường số 5", "name": "Đường số 5"}


def test_mapinfo_labels_fill_the_vietnamese_columns_and_the_attributes(
    planner, draft_plan, tmp_path
):
    """A MapInfo table's text objects fill the lots' MA_LO and MDXD left blank, as they
    fill `code` and `density`, and the attributes take what the labels said: before, a
    label's code went to a new `code` column even where MA_LO had one."""
    from tests.importers.test_mapinfo_lot_labels import lots_of, mapped, mif, region, text

    columns = ["MA_LO Char(10)", "CHUCNANG Char(20)", "MDXD Float"]
    objects = [
        region(0, "A1-01", "CX", 40.0),  # settled by its columns
        region(1, "", "", 0),  # blank: its labels fill it
        text(1, b"B1-01"),
        text(1, "§Êt ë míi M§XD 35%".encode("latin-1"), dy=5),
    ]
    result = mapped(planner, draft_plan, mif(tmp_path / "mif", columns, objects))
    kept, filled = lots_of(result.layers[0])
    assert (kept.attributes["code"], kept.attributes["function"]) == ("A1-01", "CX")
    assert (kept.attributes["MA_LO"], kept.attributes["density"]) == ("A1-01", 40.0)
    assert filled.attributes["MA_LO"] == filled.attributes["code"] == "B1-01"
    assert filled.attributes["MDXD"] == filled.attributes["density"] == 35.0
    assert filled.attributes["function"] == filled.category == "DO"
    assert result.report["label_issues"] == []
    assert result.report["layers"][0]["missing_attributes"] == []
