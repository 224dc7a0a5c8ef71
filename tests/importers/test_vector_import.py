"""Vector imports through the real readers into the real PostGIS."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import shapely
from django.db import connection

from planning.errors import InvalidInput, PlanningError, UnsupportedFormat
from planning.models import Feature, Layer
from tests.conftest import HUE_X, HUE_Y
from tests.files import shapefile_parts, upload_as_layer, write_vector, zip_dir

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
LOTS = [shapely.box(HUE_X + i * 50, HUE_Y, HUE_X + i * 50 + 40, HUE_Y + 40) for i in range(3)]
LOT_FIELDS = {
    "code": ["A1-01", "A1-02", "A1-03"],
    "function": ["DO", "CX", "GD"],
    "ten": ["Đất ở mới", "Cây xanh", "Trường học"],
    "storeys": [3, 1, 4],
}
pytestmark = pytest.mark.django_db


def run(planner, revision, path: Path, kind="landuse", **kwargs):
    return upload_as_layer(planner, revision, path, kind, **kwargs)


def test_geopackage_lots_land_in_storage_crs_with_attributes(planner, draft_plan, tmp_path):
    gpkg = write_vector(tmp_path / "lots.gpkg", LOTS, LOT_FIELDS, driver="GPKG")
    result = run(planner, draft_plan, gpkg)
    assert result.report["features_loaded"] == 3
    assert result.report["rejected"] == []
    features = Feature.objects.filter(layer=result.layer).order_by("id")
    assert [f.attributes["code"] for f in features] == ["A1-01", "A1-02", "A1-03"]
    assert features[0].attributes["ten"] == "Đất ở mới"
    assert features[0].attributes["storeys"] == 3
    assert [f.category for f in features] == ["DO", "CX", "GD"]
    assert features[0].geom.srid == 9214
    assert features[0].geom.area == pytest.approx(1600.0)
    assert {"name": "storeys", "type": "integer"} in result.layer.attribute_schema


def test_geojson_in_wgs84_is_reprojected_with_the_datum_shift(planner, draft_plan, tmp_path):
    point_lot = shapely.Point(107.579825, 16.467979).buffer(0.0001)
    path = write_vector(
        tmp_path / "lot.geojson",
        [point_lot],
        {"code": ["X1"], "function": ["CC"]},
        driver="GeoJSON",
        crs="EPSG:4326",
    )
    result = run(planner, draft_plan, path)
    centroid = Feature.objects.get(layer=result.layer).geom.centroid
    assert centroid.x == pytest.approx(561714, abs=0.5)
    assert centroid.y == pytest.approx(1821449, abs=0.5)


def test_kml_is_read(planner, draft_plan, tmp_path):
    path = write_vector(
        tmp_path / "roads.kml",
        [shapely.LineString([(107.58, 16.46), (107.59, 16.47)])],
        {"Name": ["Đường Lê Lợi"]},
        driver="KML",
        crs="EPSG:4326",
    )
    result = run(planner, draft_plan, path, kind="roads", name="Roads")
    feature = Feature.objects.get(layer=result.layer)
    assert feature.attributes["Name"] == "Đường Lê Lợi"
    assert 1000 < feature.geom.length < 2000


def test_zipped_sample_shapefile_with_upper_case_prj(planner, draft_plan, tmp_path):
    # poly.shp from GDAL's test data: 10 polygons, EPSG:27700 declared in poly.PRJ. Read
    # with its CRS (else "declares no coordinate reference system"), placed in Britain and
    # so refused whole: nothing outside Viet Nam is stored.
    archive = zip_dir(
        [SAMPLES / "shp" / f"poly.{ext}" for ext in ("shp", "shx", "dbf", "PRJ")],
        tmp_path / "poly.zip",
    )
    # the features numbered from 1, as a GeoPackage numbers them (a shapefile counts from 0)
    with pytest.raises(InvalidInput, match=r"10 of 10 features lie outside Viet Nam.*poly:1\b"):
        run(planner, draft_plan, archive, name="Poly")
    assert not Layer.objects.filter(revision=draft_plan, name="Poly").exists()


def test_zipped_sample_shapefile_with_cpg_utf8_lines(planner, draft_plan, tmp_path):
    # path.shp from GDAL's test data lies outside Viet Nam: read, then refused whole.
    archive = zip_dir(shapefile_parts(SAMPLES / "shp" / "path.shp"), tmp_path / "path.zip")
    with pytest.raises(InvalidInput, match=r"(\d+) of \1 features lie outside Viet Nam"):
        run(planner, draft_plan, archive, kind="roads", name="Path")
    assert not Layer.objects.filter(revision=draft_plan, name="Path").exists()


def test_shapefile_without_crs_needs_one_from_the_user(planner, draft_plan, tmp_path):
    shp = write_vector(tmp_path / "lots.shp", LOTS, LOT_FIELDS, driver="ESRI Shapefile", crs=None)
    archive = zip_dir(shapefile_parts(shp), tmp_path / "nocrs.zip")
    with pytest.raises(InvalidInput, match="declares no coordinate reference system"):
        run(planner, draft_plan, archive)
    result = run(planner, draft_plan, archive, crs="EPSG:9214")
    assert result.report["source_crs"] == "EPSG:9214"


def test_polygon_layer_rejects_lines_feature_by_feature(planner, draft_plan, tmp_path):
    geoms = [LOTS[0], shapely.LineString([(HUE_X, HUE_Y), (HUE_X + 10, HUE_Y)])]
    path = tmp_path / "mixed.geojson"
    path.write_text(
        '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::9214"}},'
        '"features":[{"type":"Feature","properties":{"code":"A"},"geometry":'
        + shapely.to_geojson(geoms[0])
        + "},"
        '{"type":"Feature","properties":{"code":"B"},"geometry":'
        + shapely.to_geojson(geoms[1])
        + "},"
        '{"type":"Feature","properties":{"code":"C"},"geometry":null}]}'
    )
    result = run(planner, draft_plan, path)
    assert result.report["features_loaded"] == 1
    reasons = {r["index"]: r["reason"] for r in result.report["rejected"]}
    assert "Linestring does not fit the layer kind “Land-use lots and zones”" in reasons[1]
    assert reasons[2] == "no geometry"


def count_rows() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM planning_layer), (SELECT count(*) FROM planning_feature)"
        )
        return cursor.fetchone()


def tmp_leftovers(settings) -> list[Path]:
    root = Path(settings.PLANNING_VAR_DIR) / "tmp"
    return list(root.iterdir()) if root.exists() else []


BAD_INPUTS = {
    "corrupt.zip": (b"PK\x03\x04 this is not really a zip", "not a valid zip"),
    "empty.gpkg": (b"", "empty"),
    "plan.dwg": (b"AC1032 binary", "DWG drawings need a converter"),
    "garbage.gpkg": (b"SQLite format 3\x00" + b"\x13" * 500, "could not be read"),
    "bad.geojson": (b'{"type": "FeatureCollection", "features": [', "could not be read"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_files_leave_nothing_behind(planner, draft_plan, tmp_path, settings, name):
    content, message = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    before = count_rows()
    with pytest.raises(PlanningError, match=message) as caught:
        run(planner, draft_plan, path)
    assert 400 <= caught.value.status < 500
    assert count_rows() == before
    assert tmp_leftovers(settings) == []


@pytest.mark.parametrize("drop", [".shx", ".dbf"])
def test_shapefile_missing_a_part_is_named(planner, draft_plan, tmp_path, drop):
    parts = [p for p in shapefile_parts(SAMPLES / "shp" / "poly.shp") if p.suffix.lower() != drop]
    archive = zip_dir(parts, tmp_path / "incomplete.zip")
    with pytest.raises(InvalidInput, match=f"{drop} missing"):
        run(planner, draft_plan, archive)


def test_garbage_prj_is_reported(planner, draft_plan, tmp_path):
    for part in shapefile_parts(SAMPLES / "shp" / "poly.shp"):
        shutil.copy(part, tmp_path / part.name)
    (tmp_path / "poly.PRJ").write_text("this is not a projection")
    archive = zip_dir(shapefile_parts(tmp_path / "poly.shp"), tmp_path / "garbage.zip")
    with pytest.raises(InvalidInput, match=r"\.prj file could not be understood"):
        run(planner, draft_plan, archive)


def test_unknown_user_crs(planner, draft_plan, tmp_path):
    gpkg = write_vector(tmp_path / "lots.gpkg", LOTS, LOT_FIELDS, driver="GPKG")
    with pytest.raises(InvalidInput, match="Unknown coordinate reference system"):
        run(planner, draft_plan, gpkg, crs="EPSG:999999")


def test_zip_slip_is_refused(planner, draft_plan, tmp_path):
    import zipfile

    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("../../escape.geojson", "{}")
    with pytest.raises(InvalidInput, match="unsafe path"):
        run(planner, draft_plan, archive)
    assert not (tmp_path.parent.parent / "escape.geojson").exists()


def test_submitted_revision_takes_no_layers(planner, plan_in_force, tmp_path):
    from planning.errors import Conflict

    gpkg = write_vector(tmp_path / "lots.gpkg", LOTS, LOT_FIELDS, driver="GPKG")
    with pytest.raises(Conflict, match="only drafts"):
        run(planner, plan_in_force, gpkg)


def test_outsider_cannot_import(outsider, draft_plan, tmp_path):
    from planning.errors import Forbidden

    gpkg = write_vector(tmp_path / "lots.gpkg", LOTS, LOT_FIELDS, driver="GPKG")
    with pytest.raises(Forbidden):
        run(outsider, draft_plan, gpkg)


def test_unsupported_error_type():
    assert UnsupportedFormat.status == 415


def test_the_services_provenance_is_dropped_on_a_round_trip_and_kept_from_elsewhere(
    planner, draft_plan, tmp_path
):
    """WFS and OGC API publish `project` and `revision` with every feature: a plan exported
    and imported again into its project would otherwise differ in every lot, and publish
    them again as `project_1`. Lots copied over from another project keep theirs."""
    own = draft_plan.project.code
    fields = {
        **LOT_FIELDS,
        "project": [own, own, "hue-other"],
        "revision": [1, 1, 4],
    }
    path = write_vector(tmp_path / "export.geojson", LOTS, fields, driver="GeoJSON")
    result = run(planner, draft_plan, path)

    stored = {
        f.attributes["code"]: f.attributes for f in Feature.objects.filter(layer=result.layer)
    }
    assert "project" not in stored["A1-01"]
    assert "revision" not in stored["A1-01"]
    assert stored["A1-03"]["project"] == "hue-other"
    assert stored["A1-03"]["revision"] == 4
    names = [field["name"] for field in result.layer.attribute_schema]
    assert {"project", "revision"} <= set(names)  # still declared: one lot has them


def test_a_round_trip_declares_no_provenance_fields(planner, draft_plan, tmp_path):
    own = draft_plan.project.code
    fields = {**LOT_FIELDS, "project": [own] * 3, "revision": [2, 2, 2]}
    path = write_vector(tmp_path / "export.geojson", LOTS, fields, driver="GeoJSON")
    layer = run(planner, draft_plan, path).layer
    assert [field["name"] for field in layer.attribute_schema] == list(LOT_FIELDS)


def test_upper_case_provenance_and_lots_added_beside_it_are_dropped(planner, draft_plan, tmp_path):
    """PROJECT/REVISION from a tool that upper-cases names stayed, as did the null values of
    lots drawn beside the exported ones (review finding)."""
    own = draft_plan.project.code
    fields = {**LOT_FIELDS, "PROJECT": [own, own, None], "REVISION": [1, 1, None]}
    path = write_vector(tmp_path / "export.geojson", LOTS, fields, driver="GeoJSON")
    layer = run(planner, draft_plan, path).layer
    assert [field["name"] for field in layer.attribute_schema] == list(LOT_FIELDS)
    assert all(
        "PROJECT" not in f.attributes and "REVISION" not in f.attributes
        for f in Feature.objects.filter(layer=layer)
    )


def test_a_files_own_project_and_revision_columns_stay(planner, draft_plan, tmp_path):
    """Nothing in it names this project: not an export of ours, its columns are its own
    (an empty PROJECT beside survey REVISION numbers was dropped: review finding)."""
    fields = {**LOT_FIELDS, "PROJECT": ["", None, ""], "REVISION": [1, 2, 3]}
    path = write_vector(tmp_path / "survey.geojson", LOTS, fields, driver="GeoJSON")
    layer = run(planner, draft_plan, path).layer
    assert {"PROJECT", "REVISION"} <= {field["name"] for field in layer.attribute_schema}
    revisions = sorted(f.attributes["REVISION"] for f in Feature.objects.filter(layer=layer))
    assert revisions == [1, 2, 3]


def test_an_archive_too_large_once_expanded_says_its_size_and_the_limit(
    planner, draft_plan, tmp_path, settings
):
    """QA walk: the refusal did not say the limit a planner has to meet."""
    import zipfile

    from planning.errors import PayloadTooLarge

    settings.PLANNING_MAX_UNZIPPED_BYTES = 1024 * 1024
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("lots.geojson", " " * (3 * 1024 * 1024))
    before = count_rows()
    with pytest.raises(PayloadTooLarge) as refused:
        run(planner, draft_plan, archive)
    assert refused.value.message == (
        "The archive expands to 3.0\xa0MB; at most 1.0\xa0MB are accepted."
    )
    assert count_rows() == before
