"""Seeding and lookup of the land-use category catalogue."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
SOURCES = (
    ("land_law", DATA_DIR / "vn_landuse_catalogue.csv"),
    ("planning", DATA_DIR / "planning_functions.csv"),
)
NO_COLOUR = "#DDDDDD"
# What a category code may be: the map's styles draw only such codes (tiles.styles), and a
# code differing from another only in case would take over its lots (QA walk).
CODE_PATTERN = r"^[A-Z0-9_.-]{1,32}\Z"  # \Z: "$" would let a trailing newline in
_GROUP_PREFIXES = ("đất ",)  # "Đất cây xanh" is also written "Cây xanh"


def catalogue_rows() -> list[dict[str, str | int]]:
    """Rows of both shipped catalogues, text in NFC, missing colours defaulted."""
    rows: list[dict[str, str | int]] = []
    for system, path in SOURCES:
        with path.open(encoding="utf-8") as handle:
            for order, row in enumerate(csv.DictReader(handle)):
                colour = (row.get("rgb_hex") or "").strip().upper()
                rows.append(
                    {
                        "code": row["code"].strip().upper(),
                        "system": system,
                        "name_vi": unicodedata.normalize("NFC", row["name_vi"].strip()),
                        "name_en": row["name_en"].strip(),
                        "colour": colour if len(colour) == 7 else NO_COLOUR,
                        "source": row.get("source", "").strip(),
                        "sort_order": order,
                    }
                )
    return rows


def seed(category_model) -> int:
    """Insert or refresh the shipped categories; deployment-added codes are left alone."""
    for row in catalogue_rows():
        code = row.pop("code")
        category_model.objects.update_or_create(code=code, defaults=row)
    return category_model.objects.count()


def function_key(text: str) -> str:
    """How a code or land-use name is looked up: NFC, case and spacing ignored."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def function_names(rows) -> dict[str, str]:
    """(code, Vietnamese name) rows -> {function_key of the code or the name (also without
    its leading 'Đất'): code}; the one table DXF labels and GIS attribute values are read
    with."""
    names: dict[str, str] = {}
    for code, name_vi in rows:
        names[function_key(code)] = code
        name = function_key(name_vi)
        names[name] = code
        for prefix in _GROUP_PREFIXES:
            if name.startswith(prefix):
                names.setdefault(name[len(prefix) :], code)
    return names


def function_of(value: object, functions: dict[str, str]) -> str | None:
    """The catalogue code a code or name (any case) stands for, None when it is neither."""
    return functions.get(function_key(str(value)))
