"""Fonts named inside MTEXT, and TCVN3's capital fonts.

AutoCAD's MTEXT editor writes the font a planner picks into the text (\\f.VnTime|b0;, scoped
by {groups}), so one label can mix a .VnTimeH code, .VnTime words and Unicode typed in
Arial. Each run is decoded by its own font, on both read paths; a capital font's runs come
out in capitals, as the planner saw them.
"""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pytest

from importers.cad.geometry import mtext_plain
from importers.cad.text import TextDecoder, detection_samples, font_encoding, is_capital_font
from tests.cad.drawings import LOT_H, LOT_W, lot_origin, tcvn3
from tests.cad.test_fastdxf import converted_alike

MAPPING = {"LOTS": "landuse", "LABELS": "landuse", "TITLE": "annotation", "*": "ignore"}
CAPITAL = "\\f.VnTimeH|b0|i0|c0|p18;"
VNTIME = "\\f.VnTime|b0|i0|c0|p18;"
ARIAL = "\\fArial|b0|i0|c0|p34;"


def _labels() -> list[str]:
    """The MTEXT of three lots, as AutoCAD's editor writes them."""
    return [
        # a code typed in lower case in the capital font, the rest in .VnTime
        f"{{{CAPITAL}a1-01}}\\P{VNTIME}{tcvn3('Đất ở mới')}\\P{tcvn3('MĐXD 60%')}",
        # Unicode typed in Arial ("Cây xanh" fits cp1252, like TCVN3 bytes would)
        f"{ARIAL}A1-02\\PCây xanh\\PM\\U+0110XD 5%",
        # TCVN3 in the style's font (no font evidence): the drawing's detection decides
        tcvn3("A1-03\\PĐất giáo dục\\PMĐXD 40%"),
    ]


def fonts_plan(path: Path) -> Path:
    doc = ezdxf.new("R2000")
    doc.header["$DWGCODEPAGE"] = "ANSI_1252"
    doc.styles.new("CAPITALS", dxfattribs={"font": ".VnTimeH.ttf"})
    by_family = doc.styles.new("BY_FAMILY", dxfattribs={"font": "VNTIME.TTF"})
    by_family.set_extended_font_data(".VnTime")
    msp = doc.modelspace()
    for index, label in enumerate(_labels()):
        x, y = lot_origin(index)
        corners = [(x, y), (x + LOT_W, y), (x + LOT_W, y + LOT_H), (x, y + LOT_H)]
        msp.add_lwpolyline(corners, close=True, dxfattribs={"layer": "LOTS"})
        mtext = msp.add_mtext(label, dxfattribs={"layer": "LABELS", "char_height": 1.5})
        mtext.dxf.insert = (x + 3, y + LOT_H - 3)
    x, y = lot_origin(0)
    title = f"{{\\f.VnArialH|b1|i0|c0|p34;{tcvn3('quy hoạch chi tiết')}}} 1/500"
    msp.add_mtext(title, dxfattribs={"layer": "TITLE", "insert": (x, y + 3 * LOT_H)})
    place = {"layer": "TITLE", "insert": (x, y + 4 * LOT_H)}
    msp.add_text(tcvn3("bản đồ"), dxfattribs={**place, "style": "CAPITALS"})
    place = {"layer": "TITLE", "insert": (x, y + 5 * LOT_H)}
    msp.add_text(tcvn3("Tỷ lệ"), dxfattribs={**place, "style": "BY_FAMILY"})
    doc.saveas(path)
    return path


def test_each_font_run_is_decoded_by_its_font_on_both_paths(tmp_path):
    fast = converted_alike(fonts_plan(tmp_path / "fonts.dxf"), MAPPING, tmp_path)
    lots = sorted(fast.outputs["landuse"], key=lambda lot: lot.attributes.get("code", ""))
    assert [lot.attributes.get("code") for lot in lots] == ["A1-01", "A1-02", "A1-03"]
    assert [lot.attributes["label_text"] for lot in lots] == [
        "Đất ở mới",
        "Cây xanh",  # Arial: as written, though the drawing is TCVN3
        "Đất giáo dục",
    ]
    assert [lot.attributes["density"] for lot in lots] == [60.0, 5.0, 40.0]
    titles = [f.attributes.get("text") for f in fast.outputs["annotation"]]
    assert "QUY HOẠCH CHI TIẾT 1/500" in titles
    assert "BẢN ĐỒ" in titles  # a TEXT in a capital font's style
    assert "Tỷ lệ" in titles  # the style's file is VNTIME.TTF, its family .VnTime
    assert fast.report.text_encoding == "tcvn3"


@pytest.mark.parametrize(
    ("raw", "plain", "fonts"),
    [
        ("a\\Pb", "a\nb", ()),
        ("\\F.VnTime;x", "x", ((0, ".VnTime"),)),
        ("{\\fArial|b0;a}b", "ab", ((0, "Arial"), (1, ""))),
        ("x{\\fA;a{\\fB;b}c}d", "xabcd", ((1, "A"), (2, "B"), (3, "A"), (4, ""))),
        ("\\{\\fA;a\\}b", "{a}b", ((1, "A"),)),  # escaped braces are text, not groups
        ("{\\fArial;}x", "x", ()),  # a font nothing is written in
        ("\\fA;\\fB;x", "x", ((0, "B"),)),
        ("a\\fA", "a\\fA", ()),  # unterminated: left to ezdxf as it is
        ("\ue001\\fA;x", "\ue001x", ()),  # private-use text of its own: no fonts read
    ],
)
def test_inline_fonts_are_read_with_their_scope(raw, plain, fonts):
    assert mtext_plain(raw) == (plain, fonts)


def _drawing(font: str = "txt.shx") -> ezdxf.document.Drawing:
    doc = ezdxf.new("R2000")
    doc.styles.new("LABEL", dxfattribs={"font": font})
    return doc


def test_a_capital_font_capitalises_ascii_and_vietnamese():
    decoder = TextDecoder(_drawing(".VnTimeH.ttf"), "auto", [])
    assert decoder.decode(tcvn3("khu đô thị a"), "LABEL") == "KHU ĐÔ THỊ A"
    assert decoder.decode("od-01", "LABEL") == "OD-01"
    plain = TextDecoder(_drawing(".VnTime.ttf"), "auto", [])
    assert plain.decode("od-01", "LABEL") == "od-01"


def test_inline_unicode_runs_are_not_sampled_for_detection():
    """A Unicode drawing whose only TCVN3 bytes are a .VnTime run: detection sees the
    style-font texts only, so "Cây xanh" typed without a font stays as written."""
    text, fonts = mtext_plain(f"{VNTIME}{tcvn3('Đất ở')}\\P{ARIAL}Cây xanh")
    samples = list(detection_samples([(text, fonts), ("Đường \u0111i", ()), ("Cây xanh", ())]))
    assert samples == [tcvn3("Đất ở") + "\n", "Đường \u0111i", "Cây xanh"]
    decoder = TextDecoder(_drawing(), "auto", samples[1:])
    assert decoder.document_choice is None
    assert decoder.decode(text, "LABEL", fonts) == "Đất ở\nCây xanh"
    assert decoder.decode("Cây xanh", "LABEL") == "Cây xanh"


def test_a_style_names_its_legacy_font_by_family_or_file():
    """AutoCAD writes a TrueType style as its file ("VNTIME.TTF") and its family
    (".VnTime"): either one naming a legacy font decides, also in a Unicode drawing."""
    doc = _drawing("VNTIME.TTF")
    doc.styles.get("LABEL").set_extended_font_data(".VnTime")
    decoder = TextDecoder(doc, "auto", ["\\U+0110\\U+1EA5t \\U+1EDF", "Cây xanh"])
    assert decoder.document_choice is None
    assert decoder.decode(tcvn3("Tỷ lệ"), "LABEL") == "Tỷ lệ"
    assert decoder.decode("Cây xanh") == "Cây xanh"


def test_a_forced_encoding_applies_to_every_run():
    text, fonts = mtext_plain(f"{ARIAL}{tcvn3('Đất ở')}")
    assert TextDecoder(_drawing(), "tcvn3", []).decode(text, "LABEL", fonts) == "Đất ở"
    assert TextDecoder(_drawing(), "auto", []).decode(text, "LABEL", fonts) == tcvn3("Đất ở")


@pytest.mark.parametrize(
    ("font", "encoding", "capital"),
    [
        (".VnTime", "tcvn3", False),
        (".VnTimeH", "tcvn3", True),
        (".VnArial NarrowH", "tcvn3", True),
        ("C:\\Windows\\Fonts\\.VnTimeH.TTF", "tcvn3", True),
        ("VNI-Times", "vni", False),
        ("vni-helve.ttf", "vni", False),
        ("Arial", None, False),
        ("times.ttf", None, False),
        ("Vn-uni.shx", None, False),  # a Unicode SHX font
    ],
)
def test_font_names(font, encoding, capital):
    assert font_encoding(font) == encoding
    assert is_capital_font(font) is capital


def test_a_shape_font_named_inline_leaves_its_run_to_the_drawing():
    """\\Ftxt.shx names no encoding: its TCVN3 run is decoded as the drawing's texts are."""
    legacy = tcvn3("Đất ở mới")
    text, fonts = mtext_plain(f"{{\\Ftxt.shx;{legacy}}}\\P{ARIAL}Cây xanh")
    assert fonts == ((0, "txt.shx"), (len(legacy), ""), (len(legacy) + 1, "Arial"))
    decoder = TextDecoder(_drawing(), "auto", detection_samples([(text, fonts)]))
    assert decoder.document_choice == "tcvn3"
    assert decoder.decode(text, "LABEL", fonts) == "Đất ở mới\nCây xanh"


def test_unicode_escapes_before_a_formatting_code_are_kept():
    """ezdxf's plain-text pass read \\U as a code running to the next ";" and dropped
    "Đất ở mới" here, on both read paths (R2000-R2004 drawings)."""
    raw = "\\U+0110\\U+1EA5t \\U+1EDF m\\U+1EDBi\\P{\\H2x;A1-01}"
    assert mtext_plain(raw) == ("Đất ở mới\nA1-01", ())
    text, fonts = mtext_plain("{\\fArial;\\U+0110\\U+1EA5t}\\P{\\H2x;A1-02}")
    assert (text, fonts) == ("Đất\nA1-02", ((0, "Arial"), (3, "")))


def test_texts_keep_where_they_stand_on_their_point(tmp_path):
    """Annotation keeps each text's anchor (MTEXT's attachment point, TEXT's alignment), so
    the map places it as the drawing did (tiles.styles)."""
    doc = ezdxf.new("R2000")
    msp = doc.modelspace()
    x, y = lot_origin(0)
    notes = {"layer": "NOTES", "char_height": 1.5}
    msp.add_mtext("A", dxfattribs={**notes, "insert": (x, y)})  # attachment 1: top left
    msp.add_mtext("B", dxfattribs={**notes, "insert": (x, y + 5), "attachment_point": 9})
    msp.add_text("C", dxfattribs={"layer": "NOTES", "insert": (x, y + 10)})  # baseline left
    right = msp.add_text("D", dxfattribs={"layer": "NOTES", "halign": 2, "valign": 3})
    right.dxf.insert, right.dxf.align_point = (x, y + 15), (x + 5, y + 15)
    middle = msp.add_text("E", dxfattribs={"layer": "NOTES", "halign": 4})
    middle.dxf.insert, middle.dxf.align_point = (x, y + 20), (x + 5, y + 20)
    path = tmp_path / "anchors.dxf"
    doc.saveas(path)
    fast = converted_alike(path, {"NOTES": "annotation", "*": "ignore"}, tmp_path)
    anchors = {f.attributes["text"]: f.attributes["anchor"] for f in fast.outputs["annotation"]}
    assert anchors == {
        "A": "top_left",
        "B": "bottom_right",
        "C": "bottom_left",
        "D": "top_right",
        "E": "middle_center",
    }
