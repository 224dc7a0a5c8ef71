"""Adversarial review of the fast DXF reader: drawings where it must give the ezdxf path's
result (or step aside), and the in-memory limit verdict must be the streaming pre-scan's.

The first part holds regressions for discrepancies the review found (each names the fix it
needs); the second part keeps the most valuable edge cases that already agree, each with a
check that the fast path really read them.
"""

from __future__ import annotations

from pathlib import Path

import ezdxf
import numpy as np
import pytest

from importers.cad import fastbulk, fastdxf, geometry
from importers.cad.limits import CadLimits
from tests.cad.drawings import E0, N0
from tests.cad.test_fastdxf import (
    KINDS_MAPPING,
    POLYLINE_MAPPING,
    SYMBOLS_MAPPING,
    _edited_symbols,
    _entity,
    _file_verdict,
    _first,
    _in_memory_verdict,
    _layout,
    _polyline_run,
    _polylines_edited,
    _rings_both_ways,
    _tag_edited,
    _wanted,
    _xdata_everywhere,
    assert_same,
    assert_same_outcome,
    both,
    tag_pairs,
    write_pairs,
)

ROADS_MAPPING = {"LOTS": "landuse", "LABELS": "landuse", "ROADS": "roads", "*": "ignore"}


def _fast_read(path: Path, mapping: dict, limits: CadLimits | None = None):
    def accept(layer: str) -> bool:
        return mapping.get(layer.upper(), mapping.get("*", "ignore")) != "ignore"

    return fastdxf.read(path, 0.01, accept, limits or CadLimits())


def _lot(msp) -> None:
    corners = [(E0, N0), (E0 + 20, N0), (E0 + 20, N0 + 20), (E0, N0 + 20)]
    msp.add_lwpolyline(corners, close=True, dxfattribs={"layer": "LOTS"})


# --- discrepancies found by the review: each fails until its fix is applied ---


def test_closed_polyline_of_two_vertices_is_closed_as_ezdxf_closes_it(tmp_path):
    """ezdxf's path of a closed 2D POLYLINE adds the closing segment (A, B, A); the fast
    reader's points were A, B. Fix: fastbulk.BulkItems._polylines_2d appends the first
    point when closed and not isclose(first, last, rel_tol=1e-10, abs_tol=0)."""
    doc = ezdxf.new("R2000")
    msp = doc.modelspace()
    _lot(msp)
    msp.add_polyline2d([(E0, N0 - 5), (E0 + 20, N0 - 5)], close=True, dxfattribs={"layer": "ROADS"})
    path = tmp_path / "two.dxf"
    doc.saveas(path)
    entities = _layout(path)
    native = [k for k, own in zip(entities.kinds, entities.native.tolist(), strict=True) if own]
    assert native.count("POLYLINE") == 1
    assert _fast_read(path, ROADS_MAPPING) is not None
    fast, slow = both(path, ROADS_MAPPING, tmp_path)
    assert len(slow.outputs["roads"][0].geom.coords) == 3
    assert_same(fast, slow)


def _look_alike_blocks(path: Path, order: list[str], xdata_on: str | None = None) -> Path:
    """Blocks "STRASSE" (a tree) and "STRAßE" (a road line): two blocks for ezdxf (its block
    key is the lower case name) though their upper case names are equal."""
    doc = ezdxf.new("R2010")
    doc.appids.new("QHXD")
    doc.blocks.new("STRASSE").add_circle((0, 0), 1.0)
    doc.blocks.new("STRAßE").add_line((0, 0), (0, 3), dxfattribs={"layer": "ROADS"})
    msp = doc.modelspace()
    _lot(msp)
    for index, name in enumerate(order):
        insert = msp.add_blockref(name, (E0 + 5 * index, N0), dxfattribs={"layer": "TREES"})
        if name == xdata_on:
            insert.set_xdata("QHXD", [(1000, "loaded by ezdxf")])
    doc.saveas(path)
    return path


def test_may_yield_keys_blocks_as_ezdxf_does(tmp_path):
    """Walker.may_yield cached its answer under name.upper(): "STRASSE" answered for
    "STRAßE" (or the other way round, by drawing order or set order). Fix:
    geometry.Walker.may_yield keys its cache with name.lower() (ezdxf's block key)."""
    path = _look_alike_blocks(tmp_path / "alike.dxf", ["STRASSE"])
    doc = ezdxf.readfile(path)
    walker = geometry.Walker(0.01, 16, _wanted)
    assert walker.may_yield(doc, "STRASSE") is False
    assert walker.may_yield(doc, "STRAßE") is True


@pytest.mark.parametrize(
    ("order", "xdata_on"),
    [(["STRASSE", "STRAßE"], None), (["STRAßE", "STRASSE"], "STRAßE")],
    ids=["tree-first", "road-first-loaded"],
)
def test_look_alike_block_names_give_the_same_roads(order, xdata_on, tmp_path):
    path = _look_alike_blocks(tmp_path / "alike.dxf", order, xdata_on)
    assert _fast_read(path, SYMBOLS_MAPPING) is not None
    fast, slow = both(path, SYMBOLS_MAPPING, tmp_path)
    assert slow.report.features["roads"] == 1  # the road line inside "STRAßE"
    assert_same(fast, slow)


def _mtext_with_text_frame(path: Path) -> Path:
    """AutoCAD (< R2018) stores an MTEXT's text frame as a separate LWPOLYLINE named in
    the MTEXT's ACAD XDATA; ezdxf destroys that LWPOLYLINE when it loads the MTEXT."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    corners = [(E0, N0), (E0 + 20, N0), (E0 + 20, N0 + 20), (E0, N0 + 20)]
    frame = msp.add_lwpolyline(corners, close=True, dxfattribs={"layer": "LOTS"})
    label = msp.add_mtext("LOT-1", dxfattribs={"layer": "LABELS", "insert": (E0 + 2, N0 + 2)})
    label.set_xdata(
        "ACAD",
        [
            (1000, "ACAD_MTEXT_TEXT_BORDERS_BEGIN"),
            (1070, 80),
            (1005, frame.dxf.handle),
            (1000, "ACAD_MTEXT_TEXT_BORDERS_END"),
        ],
    )
    msp.add_line((E0, N0 - 5), (E0 + 20, N0 - 5), dxfattribs={"layer": "ROADS"})
    doc.saveas(path)
    return path


def _mtext_in_columns(path: Path) -> Path:
    """MTEXT columns (< R2018): linked MTEXT entities that ezdxf takes out of model space
    (its Walker reads the first column only)."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    _lot(msp)
    msp.add_mtext_static_columns(
        ["LOT-1 first", "second column", "third column"],
        width=5,
        gutter_width=1,
        height=10,
        dxfattribs={"layer": "LABELS", "insert": (E0 + 2, N0 + 18)},
    )
    doc.saveas(path)
    return path


@pytest.mark.parametrize("make", [_mtext_with_text_frame, _mtext_in_columns])
def test_mtext_xdata_that_links_other_entities(make, tmp_path):
    """The fast reader read the frame LWPOLYLINE (a lot ezdxf drops) and the linked
    column MTEXTs (labels ezdxf does not walk) natively. Fix (fastbulk.layout): a 1000
    tag "ACAD_MTEXT_TEXT_BORDERS_BEGIN" or "ACAD_MTEXT_COLUMNS_BEGIN" in the ENTITIES
    section -> Ineligible (the columns case is new with native XDATA tails; the text frame
    case was already wrong with the MTEXT left to ezdxf)."""
    path = make(tmp_path / "mtext.dxf")
    assert_same_outcome(path, ROADS_MAPPING, tmp_path)


def test_tags_outside_sections_are_counted_by_the_pre_scan(tmp_path):
    """ezdxf ignores tags between ENDSEC and the next SECTION, the pre-scan counts them
    (in its last section): stray INSERTs there made it refuse what the in-memory verdict
    let through. Fix: fastdxf._sections raises Ineligible for a 0 tag outside a section."""
    doc = ezdxf.new("R2000")
    block = doc.blocks.new("B")
    for row in range(5):
        block.add_line((0, row), (1, row))
    msp = doc.modelspace()
    _lot(msp)
    msp.add_blockref("B", (E0, N0), dxfattribs={"layer": "TREES"})
    path = tmp_path / "stray.dxf"
    doc.saveas(path)
    pairs = tag_pairs(path)
    section = next(i for i, (c, v) in enumerate(pairs) if c.strip() == "2" and v == "ENTITIES")
    endsec = next(i for i in range(section, len(pairs)) if pairs[i][1] == "ENDSEC")
    stray = [["  0", "INSERT"], ["  5", "FFF1"], ["  8", "TREES"], ["  2", "B"]]
    stray += [[" 10", "0.0"], [" 20", "0.0"], [" 30", "0.0"]]
    pairs[endsec + 1 : endsec + 1] = stray * 3
    write_pairs(path, pairs)
    limits = CadLimits(max_expanded=12)
    assert "more than 12 entities" in _file_verdict(path, limits)
    assert _in_memory_verdict(path, limits) in (None, "ineligible", _file_verdict(path, limits))
    assert_same_outcome(path, {"LOTS": "landuse", "*": "ignore"}, tmp_path, limits)


def test_entity_types_stripped_as_the_pre_scan_strips_them(tmp_path):
    """A 0 tag "SEQEND\\x1c": ezdxf (str.strip) reads a SEQEND, the pre-scan (bytes.strip)
    an entity it counts. Fix: fastdxf._within_limits returns None when a 0 tag's value
    changes under str.strip() but not under .strip(" \\t\\n\\r\\x0b\\x0c") (or strips kinds
    in _block_structure with those characters only)."""
    doc = ezdxf.new("R2000")
    msp = doc.modelspace()
    msp.add_polyline2d(
        [(E0, N0), (E0 + 20, N0), (E0 + 20, N0 + 20)], close=True, dxfattribs={"layer": "LOTS"}
    )
    path = tmp_path / "seqend.dxf"
    doc.saveas(path)
    pairs = tag_pairs(path)
    seqend = next(i for i, (c, v) in enumerate(pairs) if c.strip() == "0" and v == "SEQEND")
    pairs[seqend][1] = "SEQEND\x1c"
    write_pairs(path, pairs)
    limits = CadLimits(max_entities=4)
    assert "more than 4 entities" in _file_verdict(path, limits)
    assert _in_memory_verdict(path, limits) in (None, "ineligible", _file_verdict(path, limits))
    assert_same_outcome(path, {"LOTS": "landuse", "*": "ignore"}, tmp_path, limits)


def _handle(kind: str, value: str):
    def edit(section) -> None:
        first, end = _entity(section, kind)
        index = next(i for i in range(first, end) if section[i][0].strip() == "5")
        section[index][1] = value

    return edit


def _symbol_handle(value: str):
    def edit(pairs) -> None:
        insert = _first(pairs, "INSERT")
        index = next(i for i in range(insert, len(pairs)) if pairs[i][0].strip() == "5")
        pairs[index][1] = value

    return edit


@pytest.mark.parametrize(
    ("drawing", "edit"),
    [
        ("kinds", _handle("LINE", "0")),
        ("kinds", _handle("LINE", "ZZ")),
        ("polylines", _handle("VERTEX", "0")),
        ("symbols", _symbol_handle("0")),
    ],
    ids=["line-0", "line-not-hex", "vertex-0", "symbol-0"],
)
def test_handles_ezdxf_refuses(drawing, edit, tmp_path):
    """ezdxf's entity database refuses the handle "0" (the ezdxf path ends in "damaged
    beyond repair") and its recover path renames non-hex handles; the fast reader read
    such entities (and counted such symbols) as they are. Fix: fastbulk._check_fields
    raises Ineligible unless every handle is hex digits and not "0" (the checks of
    ezdxf.entitydb.EntityDB.__setitem__). Native LINEs: already so before this session;
    VERTEXes and symbols: new."""
    if drawing == "kinds":
        path, mapping = _tag_edited(tmp_path / "edited.dxf", edit), KINDS_MAPPING
    elif drawing == "polylines":
        path, mapping = _polylines_edited(tmp_path / "edited.dxf", edit), POLYLINE_MAPPING
    else:
        path, mapping = _edited_symbols(tmp_path, edit), SYMBOLS_MAPPING
    assert_same_outcome(path, mapping, tmp_path)


def _attrib_without_text_marker(pairs) -> None:
    attrib = _first(pairs, "ATTRIB")
    del pairs[pairs.index(["100", "AcDbText"], attrib)]


def _attrib_tag_before_its_marker(pairs) -> None:
    attrib = _first(pairs, "ATTRIB")
    end = next(i for i in range(attrib + 1, len(pairs)) if pairs[i][0].strip() == "0")
    tag = next(i for i in range(attrib, end) if pairs[i][0].strip() == "2")
    moved = pairs.pop(tag)
    pairs.insert(pairs.index(["100", "AcDbAttribute"], attrib), moved)


@pytest.mark.parametrize("edit", [_attrib_without_text_marker, _attrib_tag_before_its_marker])
def test_symbol_attribs_ezdxf_loads_without_their_tag(edit, tmp_path):
    """ezdxf loads an ATTRIB's fields by subclass position: without the AcDbText marker,
    or with the tag (2) before the AcDbAttribute marker, it finds no tag and its audit
    deletes the ATTRIB (a "recovered" note in the report). Fix (fastsymbols.candidates):
    an ATTRIB of a drawing with subclass markers must have exactly AcDbEntity, AcDbText,
    AcDbAttribute and its 2 tag after the last; otherwise the INSERT is left to ezdxf."""
    path = _edited_symbols(tmp_path, edit)
    assert_same_outcome(path, SYMBOLS_MAPPING, tmp_path)


def test_layer_spellings_missing_from_the_table_named_alike(tmp_path):
    """A layer missing from the LAYER table, written "trees" and "Trees": list_layers names
    it after the first spelling it counts. The ezdxf path counts in drawing order, the
    fast path its native entities, then its symbols, then ezdxf's. Fix
    (reader.list_layers): a layer missing from the table is named by min() of its
    spellings (order-free); or fastdxf passes counts in drawing order."""
    doc = ezdxf.new("R2010")
    doc.blocks.new("TREE").add_circle((0, 0), 1.0)
    msp = doc.modelspace()
    _lot(msp)
    msp.add_blockref("TREE", (E0, N0), dxfattribs={"layer": "trees"})
    msp.add_circle((E0, N0), 2.0, dxfattribs={"layer": "Trees"})
    path = tmp_path / "spellings.dxf"
    doc.saveas(path)
    assert "Trees" not in doc.layers
    fast_read = _fast_read(path, ROADS_MAPPING)
    assert fast_read is not None
    assert fast_read.counts["trees"]["INSERT"] == 1  # a symbol the fast reader counted
    assert_same(*both(path, ROADS_MAPPING, tmp_path))


def test_minsert_counts_written_as_floats_are_judged_by_the_array_limit(tmp_path):
    """ezdxf reads an integer tag written "3.0" as 3 (a MINSERT of 3 x 3 cells), the
    pre-scan's _int as 1: the array limit (and the expansion count) let it through, so
    "1000.0 x 1000.0" would reach the Walker. Both paths agree, the limit does not hold.
    Fix: importers/cad/scan._int falls back to int(float(value)) (OverflowError: a count
    over any limit) and fastdxf._scanned_insert uses scan._int on the value's bytes."""
    doc = ezdxf.new("R2000")
    doc.blocks.new("R").add_line((0, 0), (1, 0), dxfattribs={"layer": "ROADS"})
    msp = doc.modelspace()
    insert = msp.add_blockref("R", (E0, N0), dxfattribs={"layer": "ROADS"})
    insert.grid(size=(3, 3), spacing=(2, 2))
    path = tmp_path / "minsert.dxf"
    doc.saveas(path)
    pairs = tag_pairs(path)
    at = _first(pairs, "INSERT")
    end = next(i for i in range(at + 1, len(pairs)) if pairs[i][0].strip() == "0")
    for index in range(at, end):
        if pairs[index][0].strip() in ("70", "71"):
            pairs[index][1] = "3.0"
    write_pairs(path, pairs)
    assert ezdxf.readfile(path).modelspace()[0].mcount == 9
    limits = CadLimits(max_array=6)
    refused = _file_verdict(path, limits)
    assert isinstance(refused, str)
    assert "9 copies" in refused
    assert _in_memory_verdict(path, limits) in (None, refused)


def _lwpolyline_flags_before_its_marker(section) -> None:
    first, end = _entity(section, "LWPOLYLINE")
    flags = next(i for i in range(first, end) if section[i][0].strip() == "70")
    moved = section.pop(flags)
    section.insert(section.index(["100", "AcDbPolyline"], first), moved)


def _mtext_without_its_marker(section) -> None:
    first, _ = _entity(section, "MTEXT")
    del section[section.index(["100", "AcDbMText"], first)]


@pytest.mark.parametrize("edit", [_lwpolyline_flags_before_its_marker, _mtext_without_its_marker])
def test_native_fields_outside_their_subclass(edit, tmp_path):
    """Older than this session: ezdxf reads R13+ fields by subclass position (a closed flag
    before the AcDbPolyline marker is lost: an open polyline; an MTEXT without its
    AcDbMText marker is a structure error, the file is refused), the fast reader by group
    code. Fix (fastbulk.layout): an entity with subclass markers whose markers are not
    ezdxf's sequence for its type, or whose own codes come before its type's marker, is
    left to ezdxf (odd)."""
    path = _tag_edited(tmp_path / "edited.dxf", edit)
    assert_same_outcome(path, KINDS_MAPPING, tmp_path)


# --- edge cases that agree: kept so that they stay so ---


def _polyline_variants(path: Path) -> Path:
    """2D polylines with what the fast reader reads past: elevation, widths, thickness,
    repeated vertices, a closing vertex equal to the first, linetype generation (flag 128),
    vertices on another layer."""
    doc = ezdxf.new("R2000")
    msp = doc.modelspace()
    x, y = E0, N0
    square = [(x, y), (x + 20, y), (x + 20, y + 20), (x, y + 20)]
    msp.add_polyline2d(square, close=True, dxfattribs={"layer": "LOTS", "elevation": (0, 0, 5)})
    widths = [(x + 30, y, 1.0, 2.0), (x + 50, y, 0.5, 0.5), (x + 50, y + 20, 0, 0)]
    msp.add_polyline2d(
        widths,
        format="xyse",
        close=True,
        dxfattribs={"layer": "LOTS", "thickness": 3.0, "default_start_width": 1.0},
    )
    repeated = [(x + 60, y), (x + 60, y), (x + 80, y), (x + 80, y), (x + 80, y + 20)]
    msp.add_polyline2d(repeated, close=True, dxfattribs={"layer": "LOTS"})
    msp.add_polyline2d([*square, (x, y)], close=True, dxfattribs={"layer": "LOTS"})
    msp.add_polyline2d([(x, y - 5), (x + 9, y - 5), (x, y - 5)], dxfattribs={"layer": "ROADS"})
    generated = msp.add_polyline2d(
        [(x, y - 9), (x + 30, y - 9)], dxfattribs={"layer": "ROADS", "flags": 128}
    )
    for vertex in generated.vertices:
        vertex.dxf.layer = "OTHER"
    doc.saveas(path)
    return path


def test_2d_polyline_variants_read_natively(tmp_path):
    path = _polyline_variants(tmp_path / "variants.dxf")
    entities = _layout(path)
    native = [k for k, own in zip(entities.kinds, entities.native.tolist(), strict=True) if own]
    assert native.count("POLYLINE") == 6
    assert _fast_read(path, POLYLINE_MAPPING) is not None
    fast, slow = both(path, POLYLINE_MAPPING, tmp_path)
    assert fast.report.features["roads"] == 2
    assert_same(fast, slow)


def _vertex_without_flags(section) -> None:
    first, end = _polyline_run(section)
    vertex = next(i for i in range(first, end) if section[i][1] == "VERTEX")
    flags = next(i for i in range(vertex, end) if section[i][0].strip() == "70")
    del section[flags]


def _polyline_without_66(section) -> None:
    first, end = _polyline_run(section)
    del section[next(i for i in range(first, end) if section[i][0].strip() == "66")]


def test_polyline_tag_variants_ezdxf_links_alike(tmp_path):
    """A VERTEX without flags, a POLYLINE without its 66 flag (ezdxf links VERTEXes to a
    POLYLINE regardless): still read natively, same output."""
    both_edits = lambda section: (_vertex_without_flags(section), _polyline_without_66(section))  # noqa: E731
    path = _polylines_edited(tmp_path / "edited.dxf", both_edits)
    assert _fast_read(path, POLYLINE_MAPPING) is not None
    assert _layout(path).carried.sum() == 32
    assert_same(*both(path, POLYLINE_MAPPING, tmp_path))


def _symbol_edge_cases(path: Path) -> Path:
    """INSERTs on an ignored layer: a block whose nested layer-0 INSERT reaches a road line
    (expanded), a MINSERT of a tree (counted), a name in other case than its block, an
    INSERT whose 66 flag announces attributes but only a SEQEND follows."""
    doc = ezdxf.new("R2010")
    doc.blocks.new("INNER").add_line((0, 0), (5, 5), dxfattribs={"layer": "ROADS"})
    outer = doc.blocks.new("OUTER")
    outer.add_circle((0, 0), 1.0)
    outer.add_blockref("INNER", (1, 1))
    tree = doc.blocks.new("Tree")
    tree.add_circle((0, 0), 1.0)
    tree.add_attdef("KIND", (0, 1.5), dxfattribs={"layer": "ROADS"})  # ATTDEFs never yield
    msp = doc.modelspace()
    _lot(msp)
    msp.add_blockref("OUTER", (E0, N0), dxfattribs={"layer": "TREES"})
    msp.add_blockref("TREE", (E0 + 5, N0), dxfattribs={"layer": "TREES"}).grid(
        size=(3, 4), spacing=(2, 2)
    )
    msp.add_blockref("tree", (E0 + 9, N0), dxfattribs={"layer": "trees"})
    flagged = msp.add_blockref("Tree", (E0 + 12, N0), dxfattribs={"layer": "TREES"})
    flagged.add_auto_attribs({"KIND": "sao"})
    doc.saveas(path)
    pairs = tag_pairs(path)
    attrib = _first(pairs, "ATTRIB")
    seqend = next(i for i in range(attrib, len(pairs)) if pairs[i] == ["  0", "SEQEND"])
    del pairs[attrib:seqend]  # 66 = 1, then the SEQEND alone
    return write_pairs(path, pairs)


def test_symbol_edge_cases_counted_or_loaded_as_ezdxf_reads_them(tmp_path):
    path = _symbol_edge_cases(tmp_path / "symbols.dxf")
    fast_read = _fast_read(path, SYMBOLS_MAPPING)
    assert fast_read is not None
    assert [e.dxf.name for e in fast_read.doc.modelspace()] == ["OUTER"]
    assert fast_read.counts["TREES"]["INSERT"] == 2
    assert fast_read.counts["trees"]["INSERT"] == 1
    fast, slow = both(path, SYMBOLS_MAPPING, tmp_path)
    assert slow.report.features["roads"] == 1
    assert_same(fast, slow)


def test_xdata_groups_handles_and_longs_read_natively(tmp_path):
    xdata = [(1000, "a"), (1002, "{"), (1071, 70000), (1005, "1F"), (1003, "ROADS")]
    xdata += [(1040, 1.5), (1041, 2.5), (1042, 0.5), (1002, "}")]
    path = _xdata_everywhere(tmp_path / "xdata.dxf", xdata)
    entities = _layout(path)
    native = {k for k, own in zip(entities.kinds, entities.native.tolist(), strict=True) if own}
    assert native == {"LWPOLYLINE", "LINE", "CIRCLE", "POINT", "MTEXT", "TEXT"}
    assert_same(*both(path, KINDS_MAPPING, tmp_path))


def test_hatches_with_seed_points_patterns_and_gradients(tmp_path):
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    x, y = E0, N0
    seeded = msp.add_hatch(dxfattribs={"layer": "LOTS"})
    seeded.paths.add_polyline_path([(x, y), (x + 10, y), (x + 10, y + 10)], is_closed=True)
    seeded.set_seed_points([(x + 1, y + 1), (x + 2, y + 2)])
    patterned = msp.add_hatch(dxfattribs={"layer": "LOTS"})
    patterned.set_pattern_fill("ANSI31", scale=0.5)
    patterned.paths.add_polyline_path([(x + 20, y), (x + 30, y), (x + 30, y + 10)])
    patterned.paths.add_polyline_path([(x + 21, y + 1), (x + 22, y + 1), (x + 22, y + 2)])
    patterned.set_seed_points([(x + 25, y + 1)])
    shaded = msp.add_hatch(dxfattribs={"layer": "LOTS"})
    shaded.set_gradient((255, 0, 0), (0, 0, 255))
    shaded.paths.add_polyline_path([(x + 40, y), (x + 50, y), (x + 50, y + 10)])
    path = tmp_path / "hatches.dxf"
    doc.saveas(path)
    one_by_one, together = _rings_both_ways(path)
    assert together == one_by_one
    assert all(rings is not None for rings in together.values())
    assert len(together) == 3
    assert_same(*both(path, {"LOTS": "landuse", "*": "ignore"}, tmp_path))


def _block_structures(seed: int) -> list[ezdxf.document.Drawing]:
    """Small drawings with nested, repeated and MINSERT block references under names that
    differ in case and in non-ASCII letters (Latin-1 upper case is the pre-scan's key)."""
    rng = np.random.default_rng(seed)
    names = ["TREE", "tree", "CÂY", "cây", "Đ", "đ", "A", "ÿ", "x y"]
    drawings = []
    for version in ("R2000", "R2010", "R12"):
        doc = ezdxf.new(version)
        made = []
        for name in rng.choice(names, size=4, replace=False).tolist():
            block = doc.blocks.new(name) if name not in doc.blocks else None
            if block is not None:
                made.append(block)
                for row in range(int(rng.integers(0, 3))):
                    block.add_line((0, row), (1, row))
        for block in made:
            target = made[int(rng.integers(0, len(made)))]
            if target is not block:
                size = (int(rng.integers(1, 3)), int(rng.integers(1, 4)))
                block.add_blockref(target.name, (0, 0)).grid(size=size, spacing=(1, 1))
        msp = doc.modelspace()
        msp.add_line((0, 0), (1, 1))
        for block in made:
            msp.add_blockref(block.name, (0, 0))
        drawings.append(doc)
    return drawings


@pytest.mark.parametrize(
    "limits",
    [CadLimits(), CadLimits(max_depth=2), CadLimits(max_expanded=20), CadLimits(max_array=4)],
    ids=["default", "depth", "expanded", "array"],
)
def test_block_structures_judged_in_memory_as_by_the_pre_scan(limits, tmp_path):
    judged = 0
    for seed in range(3):
        for index, doc in enumerate(_block_structures(seed)):
            path = tmp_path / f"blocks-{seed}-{index}.dxf"
            doc.saveas(path, encoding="utf8" if doc.dxfversion > "AC1018" else "cp1252")
            mine = _in_memory_verdict(path, limits)
            if mine in (None, "ineligible"):
                continue
            judged += 1
            assert mine == _file_verdict(path, limits), path.name
    assert judged >= 3


def test_native_entity_kinds_unchanged_by_the_review_helpers(tmp_path):
    """The helpers above edit the kinds drawing as test_fastdxf does: the fast reader
    still reads it, so a failure above is the edit's, not the helpers'."""
    path = _tag_edited(tmp_path / "plain.dxf", lambda section: None)
    entities = _layout(path)
    assert entities.native[entities.kinds.index("LINE")]
    assert (entities.kind_ids == fastbulk._HATCH).sum() == 3
    assert _fast_read(path, KINDS_MAPPING) is not None
