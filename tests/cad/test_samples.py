"""Every public sample DXF through the reader and the converter (no database)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import ezdxf
import pytest
import shapely
from django.utils import translation

from importers import report as messages
from importers.cad import leaders
from importers.cad.convert import CadOptions, convert
from importers.cad.geometry import Walker
from importers.cad.limits import CadLimits
from importers.cad.reader import list_layers, open_drawing
from planning.errors import InvalidInput

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "dxf"
ALL = sorted(p.name for p in SAMPLES.iterdir())


def items(name: str, tmp_path: Path):
    drawing = open_drawing(SAMPLES / name, name, tmp_path, CadLimits())
    walker = Walker(0.01, 16, lambda layer: True)
    found, unlinked = leaders.link(list(walker.items(drawing.doc.modelspace())), lambda layer: True)
    return drawing, found, walker.skipped + unlinked


def kinds(found) -> Counter:
    return Counter((i.dxftype, i.geom.geom_type) for i in found)


# name -> (expected (type, geometry) counts, expected skipped count)
EXPECTED = {
    "ezdxf_ASCII_R12.dxf": ({("LINE", "LineString"): 2, ("TEXT", "Point"): 1}, 0),
    "ezdxf_POLI-ALL210_12.DXF": (
        {
            ("POLYLINE", "LineString"): 18,
            ("POLYLINE", "Polygon"): 12,
            ("3DFACE", "MultiPolygon"): 1,
        },
        0,
    ),
    "ezdxf_hatches_2.dxf": (
        {
            ("LWPOLYLINE", "LineString"): 3,
            ("LWPOLYLINE", "Polygon"): 1,
            ("ARC", "LineString"): 1,
            ("ELLIPSE", "LineString"): 1,
            ("SPLINE", "LineString"): 1,
            ("HATCH", "Polygon"): 2,
            ("MTEXT", "Point"): 2,
        },
        0,
    ),
    "ezdxf_houses_of_parliament_georeferenced.dxf": ({("LWPOLYLINE", "LineString"): 1}, 0),
    "ezdxf_multi_insert_with_attribs.dxf": (
        {("ATTRIB", "Point"): 3, ("POLYLINE", "LineString"): 25, ("CIRCLE", "Polygon"): 25},
        0,
    ),
    "ezdxf_recover01.dxf": ({("LINE", "LineString"): 1441, ("TEXT", "Point"): 63}, 0),
    "ezdxf_small_r13.dxf": ({("POLYLINE", "LineString"): 13, ("POLYLINE", "Polygon"): 3}, 0),
    "gdal_3dface.dxf": ({("3DFACE", "MultiPolygon"): 2}, 0),
    "gdal_attrib.dxf": ({("ATTRIB", "Point"): 3, ("CIRCLE", "Polygon"): 2}, 0),
    "gdal_circle.dxf": ({("CIRCLE", "Polygon"): 1, ("ARC", "LineString"): 1}, 0),
    "gdal_closed_polyline_with_bulge.dxf": ({("LWPOLYLINE", "Polygon"): 1}, 0),
    "gdal_frozen-off.dxf": (
        {("LINE", "LineString"): 84, ("CIRCLE", "Polygon"): 4, ("POLYLINE", "Polygon"): 16},
        0,
    ),
    "gdal_hatch.dxf": ({("HATCH", "Polygon"): 3}, 0),
    "gdal_hatch_as_multipolygon.dxf": ({("HATCH", "MultiPolygon"): 1}, 0),
    # 5 MULTILEADERs with text and one balloon with a value; 2 balloons without values, one
    # MULTILEADER with nothing, 4 LEADERs leading from no text and one from a missing MTEXT
    # are not converted
    "gdal_leader-mleader.dxf": ({("MTEXT", "Point"): 2, ("MULTILEADER", "Point"): 6}, 8),
    "gdal_lwpolyline_smooth.dxf": ({("LWPOLYLINE", "Polygon"): 1}, 0),
    "gdal_polyline_smooth.dxf": ({("POLYLINE", "Polygon"): 1}, 0),
    "gdal_spline_closed.dxf": ({("SPLINE", "Polygon"): 1}, 0),
    "gdal_text.dxf": ({("MTEXT", "Point"): 1}, 0),
    "gdal_utf-8.dxf": ({("POINT", "Point"): 1}, 0),
}


INVALID = {"ezdxf_POLI-ALL210_12.DXF": 1}


def test_every_sample_is_covered():
    assert set(ALL) == {*EXPECTED, "gdal_insert-recursive-pair.dxf", "gdal_block-insert-order.dxf"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_yields_expected_geometries(name, tmp_path):
    _, found, skipped = items(name, tmp_path)
    expected, skipped_count = EXPECTED[name]
    assert dict(kinds(found)) == expected
    assert len(skipped) == skipped_count
    invalid = [i for i in found if i.closed and not shapely.is_valid(i.geom)]
    # ezdxf's polyline test drawing holds deliberately self-crossing shapes
    assert len(invalid) == INVALID.get(name, 0)


def test_recursive_blocks_end_in_a_clear_error(tmp_path):
    with pytest.raises(InvalidInput, match="Blocks insert each other"):
        open_drawing(SAMPLES / "gdal_insert-recursive-pair.dxf", "x.dxf", tmp_path, CadLimits())


def test_nested_blocks_with_nonuniform_scale_keep_every_entity(tmp_path):
    """The duplicate handle made ezdxf drop an INSERT; the repair gives it a new one."""
    drawing, found, _ = items("gdal_block-insert-order.dxf", tmp_path)
    assert "2 duplicate entity handles renumbered" in drawing.notes
    assert len(found) == 4
    assert kinds(found)[("ELLIPSE", "Polygon")] == 3  # circles under non-uniform scale


def test_bulges_are_arcs_within_tolerance(tmp_path):
    _, found, _ = items("gdal_lwpolyline_smooth.dxf", tmp_path)
    polygon = found[0].geom
    assert len(polygon.exterior.coords) > 20  # arcs, not the 5 corner vertices
    assert polygon.is_valid


def test_hatch_with_five_paths_is_one_multipolygon(tmp_path):
    _, found, _ = items("gdal_hatch_as_multipolygon.dxf", tmp_path)
    assert found[0].geom.is_valid
    assert len(found[0].geom.geoms) == 5
    assert found[0].geom.area == pytest.approx(2141.76, abs=0.05)


def test_hatch_holes_become_interiors(tmp_path):
    doc = ezdxf.new("R2000")
    hatch = doc.modelspace().add_hatch()
    hatch.paths.add_polyline_path([(0, 0), (10, 0), (10, 10), (0, 10)], is_closed=True)
    hatch.paths.add_polyline_path([(2, 2), (4, 2), (4, 4), (2, 4)], is_closed=True)
    doc.saveas(tmp_path / "holes.dxf")
    drawing = open_drawing(tmp_path / "holes.dxf", "holes.dxf", tmp_path, CadLimits())
    found = list(Walker(0.01, 16, lambda layer: True).items(drawing.doc.modelspace()))
    assert len(found[0].geom.interiors) == 1
    assert found[0].geom.area == pytest.approx(96)


def test_3dface_keeps_z(tmp_path):
    _, found, _ = items("gdal_3dface.dxf", tmp_path)
    assert all(shapely.has_z(i.geom) for i in found)
    assert {len(i.geom.geoms[0].exterior.coords) for i in found} == {4, 5}


def test_texts_lose_their_formatting_codes(tmp_path):
    _, found, _ = items("gdal_text.dxf", tmp_path)
    text = found[0].text
    assert "\\A1;" not in text
    assert "{" not in text
    assert "ab/c" in text
    assert "±" in text


def test_block_attributes_are_labels(tmp_path):
    _, found, _ = items("gdal_attrib.dxf", tmp_path)
    assert {i.text for i in found if i.dxftype == "ATTRIB"} >= {"super test", "plpl"}


def test_minsert_array_expands_cell_by_cell(tmp_path):
    _, found, _ = items("ezdxf_multi_insert_with_attribs.dxf", tmp_path)
    circles = [i.geom.centroid for i in found if i.dxftype == "CIRCLE"]
    assert len({(round(p.x, 3), round(p.y, 3)) for p in circles}) == 25


def test_frozen_and_off_layers_are_listed(tmp_path):
    drawing = open_drawing(SAMPLES / "gdal_frozen-off.dxf", "f.dxf", tmp_path, CadLimits())
    flags = {layer.name: (layer.frozen, layer.off) for layer in list_layers(drawing.doc)}
    assert flags["OFFFREEZE"] == (True, True)


def test_geodata_gives_the_crs_and_the_placement(tmp_path):
    name = "ezdxf_houses_of_parliament_georeferenced.dxf"
    result = convert(SAMPLES / name, name, CadOptions({"*": "roads"}), tmp_path)
    assert result.report.crs_source == "GEODATA"
    assert result.report.source_crs == "EPSG:27700"
    x, y = result.outputs["roads"][0].geom.coords[0]
    assert 529000 < x < 531000
    assert 179000 < y < 180000


def test_utf8_layer_name_under_a_cp1252_code_page_is_fixed(tmp_path):
    result = convert(SAMPLES / "gdal_utf-8.dxf", "u.dxf", CadOptions({"*": "annotation"}), tmp_path)
    assert result.outputs["annotation"][0].attributes["cad_layer"] == "éven"


def test_local_coordinates_are_warned_about(tmp_path):
    result = convert(
        SAMPLES / "gdal_circle.dxf", "c.dxf", CadOptions({"*": "roads"}, crs="9214"), tmp_path
    )
    assert any("plausible extent of EPSG:9214" in w for w in result.report.warnings)


def _symbols_drawing(path: Path) -> Path:
    """A tree symbol (layer 0 circle), a sign whose post is on a wanted layer, a nested
    symbol and a dimension-like block with an entity ezdxf explodes further (a LEADER)."""
    doc = ezdxf.new("R2010")
    tree = doc.blocks.new("TREE")
    tree.add_circle((0, 0), 1.0)
    sign = doc.blocks.new("SIGN")
    sign.add_line((0, 0), (0, 2), dxfattribs={"layer": "ROADS"})
    grove = doc.blocks.new("GROVE")
    grove.add_blockref("TREE", (0, 0))
    grove.add_blockref("SIGN", (5, 0), dxfattribs={"layer": "0"})
    note = doc.blocks.new("NOTE")
    note.add_leader([(0, 0), (1, 1)])
    msp = doc.modelspace()
    for index, name in enumerate(["TREE", "TREE", "SIGN", "GROVE", "NOTE"]):
        msp.add_blockref(name, (10.0 * index, 0), dxfattribs={"layer": "TREES"})
    msp.add_blockref("TREE", (0, 50), dxfattribs={"layer": "ROADS"})
    doc.saveas(path)
    return path


def test_symbols_on_an_ignored_layer_are_not_expanded_unless_they_hold_wanted_content(tmp_path):
    """Tree symbols and title blocks on ignored layers are most of an AutoCAD drawing's
    block references; the Walker decides once per block whether expanding one can yield
    anything, and keeps expanding those that do (a wanted layer inside, at any depth)."""
    path = _symbols_drawing(tmp_path / "symbols.dxf")
    drawing = open_drawing(path, path.name, tmp_path, CadLimits())
    walker = Walker(0.01, 16, lambda layer: layer.upper() == "ROADS")
    found = list(walker.items(drawing.doc.modelspace()))
    assert walker._yields_unwanted == {"tree": False, "sign": True, "grove": True, "note": True}
    posts = sorted(round(i.geom.coords[0][0], 3) for i in found if i.dxftype == "LINE")
    assert posts == [20.0, 35.0]  # the sign itself and the sign inside the grove
    assert [i.dxftype for i in found].count("CIRCLE") == 1  # the tree on the ROADS layer
    assert walker.skipped == []
    everything = Walker(0.01, 16, lambda layer: True)
    assert len(list(everything.items(drawing.doc.modelspace()))) > len(found)


def test_a_hidden_ignored_layer_gets_one_note(tmp_path):
    name = "gdal_frozen-off.dxf"
    mapping = {"*": "roads", "OFFFREEZE": "ignore"}
    with translation.override("en"):
        notes = convert(SAMPLES / name, name, CadOptions(mapping), tmp_path).report.notes
    about = [str(note) for note in notes if "'OFFFREEZE'" in str(note)]
    assert about == ["CAD layer 'OFFFREEZE' is frozen and off; ignored"]


def test_leaders_in_gdal_sample_anchor_their_texts(tmp_path):
    """A classic LEADER gives the MTEXT it names its arrow; a MULTILEADER its own arrows."""
    _, found, skipped = items("gdal_leader-mleader.dxf", tmp_path)
    anchors = {  # each arrow: its last segment, the tip last
        item.text.split("\n")[0][:17]: [shapely.get_coordinates(a).tolist() for a in item.anchors]
        for item in found
    }
    assert anchors["Classic Leader"] == [[[10.0, 40.0], [30.0, 40.0]]]
    assert anchors["I want to put a r"] == [[[10.0, 65.0], [30.0, 80.0]]]
    assert anchors["Basic Multileader"] == [[[10.0, 20.0], [30.0, 35.0]]]
    assert len(anchors["wwmhyhuasmjekhoso"]) == 3  # one label, three arrows
    balloon = next(item for item in found if item.tag == "SITSABOVE")
    assert (balloon.text, len(balloon.anchors)) == ("Apples±", 1)  # a block's attribute
    no_text, not_read = messages.LEADER_WITHOUT_TEXT(), messages.LEADER_TEXT_NOT_READ()
    assert [(s.handle, s.reason) for s in skipped if s.dxftype == "LEADER"] == [
        ("EF0A0", no_text),
        ("EF0FB", no_text),
        ("EF10B", no_text),
        ("595", no_text),
        ("15CE", not_read),  # names 15CF, which the drawing does not hold
    ]
    empty = [s.handle for s in skipped if s.reason == messages.BALLOON_WITHOUT_VALUES()]
    assert empty == ["EEB", "EF0"]


def test_the_inspection_notes_are_in_the_readers_language():
    """The CAD page listed "recovered: …" and "no HEADER section" in English on its
    Vietnamese page (QA walk); ezdxf's own words for a fix stay as it writes them."""
    from django.utils import translation

    from importers.service import inspect_drawing

    path = SAMPLES / "gdal_attrib.dxf"
    with translation.override("vi"):
        notes = inspect_drawing(path, path.name)["notes"]
    assert "không có phần HEADER: đọc như DXF R2000" in notes
    assert any(note.startswith("đã khôi phục: Fixed") for note in notes), notes
