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
import numpy as np
import pytest
import shapely

from importers.cad import fastbulk, fastdxf, fasthatch, labels, reader
from importers.cad.convert import CadOptions, convert
from importers.cad.limits import CadLimits
from importers.cad.scan import scan, scan_tags
from importers.service import inspect_drawing
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
    turned = {"layer": "NOTES", "insert": (x + 20, y - 20), "rotation": 30}
    msp.add_text("along the road", dxfattribs=turned)
    upwards = msp.add_mtext("up the lot", dxfattribs={"layer": "NOTES", "insert": (x + 40, y - 20)})
    upwards.dxf.text_direction = (0, 2, 0)
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


def converted_alike(path: Path, mapping: dict[str, str], tmp_path: Path):
    """The fast reader's conversion of a drawing it takes, checked against ezdxf's."""
    assert eligible(path)
    fast, slow = both(path, mapping, tmp_path)
    assert_same(fast, slow)
    return fast


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
    turned = {
        f.attributes.get("text"): f.attributes.get("rotation") for f in fast.outputs["annotation"]
    }
    assert (turned["note"], turned["along the road"], turned["up the lot"]) == (None, 30.0, 90.0)


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
    bench.make_drawing(path, 600, variant="autocad")
    assert eligible(path)
    mapping = {**bench.MAPPING, "CAY_XANH": "annotation"}
    fast, slow = both(path, mapping, tmp_path)
    assert fast.report.features["roads"] > 10  # the XDATA lines, read natively
    assert fast.report.features["annotation"] > 10  # the trees' attributes and symbols
    assert_same(fast, slow)
    ignored = fastdxf.read(path, 0.01, lambda layer: layer in bench.MAPPING, CadLimits())
    assert ignored is not None
    assert len(ignored.doc.modelspace()) == 0  # trees and title block counted, not loaded
    trees = sum(layer.get("INSERT", 0) for layer in ignored.counts.values())
    assert trees > 10
    assert_same(*both(path, bench.MAPPING, tmp_path))


def test_bench_drawing_saved_as_r12(tmp_path):
    """Legacy R12: lots as POLYLINE + VERTEX, labels as TEXT lines, no hatches; read by the
    fast reader itself, with the ezdxf path's lots and labels."""
    bench = _bench_module()
    path = tmp_path / "bench_r12.dxf"
    bench.make_drawing(path, 600, variant="r12")
    entities = _layout(path)
    polylines = [k for k, own in zip(entities.kinds, entities.native.tolist(), strict=True) if own]
    assert polylines.count("POLYLINE") > 20
    assert not (~entities.native & ~entities.carried).any()  # nothing left to ezdxf
    assert eligible(path)
    functions = labels.function_names((code, name) for code, name, _ in bench.FUNCTIONS)
    fast, slow = (
        convert(
            path,
            path.name,
            CadOptions(mapping=bench.MAPPING, functions=functions, fast_reader=reader),
            tmp_path,
        )
        for reader in (True, False)
    )
    lots = fast.outputs["landuse"]
    assert len(lots) > 40
    assert all(lot.attributes.get("code") and lot.attributes.get("function") for lot in lots)
    assert fast.report.label_issues == []
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
    "ezdxf_houses_of_parliament_georeferenced.dxf": "GEODATA: EPSG:27700 and its placement",
}
SAMPLE_MAPPING = {"*": "landuse"}


@pytest.mark.parametrize("name", sorted(ELIGIBLE_SAMPLES))
def test_eligible_samples(name, tmp_path):
    assert eligible(SAMPLES / name)
    assert_same(*both(SAMPLES / name, SAMPLE_MAPPING, tmp_path))


@pytest.mark.parametrize(
    "name",
    [
        "ezdxf_small_r13.dxf",  # cp932
        "gdal_spline_closed.dxf",  # no HEADER section
        "gdal_block-insert-order.dxf",  # a duplicate handle the audit fixes
    ],
)
def test_ineligible_samples_fall_back_and_still_convert(name, tmp_path):
    assert not eligible(SAMPLES / name)
    fast, slow = both(SAMPLES / name, SAMPLE_MAPPING, tmp_path)
    assert_same(fast, slow)


@pytest.mark.parametrize(
    ("name", "crs"),
    [
        ("generated plan", "EPSG:9214"),
        ("ezdxf_multi_insert_with_attribs.dxf", "EPSG:9214"),
        ("gdal_frozen-off.dxf", "EPSG:9214"),
        ("ezdxf_houses_of_parliament_georeferenced.dxf", None),
    ],
)
def test_inspection_reads_the_fast_way_with_the_ezdxf_answer(name, crs, monkeypatch, tmp_path):
    """The mapping step's layer table and preview: the fast reader's (every layer wanted)
    equal ezdxf's, and a large plan no longer waits for ezdxf's object model."""
    path = plan_drawing(tmp_path / "plan.dxf") if name == "generated plan" else SAMPLES / name
    real_read = fastdxf.read
    read_fast = []

    def spied(*args):
        drawing = real_read(*args)
        read_fast.append(drawing is not None)
        return drawing

    monkeypatch.setattr(fastdxf, "read", spied)
    fast = inspect_drawing(path, path.name, crs)
    assert read_fast == [True]
    monkeypatch.setattr(fastdxf, "read", lambda *args: None)
    slow = inspect_drawing(path, path.name, crs)
    assert fast["layers"] == slow["layers"]
    assert sum(layer["total"] for layer in fast["layers"]) > 0
    assert fast == slow


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
    # Block contents are virtual: they carry the handle of the INSERT they come from, so a
    # reference names something the planner finds in the drawing ("mixed.dxf#2F", not "#").
    inserts = {e.dxf.handle for e in ezdxf.readfile(path).modelspace().query("INSERT")}
    refs = [feature.source_ref for feature in fast.outputs["annotation"]]
    assert {ref.rsplit("#", 1)[1] for ref in refs} == inserts


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


def test_a_large_file_is_pre_scanned_then_read_the_fast_way(monkeypatch, tmp_path):
    path = plan_drawing(tmp_path / "plan.dxf")
    monkeypatch.setattr(fastdxf, "PRESCAN_BYTES", path.stat().st_size - 1)
    scans = []

    def counted_scan(*args):
        scans.append(args[0])
        return scan(*args)

    monkeypatch.setattr(fastdxf, "scan", counted_scan)
    assert eligible(path)
    assert scans == [path]
    assert_same(*both(path, {**MAPPING, "*": "ignore"}, tmp_path))


def test_a_large_file_the_fast_way_refuses_is_pre_scanned_once(monkeypatch, tmp_path):
    """A large drawing with paper space entities goes to ezdxf: the pre-scan made before the
    fast reader tried serves the ezdxf path too (it is the slow part of a large file)."""
    path = plan_drawing(tmp_path / "plan.dxf")
    doc = ezdxf.readfile(path)
    doc.paperspace().add_line((0, 0), (1, 1))
    doc.saveas(path)
    monkeypatch.setattr(fastdxf, "PRESCAN_BYTES", path.stat().st_size - 1)
    scans = []

    def counted_scan(*args):
        scans.append(args[0])
        return scan(*args)

    monkeypatch.setattr(fastdxf, "scan", counted_scan)
    monkeypatch.setattr(reader, "scan", counted_scan)
    options = CadOptions(mapping={**MAPPING, "*": "ignore"})
    fast = convert(path, path.name, options, tmp_path)
    assert scans == [path]
    slow = convert(
        path, path.name, CadOptions(mapping={**MAPPING, "*": "ignore"}, fast_reader=False), tmp_path
    )
    assert fast.report.features == slow.report.features != {}


@pytest.mark.parametrize("limits", [CadLimits(max_vertices=3), CadLimits(max_entities=5)])
def test_a_large_file_over_the_limits_is_refused_before_it_is_held(limits, monkeypatch, tmp_path):
    path = kinds_drawing(tmp_path / "kinds.dxf")
    monkeypatch.setattr(fastdxf, "PRESCAN_BYTES", 0)

    def held(_path):
        raise AssertionError("the file was tokenised in memory")

    monkeypatch.setattr(fastdxf, "_tokens", held)
    with pytest.raises(InvalidInput) as fast:
        fastdxf.read(path, 0.01, lambda layer: True, limits)
    options = CadOptions(mapping=KINDS_MAPPING, limits=limits, fast_reader=False)
    with pytest.raises(InvalidInput) as slow:
        convert(path, path.name, options, tmp_path)
    assert str(fast.value) == str(slow.value)


def test_a_large_binary_file_goes_to_ezdxf_unscanned(monkeypatch, tmp_path):
    doc = ezdxf.new("R2010")
    doc.modelspace().add_line((E0, N0), (E0 + 5, N0 + 5), dxfattribs={"layer": "LOTS"})
    path = tmp_path / "binary.dxf"
    doc.saveas(path, fmt="bin")
    monkeypatch.setattr(fastdxf, "PRESCAN_BYTES", 0)
    monkeypatch.setattr(fastdxf, "scan", None)  # a binary file is never pre-scanned here
    assert not eligible(path)


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


def tag_pairs(path: Path) -> list[list[str]]:
    """The file's [code, value] pairs (values as written, without the newline)."""
    lines = path.read_text(encoding="latin-1").split("\n")
    return [[lines[i], lines[i + 1]] for i in range(0, len(lines) - 1, 2)]


def write_pairs(path: Path, pairs: list[list[str]]) -> Path:
    path.write_text("\n".join(f"{c}\n{v}" for c, v in pairs) + "\n", encoding="latin-1")
    return path


def _section_edited(path: Path, edit) -> Path:
    """The drawing at `path` with `edit(pairs)` applied to its ENTITIES section's pairs."""
    pairs = tag_pairs(path)
    start = next(i for i, (c, v) in enumerate(pairs) if c.strip() == "2" and v == "ENTITIES")
    stop = next(i for i in range(start, len(pairs)) if pairs[i][1] == "ENDSEC")
    section = pairs[start + 1 : stop]
    edit(section)
    pairs[start + 1 : stop] = section
    return write_pairs(path, pairs)


def _tag_edited(path: Path, edit) -> Path:
    """The kinds drawing with `edit(pairs)` applied to the ENTITIES section."""
    return _section_edited(kinds_drawing(path), edit)


def assert_same_outcome(path: Path, mapping: dict, tmp_path: Path, limits=None) -> None:
    """Both paths convert the drawing alike, or refuse it with the same message."""
    outcomes: list = []
    for fast in (True, False):
        options = CadOptions(mapping=mapping, fast_reader=fast, limits=limits or CadLimits())
        try:
            outcomes.append(convert(path, path.name, options, tmp_path))
        except InvalidInput as refused:
            outcomes.append(str(refused))
    if isinstance(outcomes[0], str) or isinstance(outcomes[1], str):
        assert outcomes[0] == outcomes[1]
    else:
        assert_same(*outcomes)


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


def _in_memory_verdict(path: Path, limits: CadLimits):
    """The fast reader's own judgement of the limits: counts, a refusal message, None (the
    file pre-scan must judge) or "ineligible" (the file is not the fast reader's)."""
    try:
        codes, values, encoding = fastdxf._tokens(path)
        code_array = np.asarray(codes)
        zeros = np.flatnonzero(code_array == 0)
        sections = fastdxf._sections(zeros, codes, values)
    except fastdxf.Ineligible:
        return "ineligible"
    try:
        found = fastdxf._within_limits(code_array, zeros, values, sections, limits, encoding)
    except InvalidInput as refused:
        return str(refused)
    return None if found is None else (found.entities, found.expanded, found.has_subclass_markers)


def _file_verdict(path: Path, limits: CadLimits):
    try:
        found = scan(path, limits)
    except InvalidInput as refused:
        return str(refused)
    return (found.entities, found.expanded, found.has_subclass_markers)


@pytest.mark.parametrize(
    "limits",
    [
        CadLimits(),
        CadLimits(max_depth=1),
        CadLimits(max_expanded=10),
        CadLimits(max_array=2),
        CadLimits(max_entities=9),
    ],
    ids=["default", "depth", "expanded", "array", "entities"],
)
@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.iterdir()))
def test_limits_judged_in_memory_agree_with_the_file_pre_scan(name, limits):
    """Block references no longer send the fast reader to the streaming pre-scan: it builds
    the same block structure from its tags (cycles, depth, MINSERT arrays, expansion) and
    must reach the pre-scan's verdict, or leave the judgement to it (None)."""
    mine = _in_memory_verdict(SAMPLES / name, limits)
    if mine in ("ineligible", None):
        return
    assert mine == _file_verdict(SAMPLES / name, limits)


@pytest.mark.parametrize(
    ("name", "limits", "expected"),
    [
        ("ezdxf_multi_insert_with_attribs.dxf", CadLimits(), (13, 229, True)),
        ("gdal_frozen-off.dxf", CadLimits(), (28, 220, False)),
        ("gdal_insert-recursive-pair.dxf", CadLimits(), "Blocks insert each other"),
        ("gdal_block-insert-order.dxf", CadLimits(max_depth=1), "nested more than 1 deep"),
        ("gdal_attrib.dxf", CadLimits(max_expanded=10), "more than 10 entities"),
    ],
)
def test_drawings_with_blocks_are_judged_in_memory(name, limits, expected):
    mine = _in_memory_verdict(SAMPLES / name, limits)
    if isinstance(expected, str):
        assert isinstance(mine, str)
        assert expected in mine
    else:
        assert mine == expected


def _layout(path: Path) -> fastbulk.Entities:
    codes, values, _ = fastdxf._tokens(path)
    code_array = np.asarray(codes)
    sections = fastdxf._sections(np.flatnonzero(code_array == 0), codes, values)
    entities = fastbulk.layout(code_array, values, *sections["ENTITIES"])
    entities.floats = fastdxf._check_values(code_array, values, *sections["ENTITIES"])
    return entities


def _xdata_everywhere(path: Path, extra=None) -> Path:
    """The kinds drawing with XDATA (as AutoCAD add-ons write it) on every entity."""
    kinds_drawing(path)
    doc = ezdxf.readfile(path)
    doc.appids.new("QHXD")
    for entity in doc.modelspace():
        entity.set_xdata("QHXD", extra or [(1000, "TIM DUONG"), (1040, 12.5), (1070, 3)])
    doc.saveas(path)
    return path


def test_entities_with_xdata_are_read_natively_with_identical_output(tmp_path):
    """XDATA changes no geometry: an entity whose XDATA is a plain tail is read by the fast
    reader itself (AutoCAD add-ons tag road lines and lots this way), except a HATCH."""
    path = _xdata_everywhere(tmp_path / "xdata.dxf")
    entities = _layout(path)
    native = {
        kind for kind, own in zip(entities.kinds, entities.native.tolist(), strict=True) if own
    }
    assert native == {"LWPOLYLINE", "LINE", "CIRCLE", "POINT", "MTEXT", "TEXT"}
    assert "HATCH" in entities.kinds
    assert eligible(path)
    fast, slow = both(path, KINDS_MAPPING, tmp_path)
    assert fast.report.features["landuse"] > 0
    assert_same(fast, slow)


def test_xdata_with_binary_chunks_is_left_to_ezdxf(tmp_path):
    path = _xdata_everywhere(tmp_path / "xdata.dxf", [(1000, "x"), (1004, b"\x01\x02")])
    entities = _layout(path)
    assert not entities.native.any()
    assert_same(*both(path, KINDS_MAPPING, tmp_path))


def _field_after_xdata(section) -> None:
    _, end = _entity(section, "LINE")
    section[end:end] = [["1001", "ACAD"], ["1000", "note"], ["  8", "ROADS"]]


def test_a_field_after_xdata_is_left_to_ezdxf(tmp_path):
    path = _tag_edited(tmp_path / "edited.dxf", _field_after_xdata)
    entities = _layout(path)
    line = entities.kinds.index("LINE")
    assert not entities.native[line]
    assert entities.native[entities.kinds.index("CIRCLE")]
    assert_same(*both(path, KINDS_MAPPING, tmp_path))


def _labelled_lot(add_polyline, msp, index: int) -> float:
    """A 20 m square lot (closed polyline on LOTS) with its code as TEXT; its x."""
    x = E0 + 30 * index
    corners = [(x, N0), (x + 20, N0), (x + 20, N0 + 20), (x, N0 + 20)]
    add_polyline(corners, close=True, dxfattribs={"layer": "LOTS"})
    msp.add_text(f"L-{index}", dxfattribs={"layer": "LABELS", "insert": (x + 2, N0 + 2)})
    return x


def _symbols_drawing(path: Path) -> Path:
    """Lots with a tree symbol (block with attributes) each on an ignored layer, a sign on
    an ignored layer whose block holds a road line, and a tree on a wanted layer."""
    doc = ezdxf.new("R2010")
    tree = doc.blocks.new("TREE")
    tree.add_circle((0, 0), 1.0)
    tree.add_attdef("KIND", (0, 1.5))
    sign = doc.blocks.new("SIGN")
    sign.add_line((0, 0), (0, 3), dxfattribs={"layer": "ROADS"})
    msp = doc.modelspace()
    for index in range(3):
        x = _labelled_lot(msp.add_lwpolyline, msp, index)
        insert = msp.add_blockref("TREE", (x + 10, N0 + 10), dxfattribs={"layer": "TREES"})
        insert.add_auto_attribs({"KIND": "sao"})
    msp.add_blockref("TREE", (E0, N0 + 40))  # no attributes
    msp.add_blockref("SIGN", (E0 + 5, N0 - 5), dxfattribs={"layer": "TREES"})
    msp.add_blockref("TREE", (E0 + 50, N0 - 5), dxfattribs={"layer": "ROADS"})
    doc.saveas(path)
    return path


SYMBOLS_MAPPING = {"LOTS": "landuse", "LABELS": "landuse", "ROADS": "roads", "*": "ignore"}


def _wanted(layer: str) -> bool:
    return SYMBOLS_MAPPING.get(layer.upper(), "ignore") != "ignore"


def test_symbols_on_ignored_layers_are_counted_not_loaded(tmp_path):
    """INSERTs on ignored layers whose blocks hold nothing wanted stay out of ezdxf's load
    and are counted by the fast reader; the sign (a road line inside) and the tree on the
    roads layer are loaded and expanded; output and layer counts are the ezdxf path's."""
    path = _symbols_drawing(tmp_path / "symbols.dxf")
    fast_read = fastdxf.read(path, 0.01, _wanted, CadLimits())
    assert fast_read is not None
    loaded = [(e.dxftype(), e.dxf.layer, e.dxf.name) for e in fast_read.doc.modelspace()]
    assert loaded == [("INSERT", "TREES", "SIGN"), ("INSERT", "ROADS", "TREE")]
    assert fast_read.counts["TREES"]["INSERT"] == 3
    assert fast_read.counts["0"]["INSERT"] == 1
    fast, slow = both(path, SYMBOLS_MAPPING, tmp_path)
    assert fast.report.features == {"landuse": 3, "roads": 2}
    layers = {layer["name"]: layer["entities"] for layer in fast.report.cad_layers}
    assert layers["TREES"] == {"INSERT": 4}
    assert_same(fast, slow)


def _edited_symbols(tmp_path: Path, edit) -> Path:
    path = _symbols_drawing(tmp_path / "symbols.dxf")
    pairs = tag_pairs(path)
    edit(pairs)
    return write_pairs(path, pairs)


def _first(pairs, kind: str) -> int:
    section = next(i for i, (c, v) in enumerate(pairs) if c.strip() == "2" and v == "ENTITIES")
    return next(i for i in range(section, len(pairs)) if pairs[i] == ["  0", kind])


def _no_seqend(pairs) -> None:
    seqend = _first(pairs, "SEQEND")
    end = next(i for i in range(seqend + 1, len(pairs)) if pairs[i][0].strip() == "0")
    del pairs[seqend:end]


def _undefined_attrib_style(pairs) -> None:
    attrib = _first(pairs, "ATTRIB")
    text = next(i for i in range(attrib, len(pairs)) if pairs[i][0].strip() == "1")
    assert all(c.strip() != "7" for c, _ in pairs[attrib:text])
    pairs.insert(text + 1, ["  7", "NOSUCH"])


def _attribs_not_flagged(pairs) -> None:
    insert = _first(pairs, "INSERT")
    flag = next(i for i in range(insert, len(pairs)) if pairs[i][0].strip() == "66")
    del pairs[flag]


def _insert_xdata(pairs) -> None:
    attrib = _first(pairs, "ATTRIB")
    pairs[attrib:attrib] = [["1001", "ACAD"], ["1000", "tree"]]


@pytest.mark.parametrize(
    ("edit", "loaded"),
    [
        (_no_seqend, None),  # ezdxf's loader fails: the ezdxf path recovers the file
        (_undefined_attrib_style, None),  # the audit changes the ATTRIB
        (_attribs_not_flagged, None),  # a stand-alone ATTRIB, which the audit changes
        (_insert_xdata, ["TREES", "TREES", "ROADS"]),  # that tree is loaded
    ],
)
def test_symbols_ezdxf_would_read_differently_are_loaded_by_it(edit, loaded, tmp_path):
    """A missing SEQEND (a structure error), an ATTRIB style the audit removes, ATTRIBs
    without the INSERT's 66 flag (stand-alone entities for ezdxf), XDATA: the fast reader
    does not count such an INSERT itself; both paths give the same result."""
    path = _edited_symbols(tmp_path, edit)
    fast_read = fastdxf.read(path, 0.01, _wanted, CadLimits())
    if loaded is None:
        assert fast_read is None
    else:
        assert fast_read is not None
        assert [e.dxf.layer for e in fast_read.doc.modelspace()] == loaded
    assert_same_outcome(path, SYMBOLS_MAPPING, tmp_path)


def _rings_both_ways(path: Path) -> tuple[dict, dict]:
    """Per native hatch: fastdxf._plain_rings' answer and fasthatch's (None: not plain)."""
    codes, values, _ = fastdxf._tokens(path)
    entities = _layout(path)
    found = fasthatch.plain_rings(entities, values)
    one_by_one, together = {}, {}
    hatches = (entities.kind_ids == fastbulk._HATCH) & entities.native
    for entity in np.flatnonzero(hatches).tolist():
        rings = fastdxf._plain_rings(
            codes, values, entities.field_ends[entity], entities.ends[entity]
        )
        one_by_one[entity] = rings or None
        together[entity] = found.get(entity)
    return one_by_one, together


def _hatch_first_tag_not_92(section) -> None:
    first, end = _entity(section, "HATCH")
    count = next(i for i in range(first, end) if section[i][0].strip() == "91")
    section.insert(count + 1, [" 73", "1"])


def _hatch_stray_code_in_tail(section) -> None:
    _, end = _entity(section, "HATCH")
    section.insert(end, [" 39", "2.0"])


def _hatch_lone_y(section) -> None:
    first, end = _entity(section, "HATCH")
    x = next(i for i in range(first, end) if section[i][0].strip() == "10" and i > first + 20)
    section.insert(x, [" 20", "5.0"])


@pytest.mark.parametrize(
    "edit", [None, _hatch_first_tag_not_92, _hatch_stray_code_in_tail, _hatch_lone_y]
)
def test_plain_hatches_read_together_as_one_by_one(edit, tmp_path):
    """fasthatch reads the rings of every plain hatch at once: the same rings, and the same
    hatches left to the per-entity reader, as fastdxf._plain_rings hatch by hatch."""
    path = kinds_drawing(tmp_path / "kinds.dxf") if edit is None else None
    if edit is not None:
        path = _tag_edited(tmp_path / "edited.dxf", edit)
    one_by_one, together = _rings_both_ways(path)
    assert together == one_by_one
    assert any(rings is not None for rings in together.values()) == (edit is None)


def test_bench_hatches_read_together_as_one_by_one(tmp_path):
    bench = _bench_module()
    path = tmp_path / "bench.dxf"
    bench.make_drawing(path, 600)
    one_by_one, together = _rings_both_ways(path)
    assert together == one_by_one
    assert sum(rings is not None for rings in together.values()) > 50


def _polylines_drawing(path: Path, version: str) -> Path:
    """2D polylines as R12 writes every polyline (lots closed, roads open), next to those
    the fast reader leaves to ezdxf: arcs (bulges), a 3D polyline, a spline-fitted one, a
    polyface mesh."""
    doc = ezdxf.new(version)
    msp = doc.modelspace()
    for index in range(4):
        x = _labelled_lot(msp.add_polyline2d, msp, index)
        msp.add_polyline2d([(x, N0 - 5), (x + 25, N0 - 5)], dxfattribs={"layer": "ROADS"})
    arcs = msp.add_polyline2d(
        [(E0, N0 + 40), (E0 + 20, N0 + 40), (E0 + 20, N0 + 60)], dxfattribs={"layer": "LOTS"}
    )
    arcs.vertices[0].dxf.bulge = 0.5
    msp.add_polyline3d([(E0, N0 + 80, 1), (E0 + 10, N0 + 80, 2)], dxfattribs={"layer": "ROADS"})
    fitted = msp.add_polyline2d(
        [(E0 + 40, N0 + 40), (E0 + 50, N0 + 45), (E0 + 60, N0 + 40)],
        dxfattribs={"layer": "ROADS"},
    )
    fitted.dxf.flags |= 4  # spline-fitted: ezdxf's path is not its vertices
    face = msp.add_polyface(dxfattribs={"layer": "LOTS"})
    face.append_face([(E0, N0 + 100, 0), (E0 + 5, N0 + 100, 0), (E0 + 5, N0 + 105, 0)])
    doc.saveas(path)
    return path


POLYLINE_MAPPING = {"LOTS": "landuse", "LABELS": "landuse", "ROADS": "roads", "*": "ignore"}


@pytest.mark.parametrize("version", ["R12", "R2000"])
def test_2d_polylines_of_straight_segments_are_read_natively(version, tmp_path):
    """R12 drawings write every polyline as POLYLINE + VERTEX + SEQEND: the plain 2D ones
    are read here, the others by ezdxf, with the ezdxf path's output."""
    path = _polylines_drawing(tmp_path / f"polylines_{version}.dxf", version)
    entities = _layout(path)
    read = [k for k, own in zip(entities.kinds, entities.native.tolist(), strict=True) if own]
    assert read.count("POLYLINE") == 8  # 4 lots, 4 roads
    assert entities.kinds.count("POLYLINE") == 12
    carried = [k for k, own in zip(entities.kinds, entities.carried.tolist(), strict=True) if own]
    assert carried.count("VERTEX") == 4 * 4 + 4 * 2
    assert carried.count("SEQEND") == 8
    assert eligible(path)
    fast, slow = both(path, POLYLINE_MAPPING, tmp_path)
    assert fast.report.features == {"landuse": 4, "roads": 6}
    labelled = [f for f in fast.outputs["landuse"] if f.attributes.get("code", "").startswith("L")]
    assert len(labelled) == 4
    assert_same(fast, slow)


def _polyline_run(section, nth: int = 0) -> tuple[int, int]:
    first, _ = _entity(section, "POLYLINE", nth)
    seqend = next(i for i in range(first, len(section)) if section[i][1] == "SEQEND")
    end = next(i for i in range(seqend + 1, len(section)) if section[i][0].strip() == "0")
    return first, end


def _vertex_flagged(section) -> None:
    first, _ = _polyline_run(section)
    vertex = next(i for i in range(first, len(section)) if section[i][1] == "VERTEX")
    flag = next(i for i in range(vertex, len(section)) if section[i][0].strip() == "70")
    section[flag][1] = "1"  # an extra vertex made by curve fitting


def _seqend_missing(section) -> None:
    first, end = _polyline_run(section)
    seqend = next(i for i in range(first, end) if section[i][1] == "SEQEND")
    del section[seqend:end]


def _vertex_linetype_undefined(section) -> None:
    first, _ = _polyline_run(section, 1)
    vertex = next(i for i in range(first, len(section)) if section[i][1] == "VERTEX")
    section.insert(vertex + 3, ["  6", "NOSUCH"])


def _polylines_edited(path: Path, edit) -> Path:
    return _section_edited(_polylines_drawing(path, "R2000"), edit)


@pytest.mark.parametrize(
    ("edit", "native"),
    [
        (_vertex_flagged, 7),  # that polyline goes to ezdxf
        (_seqend_missing, None),  # a structure error: the file is ezdxf's to recover
        (_vertex_linetype_undefined, None),  # the audit would change the VERTEX
    ],
)
def test_polylines_ezdxf_reads_differently_are_left_to_it(edit, native, tmp_path):
    path = _polylines_edited(tmp_path / "edited.dxf", edit)
    if native is None:
        assert not eligible(path)
    else:
        entities = _layout(path)
        read = [k for k, own in zip(entities.kinds, entities.native.tolist(), strict=True) if own]
        assert read.count("POLYLINE") == native
        assert eligible(path)
    assert_same_outcome(path, POLYLINE_MAPPING, tmp_path)
