"""The two-point fix on the GIS mapping path (TAB/MIF, shapefiles) is the CAD one: the same
refusal of a mistyped control point (same 400, same translated message) on the inspect
step and when the job starts or runs, and the same transform in the preview and the import.

The files are real: a shapefile written with GDAL in local coordinates (its .prj says
VN-2000 Hue, its coordinates are a rotated local layout near 0, 0) and GDAL's own MIF in
NonEarth coordinates. The CAD answers the GIS ones are compared with come from the same
layout drawn as a DXF.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from rest_framework.test import APIClient

from importers.gis_mapping import import_mapped_dataset
from planning import jobs
from planning.errors import InvalidInput
from planning.models import Feature, Job, Layer
from tests.cad.big_drawings import local_lots, rotate
from tests.cad.drawings import E0, N0
from tests.files import shapefile_parts, write_vector, zip_dir

SAMPLES = Path("/work/shared/samples")
HUE = "province:thua-thien-hue"
ANGLE = 30.0
FAR = rotate(90.0, 0.0, ANGLE)  # the local place of the true point (E0 + 90, N0)
GOOD = [[0.0, 0.0, E0, N0], [FAR[0], FAR[1], E0 + 90.0, N0]]
# Typos a planner makes: a zero too many (the points land far east of Viet Nam), two local
# points 0.1 mm apart (an absurd scale), the same point twice.
TYPOS = {
    "outside": [[0, 0, 56210000, 1821200], [200, 0, 56210200, 1821200]],
    "scale": [[0, 0, 562100, 1821200], [0.0001, 0, 562300, 1821200]],
    "identical": [[0, 0, E0, N0], [0, 0, E0, N0]],
}
EXPECTED = {
    "outside": "The control points' true coordinates (56210000.000, 1821200.000; "
    "56210200.000, 1821200.000) lie outside Viet Nam in EPSG:9214",
    "scale": "imply a scale of 2e+06 metres per drawing unit",
    "identical": "The two control points must be distinct.",
}


def local_shapefile(tmp_path: Path) -> Path:
    """The three 30 x 20 m lots of tests.cad.big_drawings.local_lots as a zipped shapefile:
    rotated local coordinates under a .prj that declares EPSG:9214."""
    lots = []
    for index in range(3):
        x = index * 30.0
        corners = [(x, 0.0), (x + 30, 0.0), (x + 30, 20.0), (x, 20.0)]
        lots.append(shapely.Polygon([rotate(cx, cy, ANGLE) for cx, cy in corners]))
    fields = {"code": [f"A1-0{i + 1}" for i in range(3)]}
    folder = tmp_path / "shp"
    folder.mkdir(parents=True)
    shp = write_vector(folder / "lots.shp", lots, fields, driver="ESRI Shapefile")
    return zip_dir(shapefile_parts(shp), tmp_path / "lots.zip")


def sample_mif(tmp_path: Path) -> Path:
    parts = [SAMPLES / "mapinfo" / "small.mif", SAMPLES / "mapinfo" / "small.mid"]
    return zip_dir(parts, tmp_path / "small.zip")


def client_for(user, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


def inspect(client: APIClient, path: Path, **fields):
    with path.open("rb") as handle:
        return client.post("/api/cad/inspect/", {"file": handle, **fields})


def submit(client: APIClient, revision, path: Path, mapping: dict, **fields):
    with path.open("rb") as handle:
        return client.post(
            f"/api/revisions/{revision.pk}/cad/jobs/",
            {"file": handle, "mapping": json.dumps(mapping), **fields},
            format="multipart",
        )


def stored(revision) -> tuple[int, int]:
    return (
        Layer.objects.filter(revision=revision).count(),
        Feature.objects.filter(layer__revision=revision).count(),
    )


# --- inspect ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "vi"])
@pytest.mark.parametrize("typo", sorted(TYPOS))
@pytest.mark.parametrize("source", ["shapefile", "mif"])
def test_inspect_refuses_a_typo_as_cad_does(planner, tmp_path, source, typo, language):
    client = client_for(planner, language)
    path = local_shapefile(tmp_path) if source == "shapefile" else sample_mif(tmp_path)
    points = json.dumps(TYPOS[typo])
    gis = inspect(client, path, crs=HUE, control_points=points)
    cad = inspect(client, local_lots(tmp_path / "local.dxf", ANGLE), crs=HUE, control_points=points)
    assert cad.status_code == 400, cad.content
    assert gis.status_code == 400, gis.content
    assert gis.json() == cad.json()
    detail = gis.json()["detail"]
    if language == "en":
        assert EXPECTED[typo] in detail
    else:
        assert "điểm khống chế" in detail  # the Vietnamese message, not the English one


@pytest.mark.django_db
def test_inspect_refuses_a_typo_against_the_files_own_crs(planner, tmp_path):
    """No CRS given: the .prj's EPSG:9214 is the one the true points are checked in."""
    shown = inspect(client_for(planner), local_shapefile(tmp_path))
    assert shown.status_code == 200, shown.content
    assert shown.json()["crs_source"] == "file"
    typo = inspect(
        client_for(planner),
        local_shapefile(tmp_path / "again"),
        control_points=json.dumps(TYPOS["outside"]),
    )
    assert typo.status_code == 400, typo.content
    assert EXPECTED["outside"] in typo.json()["detail"]


@pytest.mark.django_db
def test_inspect_previews_the_transformed_features(planner, tmp_path):
    client = client_for(planner)
    path = local_shapefile(tmp_path)
    raw = inspect(client, path, crs=HUE).json()
    assert any("local or shifted" in w for w in raw["warnings"])
    fixed = inspect(client, path, crs=HUE, control_points=json.dumps(GOOD))
    assert fixed.status_code == 200, fixed.content
    shown = fixed.json()
    cad = inspect(
        client, local_lots(tmp_path / "local.dxf", ANGLE), crs=HUE, control_points=json.dumps(GOOD)
    ).json()
    assert shown["warnings"] == cad["warnings"] == []
    for key in ("scale", "rotation_deg", "translation"):
        assert shown["transform"][key] == pytest.approx(cad["transform"][key])
    assert shown["transform"]["rotation_deg"] == pytest.approx(-ANGLE)
    features = shown["preview"]["features"]
    assert len(features) == 3
    assert {f["properties"]["layer"] for f in features} == {"lots"}
    west, south, east, north = shown["extent"]
    assert 107.57 < west < east < 107.59
    assert 16.46 < south < north < 16.47
    assert shown["extent"] == pytest.approx(cad["extent"], abs=1e-6)


# --- the job ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("typo", sorted(TYPOS))
def test_job_with_a_typo_and_a_crs_is_refused_at_once(planner, draft_plan, tmp_path, typo):
    client = client_for(planner)
    before, jobs_before = stored(draft_plan), Job.objects.count()
    response = submit(
        client,
        draft_plan,
        local_shapefile(tmp_path),
        {"lots": "landuse"},
        crs=HUE,
        control_points=json.dumps(TYPOS[typo]),
    )
    assert response.status_code == 400, response.content
    assert EXPECTED[typo] in response.json()["detail"]
    assert (stored(draft_plan), Job.objects.count()) == (before, jobs_before)


@pytest.mark.django_db(transaction=True)
def test_job_in_the_files_crs_fails_with_the_control_point_message(planner, draft_plan, tmp_path):
    """Without a CRS given the file's own is known only once the file is read: the job then
    fails with the message CAD gives, before any feature is placed (not the loader's late
    "features lie outside Viet Nam"), nothing written."""
    client = client_for(planner)
    before = stored(draft_plan)
    response = submit(
        client,
        draft_plan,
        local_shapefile(tmp_path),
        {"lots": "landuse"},
        control_points=json.dumps(TYPOS["outside"]),
    )
    assert response.status_code == 202, response.content
    jobs.run_worker_until_idle()
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "failed"
    assert EXPECTED["outside"] in job.message
    assert "features lie outside" not in job.message
    assert stored(draft_plan) == before


@pytest.mark.django_db
def test_import_places_the_local_shapefile(planner, draft_plan, tmp_path):
    common = {
        "user": planner,
        "revision": draft_plan,
        "path": local_shapefile(tmp_path),
        "filename": "lots.zip",
        "mapping": {"lots": "landuse"},
    }
    before = stored(draft_plan)
    with pytest.raises(InvalidInput, match="imply a scale of 2e\\+06 metres per drawing unit"):
        import_mapped_dataset(**common, control_points=TYPOS["scale"])
    assert stored(draft_plan) == before
    result = import_mapped_dataset(**common, control_points=GOOD)
    transform = result.report["transform"]
    assert transform["scale"] == pytest.approx(1.0)
    assert transform["rotation_deg"] == pytest.approx(-ANGLE)
    lots = {f.attributes["code"]: f.geom for f in Feature.objects.filter(layer=result.layers[0])}
    assert sorted(lots) == ["A1-01", "A1-02", "A1-03"]
    for index in range(3):
        lot = lots[f"A1-0{index + 1}"]
        assert lot.area == pytest.approx(600, abs=0.01)
        assert lot.centroid.x == pytest.approx(E0 + 30 * index + 15, abs=0.01)
        assert lot.centroid.y == pytest.approx(N0 + 10, abs=0.01)


@pytest.mark.django_db
def test_the_fix_keeps_the_heights_of_3d_buildings(planner, draft_plan, tmp_path):
    """A 2D fix moves x and y only: 3D building footprints keep their z (dropping it made
    PostGIS refuse the 2D geometry in the 3D column)."""
    corners = [(0.0, 0.0), (30.0, 0.0), (30.0, 20.0), (0.0, 20.0)]
    block = shapely.Polygon([(*rotate(x, y, ANGLE), 12.5) for x, y in corners])
    folder = tmp_path / "shp3d"
    folder.mkdir()
    shp = write_vector(folder / "nha.shp", [block], {"code": ["N1"]}, driver="ESRI Shapefile")
    result = import_mapped_dataset(
        user=planner,
        revision=draft_plan,
        path=zip_dir(shapefile_parts(shp), tmp_path / "nha.zip"),
        filename="nha.zip",
        mapping={"nha": "buildings"},
        control_points=GOOD,
    )
    (feature,) = Feature.objects.filter(layer=result.layers[0])
    assert feature.geom_3d is not None
    assert {
        round(z, 3)
        for z in shapely.get_coordinates(
            shapely.from_wkb(bytes(feature.geom_3d.wkb)), include_z=True
        )[:, 2]
    } == {12.5}
    assert feature.geom.centroid.x == pytest.approx(E0 + 15, abs=0.01)
    assert feature.geom.centroid.y == pytest.approx(N0 + 10, abs=0.01)
