"""The CAD mapping step for GIS files: MapInfo MIF, shapefiles (a legacy TCVN3 DBF with no
.cpg among them): inspect lists the layers and previews them, the job imports the mapped
layers with the encoding detected or forced, a CRS preset and the two-point fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import shapely
from rest_framework.test import APIClient

from planning import jobs
from planning.models import Feature, Job, Layer
from tests.cad.drawings import E0, N0, tcvn3
from tests.files import shapefile_parts, write_vector, zip_dir

SAMPLES = Path("/work/shared/samples")
NAMES = ["Đất ở mới", "Đất cây xanh", "Đất giáo dục"]


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def inspect(client, path: Path, **fields):
    with path.open("rb") as handle:
        return client.post("/api/cad/inspect/", {"file": handle, **fields})


def submit(client, revision, path: Path, mapping: dict, **fields):
    with path.open("rb") as handle:
        return client.post(
            f"/api/revisions/{revision.pk}/cad/jobs/",
            {"file": handle, "mapping": json.dumps(mapping), **fields},
            format="multipart",
        )


def mif_zip(tmp_path: Path) -> Path:
    parts = [SAMPLES / "mapinfo" / "small.mif", SAMPLES / "mapinfo" / "small.mid"]
    return zip_dir(parts, tmp_path / "small.zip")


def tcvn3_shapefile(tmp_path: Path, *, crs: str | None = "EPSG:9214") -> Path:
    """Three Hue lots whose DBF holds TCVN3 bytes and declares no encoding (no .cpg)."""
    lots = [shapely.box(E0 + i * 50, N0, E0 + i * 50 + 40, N0 + 40) for i in range(3)]
    fields = {"code": ["A1", "A2", "A3"], "ten": [tcvn3(name) for name in NAMES]}
    shp = write_vector(
        tmp_path / "lots.shp", lots, fields, driver="ESRI Shapefile", crs=crs, encoding="latin1"
    )
    for part in shapefile_parts(shp):
        if part.suffix.lower() == ".cpg":
            part.unlink()
    return zip_dir(shapefile_parts(shp), tmp_path / "lots.zip")


@pytest.mark.django_db
def test_inspect_lists_mif_and_shapefile_layers(planner, tmp_path):
    client = client_for(planner)
    mif = inspect(client, mif_zip(tmp_path)).json()
    assert mif["source_format"] == "MapInfo File"
    assert [(layer["name"], layer["total"]) for layer in mif["layers"]] == [("small", 2)]
    assert mif["layers"][0]["entities"] == {"Polygon": 2}
    assert any("no usable CRS" in w for w in mif["warnings"])  # CoordSys NonEarth
    poly_zip = zip_dir(shapefile_parts(SAMPLES / "shp" / "poly.shp"), tmp_path / "poly.zip")
    poly = inspect(client, poly_zip).json()
    assert poly["layers"][0]["total"] == 10
    assert poly["crs_source"] == "file"
    assert poly["crs"] == "EPSG:27700"  # from the .PRJ (upper-case suffix)
    west, south, east, north = poly["extent"]
    assert west < east
    assert south < north
    assert len(poly["preview"]["features"]) == 10


@pytest.mark.django_db
def test_inspect_detects_the_legacy_dbf(planner, tmp_path):
    shown = inspect(client_for(planner), tcvn3_shapefile(tmp_path)).json()
    assert shown["text_encoding"] == "tcvn3"
    assert shown["warnings"] == []
    assert shown["layers"][0]["entities"] == {"Polygon": 3}


@pytest.mark.django_db(transaction=True)
def test_job_imports_mapped_gis_layers(planner, draft_plan, tmp_path):
    client = client_for(planner)
    legacy = submit(client, draft_plan, tcvn3_shapefile(tmp_path), {"lots": "landuse"})
    assert legacy.status_code == 202, legacy.content
    jobs.run_worker_until_idle()  # one import job per revision at a time
    # the MIF is in local (NonEarth) coordinates: place it with a preset and two points
    mif_path = mif_zip(tmp_path)
    box = inspect(client, mif_path, crs="EPSG:9214").json()
    assert box["extent"] is not None
    corner = (407131.721, 155322.441)  # a vertex of the first region
    points = [[*corner, E0, N0], [corner[0] + 100, corner[1], E0 + 100, N0]]
    mif = submit(
        client,
        draft_plan,
        mif_path,
        {"small": "landuse"},
        crs="province:thua-thien-hue",
        control_points=json.dumps(points),
    )
    jobs.run_worker_until_idle()
    unplaced = submit(client, draft_plan, mif_path, {"small": "landuse"})
    jobs.run_worker_until_idle()
    done = Job.objects.get(pk=legacy.json()["id"])
    assert done.state == "succeeded", done.message
    assert done.report["text_encoding"] == "tcvn3"
    assert done.report["features"] == {"landuse": 3}
    layer = Layer.objects.get(pk=done.result["layers"][0]["id"])
    names = sorted(f.attributes["ten"] for f in Feature.objects.filter(layer=layer))
    assert names == sorted(NAMES)  # NFC Unicode from TCVN3 bytes
    placed = Job.objects.get(pk=mif.json()["id"])
    assert placed.state == "succeeded", placed.message
    assert placed.report["transform"]["scale"] == pytest.approx(1.0)
    lots = Feature.objects.filter(layer_id=placed.result["layers"][0]["id"])
    assert sorted(lot.attributes["NUM"] for lot in lots) == ["230", "232"]  # from the MID
    first = next(lot for lot in lots if lot.attributes["NUM"] == "230")
    assert min(x for x, _ in first.geom.coords[0]) == pytest.approx(E0, abs=0.01)
    assert min(y for _, y in first.geom.coords[0]) == pytest.approx(N0 - 2.392, abs=0.01)
    refused = Job.objects.get(pk=unplaced.json()["id"])
    assert refused.state == "failed"
    # without a CRS the storage CRS is assumed, as the preview did: these local numbers
    # then lie outside Viet Nam, and nothing is loaded
    assert "lie outside Viet Nam" in refused.message
    assert Layer.objects.filter(revision=draft_plan, source_format="MapInfo File").count() == 1


@pytest.mark.django_db
def test_mapping_that_names_no_layer_is_refused(planner, draft_plan, tmp_path):
    from importers.gis_mapping import import_mapped_dataset
    from planning.errors import InvalidInput

    archive = tcvn3_shapefile(tmp_path)
    with pytest.raises(InvalidInput, match="names none of the file's layers"):
        import_mapped_dataset(
            user=planner,
            revision=draft_plan,
            path=archive,
            filename="lots.zip",
            mapping={"roads_layer": "roads"},
        )
    assert not Layer.objects.filter(source_name="lots.zip").exists()
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.django_db
def test_attribute_values_pick_the_kind(planner, draft_plan, tmp_path):
    """A single-layer export of a CAD drawing keeps the CAD layer in an attribute:
    `FIELD=VALUE` keys of the mapping split it into planning layers."""
    from importers.gis_mapping import import_mapped_dataset

    geoms = [shapely.box(E0 + i * 50, N0, E0 + i * 50 + 40, N0 + 40) for i in range(5)]
    lop = ["QH_LO", "qh_lo", "QH_GT", "KHUNG", "QH_LO"]
    shp = write_vector(
        tmp_path / "export.shp",
        geoms,
        {"Lop": lop, "n": list(range(5))},
        driver="ESRI Shapefile",
    )
    archive = zip_dir(shapefile_parts(shp), tmp_path / "export.zip")
    result = import_mapped_dataset(
        user=planner,
        revision=draft_plan,
        path=archive,
        filename="export.zip",
        mapping={"lop=QH_LO": "landuse", "LOP=qh_gt": "roads", "*": "ignore"},
    )
    assert result.report["features"] == {"landuse": 3, "roads": 1}
    by_kind = {
        layer.kind: sorted(f.attributes["n"] for f in Feature.objects.filter(layer=layer))
        for layer in result.layers
    }
    assert by_kind == {"landuse": [0, 1, 4], "roads": [2]}  # KHUNG left out
