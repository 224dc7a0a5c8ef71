"""Generated drawings that look like Vietnamese detailed plans, written the legacy way.

Lots are loose LINEs with small gaps, one hatch per land use fills each lot, labels are
MTEXT in a `.VnTime` style whose text is TCVN3 bytes in a cp1252 R2000 file (what
AutoCAD with ABC fonts writes), coordinates are VN-2000 / TM-3 107-00 around Hue.
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import ezdxf

from importers.text.tcvn3_table import TCVN3_TABLE

E0, N0 = 561714.0, 1821449.0
LOT_W, LOT_H, GAP = 30.0, 20.0, 0.02
_ENCODE = {unicodedata.normalize("NFC", char): byte for byte, char in TCVN3_TABLE.items()}

# (code, Vietnamese function, density, FAR, storeys) per lot of a 3 x 2 grid; None: no label
LOTS = [
    ("A1-01", "Đất ở mới", "MĐXD 80%", "HSSDĐ 3,0", "TC 3-5"),
    ("A1-02", "Đất cây xanh", "MĐXD 5%", "HSSDĐ 0,05", "TC 1"),
    ("A1-03", "Đất hỗn hợp", "MĐXD 60%", "HSSDĐ 4,5", "TC 5-9"),
    ("A1-04", "Đất giáo dục", "MĐXD 40%", "HSSDĐ 1,2", "TC 2-3"),
    ("A1-05", "Đất ở mới", "MĐXD 75%", "HSSDĐ 2,25", "TC 3"),
    None,
]


def tcvn3(text: str) -> str:
    """Unicode -> TCVN3 bytes -> the string a cp1252 reader makes of them (Latin-1 for
    the few bytes cp1252 leaves undefined), as ezdxf writes it back byte for byte."""
    raw = bytes(_ENCODE.get(c, ord(c)) if ord(c) > 127 else ord(c) for c in text)
    return raw.decode("latin-1")


def lot_origin(index: int) -> tuple[float, float]:
    return E0 + (index % 3) * LOT_W, N0 + (index // 3) * LOT_H


def _loose_box(msp, x: float, y: float) -> None:
    """The four sides of a lot as separate LINEs whose ends miss by GAP."""
    corners = [(x, y), (x + LOT_W, y), (x + LOT_W, y + LOT_H), (x, y + LOT_H)]
    for i, start in enumerate(corners):
        end = corners[(i + 1) % 4]
        shifted = (end[0] + (GAP if i % 2 == 0 else 0), end[1] + (GAP if i % 2 else 0))
        msp.add_line(start, shifted, dxfattribs={"layer": "QH_RANHGIOI_LO"})


def plan_drawing(path: Path) -> Path:
    doc = ezdxf.new("R2000")
    doc.header["$DWGCODEPAGE"] = "ANSI_1252"
    doc.styles.new("VNTIME", dxfattribs={"font": ".VnTime.ttf"})
    for name in ("QH_RANHGIOI_LO", "QH_HATCH", "QH_KYHIEU_LO", "KHUNG_TEN"):
        doc.layers.add(name)
    msp = doc.modelspace()
    for index, label in enumerate(LOTS):
        x, y = lot_origin(index)
        _loose_box(msp, x, y)
        hatch = msp.add_hatch(color=2 + index, dxfattribs={"layer": "QH_HATCH"})
        hatch.paths.add_polyline_path(
            [(x, y), (x + LOT_W, y), (x + LOT_W, y + LOT_H), (x, y + LOT_H)], is_closed=True
        )
        if label:
            mtext = msp.add_mtext(
                tcvn3("\\P".join(label)),
                dxfattribs={"layer": "QH_KYHIEU_LO", "style": "VNTIME", "char_height": 1.5},
            )
            mtext.dxf.insert = (x + 3, y + LOT_H - 3)
    # a lot whose boundary stops 2 m short: cannot be closed
    ux, uy = E0 + 4 * LOT_W, N0
    for start, end in (((ux, uy), (ux + 20, uy)), ((ux + 20, uy), (ux + 20, uy + 20))):
        msp.add_line(start, end, dxfattribs={"layer": "QH_RANHGIOI_LO"})
    msp.add_line((ux + 20, uy + 20), (ux + 2, uy + 20), dxfattribs={"layer": "QH_RANHGIOI_LO"})
    # junk: title block frame and text
    msp.add_lwpolyline(
        [(E0 - 50, N0 - 50), (E0 + 250, N0 - 50), (E0 + 250, N0 + 100)],
        dxfattribs={"layer": "KHUNG_TEN"},
    )
    msp.add_text(tcvn3("Quy hoạch chi tiết"), dxfattribs={"layer": "KHUNG_TEN", "style": "VNTIME"})
    stream = io.StringIO()
    doc.write(stream)
    path.write_bytes(stream.getvalue().encode("latin-1"))
    return path


MAPPING = {
    "QH_RANHGIOI_LO": "landuse",
    "QH_HATCH": "landuse",
    "QH_KYHIEU_LO": "landuse",
    "KHUNG_TEN": "ignore",
}
