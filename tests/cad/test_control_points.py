"""The two-point offset/rotation fix for drawings in local coordinates, in the import and
in the inspect preview."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from rest_framework.test import APIClient

from importers.control_points import parse_control_points, similarity_transform
from importers.service import import_cad
from planning.errors import InvalidInput
from planning.models import Feature
from tests.cad.big_drawings import local_lots, rotate
from tests.cad.drawings import E0, N0

pytestmark = pytest.mark.django_db
ANGLE = 30.0


def control_points(degrees: float = ANGLE, scale: float = 1.0) -> list[list[float]]:
    """Two known points: the local drawing's origin and (90, 0) -> their true places."""
    far = rotate(90.0, 0.0, degrees)
    return [[0.0, 0.0, E0, N0], [far[0] * scale, far[1] * scale, E0 + 90.0, N0]]


def test_similarity_transform_maps_the_points_and_reports_itself():
    points = control_points()
    move, info = similarity_transform(points)
    moved = move(np.array([[p[0], p[1]] for p in points]))
    assert moved.ravel().tolist() == pytest.approx([E0, N0, E0 + 90, N0], abs=1e-6)
    assert info["scale"] == pytest.approx(1.0)
    assert info["rotation_deg"] == pytest.approx(-ANGLE)
    assert info["translation"] == pytest.approx([E0, N0])


def test_local_drawing_is_placed_by_two_points(planner, draft_plan, tmp_path):
    path = local_lots(tmp_path / "local.dxf", ANGLE)
    common = {
        "user": planner,
        "revision": draft_plan,
        "path": path,
        "filename": "local.dxf",
        "mapping": {"LOTS": "landuse"},
        "crs": "EPSG:9214",
    }
    with pytest.raises(InvalidInput, match="outside Viet Nam"):  # near (0, 0): off Sumatra
        import_cad(**common)
    assert not Feature.objects.filter(layer__revision=draft_plan, layer__source_format="DXF")
    result = import_cad(**common, control_points=control_points())
    report = result.report
    assert not any("local or shifted" in w for w in report["warnings"])
    assert report["transform"]["scale"] == pytest.approx(1.0)
    assert report["transform"]["rotation_deg"] == pytest.approx(-ANGLE)
    lots = {f.attributes.get("code"): f for f in Feature.objects.filter(layer=result.layers[0])}
    assert sorted(lots) == ["A1-01", "A1-02", "A1-03"]
    for index in range(3):
        lot = lots[f"A1-0{index + 1}"].geom
        assert lot.area == pytest.approx(600, abs=0.01)
        assert lot.centroid.x == pytest.approx(E0 + 30 * index + 15, abs=0.01)
        assert lot.centroid.y == pytest.approx(N0 + 10, abs=0.01)


def test_millimetre_drawing_gets_a_scale_warning(planner, draft_plan, tmp_path):
    path = local_lots(tmp_path / "mm.dxf", ANGLE, scale=1000.0)
    result = import_cad(
        user=planner,
        revision=draft_plan,
        path=path,
        filename="mm.dxf",
        mapping={"LOTS": "landuse"},
        crs="EPSG:9214",
        control_points=control_points(scale=1000.0),
    )
    assert result.report["transform"]["scale"] == pytest.approx(0.001)
    assert any("scale of 0.0010" in w for w in result.report["warnings"])
    areas = [f.geom.area for f in Feature.objects.filter(layer=result.layers[0])]
    assert areas == pytest.approx([600, 600, 600], abs=0.01)


@pytest.mark.parametrize(
    "value",
    [
        "[[1,2,3,4]]",
        "[[1,2,3,4],[1,2,5,6]]",
        "[[1,2,3],[4,5,6]]",
        '[["a",2,3,4],[1,2,3,4]]',
        "[[1,2,3,4],[5,6,7,NaN]]",
        "nope",
    ],
)
def test_bad_control_points_are_refused(value):
    with pytest.raises(InvalidInput):
        parse_control_points(value)


def test_inspect_preview_of_a_local_drawing(planner, tmp_path):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    path = local_lots(tmp_path / "local.dxf", ANGLE)
    with path.open("rb") as handle:
        raw = client.post("/api/cad/inspect/", {"file": handle, "crs": "province:thua-thien-hue"})
    assert raw.status_code == 200, raw.content
    assert any("local or shifted" in w for w in raw.json()["warnings"])
    with path.open("rb") as handle:
        fixed = client.post(
            "/api/cad/inspect/",
            {"file": handle, "crs": "EPSG:9214", "control_points": json.dumps(control_points())},
        ).json()
    assert fixed["warnings"] == []
    assert fixed["transform"]["rotation_deg"] == pytest.approx(-ANGLE)
    assert [layer["name"] for layer in fixed["layers"] if layer["total"]] == ["LOTS"]
    features = fixed["preview"]["features"]
    assert len(features) == 3
    assert {f["properties"]["layer"] for f in features} == {"LOTS"}
    west, south, east, north = fixed["extent"]
    assert 107.57 < west < east < 107.59
    assert 16.46 < south < north < 16.47


def test_inspect_counts_what_the_preview_could_draw(planner, tmp_path):
    """Lines and areas, placed or not: the page tells "nothing to draw" from "wrong CRS"."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    with local_lots(tmp_path / "local.dxf", ANGLE).open("rb") as handle:
        lots = client.post("/api/cad/inspect/", {"file": handle}).json()
    assert lots["drawable"] == 3
    text_only = Path(__file__).resolve().parents[2].parent / "shared/samples/dxf/gdal_text.dxf"
    with text_only.open("rb") as handle:
        texts = client.post("/api/cad/inspect/", {"file": handle, "crs": "EPSG:9214"}).json()
    assert (texts["drawable"], texts["preview"]["features"]) == (0, [])


def test_inspect_counts_a_gis_files_shapes_too(planner, tmp_path):
    """small.mif's two polygons given the wrong CRS land nowhere: "choose the coordinate
    system" on the page, not "this drawing has none"."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    samples = Path(__file__).resolve().parents[2].parent / "shared/samples/mapinfo"
    archive = tmp_path / "small.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for name in ("small.mif", "small.mid"):
            handle.write(samples / name, name)
    with archive.open("rb") as handle:
        misplaced = client.post("/api/cad/inspect/", {"file": handle, "crs": "EPSG:4326"}).json()
    assert (misplaced["drawable"], misplaced["preview"]["features"]) == (2, [])
