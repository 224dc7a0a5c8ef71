"""The benchmark's generated plan drawing, small: every lot comes out once (closed polylines,
loose lines with gaps, hatches merged into the lots they fill), fully labelled from TCVN3
labels with one or several facts per line; the benchmark measures a correct conversion."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from importers.service import import_cad
from planning.models import Feature

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_cad_import", ROOT / "bench" / "cad_import.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db
def test_generated_plan_converts_to_fully_labelled_lots(planner, draft_plan, tmp_path):
    bench = _bench()
    path = tmp_path / "plan.dxf"
    entities = bench.make_drawing(path, 300)
    assert entities >= 300
    result = import_cad(
        user=planner,
        revision=draft_plan,
        path=path,
        filename=path.name,
        mapping=bench.MAPPING,
        crs="EPSG:9214",
    )
    report = result.report
    blocks = -(-300 // 37)  # blocks of 8 lots, 30 or 44 entities each (37 on average)
    (landuse,) = [layer for layer in result.layers if layer.kind == "landuse"]
    lots = Feature.objects.filter(layer=landuse)
    assert lots.count() == report["features"]["landuse"]
    assert lots.count() % 8 == 0
    assert lots.count() >= 8 * (blocks - 1)
    assert report["unclosed"] == []
    assert report["label_issues"] == []
    assert any("hatches fill lots" in note for note in report["notes"])
    for lot in lots:
        attrs = lot.attributes
        assert attrs["code"][:2] in {"OD", "HH", "CX", "GD", "YT", "CC"}
        assert attrs["function"] == lot.category
        assert 40 <= attrs["density"] <= 84
        assert attrs["storeys_max"] == attrs["storeys_min"] + 3
        assert lot.geom.area == pytest.approx(600, abs=1)
    with_area = [lot for lot in lots if "area" in lot.attributes]
    assert with_area
    assert all(lot.attributes["area"] == 600.0 for lot in with_area)  # "S=600,0 m2"
