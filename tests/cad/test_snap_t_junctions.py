"""Line ends on or within the snap tolerance of another line (or of their own far part) are
noded onto it exactly, whatever the floating-point noise of block and control-point
transforms: identical copies convert identically (no database)."""

from __future__ import annotations

import math
from pathlib import Path

import ezdxf
import pytest

from importers.cad.convert import CadOptions, convert
from tests.cad.test_samples import SAMPLES

E0, N0 = 561714.137, 1821449.261  # VN-2000 / TM-3 107-00 around Hue
TURN = math.radians(23.0)  # no side parallel to an axis: the feet are rounded


def _lots_and_unclosed(path: Path, tmp_path: Path, fast: bool, **options):
    mapping = options.pop("mapping", {"LO": "landuse"})
    result = convert(
        path, path.name, CadOptions(mapping=mapping, fast_reader=fast, **options), tmp_path
    )
    lots = [f for f in result.outputs["landuse"] if f.attributes.get("cad_type") != "CIRCLE"]
    return lots, result.report.unclosed, result.report.totals["unclosed"]


@pytest.mark.parametrize("fast", [True, False])
def test_every_copy_of_a_flag_block_closes_its_triangle(tmp_path, fast):
    """The flag (0,0)→(0,5)→(4,3)→(0,3) ends on its own pole; after the INSERT and a
    two-point fix (scale 10) its end lies a rounding error off the pole, on either side."""
    lots, unclosed, total = _lots_and_unclosed(
        SAMPLES / "ezdxf_multi_insert_with_attribs.dxf",
        tmp_path,
        fast,
        mapping={"FLAGS": "landuse"},
        crs="EPSG:9214",
        control_points=[[0, 0, 562150, 1821300], [10, 0, 562250, 1821300]],
    )
    assert len(lots) == 25
    assert all(lot.geom.area == pytest.approx(400.0) for lot in lots)  # (0,5),(4,3),(0,3)
    assert total == len(unclosed) == 25  # each flag's pole below the triangle, once
    assert all(entry["length"] == pytest.approx(30.0) for entry in unclosed)
    assert len({tuple(entry["location"]) for entry in unclosed}) == 25


def _place(x: float, y: float) -> tuple[float, float]:
    """Local metres turned by TURN and moved to VN-2000 coordinates."""
    cos, sin = math.cos(TURN), math.sin(TURN)
    return E0 + x * cos - y * sin, N0 + x * sin + y * cos


def _t_junctions_drawing(path: Path) -> Path:
    """Three rows of figures 20 m apart, each 12 times along the row:
    - a flag polyline ending on its own first segment;
    - a 10 x 8 m frame of LINEs with a divider stopping 1 mm short of the far side;
    - a 10 x 8 m frame whose middle line runs through, met from both sides by dividers
      whose ends coincide on it (a cross of two lines ending on a third)."""
    doc = ezdxf.new("R2000")
    doc.layers.add("LO")
    msp = doc.modelspace()

    def line(*points):
        placed = [_place(x, y) for x, y in points]
        if len(placed) == 2:
            msp.add_line(*placed, dxfattribs={"layer": "LO"})
        else:
            msp.add_lwpolyline(placed, dxfattribs={"layer": "LO"})

    for copy in range(12):
        x = 15.0 * copy + 0.37 * copy  # let each copy round differently
        line((x, 0), (x, 5), (x + 4, 3), (x, 3))
        line((x, 20), (x + 10, 20), (x + 10, 28), (x, 28), (x, 20))
        line((x + 4, 20), (x + 4, 27.999))
        line((x, 40), (x + 10, 40), (x + 10, 48), (x, 48), (x, 40))
        line((x, 44), (x + 10, 44))
        line((x + 6, 40), (x + 6, 44))
        line((x + 6, 48), (x + 6, 44))
    doc.saveas(path)
    return path


@pytest.mark.parametrize("fast", [True, False])
def test_ends_on_lines_at_vn2000_coordinates_are_noded(tmp_path, fast):
    path = _t_junctions_drawing(tmp_path / "t_junctions.dxf")
    lots, unclosed, total = _lots_and_unclosed(path, tmp_path, fast, crs="EPSG:9214")
    areas = sorted(round(lot.geom.area, 2) for lot in lots)
    expected = sorted(
        [4.0] * 12  # the flags' triangles
        + [32.0, 48.0] * 12  # the frames split 4 + 6 m by the divider 1 mm short
        + [24.0, 16.0, 24.0, 16.0] * 12  # the frames crossed at (6, 44)
    )
    assert areas == pytest.approx(expected, abs=0.01)
    assert total == len(unclosed) == 12  # the flags' poles only
    assert all(entry["length"] == pytest.approx(3.0) for entry in unclosed)
