"""Drawings from Vietnamese Windows (cp1258 bytes under an ANSI_1252 header) and legacy
encodings forced on drawings they do not fit.

AutoCAD on Vietnamese Windows saves notes typed with a Unicode keyboard as cp1258 bytes,
while the header often keeps ANSI_1252: read as written they show "Khu dân cý phýõÌng".
Detection takes cp1258 only where it reads the texts better than the code page. A legacy
encoding the planner forces is refused when the texts clearly read as another one, so
garbled text ("§Êt ë" read as VNI) is never stored under a success message.
"""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pytest
from django.utils import translation

from importers.cad.convert import CadOptions, convert
from importers.service import import_cad
from tests.cad.drawings import lot_origin, plan_drawing, tcvn3
from tests.cad.test_fastdxf import converted_alike
from tests.importers.test_cpg_encodings import to_cp1258

NOTES = ["Khu dân cư phường Vỹ Dạ", "Đường Nguyễn Huệ", "Trường mầm non Hoa Sen"]
MAPPING = {"NOTES": "annotation", "*": "ignore"}


def cp1258_notes(path: Path, code_page: str = "ANSI_1252") -> Path:
    """TEXT notes whose bytes are cp1258 (decomposed tones, as Windows writes them) under
    `code_page`, in a style whose font names no encoding."""
    doc = ezdxf.new("R2000")
    doc.header["$DWGCODEPAGE"] = code_page
    reader_codec = "cp1258" if code_page == "ANSI_1258" else "cp1252"
    msp = doc.modelspace()
    for index, note in enumerate(NOTES):
        written = to_cp1258(note).decode(reader_codec)
        msp.add_text(written, dxfattribs={"layer": "NOTES", "insert": lot_origin(index)})
    doc.saveas(path)
    assert "cý" in path.read_text("cp1252") or code_page != "ANSI_1252"  # as AutoCAD showed
    return path


def notes(result) -> list[str]:
    return sorted(f.attributes["text"] for f in result.outputs["annotation"])


def test_cp1258_notes_under_ansi_1252_are_detected(tmp_path):
    result = converted_alike(cp1258_notes(tmp_path / "notes.dxf"), MAPPING, tmp_path)
    assert notes(result) == sorted(NOTES)
    assert result.report.text_encoding == "cp1258"


def test_cp1258_notes_under_ansi_1258_are_kept_as_written(tmp_path):
    path = cp1258_notes(tmp_path / "notes.dxf", "ANSI_1258")
    result = converted_alike(path, MAPPING, tmp_path)
    assert notes(result) == sorted(NOTES)
    assert result.report.text_encoding == ""  # the code page said it: nothing converted


def test_cp1258_can_be_forced_on_a_drawing(tmp_path):
    path = cp1258_notes(tmp_path / "notes.dxf")
    options = CadOptions(mapping=MAPPING, encoding="cp1258")
    result = convert(path, path.name, options, tmp_path)
    assert notes(result) == sorted(NOTES)


@pytest.mark.django_db
def test_cp1258_is_accepted_by_the_drawing_import(planner, draft_plan, tmp_path):
    path = cp1258_notes(tmp_path / "notes.dxf")
    result = import_cad(
        user=planner,
        revision=draft_plan,
        path=path,
        filename=path.name,
        mapping=MAPPING,
        text_encoding="cp1258",
        crs="EPSG:9214",
    )
    assert result.report["text_encoding"] == "cp1258"


def test_tcvn3_drawings_still_detect_as_tcvn3(tmp_path):
    result = converted_alike(plan_drawing(tmp_path / "plan.dxf"), {"*": "landuse"}, tmp_path)
    assert result.report.text_encoding == "tcvn3"


def tcvn3_notes(path: Path) -> Path:
    """TCVN3 notes in a style that names no legacy font: only the texts tell."""
    doc = ezdxf.new("R2000")
    doc.header["$DWGCODEPAGE"] = "ANSI_1252"
    msp = doc.modelspace()
    for index, note in enumerate(["Đất ở mới", "Đất cây xanh", "Quy hoạch chi tiết"]):
        msp.add_text(tcvn3(note), dxfattribs={"layer": "NOTES", "insert": lot_origin(index)})
    doc.saveas(path)
    return path


@pytest.mark.parametrize(("forced", "fitting"), [("vni", "TCVN3"), ("cp1258", "TCVN3")])
def test_a_legacy_encoding_the_texts_contradict_is_warned_of(tmp_path, forced, fitting):
    """A warning, not a refusal (review): forcing is the way out when detection is wrong."""
    path = tcvn3_notes(tmp_path / "notes.dxf")
    with translation.override("en"):
        result = convert(path, path.name, CadOptions(mapping=MAPPING, encoding=forced), tmp_path)
    warned = [w for w in result.report.warnings if w.startswith(f"Read as {forced.upper()}")]
    assert len(warned) == 1
    assert f"while read as {fitting} it is" in warned[0]


def test_cp1258_notes_forced_as_tcvn3_are_warned_of(tmp_path):
    path = cp1258_notes(tmp_path / "notes.dxf")
    with translation.override("en"):
        result = convert(path, path.name, CadOptions(mapping=MAPPING, encoding="tcvn3"), tmp_path)
    assert any("while read as CP1258 it is" in w for w in result.report.warnings)


def test_a_forced_encoding_that_fits_is_taken(tmp_path):
    path = tcvn3_notes(tmp_path / "notes.dxf")
    result = convert(path, path.name, CadOptions(mapping=MAPPING, encoding="tcvn3"), tmp_path)
    assert "Đất ở mới" in notes(result)
