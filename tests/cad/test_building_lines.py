"""Building lines (chỉ giới xây dựng) as a mapping target: drawn on their own CAD layer,
they become red-line features typed "building line", which the zoning envelopes use for the
lot's setback; red lines get "red line"."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pytest
import shapely
from django.utils import translation

from importers.cad.convert import check_mapping
from importers.cad.mapping import BUILDING_LINES
from importers.gis_mapping import import_mapped_dataset
from importers.report import localized_cad_report
from importers.service import import_cad
from planning.models import Feature
from tests.cad.drawings import E0, LOT_H, LOT_W, MAPPING, N0, plan_drawing
from tests.files import shapefile_parts, write_vector, zip_dir
from threed.envelopes import build_envelopes
from threed.models import Envelope
from webmap.views_cad import kind_choices

pytestmark = pytest.mark.django_db
SETBACK = 4.0


def with_street_lines(path: Path) -> Path:
    """The generated plan with the street edge of lot A1-01 (its south side) as a red line
    and a building line SETBACK metres inside the lot, each on its own CAD layer."""
    doc = ezdxf.readfile(path)
    msp = doc.modelspace()
    for name in ("CHI_GIOI_DUONG_DO", "CHI_GIOI_XAY_DUNG"):
        doc.layers.add(name)
    msp.add_line((E0 - 5, N0), (E0 + LOT_W + 5, N0), dxfattribs={"layer": "CHI_GIOI_DUONG_DO"})
    inside = N0 + SETBACK
    msp.add_line((E0, inside), (E0 + LOT_W, inside), dxfattribs={"layer": "CHI_GIOI_XAY_DUNG"})
    doc.saveas(path)
    return path


def _import(planner, revision, path: Path, mapping: dict):
    return import_cad(
        user=planner,
        revision=revision,
        path=path,
        filename=path.name,
        mapping=mapping,
        crs="EPSG:9214",
    )


def test_building_lines_join_the_red_line_layer_typed(planner, draft_plan, tmp_path):
    path = with_street_lines(plan_drawing(tmp_path / "plan.dxf"))
    mapping = {**MAPPING, "CHI_GIOI_DUONG_DO": "redlines", "CHI_GIOI_XAY_DUNG": BUILDING_LINES}
    result = _import(planner, draft_plan, path, mapping)
    assert sorted(layer.kind for layer in result.layers) == ["landuse", "redlines"]
    assert result.report["features"]["redlines"] == 2
    lines = Feature.objects.filter(layer__revision=draft_plan, layer__kind="redlines")
    by_layer = {f.attributes["cad_layer"]: f.attributes["type"] for f in lines}
    assert by_layer == {"CHI_GIOI_DUONG_DO": "red line", "CHI_GIOI_XAY_DUNG": "building line"}
    # The envelope of A1-01 (TC 3-5) is set back from the red line to the building line.
    assert build_envelopes(draft_plan) >= 1
    envelope = Envelope.objects.get(revision=draft_plan, code="A1-01")
    assert envelope.setback == pytest.approx(SETBACK, abs=0.01)
    assert envelope.footprint.area == pytest.approx(LOT_W * (LOT_H - SETBACK), rel=0.01)


def test_building_lines_mapped_as_red_lines_stay_red_lines(planner, draft_plan, tmp_path):
    path = with_street_lines(plan_drawing(tmp_path / "plan.dxf"))
    mapping = {**MAPPING, "CHI_GIOI_DUONG_DO": "redlines", "CHI_GIOI_XAY_DUNG": "redlines"}
    _import(planner, draft_plan, path, mapping)
    lines = Feature.objects.filter(layer__revision=draft_plan, layer__kind="redlines")
    assert sorted(f.attributes["type"] for f in lines) == ["red line", "red line"]
    build_envelopes(draft_plan)
    envelope = Envelope.objects.get(revision=draft_plan, code="A1-01")
    assert envelope.setback == pytest.approx(0.0)  # no building line: nothing set back


def test_mapping_offers_building_lines_and_reports_them_by_name(planner, draft_plan, tmp_path):
    codes = [choice["code"] for choice in kind_choices()]
    assert codes[codes.index("redlines") + 1] == BUILDING_LINES
    assert check_mapping({"X": BUILDING_LINES}) == {"X": BUILDING_LINES}
    path = plan_drawing(tmp_path / "plan.dxf")  # has no building-line layer
    result = _import(planner, draft_plan, path, {**MAPPING, "CHI_GIOI_XD": BUILDING_LINES})
    with translation.override("en"):
        shown = localized_cad_report(result.report)
    assert "No entity was found for the Building lines layer." in shown["warnings"]


def test_gis_layers_take_the_same_targets(planner, draft_plan, tmp_path):
    """A shapefile of street lines split by a FIELD=VALUE rule: its CGXD lines go to the
    building-line target, the rest to red lines; a `type` the file gives is kept."""
    folder = tmp_path / "shp"
    folder.mkdir()
    lines = [shapely.LineString([(E0, N0 + y), (E0 + LOT_W, N0 + y)]) for y in (0.0, SETBACK, 10.0)]
    fields = {"loai": ["CGDD", "CGXD", "CGXD"], "type": ["", "", "chỉ giới xây dựng"]}
    shp = write_vector(folder / "streets.shp", lines, fields, driver="ESRI Shapefile")
    result = import_mapped_dataset(
        user=planner,
        revision=draft_plan,
        path=zip_dir(shapefile_parts(shp), tmp_path / "streets.zip"),
        filename="streets.zip",
        mapping={"streets": "redlines", "LOAI=CGXD": BUILDING_LINES},
        crs="EPSG:9214",
    )
    assert {layer.kind for layer in result.layers} == {"redlines"}
    assert sorted(layer.name for layer in result.layers) == [
        "streets – Building lines",
        "streets – Red lines",
    ]
    features = Feature.objects.filter(layer__revision=draft_plan, layer__kind="redlines")
    types = sorted((f.attributes["loai"], f.attributes["type"]) for f in features)
    assert types == [
        ("CGDD", "red line"),
        ("CGXD", "building line"),
        ("CGXD", "chỉ giới xây dựng"),
    ]
