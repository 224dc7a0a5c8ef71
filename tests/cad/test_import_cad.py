"""A generated Vietnamese plan drawing through import_cad, manage.py and the API into
PostGIS; bad input ends in a clear error with nothing written."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from importers.service import import_cad, import_upload
from planning.errors import InvalidInput, PlanningError, UnsupportedFormat
from planning.models import Feature, Layer, Revision
from tests.cad.drawings import E0, MAPPING, N0, plan_drawing

pytestmark = pytest.mark.django_db
EXPECTED = {
    "A1-01": ("DO", 80.0, 3.0, 3, 5),
    "A1-02": ("CX", 5.0, 0.05, 1, 1),
    "A1-03": ("HH", 60.0, 4.5, 5, 9),
    "A1-04": ("GD", 40.0, 1.2, 2, 3),
    "A1-05": ("DO", 75.0, 2.25, 3, 3),
}


def run(planner, revision, path: Path, mapping=MAPPING, **kwargs):
    return import_cad(
        user=planner, revision=revision, path=path, filename=path.name, mapping=mapping, **kwargs
    )


def test_plan_drawing_round_trips_to_labelled_lots(planner, draft_plan, tmp_path):
    result = run(planner, draft_plan, plan_drawing(tmp_path / "plan.dxf"), crs="EPSG:9214")
    report = result.report
    assert [layer.kind for layer in result.layers] == ["landuse"]
    lots = Feature.objects.filter(layer=result.layers[0])
    assert lots.count() == report["features"]["landuse"] == 6
    by_code = {lot.attributes.get("code"): lot for lot in lots}
    for code, (function, density, far, low, high) in EXPECTED.items():
        attrs = by_code[code].attributes
        assert (attrs["function"], attrs["density"], attrs["far"]) == (function, density, far)
        assert (attrs["storeys_min"], attrs["storeys_max"]) == (low, high)
        assert by_code[code].category == function
        assert by_code[code].geom.area == pytest.approx(600, abs=1)
        assert by_code[code].geom.valid
    assert by_code["A1-01"].attributes["function_label"] == "Đất ở mới"  # NFC from TCVN3
    assert None in by_code  # the lot without a label is loaded and reported
    assert [i["problem"] for i in report["label_issues"]] == ["no label inside the lot"]
    assert len(report["unclosed"]) == 1  # the lot that stops 2 m short
    x, y = report["unclosed"][0]["location"]
    assert E0 + 120 <= x <= E0 + 140
    assert N0 <= y <= N0 + 20
    assert report["text_encoding"] == "tcvn3"
    assert report["warnings"] == []  # coordinates fit EPSG:9214
    assert any("KHUNG_TEN" in note for note in report["notes"])
    assert not Feature.objects.filter(layer=result.layers[0], attributes__cad_layer="KHUNG_TEN")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM planning_feature WHERE layer_id = %s AND ST_SRID(geom) = 9214",
            [result.layers[0].pk],
        )
        assert cursor.fetchone()[0] == 6


def test_layers_are_named_in_the_sites_language_whoever_imports(planner, draft_plan, tmp_path):
    """A layer's name is stored data every reader of the plan sees: an English-speaking
    importer does not give a Vietnamese plan English layer names."""
    from django.utils import translation

    with translation.override("en"):
        result = run(planner, draft_plan, plan_drawing(tmp_path / "plan.dxf"), crs="EPSG:9214")
    assert [layer.name for layer in result.layers] == ["plan – Lô đất và khu chức năng sử dụng đất"]


def test_one_layer_per_kind_in_one_import(planner, draft_plan, tmp_path):
    mapping = {**MAPPING, "QH_KYHIEU_LO": "annotation", "KHUNG_TEN": "redlines"}
    result = run(planner, draft_plan, plan_drawing(tmp_path / "plan.dxf"), mapping=mapping)
    counts = {layer.kind: layer.feature_count for layer in result.layers}
    assert counts == {"annotation": 5, "landuse": 6, "redlines": 1}
    texts = Feature.objects.filter(layer__kind="annotation", layer__revision=draft_plan)
    assert "MĐXD 80%" in {t.attributes["text"].split("\n")[2] for t in texts}


def test_forced_vni_encoding_on_a_tcvn3_drawing_is_warned_of(planner, draft_plan, tmp_path):
    # TCVN3 bytes read as VNI are garbled ("§Êt ë"): the report says so, and which fits
    with translation.override("en"):
        result = run(planner, draft_plan, plan_drawing(tmp_path / "plan.dxf"), text_encoding="vni")
    assert any("while read as TCVN3 it is" in w for w in result.report["warnings"])


def test_import_upload_takes_a_dxf_into_one_kind(planner, draft_plan, tmp_path):
    path = plan_drawing(tmp_path / "plan.dxf")
    result = import_upload(
        user=planner, revision=draft_plan, path=path, filename=path.name, kind="roads", name="x"
    )
    assert result.layer.kind == "roads"
    assert result.layer.feature_count > 20


def test_management_command_creates_a_draft_and_prints_json(planner, draft_plan, tmp_path):
    path = plan_drawing(tmp_path / "plan.dxf")
    out = io.StringIO()
    call_command(
        "import_cad",
        str(path),
        "--project",
        draft_plan.project.code,
        "--mapping",
        json.dumps(MAPPING),
        "--crs",
        "9214",
        "--json",
        stdout=out,
    )
    report = json.loads(out.getvalue())
    revision = Revision.objects.get(pk=report["revision"])
    assert revision.state == "draft"
    assert revision.number == 2
    assert revision.layers.get().feature_count == 6
    assert report["features"] == {"landuse": 6}


def test_management_command_failure_leaves_no_revision(planner, draft_plan, tmp_path):
    bad = tmp_path / "bad.dxf"
    bad.write_bytes(os.urandom(4096))
    before = Revision.objects.count()
    with pytest.raises(CommandError, match="DXF"):
        call_command("import_cad", str(bad), "--project", draft_plan.project.code)
    assert Revision.objects.count() == before


def test_api_inspect_and_convert(planner, draft_plan, tmp_path):
    client = APIClient()
    client.force_authenticate(planner)
    path = plan_drawing(tmp_path / "plan.dxf")
    with path.open("rb") as handle:
        response = client.post("/api/cad/inspect/", {"file": handle}, format="multipart")
    assert response.status_code == 200
    layers = {layer["name"]: layer for layer in response.json()["layers"]}
    assert layers["QH_RANHGIOI_LO"]["entities"] == {"LINE": 27}
    assert layers["QH_HATCH"]["entities"] == {"HATCH": 6}
    assert Layer.objects.filter(revision=draft_plan).count() == 1  # inspect writes nothing
    with path.open("rb") as handle:
        response = client.post(
            f"/api/revisions/{draft_plan.pk}/cad/",
            {"file": handle, "mapping": json.dumps(MAPPING), "crs": "EPSG:9214"},
            format="multipart",
        )
    assert response.status_code == 201, response.content
    assert response.json()["report"]["features"] == {"landuse": 6}


def test_api_refuses_outsiders(outsider, draft_plan, tmp_path):
    client = APIClient()
    client.force_authenticate(outsider)
    with plan_drawing(tmp_path / "plan.dxf").open("rb") as handle:
        response = client.post(
            f"/api/revisions/{draft_plan.pk}/cad/",
            {"file": handle, "mapping": json.dumps(MAPPING)},
            format="multipart",
        )
    assert response.status_code == 404
    anonymous = APIClient().post("/api/cad/inspect/", {}, format="multipart")
    assert anonymous.status_code in (401, 403)


def _nothing_written(revision, call):
    layers, features = Layer.objects.count(), Feature.objects.count()
    with pytest.raises(PlanningError) as caught:
        call()
    assert (Layer.objects.count(), Feature.objects.count()) == (layers, features)
    return caught.value


def test_truncated_file(planner, draft_plan, tmp_path):
    data = plan_drawing(tmp_path / "plan.dxf").read_bytes()
    cut = tmp_path / "cut.dxf"
    cut.write_bytes(data[: len(data) * 2 // 3])
    error = _nothing_written(draft_plan, lambda: run(planner, draft_plan, cut))
    assert isinstance(error, InvalidInput)
    assert "truncated" in error.message


def test_binary_garbage_named_dxf(planner, draft_plan, tmp_path):
    junk = tmp_path / "junk.dxf"
    junk.write_bytes(os.urandom(20000))
    error = _nothing_written(draft_plan, lambda: run(planner, draft_plan, junk))
    assert "DXF" in error.message


def test_random_bytes_dwg(planner, draft_plan, tmp_path):
    junk = tmp_path / "plan.dwg"
    junk.write_bytes(os.urandom(20000))
    error = _nothing_written(draft_plan, lambda: run(planner, draft_plan, junk))
    assert "not a DWG" in error.message


def test_real_looking_dwg_without_converter_says_how_to_get_dxf(planner, draft_plan, tmp_path):
    dwg = tmp_path / "plan.dwg"
    dwg.write_bytes(b"AC1032" + os.urandom(2000))
    error = _nothing_written(draft_plan, lambda: run(planner, draft_plan, dwg))
    assert isinstance(error, UnsupportedFormat | InvalidInput)
    assert "DXF" in error.message


def _huge_polyline(path: Path, vertices: int) -> Path:
    """An LWPOLYLINE of `vertices` vertices, streamed to disk (never held in memory)."""
    with path.open("w") as out:
        out.write(f"0\nSECTION\n2\nENTITIES\n0\nLWPOLYLINE\n8\nLOTS\n90\n{vertices}\n70\n0\n")
        chunk = "".join(f"10\n{561714 + i * 0.001:.3f}\n20\n1821449.0\n" for i in range(100_000))
        for _ in range(vertices // 100_000):
            out.write(chunk)
        out.write("0\nENDSEC\n0\nEOF\n")
    return path


def test_ten_million_vertex_polyline_is_refused_in_bounded_time(planner, draft_plan, tmp_path):
    path = _huge_polyline(tmp_path / "huge.dxf", 10_000_000)
    error = _nothing_written(draft_plan, lambda: run(planner, draft_plan, path))
    assert "larger than 200 MB" in error.message  # refused before any parsing
    path.unlink()
    path = _huge_polyline(tmp_path / "big.dxf", 1_100_000)  # under the size limit
    error = _nothing_written(draft_plan, lambda: run(planner, draft_plan, path))
    assert "more than 1000000 vertices" in error.message  # the streaming pre-scan


def test_huge_minsert_and_giant_mtext_are_refused(planner, draft_plan, tmp_path):
    import ezdxf

    doc = ezdxf.new("R2000")
    block = doc.blocks.new("TREE")
    block.add_circle((0, 0), 1)
    doc.modelspace().add_blockref("TREE", (0, 0)).grid(size=(1000, 1000), spacing=(2, 2))
    doc.saveas(tmp_path / "array.dxf")
    error = _nothing_written(draft_plan, lambda: run(planner, draft_plan, tmp_path / "array.dxf"))
    assert "MINSERT" in error.message
    doc = ezdxf.new("R2000")
    doc.modelspace().add_mtext("x" * 300_000)
    doc.saveas(tmp_path / "text.dxf")
    error = _nothing_written(draft_plan, lambda: run(planner, draft_plan, tmp_path / "text.dxf"))
    assert "characters of text" in error.message


def test_unknown_kind_in_mapping_is_refused_before_reading(planner, draft_plan, tmp_path):
    path = plan_drawing(tmp_path / "plan.dxf")
    error = _nothing_written(
        draft_plan, lambda: run(planner, draft_plan, path, mapping={"QH_RANHGIOI_LO": "lots"})
    )
    assert "Unknown planning layer kind" in error.message
