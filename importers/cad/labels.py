"""Lot attributes from the texts inside each lot: point-in-polygon, then pattern parsing.

Planners write lot labels as loose TEXT/MTEXT or block attributes, one fact per line
("A2-19", "Đất ở mới" or "DO", "MĐXD 60%", "HSSDĐ 3,0", "TC 3-5") or several facts on one
line ("OD-01 ĐẤT Ở MỚI MĐXD 60% HSSDĐ 3,0 TC 3-5", "MĐXD=40%; TC: 5-9 tầng; H ≤ 25m",
"S=1.234,5 m2"), with Vietnamese decimal commas and thousands dots. A line that one
pattern matches whole is that fact; otherwise every fact found in the line is taken and
what remains is read as lot codes and land-use function names. The patterns are settings
(PLANNING_CAD_LABEL_PATTERNS: name -> regex with named groups) because every institute
writes them a little differently; the land-use function is matched against the category
catalogue by code or Vietnamese name. Two different lot codes, functions or values of one
fact in one lot are reported, not silently resolved.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.conf import settings
from shapely.geometry.base import BaseGeometry

from importers import report
from planning.catalogue import function_names as function_names  # re-exported: the table

_NUMBER = r"\d+(?:[.,]\d+)*"
_LEAD = r"(?<![^\W_])"  # a keyword starts a word
_TAIL = r"(?![^\W_]|[-.,/]\d)"  # a value is not the start of a longer token ("S1-01")
_MAX = r"(?:\s*(?:max|tối\s*đa))?"
_IS = r"\s*(?:[:=]|≤|<=|<)?\s*"
_IS_SPACED = r"(?:\s*(?:[:=]|≤|<=|<)\s*|\s+)"  # after one-letter keywords (H, S)
_RANGE = r"\s*[-–÷]\s*"
DEFAULT_PATTERNS = {
    "density": rf"{_LEAD}M[ĐD]XD{_MAX}{_IS}(?P<value>{_NUMBER})(?:\s*%)?{_TAIL}",
    "far": rf"{_LEAD}(?:HSSD[ĐD]|HSD|FAR){_MAX}{_IS}(?P<value>{_NUMBER})(?:\s*lần)?{_TAIL}",
    "storeys": rf"{_LEAD}(?:TC|TẦNG\s*CAO){_MAX}{_IS}(?P<min>\d+)(?:{_RANGE}(?P<max>\d+))?"
    rf"(?:\s*tầng)?{_TAIL}",
    "height_max": rf"{_LEAD}(?:H|CHIỀU\s*CAO)(?:\s*(?:max|tối\s*đa))?{_IS_SPACED}"
    rf"(?:(?P<min>{_NUMBER}){_RANGE})?(?P<value>{_NUMBER})\s*m{_TAIL}",
    "area": rf"{_LEAD}(?:S|DT|DIỆN\s*TÍCH){_IS_SPACED}(?P<value>{_NUMBER})(?:\s*(?:m2|m²))?"
    rf"{_TAIL}",
    "code": r"(?P<value>[A-Z]{1,4}\d{0,3}[-.]?\d{1,3}[A-Z]?)",
}
_INTEGER = {"storeys_min", "storeys_max"}
_GROUPED = {"area"}  # "1.234 m2" is 1234 m²: lots are not a thousandth of a square metre
_UNITS = {"m2", "m²", "m", "%"}
_BREAK = "\x00"  # stands where a fact was read out of a line
_LAND = "đất"  # a land-use name's first word
# what ends a run of words: a fact read out, brackets and the like, and a comma, slash or
# dash at a word's edge (not inside "3,0", "1.234,5" or "A1-01", nor "OD-01/02")
_RUNS = re.compile(r"\x00+|[;:()\[\]{}|]+|(?<!\w)[,/\-–—]+|[,/\-–—]+(?!\w)")
_PUNCTUATION = ",;:()[]{}|/"
_HAS_DIGIT = re.compile(r"\d")


def patterns() -> dict[str, re.Pattern]:
    configured = getattr(settings, "PLANNING_CAD_LABEL_PATTERNS", None) or {}
    merged = {**DEFAULT_PATTERNS, **configured}
    return {name: re.compile(rx, re.IGNORECASE) for name, rx in merged.items()}


def number(text: str, grouped: bool = False) -> float | None:
    """'3,0' -> 3.0; '1.250,5' -> 1250.5; '1,250.5' -> 1250.5; '1.250.000' -> 1250000;
    '1.250' -> 1.25, or 1250 when `grouped` (a quantity written with thousands dots)."""
    text = text.strip()
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal == "," else ",", "").replace(decimal, ".")
    elif "," in text:
        text = text.replace(",", ".") if text.count(",") == 1 else text.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}", text) or (
        grouped and re.fullmatch(r"\d{1,3}\.\d{3}", text)
    ):
        text = text.replace(".", "")
    try:
        return float(text)
    except ValueError:
        return None


_Fact = tuple[str, object, object]  # ("function", code, label) | (fact name, match, None)
# what a fact does to a text's facts: ("put", name, value) | ("label", name, value) |
# ("append", list name, value)
_Step = tuple[str, str, object]
_MEMO_LINES = 50_000


@dataclass
class LabelParser:
    functions: dict[str, str]  # casefolded code or Vietnamese name -> category code
    rules: dict[str, re.Pattern] = field(default_factory=patterns)
    # line -> (steps, unparsed text): plans repeat the same label lines across many lots
    _read: dict[str, tuple[list[_Step], str]] = field(default_factory=dict, init=False, repr=False)
    # category code -> its names (function keys), for refines()
    _names: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False)
    # lots whose function came from their code's letters, for the report's note: "MN-01"
    # may be a kindergarten (mầm non) in a drawing, not the catalogue's water surface (MN)
    from_codes: int = field(default=0, init=False)

    def parse(self, text: str) -> dict[str, object]:
        """The facts of one text; `_codes`, `_unparsed` and `_conflicts` are for _combine."""
        found: dict[str, object] = {}
        for line in re.split(r"[\n;]+", unicodedata.normalize("NFC", text)):
            line = " ".join(line.split())
            if line:
                self._line(line, found)
        return found

    def _line(self, line: str, found: dict[str, object]) -> None:
        known = self._read.get(line)
        if known is None:
            facts, unparsed = self._read_line(line)
            known = ([step for fact in facts for step in _steps(*fact)], unparsed)
            if len(self._read) < _MEMO_LINES:
                self._read[line] = known
        steps, unparsed = known
        for step, name, value in steps:
            if step == "put":
                _put(found, name, value)
            elif step == "label":
                found.setdefault(name, value)
            else:
                found.setdefault(name, []).append(value)  # type: ignore[attr-defined]
        if unparsed:
            found.setdefault("_unparsed", []).append(unparsed)  # type: ignore[attr-defined]

    def _read_line(self, line: str) -> tuple[list[_Fact], str]:
        """The facts of one line in the order they are stored, and its unparsed text."""
        function = self.functions.get(line.casefold())
        if function:
            return [("function", function, line)], ""
        for name, rule in self.rules.items():
            match = rule.fullmatch(line)
            if match:
                return [(name, match, None)], ""
        rest = line
        found = self._facts(line)
        facts: list[_Fact] = [(name, match, None) for name, match in found]
        for _, match in found:  # a fact ends a run of words, as punctuation does
            rest = (
                rest[: match.start()] + _BREAK * (match.end() - match.start()) + rest[match.end() :]
            )
        leftover, read = self._words(rest, facts)
        if not leftover:
            return facts, ""
        return facts, line if not found and not read else " ".join(leftover)

    def _facts(self, line: str) -> list[tuple[str, re.Match]]:
        """The non-overlapping facts inside a line, leftmost first, longest on a tie."""
        candidates = [
            (name, match)
            for name, rule in self.rules.items()
            if name != "code"
            for match in rule.finditer(line)
            if match.end() > match.start()
        ]
        candidates.sort(key=lambda c: (c[1].start(), -(c[1].end() - c[1].start())))
        chosen, reached = [], 0
        for name, match in candidates:
            if match.start() >= reached:
                chosen.append((name, match))
                reached = match.end()
        return chosen

    def _words(self, rest: str, facts: list[_Fact]) -> tuple[list[str], bool]:
        """Reads lot codes and function names or codes from what is left of a line into
        `facts`; returns the words that are neither, and whether any word was read. Words
        run until a fact, a lot code or punctuation, and a function is never cut out of the
        planner's own words around it (_close)."""
        leftover: list[str] = []
        words_seen = 0
        for run in _RUNS.split(rest):
            words = [w.strip(_PUNCTUATION) for w in run.split()]
            words = [w for w in words if w and w.casefold() not in _UNITS]
            words_seen += len(words)
            start, named, spans = 0, list[_Fact](), list[tuple[int, int]]()
            while start < len(words):
                if taken := self._function_at(words, start, named):
                    spans.append((start, start + taken))
                    start += taken
                    continue
                is_code = self._code_at(words, start, facts)
                if is_code or _HAS_DIGIT.search(words[start]):
                    # a lot code, or a number or code not read ("60%", "A1/01"), ends the run
                    _close(words[:start], named, spans, leftover, facts)
                    if not is_code:
                        leftover.append(words[start])
                    words, start, named, spans = words[start + 1 :], 0, [], []
                else:
                    start += 1
            _close(words, named, spans, leftover, facts)
        return leftover, len(leftover) < words_seen

    def _function_at(self, words: list[str], start: int, facts: list[_Fact]) -> int:
        """Words taken by the longest function name starting at `start` (0: none). A single
        word counts only as a category code in capitals ("DO", "CX"): "do" is also an
        ordinary word, and "Ở" alone is no function."""
        for stop in range(len(words), start, -1):
            phrase = " ".join(words[start:stop])
            function = self.functions.get(phrase.casefold())
            if function and (stop - start > 1 or phrase == function):
                facts.append(("function", function, phrase))
                return stop - start
        return 0

    def code_function(self, code: str) -> str | None:
        """The catalogue code a lot code starts with ("ODT-01" -> ODT, "TMDV02" -> TMDV;
        "A2-19" -> None)."""
        prefix = re.match(r"[A-Z]+", code)
        if prefix is None:
            return None
        letters = prefix.group(0)
        return letters if self.functions.get(letters.casefold()) == letters else None

    def refines(self, code: str, group: str) -> bool:
        """Whether category `code` is a kind of `group` by their names: "Đất ở tại đô thị"
        (ODT) and "Đất ở mới" (DO) are kinds of "Đất ở" (OCT)."""
        if not self._names:
            for name, of in self.functions.items():
                if name != of.casefold():
                    self._names.setdefault(of, []).append(name)
        return any(
            name.startswith(f"{broad} ")
            for name in self._names.get(code, [])
            for broad in self._names.get(group, [])
        )

    def _code_at(self, words: list[str], start: int, facts: list[_Fact]) -> int:
        rule = self.rules.get("code")
        match = rule.fullmatch(words[start]) if rule is not None else None
        if match is None:
            return 0
        facts.append(("code", match, None))
        return 1


def _close(words, named: list[_Fact], spans, leftover: list[str], facts: list[_Fact]) -> None:
    """Ends a run of words: its functions (at `spans`) go to `facts`, and no function is cut
    out of the words around it. A run that starts with "Đất" names the land use in the
    planner's words ("Đất công trình công cộng"): they label the function (a number ends a
    run before it gets here: "Đất ở mới 60%"). Any other run is the planner's text that
    mentions a function ("Trạm y tế phường"): kept whole as text, the function still read."""
    if not named:
        leftover.extend(words)
        return
    if sum(stop - begin for begin, stop in spans) == len(words):  # functions only
        facts.extend(named)
        return
    if words[0].casefold() == _LAND:
        facts.extend((kind, code, " ".join(words)) for kind, code, _ in named)
        return
    facts.extend(named)
    leftover.extend(words)


def _put(found: dict[str, object], name: str, value: object) -> None:
    """Sets a fact; a different value for a fact already set is a conflict."""
    if name in found and found[name] != value:
        conflicts = found.setdefault("_conflicts", {})
        assert isinstance(conflicts, dict)
        conflicts.setdefault(name, [found[name]])
        if value not in conflicts[name]:
            conflicts[name].append(value)
        return
    found[name] = value


def _steps(name: str, value: object, label: object) -> list[_Step]:
    """The steps that store one fact of a line (the function's, a matched rule's)."""
    if name == "function":
        return [("put", "function", value), ("label", "function_label", label)]
    match: re.Match = value  # type: ignore[assignment]
    groups = match.groupdict()
    if name == "storeys":
        low = int(groups["min"])
        return [
            ("put", "storeys_min", low),
            ("put", "storeys_max", int(groups["max"]) if groups.get("max") else low),
        ]
    if name == "code":
        code = groups.get("value") or match.group(0)
        return [("append", "_codes", code.upper())]
    steps: list[_Step] = []
    if name == "height_max" and groups.get("min"):
        least = number(groups["min"])
        if least is not None:
            steps.append(("put", "height_min", least))
    number_value = number(groups["value"], grouped=name in _GROUPED)
    if number_value is not None:
        stored = int(number_value) if name in _INTEGER else number_value
        steps.append(("put", name, stored))
    return steps


@dataclass
class LabelIssue:
    location: tuple[float, float]
    problem: str
    texts: list[str]

    def as_dict(self) -> dict:
        return {"location": self.location, "problem": self.problem, "texts": self.texts}


@dataclass
class LotLabels:
    """What the texts inside one lot say."""

    attributes: dict[str, object]  # the facts, each with the first value read
    texts: list[str]  # the texts inside the lot
    codes: list[str]  # the distinct lot codes read, in order
    conflicts: dict[str, list[object]]  # fact -> its differing values, the kept one first
    function_from_code: bool = False  # the function is the lot code's catalogue prefix


def assign(
    lots: list[BaseGeometry],
    points: list[BaseGeometry],
    texts: list[str],
    parser: LabelParser,
    parsed: list[dict[str, object]] | None = None,
) -> tuple[list[dict[str, object]], list[LabelIssue]]:
    """Attributes per lot from the texts whose anchor point lies inside it (`parsed`: the
    texts already parsed by `parser`, when that was done beforehand), and the problems: a
    lot's (problem) and those of the texts in no lot (join)."""
    joined, outside = join(lots, points, texts, parser, parsed)
    issues = [
        LabelIssue(location(lot), found, labelled.texts)
        for lot, labelled in zip(lots, joined, strict=True)
        if (found := problem(labelled))
    ]
    return [labelled.attributes for labelled in joined], [*issues, *outside]


def join(
    lots: list[BaseGeometry],
    points: list[BaseGeometry],
    texts: list[str],
    parser: LabelParser,
    parsed: list[dict[str, object]] | None = None,
) -> tuple[list[LotLabels], list[LabelIssue]]:
    """What the texts whose anchor point lies inside each lot say (point-in-polygon), and
    the texts with a lot code that lie in no lot, reported where they stand (their lot may
    not have closed); a function name alone is not, since a plan's legend lists every
    function outside the lots."""
    if parsed is None:
        parsed = [parser.parse(text) for text in texts]
    inside: list[list[int]] = [[] for _ in lots]
    if lots and points:
        tree = shapely.STRtree(np.asarray(lots, dtype=object))
        label_idx, lot_idx = tree.query(np.asarray(points, dtype=object), predicate="within")
        for label, lot in zip(label_idx.tolist(), lot_idx.tolist(), strict=True):
            inside[lot].append(label)
    joined = []
    for members in inside:
        labelled = _combine([parsed[i] for i in members], parser)
        labelled.texts = [texts[i] for i in members]
        joined.append(labelled)
    placed = {i for members in inside for i in members}
    outside = [
        LabelIssue(location(points[i]), report.LABEL_OUTSIDE_LOTS(), [texts[i]])
        for i, facts in enumerate(parsed)
        if i not in placed and "_codes" in facts
    ]
    return joined, outside


def problem(lot: LotLabels) -> str:
    """Why a lot's labels do not settle it ("" when they do): none, several lot codes, no
    code, no function, conflicting values (its attributes may hold what else gives it)."""
    if not lot.texts:
        return report.NO_LABEL()
    if len(lot.codes) > 1:
        return report.SEVERAL_CODES(codes=", ".join(lot.codes))
    if not lot.codes:
        return report.NO_LOT_CODE()
    if "function" not in lot.attributes:
        return report.NO_FUNCTION()
    if lot.conflicts:
        return report.CONFLICTING_VALUES(
            values="; ".join(
                f"{key} " + " / ".join(str(v) for v in values)
                for key, values in lot.conflicts.items()
            )
        )
    return ""


def location(geom: BaseGeometry) -> tuple[float, float]:
    """Where a report entry about a text (its point) or a lot (a point inside it) stands."""
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    return (round(point.x, 3), round(point.y, 3))


_WORKING = ("_codes", "_unparsed", "_conflicts")


def _combine(parsed: list[dict[str, object]], parser: LabelParser) -> LotLabels:
    """One lot's attributes from the parsed texts inside it (which it does not change: a
    text may lie in two overlapping lots). A lot code whose prefix is a catalogue code gives
    the function when no label does, and wins over a label's broader one ("ODT-01" with
    "Đất ở": ODT, not the residential group OCT)."""
    found: dict[str, object] = {}
    codes: list[str] = []
    for facts in parsed:
        codes.extend(facts.get("_codes", []))  # type: ignore[arg-type]
        for key, value in facts.items():
            if key in _WORKING:
                continue
            if key == "function_label":
                found.setdefault(key, value)
            else:
                _put(found, key, value)
        for key, values in facts.get("_conflicts", {}).items():  # type: ignore[attr-defined]
            for value in values:
                _put(found, key, value)
        unparsed = facts.get("_unparsed")
        if unparsed:
            found.setdefault("label_text", " | ".join(unparsed))  # type: ignore[arg-type]
    conflicts = found.pop("_conflicts", {})
    assert isinstance(conflicts, dict)
    distinct = list(dict.fromkeys(codes))
    if distinct:
        found["code"] = distinct[0]
    from_code = False
    if len(distinct) == 1 and "function" not in conflicts:
        from_code = _function_from_code(found, distinct[0], parser)
    return LotLabels(found, [], distinct, conflicts, from_code)


def _function_from_code(found: dict[str, object], code: str, parser: LabelParser) -> bool:
    """Whether the lot code's catalogue prefix became the function."""
    prefixed = parser.code_function(code)
    if prefixed is None:
        return False
    labelled = found.get("function")
    if labelled is None or (labelled != prefixed and parser.refines(prefixed, str(labelled))):
        found["function"] = prefixed
        parser.from_codes += 1
        return True
    return False
