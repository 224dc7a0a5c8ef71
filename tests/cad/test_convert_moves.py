"""The drawing → map moves (two-point fix, GEODATA): 3D faces keep their heights, and every
report entry's location is moved exactly once (QA4 findings 2 and 3)."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pytest

from importers.service import import_cad
from planning.models import Feature
from tests.cad.drawings import E0, N0

pytestmark = pytest.mark.django_db

# The drawing's (0, 0) → (E0, N0) and (120, 0) → (E0 + 120, N0): a pure shift.
SHIFT = [[0.0, 0.0, E0, N0], [120.0, 0.0, E0 + 120.0, N0]]


def faces_drawing(path: Path) -> Path:
    """Two 3DFACEs at heights 5 to 7 m and 12 m, in local coordinates."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    msp.add_3dface([(0, 0, 5), (10, 0, 5), (10, 10, 7)], dxfattribs={"layer": "NHA"})
    msp.add_3dface([(20, 0, 12), (30, 0, 12), (30, 10, 12), (20, 10, 12)], {"layer": "NHA"})
    doc.saveas(path)
    return path


def test_faces_keep_their_heights_through_the_two_point_fix(planner, draft_plan, tmp_path):
    result = import_cad(
        user=planner,
        revision=draft_plan,
        path=faces_drawing(tmp_path / "faces.dxf"),
        filename="faces.dxf",
        mapping={"NHA": "buildings"},
        crs="EPSG:9214",
        control_points=SHIFT,
    )
    features = Feature.objects.filter(layer=result.layers[0]).order_by("id")
    assert features.count() == 2
    heights = [sorted({c[2] for c in f.geom_3d.coords[0][0]}) for f in features]
    assert sorted(heights) == [[5.0, 7.0], [12.0]]
    xs = sorted(round(f.geom_3d.extent[0], 3) for f in features)
    assert xs == [E0, E0 + 20]  # moved in x and y by the fix


def report_drawing(path: Path) -> Path:
    """A lot without a label, a POINT on the lot layer (the build skips it), a LEADER (the
    reader skips it) and a loose line that closes nothing, all in local coordinates."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    lot = [(0, 0), (30, 0), (30, 20), (0, 20)]
    msp.add_lwpolyline(lot, close=True, dxfattribs={"layer": "LO"})
    msp.add_point((10, 10), dxfattribs={"layer": "LO"})
    msp.add_leader([(40, 0), (44, 4)], dxfattribs={"layer": "LO"})
    msp.add_line((60, 0), (70, 0), dxfattribs={"layer": "LO"})
    doc.saveas(path)
    return path


def test_every_report_location_is_moved_once(planner, draft_plan, tmp_path):
    result = import_cad(
        user=planner,
        revision=draft_plan,
        path=report_drawing(tmp_path / "local.dxf"),
        filename="local.dxf",
        mapping={"LO": "landuse"},
        crs="EPSG:9214",
        control_points=SHIFT,
    )
    report = result.report
    skipped = {entry["type"]: entry["location"] for entry in report["skipped"]}
    assert list(skipped["POINT"]) == pytest.approx([E0 + 10, N0 + 10], abs=0.01)
    assert list(skipped["LEADER"]) == pytest.approx([E0 + 42, N0 + 2], abs=0.01)
    (unclosed,) = report["unclosed"]
    assert list(unclosed["location"]) == pytest.approx([E0 + 65, N0], abs=0.01)
    (unlabelled,) = report["label_issues"]
    assert unlabelled["location"][0] == pytest.approx(E0 + 15, abs=10)
    for entry in (*report["skipped"], *report["unclosed"], *report["label_issues"]):
        lon, lat = entry["lonlat"]
        assert 107 < lon < 108.5  # Huế, not China
        assert 16 < lat < 17
