"""Lot attributes from the texts inside each lot: point-in-polygon, then pattern parsing.

Planners write lot labels as loose TEXT/MTEXT or block attributes, one fact per line:
"A2-19", "Đất ở mới" (or "DO"), "MĐXD 60%", "HSSDĐ 3,0" (comma decimal), "TC 3-5".
The patterns are settings (PLANNING_CAD_LABEL_PATTERNS: name -> regex with named groups)
because every institute writes them a little differently; the land-use function is
matched against the category catalogue by code or Vietnamese name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.conf import settings
from shapely.geometry.base import BaseGeometry

_NUMBER = r"\d+(?:[.,]\d+)*"
DEFAULT_PATTERNS = {
    "density": rf"^M[ĐD]XD\s*(?:max)?\s*[:=]?\s*(?P<value>{_NUMBER})\s*%?$",
    "far": rf"^(?:HSSD[ĐD]|HSD|FAR)\s*(?:max)?\s*[:=]?\s*(?P<value>{_NUMBER})(?:\s*lần)?$",
    "storeys": r"^(?:TC|TẦNG\s*CAO)\s*(?:max)?\s*[:=]?\s*(?P<min>\d+)(?:\s*[-–÷]\s*(?P<max>\d+))?"
    r"(?:\s*tầng)?$",
    "height_max": rf"^(?:H|CHIỀU\s*CAO)\s*(?:max)?\s*[:=]?\s*(?P<value>{_NUMBER})\s*m$",
    "area": rf"^(?:S|DT|DIỆN\s*TÍCH)\s*[:=]?\s*(?P<value>{_NUMBER})\s*(?:m2|m²)?$",
    "code": r"^(?P<value>[A-Z]{1,4}\d{0,3}[-.]?\d{1,3}[A-Z]?)$",
}
_INTEGER = {"storeys_min", "storeys_max"}


def patterns() -> dict[str, re.Pattern]:
    configured = getattr(settings, "PLANNING_CAD_LABEL_PATTERNS", None) or {}
    merged = {**DEFAULT_PATTERNS, **configured}
    return {name: re.compile(rx, re.IGNORECASE) for name, rx in merged.items()}


def number(text: str) -> float | None:
    """'3,0' -> 3.0; '1.250,5' -> 1250.5; '1,250.5' -> 1250.5; '1.250' -> 1250 (grouped)."""
    text = text.strip()
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal == "," else ",", "").replace(decimal, ".")
    elif "," in text:
        text = text.replace(",", ".") if text.count(",") == 1 else text.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}", text):
        text = text.replace(".", "")
    try:
        return float(text)
    except ValueError:
        return None


@dataclass
class LabelParser:
    functions: dict[str, str]  # casefolded code or Vietnamese name -> category code
    rules: dict[str, re.Pattern] = field(default_factory=patterns)

    def parse(self, text: str) -> dict[str, object]:
        found: dict[str, object] = {}
        for line in re.split(r"[\n;]+", unicodedata.normalize("NFC", text)):
            line = " ".join(line.split())
            if line:
                self._line(line, found)
        return found

    def _line(self, line: str, found: dict[str, object]) -> None:
        function = self.functions.get(line.casefold())
        if function:
            found.setdefault("function", function)
            found.setdefault("function_label", line)
            return
        for name, rule in self.rules.items():
            match = rule.match(line)
            if match:
                _store(name, match, found)
                return
        found.setdefault("_unparsed", []).append(line)  # type: ignore[attr-defined]


def _store(name: str, match: re.Match, found: dict[str, object]) -> None:
    groups = match.groupdict()
    if name == "storeys":
        low = int(groups["min"])
        found["storeys_min"] = low
        found["storeys_max"] = int(groups["max"]) if groups.get("max") else low
    elif name == "code":
        found.setdefault("_codes", []).append(groups["value"].upper())  # type: ignore[attr-defined]
    else:
        value = number(groups["value"])
        if value is not None:
            found[name] = int(value) if name in _INTEGER else value


def function_names(rows) -> dict[str, str]:
    """code and Vietnamese names (with and without the leading 'Đất') -> code."""
    names: dict[str, str] = {}
    for code, name_vi in rows:
        names[code.casefold()] = code
        name = unicodedata.normalize("NFC", name_vi).casefold()
        names[name] = code
        if name.startswith("đất "):
            names.setdefault(name[4:], code)
    return names


@dataclass
class LabelIssue:
    location: tuple[float, float]
    problem: str
    texts: list[str]

    def as_dict(self) -> dict:
        return {"location": self.location, "problem": self.problem, "texts": self.texts}


def assign(
    lots: list[BaseGeometry], points: list[BaseGeometry], texts: list[str], parser: LabelParser
) -> tuple[list[dict[str, object]], list[LabelIssue]]:
    """Attributes per lot from the texts whose anchor point lies inside it."""
    inside: list[list[str]] = [[] for _ in lots]
    if lots and points:
        tree = shapely.STRtree(np.asarray(lots, dtype=object))
        label_idx, lot_idx = tree.query(np.asarray(points, dtype=object), predicate="within")
        for label, lot in zip(label_idx.tolist(), lot_idx.tolist(), strict=True):
            inside[lot].append(texts[label])
    results, issues = [], []
    for lot, lot_texts in zip(lots, inside, strict=True):
        attributes, problem = _combine(lot_texts, parser)
        results.append(attributes)
        if problem:
            point = lot.representative_point()
            issues.append(LabelIssue((round(point.x, 3), round(point.y, 3)), problem, lot_texts))
    return results, issues


def _combine(texts: list[str], parser: LabelParser) -> tuple[dict[str, object], str]:
    found: dict[str, object] = {}
    codes: list[str] = []
    for text in texts:
        parsed = parser.parse(text)
        codes.extend(parsed.pop("_codes", []))  # type: ignore[arg-type]
        unparsed = parsed.pop("_unparsed", [])
        for key, value in parsed.items():
            found.setdefault(key, value)
        if unparsed:
            found.setdefault("label_text", " | ".join(unparsed))  # type: ignore[arg-type]
    distinct = list(dict.fromkeys(codes))
    if distinct:
        found["code"] = distinct[0]
    if not texts:
        return found, "no label inside the lot"
    if len(distinct) > 1:
        return found, "several lot codes: " + ", ".join(distinct)
    if not distinct:
        return found, "no lot code in the label"
    if "function" not in found:
        return found, "no land-use function in the label"
    return found, ""
