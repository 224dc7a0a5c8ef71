"""Tag-level repairs for DXF files that AutoCAD and GDAL accept but ezdxf refuses.

Many tools write ENTITIES-only files (no HEADER): ezdxf then assumes R12 and strips the
subclass markers that R2000 entities (LWPOLYLINE, HATCH, MTEXT …) need. Others omit the
markers altogether, leave an unnamed SECTION before EOF, or forget the `0 SECTION` before
`2 ENTITIES`. The repair rewrites the tag stream (already known to be within limits) so
ezdxf can read it; the report says that a repair happened.
"""

from __future__ import annotations

from pathlib import Path

from importers import report as messages
from importers.cad.scan import pairs

_HEADER = [(0, b"SECTION"), (2, b"HEADER"), (9, b"$ACADVER"), (1, b"AC1015"), (0, b"ENDSEC")]
_SUBCLASS = {
    b"LWPOLYLINE": b"AcDbPolyline",
    b"HATCH": b"AcDbHatch",
    b"MTEXT": b"AcDbMText",
    b"SPLINE": b"AcDbSpline",
    b"ELLIPSE": b"AcDbEllipse",
}
# Group codes of the common entity part (AcDbEntity) that may precede the subclass data.
_COMMON = {5, 330, 360, 8, 6, 62, 370, 48, 60, 67, 420, 430, 440, 284, 347, 390}

Pair = tuple[int, bytes]


def repair(path: Path, *, add_header: bool) -> tuple[bytes, list[str]]:
    """The repaired file content and a note per kind of repair made."""
    tags: list[Pair] = [(code, value) for code, value, _ in pairs(path)]
    notes: list[str] = []
    if add_header:
        tags = _HEADER + tags
        notes.append(messages.NO_HEADER())
    tags, fixed = _fix_sections(tags)
    if fixed:
        notes.append(messages.SECTIONS_REPAIRED())
    handles: set[bytes] = set()
    before = sum(1 for code, _ in tags if code == 5)
    tags, marked = _add_subclass_markers(tags, handles)
    if marked:
        notes.append(messages.MARKERS_ADDED(count=marked))
    duplicates = before - sum(1 for code, _ in tags if code == 5)
    if duplicates:
        notes.append(messages.HANDLES_RENUMBERED(count=duplicates))
    return b"".join(b"%d\n%s\n" % (code, value) for code, value in tags), notes


def _fix_sections(tags: list[Pair]) -> tuple[list[Pair], bool]:
    out: list[Pair] = []
    fixed = False
    in_section = False
    for index, (code, value) in enumerate(tags):
        name = value.strip()
        if code == 0 and name == b"SECTION":
            following = tags[index + 1] if index + 1 < len(tags) else (0, b"EOF")
            if following[0] != 2:  # unnamed section: drop it
                fixed = True
                continue
            in_section = True
        elif code == 0 and name == b"ENDSEC":
            in_section = False
        elif code == 2 and not in_section and out and out[-1] == (0, b"ENDSEC"):
            out.append((0, b"SECTION"))  # a section name without its SECTION tag
            in_section, fixed = True, True
        out.append((code, value))
    return out, fixed


def _add_subclass_markers(tags: list[Pair], handles: set[bytes]) -> tuple[list[Pair], int]:
    out: list[Pair] = []
    count = 0
    index = 0
    while index < len(tags):
        code, value = tags[index]
        out.append((code, value))
        index += 1
        if code != 0 or value.strip() in (b"SECTION", b"ENDSEC", b"EOF"):
            continue
        subclass = _SUBCLASS.get(value.strip())
        end = index
        while end < len(tags) and tags[end][0] != 0:
            end += 1
        body = _unique_handles(tags[index:end], handles)
        if subclass is not None and not any(c == 100 for c, _ in body):
            count += 1
            head = [t for t in body if t[0] in _COMMON]
            rest = [t for t in body if t[0] not in _COMMON]
            body = [*head[:1], (100, b"AcDbEntity"), *head[1:], (100, subclass), *rest]
        out.extend(body)
        index = end
    return out, count


def _unique_handles(body: list[Pair], seen: set[bytes]) -> list[Pair]:
    """Drops a handle already used (ezdxf then gives the entity a new one, not drops it)."""
    out = []
    for code, value in body:
        if code == 5:
            if value in seen:
                continue
            seen.add(value)
        out.append((code, value))
    return out
