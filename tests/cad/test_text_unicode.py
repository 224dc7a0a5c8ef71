"""Unicode text in DXF R12-R2004: AutoCAD's \\U+XXXX escapes, and legacy detection.

Up to R2004 a drawing's text is in its code page, and AutoCAD (like ezdxf) writes every
other character as \\U+XXXX. Such escapes must be decoded on both read paths (the fast
reader and ezdxf), and a Unicode drawing must never be decoded again as TCVN3/VNI; layer
names are read the same way in the layer list, the mapping and the features.
"""

from __future__ import annotations

import io
from pathlib import Path

import ezdxf
import pytest

from importers.cad import fastdxf
from importers.cad.convert import CadOptions, convert
from importers.cad.limits import CadLimits
from importers.cad.text import TextDecoder
from importers.service import inspect_drawing
from tests.cad.drawings import E0, LOT_H, LOT_W, N0, lot_origin, tcvn3
from tests.cad.test_fastdxf import SAMPLES, assert_same, both

MAPPING = {"LOTS": "landuse", "LABELS": "landuse", "*": "ignore"}
FUNCTIONS = ["Đất ở", "Đất thương mại dịch vụ", "Cây xanh"]  # "Cây xanh" fits cp1252


def unicode_plan(path: Path, version: str) -> Path:
    """Three closed lots labelled in real Unicode in a `times.ttf` style, saved as ezdxf
    (and AutoCAD) save R12-R2004: characters outside cp1252 as \\U+XXXX. R12 has one TEXT
    per line (so "Cây xanh" stands alone), later versions one MTEXT per lot."""
    doc = ezdxf.new(version)
    doc.header["$DWGCODEPAGE"] = "ANSI_1252"
    doc.styles.new("TIMES", dxfattribs={"font": "times.ttf"})
    msp = doc.modelspace()
    for index, function in enumerate(FUNCTIONS):
        x, y = lot_origin(index)
        corners = [(x, y), (x + LOT_W, y), (x + LOT_W, y + LOT_H), (x, y + LOT_H)]
        boundary = msp.add_polyline2d if version == "R12" else msp.add_lwpolyline
        boundary(corners, close=True, dxfattribs={"layer": "LOTS"})
        lines = [f"L-0{index}", function, "MĐXD 60%"]
        at = (x + 3, y + LOT_H - 3)
        if version == "R12":
            for row, line in enumerate(lines):
                place = (at[0], at[1] - 2 * row)
                msp.add_text(line, dxfattribs={"layer": "LABELS", "style": "TIMES"}).set_placement(
                    place
                )
        else:
            mtext = msp.add_mtext("\\P".join(lines), dxfattribs={"layer": "LABELS"})
            mtext.dxf.style, mtext.dxf.insert, mtext.dxf.char_height = "TIMES", at, 1.5
    doc.saveas(path)
    return path


@pytest.mark.parametrize("version", ["R12", "R2000", "R2004"])
def test_unicode_escapes_are_decoded_the_same_on_both_paths(version, tmp_path):
    path = unicode_plan(tmp_path / f"unicode_{version}.dxf", version)
    assert "\\U+0110" in path.read_text("cp1252")  # "Đ" as AutoCAD writes it
    assert fastdxf.read(path, 0.01, lambda layer: True, CadLimits()) is not None
    fast, slow = both(path, MAPPING, tmp_path)
    assert_same(fast, slow)
    assert fast.report.text_encoding == ""  # nothing decoded as TCVN3/VNI
    lots = sorted(fast.outputs["landuse"], key=lambda lot: lot.attributes["code"])
    assert [lot.attributes["label_text"] for lot in lots] == FUNCTIONS
    assert [lot.attributes["density"] for lot in lots] == [60.0] * 3


def _styled_drawing(font: str = "times.ttf") -> ezdxf.document.Drawing:
    doc = ezdxf.new("R2000")
    doc.styles.new("LABEL", dxfattribs={"font": font})
    return doc


def test_a_unicode_drawing_is_not_detected_as_tcvn3():
    """The texts as the fast loader hands them: escapes left, "Cây xanh" in cp1252."""
    texts = ["L-01\\P\\U+0110\\U+1EA5t \\U+1EDF", "Cây xanh", "\\U+0110\\U+1EA5t c\\U+00F4ng"]
    decoder = TextDecoder(_styled_drawing(), "auto", texts)
    assert decoder.document_choice is None
    assert decoder.decode(texts[0]) == "L-01\\PĐất ở"
    assert decoder.decode(texts[1]) == "Cây xanh"
    assert decoder.used == set()


@pytest.mark.parametrize("unicode_count", [1, 2, 8])
def test_a_tcvn3_drawing_with_unicode_texts_is_still_decoded(unicode_count):
    """TCVN3 labels (no .Vn font) beside Unicode ones, however many: the TCVN3 bytes show as
    signs and foreign letters ("§Êt ë"), so the drawing is legacy and all its TCVN3 texts
    are decoded, also those a Vietnamese score cannot tell from Unicode ('Quèc lé' reads as
    syllables); real Unicode (beyond the code page) is never decoded again."""
    words = ["Đất ở mới", "Đất giáo dục", "Quốc lộ 1A", "Ngõ", "Mật độ"]
    legacy = [tcvn3(text) for text in words]
    unicode = [f"\\U+0110\\U+1EA5t c\\U+00F4ng c\\U+1ED9ng {n}" for n in range(unicode_count)]
    decoder = TextDecoder(_styled_drawing(), "auto", legacy + unicode)
    assert decoder.document_choice == "tcvn3"
    assert [decoder.decode(text) for text in legacy] == words
    assert decoder.decode(unicode[0]) == "Đất công cộng 0"


def test_a_vntime_style_still_decides_tcvn3_in_a_unicode_drawing():
    texts = ["\\U+0110\\U+1EA5t \\U+1EDF", tcvn3("Cây xanh")]
    decoder = TextDecoder(_styled_drawing(".VnTime.ttf"), "auto", texts)
    assert decoder.decode(texts[1], "LABEL") == "Cây xanh"  # the font says TCVN3
    assert decoder.decode(texts[0], "LABEL") == "Đất ở"  # real Unicode: never decoded again


def test_the_ezdxf_r12_sample_layer_and_text(tmp_path):
    """GDAL's / ezdxf's ASCII R12 sample: a Greek layer name and text as \\U+ escapes."""
    path = SAMPLES / "ezdxf_ASCII_R12.dxf"
    fast, slow = both(path, {"*": "annotation"}, tmp_path)
    assert_same(fast, slow)
    layers = [layer["name"] for layer in fast.report.cad_layers]
    assert "ΛΑΓΕΡÄÜÖ" in layers
    assert not any("\\U+" in name for name in layers)
    features = fast.outputs["annotation"]
    assert {feature.attributes["cad_layer"] for feature in features} == {"ΛΑΓΕΡÄÜÖ"}
    assert [f.attributes["text"] for f in features if "text" in f.attributes] == ["ABCÄÜÖαβγ"]


@pytest.mark.parametrize("fast_reader", [True, False])
def test_the_layer_list_names_layers_as_the_mapping_and_features_do(fast_reader, tmp_path):
    """gdal_utf-8.dxf: UTF-8 "éven" under a cp1252 code page. The listed name is the one
    the mapping takes and the features carry."""
    path = SAMPLES / "gdal_utf-8.dxf"
    listed = [layer["name"] for layer in inspect_drawing(path, path.name)["layers"]]
    assert "éven" in listed
    assert "Ã©ven" not in listed
    options = CadOptions({"éven": "annotation", "*": "ignore"}, fast_reader=fast_reader)
    result = convert(path, path.name, options, tmp_path)
    assert [layer["name"] for layer in result.report.cad_layers] == listed
    assert [f.attributes["cad_layer"] for f in result.outputs["annotation"]] == ["éven"]


def test_a_legacy_tcvn3_r2000_plan_still_decodes(tmp_path):
    """No regression: TCVN3 bytes in a .VnTime style (no escapes) are still decoded."""
    doc = ezdxf.new("R2000")
    doc.header["$DWGCODEPAGE"] = "ANSI_1252"
    doc.styles.new("VNTIME", dxfattribs={"font": ".VnTime.ttf"})
    msp = doc.modelspace()
    corners = [(E0, N0), (E0 + 20, N0), (E0 + 20, N0 + 20), (E0, N0 + 20)]
    msp.add_lwpolyline(corners, close=True, dxfattribs={"layer": "LOTS"})
    label = msp.add_mtext(tcvn3("A-01\\PĐất cây xanh"), dxfattribs={"layer": "LABELS"})
    label.dxf.style, label.dxf.insert = "VNTIME", (E0 + 2, N0 + 18)
    stream = io.StringIO()
    doc.write(stream)
    path = tmp_path / "tcvn3.dxf"
    path.write_bytes(stream.getvalue().encode("latin-1"))
    fast, slow = both(path, MAPPING, tmp_path)
    assert_same(fast, slow)
    assert fast.report.text_encoding == "tcvn3"
    assert fast.outputs["landuse"][0].attributes["label_text"] == "Đất cây xanh"
