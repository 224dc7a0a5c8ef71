"""A zip of several shapefiles (or several MapInfo tables) in one folder is one upload of as
many layers: inspect lists them, the mapping imports each to its kind with its own text
encoding and CRS, all or nothing; other mixes are refused, naming the files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import shapely
from rest_framework.test import APIClient

from importers.gis_mapping import import_mapped_dataset
from importers.service import import_upload
from planning import jobs
from planning.errors import InvalidInput
from planning.models import Feature, Job, Layer
from tests.cad.drawings import tcvn3
from tests.conftest import HUE_X, HUE_Y
from tests.files import shapefile_parts, write_vector, zip_dir
from tests.importers.test_mapinfo_text_objects import TEXTS, text_table

LOT_NAMES = ["Đất ở mới", "Đất cây xanh", "Đất giáo dục"]
ROAD_NAMES = ["Đường Lê Lợi", "Đường Hùng Vương"]
# Hue in longitude / latitude: a layer whose .prj says EPSG:4326 beside one in VN-2000
HUE_LON, HUE_LAT = 107.5905, 16.4637


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def inspect(client, path: Path, **fields: str):
    with path.open("rb") as handle:
        return client.post("/api/cad/inspect/", {"file": handle, **fields})


def legacy_lots(folder: Path, name: str = "lots") -> Path:
    """Three Hue lots in VN-2000 whose DBF holds TCVN3 bytes and has no .cpg."""
    folder.mkdir(exist_ok=True)
    lots = [shapely.box(HUE_X + i * 50, HUE_Y, HUE_X + i * 50 + 40, HUE_Y + 40) for i in range(3)]
    fields = {"code": ["A1", "A2", "A3"], "ten": [tcvn3(text) for text in LOT_NAMES]}
    shp = write_vector(
        folder / f"{name}.shp", lots, fields, driver="ESRI Shapefile", encoding="latin1"
    )
    (folder / f"{name}.cpg").unlink(missing_ok=True)
    return shp


def utf8_roads(folder: Path, name: str = "giao_thong", *, lon=HUE_LON, lat=HUE_LAT) -> Path:
    """Two road lines in longitude / latitude (EPSG:4326 .prj), UTF-8 DBF with its .cpg."""
    folder.mkdir(exist_ok=True)
    roads = [
        shapely.LineString([(lon, lat + i * 0.001), (lon + 0.002, lat + i * 0.001)])
        for i in range(2)
    ]
    shp = write_vector(
        folder / f"{name}.shp", roads, {"ten": ROAD_NAMES}, driver="ESRI Shapefile", crs="EPSG:4326"
    )
    assert (folder / f"{name}.cpg").read_text().strip() == "UTF-8"
    return shp


def two_shapefiles(tmp_path: Path) -> Path:
    folder = tmp_path / "plan"
    parts = [*shapefile_parts(legacy_lots(folder)), *shapefile_parts(utf8_roads(folder))]
    stray = folder / "ghi_chu.dbf"  # a table without geometry file: not a layer
    stray.write_bytes((folder / "lots.dbf").read_bytes())
    return zip_dir([*parts, stray], tmp_path / "plan.zip")


def zip_with_paths(target: Path, members: dict[str, Path]) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for name, file in members.items():
            archive.write(file, name)
    return target


def texts(layer: Layer, field: str) -> list:
    return [f.attributes.get(field) for f in Feature.objects.filter(layer=layer).order_by("id")]


@pytest.mark.django_db
def test_inspect_lists_every_shapefile_of_the_zip(planner, tmp_path):
    shown = inspect(client_for(planner), two_shapefiles(tmp_path))
    assert shown.status_code == 200, shown.content
    body = shown.json()
    assert body["source_format"] == "ESRI Shapefile"
    assert [(layer["name"], layer["entities"]) for layer in body["layers"]] == [
        ("giao_thong", {"LineString": 2}),
        ("lots", {"Polygon": 3}),
    ]
    assert [layer["crs"] for layer in body["layers"]] == ["EPSG:4326", "EPSG:9214"]
    assert body["text_encoding"] == "tcvn3"  # the lots' DBF; the roads' is UTF-8
    assert body["warnings"] == []
    # each layer drawn from its own .prj: all of it around Hue, none in the Gulf of Guinea
    west, south, east, north = body["extent"]
    assert 107.5 < west < east < 107.7
    assert 16.4 < south < north < 16.5
    assert len(body["preview"]["features"]) == 5


@pytest.mark.django_db(transaction=True)
def test_a_mapping_job_imports_each_shapefile_to_its_kind(planner, draft_plan, tmp_path):
    client = client_for(planner)
    with two_shapefiles(tmp_path).open("rb") as handle:
        started = client.post(
            f"/api/revisions/{draft_plan.pk}/cad/jobs/",
            {"file": handle, "mapping": json.dumps({"lots": "landuse", "giao_thong": "roads"})},
            format="multipart",
        )
    assert started.status_code == 202, started.content
    jobs.run_worker_until_idle()
    job = Job.objects.get(pk=started.json()["id"])
    assert job.state == "succeeded", job.message
    assert job.report["features"] == {"landuse": 3, "roads": 2}
    assert [(r["source_layer"], r["text_encoding"]) for r in job.report["layers"]] == [
        ("giao_thong", ""),
        ("lots", "tcvn3"),
    ]
    layers = {layer.kind: layer for layer in Layer.objects.filter(revision=draft_plan)}
    assert texts(layers["landuse"], "ten") == LOT_NAMES  # NFC Unicode from TCVN3 bytes
    assert texts(layers["roads"], "ten") == ROAD_NAMES  # UTF-8 left as it is
    road = Feature.objects.filter(layer=layers["roads"]).first()
    assert road.geom.extent[0] == pytest.approx(HUE_X, abs=2000)  # from EPSG:4326, placed


def mapinfo_tables(tmp_path: Path) -> Path:
    """lots.tab (regions, TCVN3 bytes under WindowsLatin1) beside chu.mif (text objects in
    legacy fonts, Charset Neutral), each with its own CoordSys."""
    folder = tmp_path / "mapinfo"
    folder.mkdir()
    lots = [shapely.box(HUE_X + i * 50, HUE_Y, HUE_X + i * 50 + 40, HUE_Y + 40) for i in range(3)]
    write_vector(
        folder / "lots.tab",
        lots,
        {"MA_LO": ["A1", "A2", "A3"], "TEN": [tcvn3(text) for text in LOT_NAMES]},
        driver="MapInfo File",
        layer_options={"ENCODING": "CP1252"},
    )
    assert b"WindowsLatin1" in (folder / "lots.tab").read_bytes()
    texts = text_table(folder)  # chu.mif / chu.mid, moved to Hue's central meridian (107°)
    texts.write_bytes(texts.read_bytes().replace(b'"m", 105, 0,', b'"m", 107, 0,'))
    return zip_dir(sorted(folder.iterdir()), tmp_path / "mapinfo.zip")


@pytest.mark.django_db
def test_two_mapinfo_tables_are_inspected_and_imported(planner, draft_plan, tmp_path):
    archive = mapinfo_tables(tmp_path)
    shown = inspect(client_for(planner), archive).json()
    assert shown["source_format"] == "MapInfo File"
    assert [(layer["name"], layer["total"]) for layer in shown["layers"]] == [
        ("chu", len(TEXTS)),
        ("lots", 3),
    ]
    assert shown["text_encoding"] == "tcvn3"
    assert shown["warnings"] == []  # each table placed by its own CoordSys
    result = import_mapped_dataset(
        user=planner,
        revision=draft_plan,
        path=archive,
        filename=archive.name,
        mapping={"lots": "landuse", "chu": "annotation"},
    )
    layers = {layer.kind: layer for layer in result.layers}
    assert texts(layers["landuse"], "TEN") == LOT_NAMES
    assert texts(layers["annotation"], "text") == [seen for *_, seen in TEXTS]
    assert result.report["text_encoding"] == "tcvn3"


@pytest.mark.django_db
def test_a_second_layer_that_fails_writes_nothing_of_the_first(planner, draft_plan, tmp_path):
    folder = tmp_path / "plan"
    lots = legacy_lots(folder, "a_lots")
    paris = utf8_roads(folder, "b_roads", lon=2.35, lat=48.85)  # its .prj is right: Paris
    archive = zip_dir([*shapefile_parts(lots), *shapefile_parts(paris)], tmp_path / "plan.zip")
    layers, features = Layer.objects.count(), Feature.objects.count()
    steps: list[str] = []
    with pytest.raises(InvalidInput, match="lie outside Viet Nam"):
        import_mapped_dataset(
            user=planner,
            revision=draft_plan,
            path=archive,
            filename=archive.name,
            mapping={"a_lots": "landuse", "b_roads": "roads"},
            progress=lambda pct, message: steps.append(message),
        )
    assert "Loading layer a_lots" in steps  # the lots were loaded before the roads failed
    assert (Layer.objects.count(), Feature.objects.count()) == (layers, features)


def test_a_shapefile_beside_a_geojson_is_refused_naming_both(tmp_path):
    folder = tmp_path / "mixed"
    lots = legacy_lots(folder)
    geojson = write_vector(
        folder / "ranh_gioi.geojson", [shapely.box(0, 0, 1, 1)], {"a": ["x"]}, driver="GeoJSON"
    )
    archive = zip_dir([*shapefile_parts(lots), geojson], tmp_path / "mixed.zip")
    with pytest.raises(InvalidInput, match="mixes formats") as refused:
        inspect_archive(archive)
    assert "lots.shp (shapefile)" in str(refused.value)
    assert "ranh_gioi.geojson (GeoJSON)" in str(refused.value)


def inspect_archive(archive: Path) -> dict:
    from importers.gis_mapping import inspect_dataset

    return inspect_dataset(archive, archive.name)


def test_shapefiles_in_two_folders_are_refused(tmp_path):
    lots = legacy_lots(tmp_path / "a")
    roads = utf8_roads(tmp_path / "b")
    members = {f"quy_hoach/{p.name}": p for p in shapefile_parts(lots)}
    members |= {f"giao_thong/{p.name}": p for p in shapefile_parts(roads)}
    archive = zip_with_paths(tmp_path / "folders.zip", members)
    with pytest.raises(InvalidInput, match="several folders") as refused:
        inspect_archive(archive)
    assert "quy_hoach/lots.shp" in str(refused.value)
    assert "giao_thong/giao_thong.shp" in str(refused.value)


def test_a_second_shapefile_without_its_dbf_is_named(tmp_path):
    folder = tmp_path / "plan"
    lots, roads = legacy_lots(folder), utf8_roads(folder)
    parts = [p for p in shapefile_parts(roads) if p.suffix != ".dbf"]
    archive = zip_dir([*shapefile_parts(lots), *parts], tmp_path / "plan.zip")
    with pytest.raises(
        InvalidInput,
        match=r"The shapefile giao_thong\.shp is incomplete: \.dbf missing from the archive",
    ):
        inspect_archive(archive)


def test_two_tables_of_one_name_are_refused(tmp_path):
    folder = tmp_path / "mapinfo"
    folder.mkdir()
    lot = [shapely.box(HUE_X, HUE_Y, HUE_X + 40, HUE_Y + 40)]
    write_vector(folder / "lots.tab", lot, {"A": ["x"]}, driver="MapInfo File")
    mif = {"FORMAT": "MIF"}
    write_vector(folder / "lots.mif", lot, {"A": ["x"]}, driver="MapInfo File", dataset_options=mif)
    archive = zip_dir(sorted(folder.iterdir()), tmp_path / "same.zip")
    with pytest.raises(InvalidInput, match=r"layers of the same name \(lots\.mif, lots\.tab\)"):
        inspect_archive(archive)


@pytest.mark.django_db
def test_the_upload_page_takes_one_named_layer_of_several(planner, draft_plan, tmp_path):
    archive = two_shapefiles(tmp_path)

    def upload(**kwargs):
        return import_upload(
            user=planner,
            revision=draft_plan,
            path=archive,
            filename=archive.name,
            kind="landuse",
            name="Lots",
            **kwargs,
        )

    with pytest.raises(InvalidInput, match="several layers") as refused:
        upload()
    assert "giao_thong, lots" in str(refused.value)
    assert f"/revisions/{draft_plan.pk}/cad/" in str(refused.value)
    result = upload(source_layer="lots")
    assert texts(result.layer, "ten") == LOT_NAMES
    assert result.report["source_layer"] == "lots"


@pytest.mark.django_db
def test_file_names_with_quotes_and_brackets_are_layers_like_any(planner, draft_plan, tmp_path):
    """A layer is its file's stem: quotes and glob brackets in it are data, not syntax."""
    folder = tmp_path / "plan"
    name = 'giao thông "A" [2020]'
    parts = [*shapefile_parts(legacy_lots(folder)), *shapefile_parts(utf8_roads(folder, name))]
    archive = zip_dir(parts, tmp_path / "plan.zip")
    result = import_mapped_dataset(
        user=planner,
        revision=draft_plan,
        path=archive,
        filename=archive.name,
        mapping={name: "roads", "*": "ignore"},
    )
    (layer,) = result.layers
    assert texts(layer, "ten") == ROAD_NAMES
    assert result.report["layers"][0]["source_layer"] == name


@pytest.mark.django_db
def test_a_layer_without_its_own_crs_is_named(planner, tmp_path):
    folder = tmp_path / "plan"
    lots, boundary = legacy_lots(folder), legacy_lots(folder, "ranh_gioi")
    (folder / "ranh_gioi.prj").unlink()
    archive = zip_dir([*shapefile_parts(lots), *shapefile_parts(boundary)], tmp_path / "p.zip")
    shown = inspect(client_for(planner), archive).json()
    assert shown["warnings"] == ["The layer 'ranh_gioi' declares no usable CRS; assumed EPSG:9214."]
    assert shown["crs"] == "EPSG:9214"
    assert shown["crs_source"] == "file"  # the lots' .prj


@pytest.mark.django_db
def test_two_control_points_cannot_place_layers_of_two_crss(planner, draft_plan, tmp_path):
    """The points' true coordinates are in one CRS: layers each in their own (a .prj in
    EPSG:4326 beside one in VN-2000) cannot be placed together; naming the CRS can."""
    client = client_for(planner)
    points = [[0, 0, HUE_X, HUE_Y], [100, 0, HUE_X + 100, HUE_Y]]
    shown = inspect(client, two_shapefiles(tmp_path), control_points=json.dumps(points))
    assert shown.status_code == 400, shown.content
    assert "different coordinate systems" in shown.json()["detail"]
    before = Layer.objects.count()
    with pytest.raises(InvalidInput, match="different coordinate systems"):
        import_mapped_dataset(
            user=planner,
            revision=draft_plan,
            path=tmp_path / "plan.zip",
            filename="lots.zip",
            mapping={"lots": "landuse", "giao_thong": "roads"},
            control_points=points,
        )
    assert Layer.objects.count() == before
