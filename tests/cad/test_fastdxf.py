"""The fast DXF reader gives exactly what the ezdxf path gives, or steps aside.

Every drawing is converted twice, once with the fast reader allowed and once with ezdxf
forced (CadOptions.fast_reader=False); features (geometry, attributes, category, source
reference) and the whole report must be equal. Drawings the fast reader cannot read
faithfully must be refused by it (None) and still convert through ezdxf.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import ezdxf
import pytest
import shapely

from importers.cad import fastdxf
from importers.cad.convert import CadOptions, convert
from importers.cad.limits import CadLimits
from importers.cad.scan import scan, scan_tags
from planning.errors import InvalidInput
from tests.cad.big_drawings import BIG_MAPPING, many_lots
from tests.cad.drawings import E0, MAPPING, N0, plan_drawing

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT.parent / "shared" / "samples" / "dxf"
KINDS_MAPPING = {"LOTS": "landuse", "LABELS": "landuse", "ROADS": "roads", "*": "annotation"}


def _bench_module():
    spec = importlib.util.spec_from_file_location(
        "bench_cad_fast", ROOT / "bench" / "cad_import.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kinds_drawing(path: Path) -> Path:
    """Every supported entity type with the variants the fast reader handles itself."""
    doc = ezdxf.new("R2010")
    doc.styles.new("VNTIME", dxfattribs={"font": ".VnTime.ttf"})
    msp = doc.modelspace()
    x, y = E0, N0
    msp.add_lwpolyline(
        [(x, y, 0, 0, 0.5), (x + 20, y, 0, 0, 0), (x + 20, y + 10), (x, y + 10)],
        format="xyseb",
        close=True,
        dxfattribs={"layer": "LOTS", "const_width": 0.3},
    )
    msp.add_lwpolyline(
        [(x + 30, y), (x + 50, y, 0, 0, -1.0), (x + 50, y + 10)],
        format="xyseb",
        dxfattribs={"layer": "ROADS", "elevation": 2.0},
    )
    msp.add_lwpolyline([(x + 60, y), (x + 80, y)], dxfattribs={"layer": "ROADS"})
    msp.add_line((x, y - 5), (x + 80, y - 5), dxfattribs={"layer": "ROADS", "color": 3})
    msp.add_circle((x + 100, y + 5), 4.0, dxfattribs={"layer": "LOTS"})
    msp.add_circle((x + 110, y + 5), 1.0, dxfattribs={"layer": "TREES"})
    msp.add_point((x + 120, y + 5), dxfattribs={"layer": "TREES"})
    outer = [(x, y + 30), (x + 40, y + 30), (x + 40, y + 60), (x, y + 60)]
    hatch = msp.add_hatch(color=3, dxfattribs={"layer": "LOTS"})
    hatch.paths.add_polyline_path(outer, is_closed=True)
    hatch.paths.add_polyline_path(
        [(x + 10, y + 40), (x + 20, y + 40), (x + 20, y + 50)], is_closed=True
    )
    bulged = msp.add_hatch(color=4, dxfattribs={"layer": "LOTS"})
    bulged.paths.add_polyline_path(
        [(x + 50, y + 30, 0.4), (x + 70, y + 30, 0), (x + 70, y + 50, 0)], is_closed=True
    )
    edges = msp.add_hatch(color=5, dxfattribs={"layer": "LOTS"})
    edge_path = edges.paths.add_edge_path()
    corners = [(x + 80, y + 30), (x + 95, y + 30), (x + 95, y + 45), (x + 80, y + 45)]
    for start, end in zip(corners, corners[1:] + corners[:1], strict=True):
        edge_path.add_line(start, end)
    msp.add_mtext(
        "{\\fArial|b1;LOT-1}\\PĐất ở %%c20 \\S1^2;",
        dxfattribs={"layer": "LABELS", "style": "VNTIME"},
    ).dxf.insert = (x + 5, y + 5)
    msp.add_text("L-2 %%uunder", dxfattribs={"layer": "LABELS", "insert": (x + 55, y + 35)})
    aligned = msp.add_text("L-3", dxfattribs={"layer": "LABELS", "halign": 1})
    aligned.dxf.insert = (x + 82, y + 32)
    aligned.dxf.align_point = (x + 85, y + 35)
    unaligned = msp.add_text("L-4", dxfattribs={"layer": "LABELS", "halign": 2})
    unaligned.dxf.insert = (x + 101, y + 6)
    unaligned.dxf.align_point = (0, 0, 0)  # null: the insert point counts
    msp.add_text("note", dxfattribs={"layer": "NOTES", "insert": (x, y - 20)})
    doc.saveas(path)
    return path


def both(path: Path, mapping: dict[str, str], tmp_path: Path):
    fast = convert(path, path.name, CadOptions(mapping=mapping), tmp_path)
    slow = convert(path, path.name, CadOptions(mapping=mapping, fast_reader=False), tmp_path)
    return fast, slow


def assert_same(fast, slow) -> None:
    assert fast.crs == slow.crs
    assert fast.report.as_dict() == slow.report.as_dict()
    assert sorted(fast.outputs) == sorted(slow.outputs)
    for kind, features in slow.outputs.items():
        mine = fast.outputs[kind]
        assert len(mine) == len(features), kind
        for a, b in zip(mine, features, strict=True):
            assert a.attributes == b.attributes
            assert (a.category, a.source_ref) == (b.category, b.source_ref)
            assert a.geom.geom_type == b.geom.geom_type
            assert shapely.equals_exact(a.geom, b.geom, tolerance=1e-9), (kind, a.source_ref)
            assert (a.geom_3d is None) == (b.geom_3d is None)


def eligible(path: Path) -> bool:
    return fastdxf.read(path, 0.01, lambda layer: True, CadLimits()) is not None


def test_generated_plan_takes_the_fast_path_with_identical_output(tmp_path):
    path = plan_drawing(tmp_path / "plan.dxf")
    assert eligible(path)
    fast, slow = both(path, {**MAPPING, "*": "ignore"}, tmp_path)
    assert fast.report.features["landuse"] > 0
    assert fast.report.label_issues or fast.report.unclosed  # the drawing's known flaws
    assert_same(fast, slow)


def test_every_supported_kind_matches_the_walker(tmp_path):
    path = kinds_drawing(tmp_path / "kinds.dxf")
    assert eligible(path)
    fast, slow = both(path, KINDS_MAPPING, tmp_path)
    assert fast.report.features["landuse"] >= 5
    assert fast.report.features["annotation"] >= 2
    assert_same(fast, slow)


def test_bench_drawing_at_small_size(tmp_path):
    bench = _bench_module()
    path = tmp_path / "bench.dxf"
    bench.make_drawing(path, 600)
    assert eligible(path)
    fast, slow = both(path, bench.MAPPING, tmp_path)
    assert fast.report.features["landuse"] > 20
    assert_same(fast, slow)


def test_bench_drawing_as_autocad_exports_it(tmp_path):
    """Tree symbols as blocks with attributes, a title block, XDATA on roads: left to ezdxf
    within the fast read, with the same result as the ezdxf path."""
    bench = _bench_module()
    path = tmp_path / "bench_autocad.dxf"
    bench.make_drawing(path, 600, autocad=True)
    assert eligible(path)
    mapping = {**bench.MAPPING, "CAY_XANH": "annotation"}
    fast, slow = both(path, mapping, tmp_path)
    assert fast.report.features["roads"] > 10  # the XDATA lines, read by ezdxf
    assert fast.report.features["annotation"] > 10  # the trees' attributes and symbols
    assert_same(fast, slow)


def test_many_lots_r2010(tmp_path):
    path = many_lots(tmp_path / "lots.dxf", 300)
    assert eligible(path)
    assert_same(*both(path, BIG_MAPPING, tmp_path))


# Real drawings the fast reader reads, leaving to ezdxf what it does not read itself.
ELIGIBLE_SAMPLES = {
    "gdal_utf-8.dxf": "plain",
    "ezdxf_multi_insert_with_attribs.dxf": "MINSERT blocks with attributes",
    "gdal_frozen-off.dxf": "blocks on frozen and off layers",
    "ezdxf_ASCII_R12.dxf": "R12 with a block",
    "ezdxf_hatches_2.dxf": "hatches with XDATA, arcs",
    "gdal_hatch_as_multipolygon.dxf": "hatches with XDATA",
    "gdal_leader-mleader.dxf": "LEADER and MULTILEADER",
}
SAMPLE_MAPPING = {"*": "landuse"}


@pytest.mark.parametrize("name", sorted(ELIGIBLE_SAMPLES))
def test_eligible_samples(name, tmp_path):
    assert eligible(SAMPLES / name)
    assert_same(*both(SAMPLES / name, SAMPLE_MAPPING, tmp_path))


@pytest.mark.parametrize(
    "name",
    [
        "ezdxf_houses_of_parliament_georeferenced.dxf",  # GEODATA
        "ezdxf_small_r13.dxf",  # cp932
        "gdal_spline_closed.dxf",  # no HEADER section
        "gdal_block-insert-order.dxf",  # a duplicate handle the audit fixes
    ],
)
def test_ineligible_samples_fall_back_and_still_convert(name, tmp_path):
    assert not eligible(SAMPLES / name)
    fast, slow = both(SAMPLES / name, SAMPLE_MAPPING, tmp_path)
    assert_same(fast, slow)


def test_delegated_entities_are_walked_in_drawing_order(tmp_path):
    """Blocks, arcs and an extruded circle between lots: ezdxf reads those, the fast reader
    the rest, and items, skipped entities and layer counts come out as the ezdxf path's."""
    doc = ezdxf.new("R2010")
    block = doc.blocks.new("TREE")
    block.add_circle((0, 0), 1, dxfattribs={"layer": "0"})
    block.add_point((0, 0), dxfattribs={"layer": "0"})
    block.add_attdef("CODE", (0, 2))
    msp = doc.modelspace()
    for index in range(4):
        x = E0 + index * 20
        msp.add_lwpolyline(
            [(x, N0), (x + 10, N0), (x + 10, N0 + 10), (x, N0 + 10)],
            close=True,
            dxfattribs={"layer": "LOTS"},
        )
        insert = msp.add_blockref("TREE", (x + 5, N0 + 5), dxfattribs={"layer": "TREES"})
        insert.add_auto_attribs({"CODE": f"T-{index}"})
        msp.add_arc((x, N0), 3, 0, 90, dxfattribs={"layer": "ROADS"})
        msp.add_circle((x, N0), 2, dxfattribs={"layer": "LOTS", "extrusion": (0, 0, -1)})
        msp.add_text(f"L-{index}", dxfattribs={"layer": "LABELS", "insert": (x + 1, N0 + 1)})
        msp.add_ellipse((x, N0 - 20), (4, 0), 0.5, dxfattribs={"layer": "JUNK"})
        corner = msp.add_hatch(dxfattribs={"layer": "LOTS"})  # a lot with a rounded corner
        edges = corner.paths.add_edge_path()
        edges.add_line((x, N0 + 30), (x + 10, N0 + 30))
        edges.add_line((x + 10, N0 + 30), (x + 10, N0 + 37))
        edges.add_arc((x + 7, N0 + 37), 3, 0, 90)
        edges.add_line((x + 7, N0 + 40), (x, N0 + 40))
        edges.add_line((x, N0 + 40), (x, N0 + 30))
    path = tmp_path / "mixed.dxf"
    doc.saveas(path)
    assert eligible(path)
    mapping = {"LOTS": "landuse", "LABELS": "landuse", "TREES": "annotation", "ROADS": "roads"}
    fast, slow = both(path, {**mapping, "*": "ignore"}, tmp_path)
    assert fast.report.features["roads"] == 4
    assert len(fast.outputs["annotation"]) >= 8  # the trees' points and circles, attributes
    assert_same(fast, slow)


def _with(path: Path, change) -> Path:
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    msp.add_lwpolyline([(E0, N0), (E0 + 10, N0), (E0 + 10, N0 + 10)], dxfattribs={"layer": "LOTS"})
    change(doc, msp)
    doc.saveas(path)
    return path


def _block(doc, msp) -> None:
    block = doc.blocks.new("TREE")
    block.add_circle((0, 0), 1)
    msp.add_blockref("TREE", (E0, N0), dxfattribs={"layer": "LOTS"})


def _extruded(doc, msp) -> None:
    msp.add_circle((E0, N0), 2, dxfattribs={"layer": "LOTS", "extrusion": (0, 0, -1)})


def _arc(doc, msp) -> None:
    msp.add_arc((E0, N0), 2, 0, 90, dxfattribs={"layer": "LOTS"})


def _paper(doc, msp) -> None:
    doc.paperspace().add_line((0, 0), (1, 1))


def _arc_edge(doc, msp) -> None:
    hatch = msp.add_hatch(dxfattribs={"layer": "LOTS"})
    hatch.paths.add_edge_path().add_arc((E0, N0), 5, 0, 360)


def _undefined_style(doc, msp) -> None:
    msp.add_text("x", dxfattribs={"layer": "LOTS", "style": "NOSUCH"})


def _degenerate(doc, msp) -> None:
    msp.add_lwpolyline([(E0, N0)], dxfattribs={"layer": "LOTS"})


@pytest.mark.parametrize("change", [_paper, _undefined_style, _degenerate])
def test_ineligible_drawings_fall_back_with_identical_output(change, tmp_path):
    path = _with(tmp_path / "drawing.dxf", change)
    assert not eligible(path)
    assert_same(*both(path, {"*": "landuse"}, tmp_path))


@pytest.mark.parametrize("change", [_block, _extruded, _arc, _arc_edge])
def test_entities_left_to_ezdxf_give_identical_output(change, tmp_path):
    path = _with(tmp_path / "drawing.dxf", change)
    assert eligible(path)
    assert_same(*both(path, {"*": "landuse"}, tmp_path))


def test_binary_dxf_falls_back(tmp_path):
    doc = ezdxf.new("R2010")
    doc.modelspace().add_line((E0, N0), (E0 + 5, N0 + math.pi), dxfattribs={"layer": "LOTS"})
    path = tmp_path / "binary.dxf"
    doc.saveas(path, fmt="bin")
    assert not eligible(path)
    assert_same(*both(path, {"*": "roads"}, tmp_path))


@pytest.mark.parametrize(
    "limits",
    [CadLimits(max_text_chars=12), CadLimits(max_vertices=3), CadLimits(max_entities=5)],
)
def test_limits_are_judged_by_the_pre_scan(limits, tmp_path):
    path = kinds_drawing(tmp_path / "kinds.dxf")
    assert fastdxf.read(path, 0.01, lambda layer: True, limits) is None
    with pytest.raises(InvalidInput) as fast:
        convert(path, path.name, CadOptions(mapping=KINDS_MAPPING, limits=limits), tmp_path)
    options = CadOptions(mapping=KINDS_MAPPING, limits=limits, fast_reader=False)
    with pytest.raises(InvalidInput) as slow:
        convert(path, path.name, options, tmp_path)
    assert str(fast.value) == str(slow.value)


def test_data_after_eof_falls_back(tmp_path):
    path = plan_drawing(tmp_path / "plan.dxf")
    path.write_bytes(path.read_bytes() + b"trailing words\n")
    assert not eligible(path)
    assert_same(*both(path, {**MAPPING, "*": "ignore"}, tmp_path))


def test_a_tag_ezdxf_cannot_compile_falls_back(tmp_path):
    path = plan_drawing(tmp_path / "plan.dxf")
    text = path.read_text(encoding="latin-1")
    ignored = text.index("KHUNG_TEN\n", text.index("ENTITIES"))  # an ignored layer's entity
    path.write_text(
        text[:ignored] + "KHUNG_TEN\n 39\nthick\n" + text[ignored + 10 :], encoding="latin-1"
    )
    assert not eligible(path)  # ezdxf refuses it: the fast reader must not read it either
    outcomes = []
    for fast in (True, False):
        options = CadOptions(mapping={**MAPPING, "*": "ignore"}, fast_reader=fast)
        try:
            convert(path, path.name, options, tmp_path)
            outcomes.append(None)
        except Exception as exc:  # noqa: BLE001 - whatever ezdxf makes of it, both alike
            outcomes.append((type(exc), str(exc)))
    assert outcomes[0] == outcomes[1]


# --- tag-level edits: the bulk checks (fastbulk) refuse what the per-entity reader did ---


def _tag_edited(path: Path, edit) -> Path:
    """The kinds drawing with `edit(pairs)` applied to the ENTITIES section's
    [code, value] pairs (values as written, without the newline)."""
    kinds_drawing(path)
    lines = path.read_text(encoding="latin-1").split("\n")
    pairs = [[lines[i], lines[i + 1]] for i in range(0, len(lines) - 1, 2)]
    start = next(i for i, (c, v) in enumerate(pairs) if c.strip() == "2" and v == "ENTITIES")
    stop = next(i for i in range(start, len(pairs)) if pairs[i][1] == "ENDSEC")
    section = pairs[start + 1 : stop]
    edit(section)
    pairs[start + 1 : stop] = section
    path.write_text("\n".join(f"{c}\n{v}" for c, v in pairs) + "\n", encoding="latin-1")
    return path


def _entity(section, kind: str, nth: int = 0) -> tuple[int, int]:
    """The [first, end) pair indexes of the nth entity of a kind."""
    starts = [i for i, (c, v) in enumerate(section) if c.strip() == "0"]
    chosen = [i for i in starts if section[i][1] == kind][nth]
    following = [i for i in starts if i > chosen]
    return chosen, following[0] if following else len(section)


def _layer_twice(section) -> None:
    first, _ = _entity(section, "LINE")
    section.insert(first + 1, ["  8", "ROADS"])


def _shared_handle(section) -> None:
    line, end = _entity(section, "LINE")
    handle = next(v for c, v in section[line:end] if c.strip() == "5")
    first, end = _entity(section, "CIRCLE")
    index = next(i for i in range(first, end) if section[i][0].strip() == "5")
    section[index][1] = handle


def _foreign_owner(section) -> None:
    first, end = _entity(section, "MTEXT")
    index = next(i for i in range(first, end) if section[i][0].strip() == "330")
    section[index][1] = "ABCDEF"


def _stray_y(section) -> None:
    first, end = _entity(section, "LWPOLYLINE", 2)
    index = next(i for i in range(first, end) if section[i][0].strip() == "20")
    section.insert(index + 1, [" 20", "1.5"])


def _no_end_point(section) -> None:
    first, end = _entity(section, "LINE")
    section[first:end] = [p for p in section[first:end] if p[0].strip() not in ("11", "21")]


def _bad_colour(section) -> None:
    first, _ = _entity(section, "CIRCLE", 1)  # on an ignored layer: still checked
    section.insert(first + 3, [" 62", "999"])


def _broken_ignored_hatch(section) -> None:
    _, end = _entity(section, "HATCH")
    section.insert(end, [" 39", "1.0"])  # after the boundary data: not a HATCH code


@pytest.mark.parametrize(
    "edit",
    [
        _shared_handle,
        _foreign_owner,
        _stray_y,
        _no_end_point,
        _bad_colour,
        _broken_ignored_hatch,
    ],
)
def test_tag_level_flaws_are_left_to_ezdxf(edit, tmp_path):
    path = _tag_edited(tmp_path / "edited.dxf", edit)
    assert not eligible(path)
    assert fastdxf.read(path, 0.01, lambda layer: layer == "ROADS", CadLimits()) is None


def test_an_entity_with_a_field_twice_is_left_to_ezdxf(tmp_path):
    path = _tag_edited(tmp_path / "edited.dxf", _layer_twice)
    assert eligible(path)
    assert_same(*both(path, KINDS_MAPPING, tmp_path))


def test_long_mtext_in_chunks_and_unaccepted_layers_match_the_walker(tmp_path):
    """MTEXT longer than 250 characters arrives in code-3 chunks; entities on ignored
    layers are checked, counted and not converted."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    long_label = "\\P".join(f"LOT-{i:03d} Đất ở mới MĐXD 60% HSSDĐ 3,0 TC 3-5" for i in range(12))
    msp.add_lwpolyline(
        [(E0, N0), (E0 + 50, N0), (E0 + 50, N0 + 40), (E0, N0 + 40)],
        close=True,
        dxfattribs={"layer": "LOTS"},
    )
    msp.add_mtext(long_label, dxfattribs={"layer": "LABELS"}).dxf.insert = (E0 + 2, N0 + 30)
    msp.add_lwpolyline(
        [(E0, N0 - 5), (E0 + 9, N0 - 5, 0, 0, 0.3)], format="xyseb", dxfattribs={"layer": "ROADS"}
    )
    msp.add_line((E0, N0 - 9), (E0 + 50, N0 - 9), dxfattribs={"layer": "ROADS"})
    msp.add_line((E0, N0 - 12), (E0 + 50, N0 - 12), dxfattribs={"layer": "JUNK"})
    path = tmp_path / "chunks.dxf"
    doc.saveas(path)
    assert sum(1 for line in path.read_text().split("\n") if line.strip() == "3") >= 1
    assert eligible(path)
    mapping = {"LOTS": "landuse", "LABELS": "landuse", "ROADS": "roads", "*": "ignore"}
    fast, slow = both(path, mapping, tmp_path)
    assert fast.report.features == {"landuse": 1, "roads": 2}
    assert fast.outputs["landuse"][0].attributes["code"] == "LOT-000"
    assert_same(fast, slow)


@pytest.mark.parametrize(
    "name", ["ezdxf_multi_insert_with_attribs.dxf", "gdal_frozen-off.dxf", "gdal_utf-8.dxf"]
)
def test_the_pre_scan_of_tags_in_memory_is_the_file_pre_scan(name):
    """The fast reader pre-scans its tags in memory: same counts, blocks and verdict as the
    streaming pre-scan of the file."""
    path = SAMPLES / name
    codes, values, encoding = fastdxf._tokens(path)
    limits = CadLimits()
    in_memory = scan_tags(fastdxf._file_tags(codes, values, encoding), limits)
    assert in_memory == scan(path, limits)
    assert in_memory.entities > 0
