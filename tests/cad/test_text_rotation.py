"""Annotation texts keep their direction: a road name along a diagonal street, a lot code
along a narrow lot is drawn turned on the map as in the drawing (tiles.styles).

`rotation` is in degrees counter-clockwise from the drawing's x axis (WCS), in
(-180, 180] to 0.1°, and only on a text that is not level. Both read paths (the fast
reader and ezdxf's Walker) must give it alike.
"""

from __future__ import annotations

from pathlib import Path

import ezdxf
import numpy as np
import pytest

from importers.cad import fastdxf
from importers.cad.convert import CadOptions, convert
from importers.cad.crs import _affine
from importers.cad.limits import CadLimits
from importers.control_points import similarity_transform, turn_of
from tests.cad.drawings import E0, N0
from tests.cad.test_fastdxf import assert_same, converted_alike

NOTES = {"NOTES": "annotation", "*": "ignore"}


def _rotations(conversion) -> dict[str, float | None]:
    return {
        f.attributes["text"]: f.attributes.get("rotation") for f in conversion.outputs["annotation"]
    }


def model_space_texts(path: Path, x: float = E0, y: float = N0) -> Path:
    """Texts the fast reader reads itself (upright): TEXT and MTEXT turned either way."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    notes = {"layer": "NOTES"}
    msp.add_text("T30", dxfattribs={**notes, "insert": (x, y), "rotation": 30})
    msp.add_text("T390", dxfattribs={**notes, "insert": (x, y + 5), "rotation": 390})
    msp.add_text("T-200", dxfattribs={**notes, "insert": (x, y + 10), "rotation": -200})
    msp.add_text("LEVEL", dxfattribs={**notes, "insert": (x, y + 15)})
    msp.add_mtext("M40", dxfattribs={**notes, "insert": (x, y + 20), "rotation": 40})
    up = msp.add_mtext("MUP", dxfattribs={**notes, "insert": (x, y + 25)})
    up.dxf.text_direction = (0, 1, 0)  # straight up: 90°
    both = msp.add_mtext("MDIR", dxfattribs={**notes, "insert": (x, y + 30), "rotation": 10})
    both.dxf.text_direction = (-1, -1, 0)  # the direction wins over the rotation: -135°
    doc.saveas(path)
    return path


def test_texts_keep_their_direction_on_both_read_paths(tmp_path):
    path = model_space_texts(tmp_path / "turned.dxf")
    fast = fastdxf.read(path, 0.01, lambda layer: True, CadLimits())
    assert fast is not None
    assert fast.counts["NOTES"] == {"TEXT": 4, "MTEXT": 3}  # all read by the fast reader
    conversion = converted_alike(path, NOTES, tmp_path)  # ... as the Walker reads them
    assert _rotations(conversion) == {
        "T30": 30.0,
        "T390": 30.0,
        "T-200": 160.0,
        "LEVEL": None,  # level: no attribute
        "M40": 40.0,
        "MUP": 90.0,
        "MDIR": -135.0,
    }


def blocks_and_extrusions(path: Path, x: float = E0, y: float = N0) -> Path:
    """Texts ezdxf places: inside rotated and mirrored block references, attribute values,
    and texts drawn from below (extrusion (0, 0, -1): the OCS x axis is WCS -x)."""
    doc = ezdxf.new("R2010")
    block = doc.blocks.new("LOT_TAG")
    block.add_text("INNER", dxfattribs={"insert": (1, 0), "rotation": 30})
    block.add_attdef("CODE", (0, 0), dxfattribs={"rotation": 10})
    msp = doc.modelspace()
    turned = msp.add_blockref("LOT_TAG", (x, y), dxfattribs={"layer": "NOTES", "rotation": 45})
    turned.add_auto_attribs({"CODE": "A-TURNED"})
    mirrored = msp.add_blockref("LOT_TAG", (x, y + 10), dxfattribs={"layer": "NOTES"})
    mirrored.dxf.xscale = -1
    mirrored.add_auto_attribs({"CODE": "A-MIRRORED"})
    below = {"layer": "NOTES", "extrusion": (0, 0, -1), "rotation": 30}
    msp.add_text("T-BELOW", dxfattribs={**below, "insert": (-x, y + 20)})
    msp.add_mtext("M-BELOW", dxfattribs={**below, "insert": (x, y + 25)})
    doc.saveas(path)
    return path


def test_texts_in_blocks_and_drawn_from_below_turn_as_placed(tmp_path):
    path = blocks_and_extrusions(tmp_path / "blocks.dxf")
    conversion = converted_alike(path, NOTES, tmp_path)
    features = conversion.outputs["annotation"]
    seen = sorted((f.attributes["text"], f.attributes.get("rotation")) for f in features)
    assert seen == [
        ("A-MIRRORED", 170.0),  # the attribute's 10° mirrored across the y axis
        ("A-TURNED", 55.0),  # 10° + the block's 45°
        ("INNER", 75.0),  # 30° + 45°
        ("INNER", 150.0),  # 30° mirrored
        ("M-BELOW", 150.0),  # MTEXT's rotation in its OCS, as ezdxf's text direction
        ("T-BELOW", 150.0),
    ]
    below = next(f for f in features if f.attributes["text"] == "T-BELOW")
    assert below.geom.x == pytest.approx(E0)  # OCS x -E0 is WCS x E0


def test_a_drawing_turned_into_its_crs_turns_its_texts(tmp_path):
    """The two-point fix for local coordinates turns the texts with the drawing."""
    path = model_space_texts(tmp_path / "local.dxf", 0.0, 0.0)
    turn_left = [[0.0, 0.0, E0, N0], [90.0, 0.0, E0, N0 + 90.0]]  # x axis -> north: 90°
    fast, slow = (
        convert(
            path,
            path.name,
            CadOptions(NOTES, crs="EPSG:9214", control_points=turn_left, fast_reader=reader),
            tmp_path,
        )
        for reader in (True, False)
    )
    assert_same(fast, slow)
    assert fast.report.transform["rotation_deg"] == pytest.approx(90.0)
    assert _rotations(fast) == {
        "T30": 120.0,
        "T390": 120.0,
        "T-200": -110.0,
        "LEVEL": 90.0,  # level in the drawing, north-up on the map
        "M40": 130.0,
        "MUP": 180.0,
        "MDIR": -45.0,
    }


def test_the_turn_of_a_move():
    move, info = similarity_transform([[0.0, 0.0, E0, N0], [10.0, 10.0, E0, N0 + 10.0]])
    assert turn_of(move) == pytest.approx(info["rotation_deg"]) == pytest.approx(45.0)
    turned = np.array(  # GEODATA's matrix: 30° and a shift (rows: x axis, y axis, ..., origin)
        [[0.866025, 0.5, 0, 0], [-0.5, 0.866025, 0, 0], [0, 0, 1, 0], [E0, N0, 0, 1]]
    )
    assert turn_of(_affine(turned.ravel().tolist())) == pytest.approx(30.0, abs=1e-4)
