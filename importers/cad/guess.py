"""A first guess of the planning layer kind from a CAD layer's name, for the command line
(manage.py import_cad without --mapping). The same rules as the CAD page's
webmap/frontend/src/cad/guess.js (tests/cad/test_guess_mapping.py runs both on the same
names): the first rule that matches wins, a name that says nothing is ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from importers.cad.mapping import BUILDING_LINES

IGNORE = "ignore"

RULES = [
    (
        IGNORE,
        r"_(0|DEFPOINTS|KHUNG|KHUNG_?TEN|FRAME|TITLE|VIEWPORT|VPORT|DIM|KICH_?THUOC|LUOI|GRID"
        r"|DONG_?MUC|CONTOUR)_",
    ),
    (BUILDING_LINES, r"CHI_?GIOI_?(XD|XAY_?DUNG)|_CGXD_|BUILDING_?LINE|SETBACK|_LUI_"),
    ("redlines", r"CHI_?GIOI|DUONG_?DO_|_CGD_|RED_?LINE"),
    (
        "landuse",
        r"RANH_?GIOI_?LO|_LO_?DAT_|_LO_|KY_?HIEU_?LO|HATCH|SU_?DUNG_?DAT|_SDD_|LAND_?USE"
        r"|_LOTS?_|_ZONES?_|_O_?DAT_|CHUC_?NANG",
    ),
    ("boundary", r"RANH_?GIOI|PHAM_?VI|BOUNDARY|_RANH_"),
    ("roads", r"GIAO_?THONG|TIM_?DUONG|_DUONG|LO_?GIOI|VIA_?HE|ROAD|STREET|_GT_"),
    (
        "infrastructure",
        r"HTKT|CAP_?NUOC|THOAT_?NUOC|CAP_?DIEN|_DIEN_|CHIEU_?SANG|VIEN_?THONG|INFRA|PIPE|SEWER",
    ),
    ("buildings", r"_NHA|CONG_?TRINH|BUILDING|_3D_|KHOI_?NHA"),
    ("annotation", r"TEXT|_CHU_|GHI_?CHU|ANNO|LABEL|KY_?HIEU"),
]
_COMPILED = [(kind, re.compile(pattern)) for kind, pattern in RULES]
_MARKS = re.compile("[\u0300-\u036f]")
_OTHER = re.compile("[^A-Z0-9]+")


def normalise(name: str) -> str:
    """Upper case, no diacritics, every run of other characters one "_", framed by "_"."""
    plain = _MARKS.sub("", unicodedata.normalize("NFD", name)).replace("đ", "D")
    return f"_{_OTHER.sub('_', plain.replace('Đ', 'D').upper())}_"


def guess_kind(name: str, available: Iterable[str]) -> str | None:
    """The guessed target among `available`, or None when the name says nothing."""
    key = normalise(name)
    for kind, pattern in _COMPILED:
        if pattern.search(key):
            return kind if kind == IGNORE or kind in set(available) else None
    return None


def guess_mapping(layers: Iterable[dict], available: Iterable[str]) -> dict[str, str]:
    """{layer: target or "ignore"} for the layers with entities (reader.CadLayer.as_dict),
    as the CAD page first fills its selects; every other layer ignored."""
    kinds = set(available)
    mapping = {
        layer["name"]: guess_kind(layer["name"], kinds) or IGNORE
        for layer in layers
        if layer["total"]
    }
    return {**mapping, "*": IGNORE}
