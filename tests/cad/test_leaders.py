"""Labels drawn beside small lots with a leader into them.

A planner labels a lot too small for its text outside it, with a classic LEADER (often on
a dimension layer) that names the MTEXT, or with a MULTILEADER that holds the text itself.
The label belongs to the lot the arrow points into, on both read paths.
"""

from __future__ import annotations

from pathlib import Path

import ezdxf
from ezdxf.math import Vec2
from ezdxf.render import mleader

from importers import report as messages
from tests.cad.drawings import LOT_H, LOT_W, lot_origin, tcvn3
from tests.cad.test_fastdxf import assert_same, both, converted_alike

MAPPING = {"LOTS": "landuse", "LABELS": "landuse", "NOTES": "annotation", "*": "ignore"}
LABELS = ["A1-01\\PĐất ở mới\\PMĐXD 80%", "A1-02\\PĐất giáo dục", "A1-03\\PĐất y tế\\PTC 2-3"]


def leader_plan(path: Path) -> Path:
    """Three lots in a row: the first labelled inside, the second by an MTEXT above the
    row with a LEADER on an ignored dimension layer, the third by a MULTILEADER."""
    doc = ezdxf.new("R2010")
    doc.styles.new("VNTIME", dxfattribs={"font": ".VnTime.ttf"})
    msp = doc.modelspace()
    for index in range(3):
        x, y = lot_origin(index)
        corners = [(x, y), (x + LOT_W, y), (x + LOT_W, y + LOT_H), (x, y + LOT_H)]
        msp.add_lwpolyline(corners, close=True, dxfattribs={"layer": "LOTS"})
    attribs = {"layer": "LABELS", "style": "VNTIME", "char_height": 1.5}
    x, y = lot_origin(0)
    msp.add_mtext(tcvn3(LABELS[0]), dxfattribs={**attribs, "insert": (x + 3, y + LOT_H - 3)})
    x, y = lot_origin(1)
    above = (x + 5, y + LOT_H + 12)
    note = msp.add_mtext(tcvn3(LABELS[1]), dxfattribs={**attribs, "insert": above})
    leader = msp.add_leader([(x + 10, y + 8), (x + 5, y + LOT_H + 10)], dxfattribs={"layer": "DIM"})
    leader.dxf.annotation_handle = note.dxf.handle
    x, y = lot_origin(2)
    builder = msp.add_multileader_mtext("Standard", dxfattribs={"layer": "LABELS"})
    builder.set_content(tcvn3(LABELS[2]), char_height=1.5, style="VNTIME")
    builder.add_leader_line(mleader.ConnectionSide.left, [Vec2(x + 12, y + 6)])
    builder.build(insert=Vec2(x + 20, y + LOT_H + 15))
    msp.add_mtext("Ghi chú", dxfattribs={"layer": "NOTES", "insert": (x, y - 10)})
    doc.saveas(path)
    return path


def test_leaders_give_their_labels_to_the_lots_they_point_into(tmp_path):
    fast = converted_alike(leader_plan(tmp_path / "leaders.dxf"), MAPPING, tmp_path)
    lots = sorted(fast.outputs["landuse"], key=lambda lot: lot.geom.bounds[0])
    assert [lot.attributes.get("code") for lot in lots] == ["A1-01", "A1-02", "A1-03"]
    assert [lot.attributes.get("label_text") for lot in lots] == [
        "Đất ở mới",
        "Đất giáo dục",
        "Đất y tế",
    ]
    assert lots[0].attributes["density"] == 80.0
    assert lots[2].attributes["storeys_max"] == 3
    problems = [issue["problem"] for issue in fast.report.label_issues]
    assert len(problems) == 3  # no function catalogue here: "no land-use function", per lot
    assert not [problem for problem in problems if "outside" in problem]
    assert not [s for s in fast.report.skipped if s["type"] in ("LEADER", "MULTILEADER")]
    assert messages.LEADERS_PLACED(count=2) in fast.report.notes  # the LEADER and MULTILEADER


def test_a_leader_label_stays_where_it_is_written_on_an_annotation_layer(tmp_path):
    """As annotation, the MULTILEADER's text is a point where the text stands."""
    path = leader_plan(tmp_path / "leaders.dxf")
    fast, slow = both(path, {"LABELS": "annotation", "*": "ignore"}, tmp_path)
    assert_same(fast, slow)
    texts = {f.attributes["text"]: f.geom for f in fast.outputs["annotation"]}
    _, y = lot_origin(2)
    multileader = texts["A1-03\nĐất y tế\nTC 2-3"]
    assert multileader.y > y + LOT_H  # above the lots, not at the arrow


def edge_plan(path: Path) -> Path:
    """Two lots side by side. A's label sits in A with a leader out to a tree beyond the
    lots; B's label sits above the lots, its arrow snapped onto the edge B shares with A
    while pointing into B."""
    doc = ezdxf.new("R2000")
    msp = doc.modelspace()
    for index in range(2):
        x, y = lot_origin(index)
        corners = [(x, y), (x + LOT_W, y), (x + LOT_W, y + LOT_H), (x, y + LOT_H)]
        msp.add_lwpolyline(corners, close=True, dxfattribs={"layer": "LOTS"})
    x, y = lot_origin(0)
    inside = msp.add_mtext("A1-01\\PMĐXD 70%", dxfattribs={"layer": "LABELS"})
    inside.dxf.insert = (x + 3, y + LOT_H - 3)
    tree = msp.add_leader([(x - 15, y + 5), (x + 3, y + LOT_H - 5)], dxfattribs={"layer": "DIM"})
    tree.dxf.annotation_handle = inside.dxf.handle
    edge_x = lot_origin(1)[0]  # the line A and B share
    above = msp.add_mtext("A1-02\\PMĐXD 40%", dxfattribs={"layer": "LABELS"})
    above.dxf.insert = (edge_x - 8, y + LOT_H + 12)  # up and left: the arrow heads right
    arrow = msp.add_leader([(edge_x, y + 10), (edge_x - 8, y + LOT_H + 10)])
    arrow.dxf.annotation_handle = above.dxf.handle
    doc.saveas(path)
    return path


def test_an_arrow_on_a_shared_edge_and_a_leader_out_of_a_lot(tmp_path):
    fast = converted_alike(edge_plan(tmp_path / "edge.dxf"), MAPPING, tmp_path)
    lots = sorted(fast.outputs["landuse"], key=lambda lot: lot.geom.bounds[0])
    assert [lot.attributes.get("code") for lot in lots] == ["A1-01", "A1-02"]
    assert [lot.attributes.get("density") for lot in lots] == [70.0, 40.0]
    assert messages.LEADERS_PLACED(count=1) in fast.report.notes  # not the one to the tree
    assert not [i for i in fast.report.label_issues if "outside" in i["problem"]]


def balloon_plan(path: Path) -> Path:
    """A lot labelled by a balloon: a MULTILEADER whose content is a block with attributes
    (the lot code and the density), placed outside the lot."""
    doc = ezdxf.new("R2010")
    balloon = doc.blocks.new("KY_HIEU_LO")
    balloon.add_circle((0, 0), 3)
    balloon.add_attdef("MA_LO", (-2, 0.5), dxfattribs={"height": 1})
    balloon.add_attdef("MDXD", (-2, -1.5), dxfattribs={"height": 1})
    balloon.add_attdef("CU", (-2, -3), dxfattribs={"height": 1, "flags": 1})  # invisible
    msp = doc.modelspace()
    x, y = lot_origin(0)
    corners = [(x, y), (x + LOT_W, y), (x + LOT_W, y + LOT_H), (x, y + LOT_H)]
    msp.add_lwpolyline(corners, close=True, dxfattribs={"layer": "LOTS"})
    builder = msp.add_multileader_block("Standard", dxfattribs={"layer": "LABELS"})
    builder.set_content("KY_HIEU_LO")
    builder.set_attribute("MA_LO", "A1-09")
    builder.set_attribute("MDXD", "MĐXD 45%")
    builder.set_attribute("CU", "A1-77")  # an old code, hidden: not read
    builder.add_leader_line(mleader.ConnectionSide.left, [Vec2(x + 10, y + 10)])
    builder.build(insert=Vec2(x + LOT_W + 10, y + LOT_H + 10))
    doc.saveas(path)
    return path


def test_a_balloon_gives_its_attributes_to_the_lot_it_points_into(tmp_path):
    fast = converted_alike(balloon_plan(tmp_path / "balloon.dxf"), MAPPING, tmp_path)
    (lot,) = fast.outputs["landuse"]
    assert (lot.attributes["code"], lot.attributes["density"]) == ("A1-09", 45.0)
    (issue,) = fast.report.label_issues  # no catalogue here; the hidden A1-77 is not read
    assert issue["texts"] == ["A1-09", "MĐXD 45%"]
    assert fast.report.skipped == []


def test_a_long_leader_into_a_narrow_strip_labels_the_strip(tmp_path):
    """The arrow's tip decides: a 200 m leader whose tip lies in a 3 m green strip labels
    the strip, not the lot just past the tip."""
    doc = ezdxf.new("R2000")
    msp = doc.modelspace()
    x, y = lot_origin(0)
    for left, width in ((x, LOT_W), (x + LOT_W, 3.0), (x + LOT_W + 3.0, LOT_W)):
        corners = [(left, y), (left + width, y), (left + width, y + LOT_H), (left, y + LOT_H)]
        msp.add_lwpolyline(corners, close=True, dxfattribs={"layer": "LOTS"})
    note = msp.add_mtext("CX-01\\PMĐXD 5%", dxfattribs={"layer": "LABELS"})
    note.dxf.insert = (x - 170, y + 12)
    tip = (x + LOT_W + 1.5, y + 10)
    leader = msp.add_leader([tip, (x - 170, y + 10)], dxfattribs={"layer": "DIM"})
    leader.dxf.annotation_handle = note.dxf.handle
    path = tmp_path / "strip.dxf"
    doc.saveas(path)
    fast = converted_alike(path, MAPPING, tmp_path)
    lots = sorted(fast.outputs["landuse"], key=lambda lot: lot.geom.bounds[0])
    assert [lot.attributes.get("code") for lot in lots] == [None, "CX-01", None]
