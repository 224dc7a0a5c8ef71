"""The fast DXF reader's entity rules, checked over all model-space entities at once.

fastdxf turns the ENTITIES section of a plain drawing straight into CadItems, provided
every entity is one ezdxf would load and audit without a change. Checking that one entity
at a time in Python cost more than reading the file, so here the checks run over numpy
arrays of all the section's tags together, and the commonest planning entities (LINE,
LWPOLYLINE without arcs, MTEXT) are converted in bulk. Everything else (HATCH, TEXT,
CIRCLE, POINT, polylines with bulges) goes through fastdxf's per-entity reader. The
results are those of the Walker, as the two-path tests in tests/cad/test_fastdxf.py check.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from ezdxf import const as ezconst
from ezdxf.lldxf import validator
from ezdxf.lldxf.types import VALID_XDATA_GROUP_CODES
from ezdxf.tools.text import escape_dxf_line_endings

from importers.cad import geometry
from importers.cad.geometry import CadItem

# POLYLINE: 2D polylines of straight segments, read with their VERTEXes and SEQEND
SUPPORTED = (
    *("LINE", "LWPOLYLINE", "TEXT", "MTEXT", "HATCH", "POINT", "CIRCLE"),
    *("POLYLINE", "VERTEX", "SEQEND"),
)
COMMON = {5, 100, 330, 8, 6, 62, 370, 48, 60, 67, 420, 39}
OWN_CODES = {
    "LINE": {10, 20, 30, 11, 21, 31},
    "POINT": {10, 20, 30, 50},
    "CIRCLE": {10, 20, 30, 40},
    "TEXT": {10, 20, 30, 11, 21, 31, 40, 1, 50, 41, 51, 7, 71, 72, 73},
    "MTEXT": {10, 20, 30, 11, 21, 31, 40, 41, 46, 71, 72, 1, 3, 7, 73, 44, 50, 42, 43},
    "LWPOLYLINE": {90, 70, 43, 38, 10, 20, 40, 41, 42, 91},
    "HATCH": {10, 20, 30, 2, 70, 71, 91},
    "POLYLINE": {66, 10, 20, 30, 70, 40, 41},  # 10/20/30: elevation point
    "VERTEX": {10, 20, 30, 40, 41, 42, 70},
    "SEQEND": set(),
}
REPEATED = {"LWPOLYLINE": {10, 20, 40, 41, 42, 91}, "MTEXT": {3}}
SINGLES = {
    kind: frozenset((own | COMMON) - REPEATED.get(kind, set())) for kind, own in OWN_CODES.items()
}
_EXTRUSION = {210, 220, 230}  # allowed in every entity, checked to be the default
_MAX_CODE = 1072
_KIND = {kind: index for index, kind in enumerate(SUPPORTED)}
_LINE, _LWPOLYLINE, _MTEXT, _HATCH = (_KIND[k] for k in ("LINE", "LWPOLYLINE", "MTEXT", "HATCH"))
_POLYLINE, _VERTEX, _SEQEND = (_KIND[k] for k in ("POLYLINE", "VERTEX", "SEQEND"))
_TEXTS = np.array([_KIND["TEXT"], _MTEXT])


def _code_table(codes_of) -> np.ndarray:
    table = np.zeros((len(SUPPORTED), _MAX_CODE), dtype=bool)
    for kind, index in _KIND.items():
        table[index, sorted(codes_of(kind))] = True
    return table


_ALLOWED = _code_table(lambda kind: SINGLES[kind] | REPEATED.get(kind, set()) | _EXTRUSION)
_SINGLE = _code_table(lambda kind: SINGLES[kind] - {100})


class Ineligible(Exception):
    """The file needs the ezdxf path."""


def number(value: str) -> int:
    """An integer tag as ezdxf reads it (integers written as floats included)."""
    try:
        return int(value)
    except ValueError:
        return int(float(value))


@dataclass
class Entities:
    """The model-space entities of the ENTITIES section, checked as ezdxf's loader and
    audit check them (apart from what the per-entity reader still checks: HATCH
    boundary data, the vertices of polylines with arcs)."""

    kinds: list[str]
    layers: list[str]
    handles: list[str]
    firsts: list[int]  # index of each entity's 0 tag
    ends: list[int]  # index after each entity's last tag
    # entity -> index after its last field when that is before its end: a HATCH's first 91
    # tag (its boundary data follows), the 1001 tag that starts an entity's XDATA
    field_ends: dict[int, int]
    fields: dict[int, np.ndarray]  # group code -> per entity the index of its tag or -1
    codes: np.ndarray  # group codes of the section's tags
    owners: np.ndarray  # per tag of the section: its entity
    head: np.ndarray  # per tag: read as a field (not a 0 tag, not HATCH boundary data)
    kind_ids: np.ndarray  # per entity: index in SUPPORTED, -1 for other types
    native: np.ndarray  # per entity: read here (else ezdxf reads it, or it follows one)
    carried: np.ndarray  # per entity: a VERTEX / SEQEND read with its POLYLINE
    parent: np.ndarray  # per entity: itself, or the INSERT / POLYLINE it follows
    parents: list[int]  # the entities ezdxf reads, each with its ATTRIB/VERTEX/SEQEND
    start: int  # index of the section's first tag in the file's tags
    floats: np.ndarray | None = None  # per tag: its value if a float code, else NaN

    def delegated_ranges(self, left_out: list[int] | None = None) -> list[tuple[int, int]]:
        """File tag ranges of the entities ezdxf reads (parents and their followers), but
        those `left_out`."""
        delegated = ~self.native & ~self.carried
        delegated[left_out or []] = False
        ranges: list[tuple[int, int]] = []
        for entity in np.flatnonzero(delegated).tolist():
            first, end = self.firsts[entity], self.ends[entity]
            if ranges and ranges[-1][1] == first:
                ranges[-1] = (ranges[-1][0], end)
            else:
                ranges.append((first, end))
        return ranges

    def field(self, code: int) -> np.ndarray:
        """Per entity, the section index of its (single) field with this code, or -1."""
        if code not in self.fields:
            self.fields[code] = _field(self.codes, self.head, self.owners, len(self.kinds), code)
        return self.fields[code]

    @property
    def counts(self) -> dict[str, Counter]:
        """Layer -> entity type -> count, of the entities read here (ezdxf's model space
        holds the others and is counted as such)."""
        counts: dict[str, Counter] = defaultdict(Counter)
        native = self.native.tolist()
        everything = zip(self.layers, self.kinds, strict=True)
        pairs = (pair for pair, own in zip(everything, native, strict=True) if own)
        for (layer, kind), count in Counter(pairs).items():
            counts[layer][kind] = count
        return counts


def layout(code_array: np.ndarray, values: list[str], start: int, stop: int) -> Entities:
    """The section's entities, each either read here (a supported type whose every field
    is one we read, with the default extrusion) or left to ezdxf with its followers."""
    codes = code_array[start:stop]
    firsts = np.flatnonzero(codes == 0)
    ends = np.append(firsts[1:], len(codes))
    kinds = [values[start + i].strip() for i in firsts.tolist()]
    kind_ids = np.fromiter((_KIND.get(k, -1) for k in kinds), dtype=np.int64, count=len(kinds))
    owners = np.repeat(np.arange(len(firsts)), ends - firsts)
    limits = _head_limits(codes, ends, owners, kind_ids)
    xdata = _xdata_tails(codes, ends, owners, kind_ids)
    limits[xdata >= 0] = xdata[xdata >= 0]
    head = (np.arange(len(codes)) < limits[owners]) & (kind_ids >= 0)[owners]
    head[firsts] = False
    odd = _odd_codes(codes, head, kind_ids, owners, xdata)
    odd |= _extruded(
        code_array, values, start + np.flatnonzero(head & (codes == 210)), owners, start
    )
    odd |= _curved_hatches(codes, values, kind_ids, owners, start)
    odd |= _outside_subclass(codes, values, start, owners, firsts, kind_ids, head)
    strings = np.flatnonzero(codes == 1000)
    if any(values[start + i] in _MTEXT_LINKS for i in strings.tolist()):
        raise Ineligible("MTEXT XDATA naming other entities: ezdxf drops them")
    parent = followers_parent(kinds)
    odd |= _curved_polylines_2d(codes, head, kind_ids, owners, values, start)
    native, carried, parents = _delegation(parent, kind_ids, odd)
    head &= (native | carried)[owners]
    entities = Entities(
        kinds=kinds,
        layers=[],
        handles=[],
        firsts=(firsts + start).tolist(),
        ends=(ends + start).tolist(),
        field_ends={
            e: int(limits[e]) + start
            for e in np.flatnonzero(((kind_ids == _HATCH) | (xdata >= 0)) & native).tolist()
        },
        fields={},
        codes=codes,
        owners=owners,
        head=head,
        kind_ids=kind_ids,
        native=native,
        carried=carried,
        parent=parent,
        parents=parents,
        start=start,
    )
    entities.handles = _values(values, start, entities.field(5), None)
    entities.layers = _values(values, start, entities.field(8), "0")
    return entities


_MTEXT_LINKS = {"ACAD_MTEXT_TEXT_BORDERS_BEGIN", "ACAD_MTEXT_COLUMNS_BEGIN"}
_FOLLOWERS = {"ATTRIB", "VERTEX", "SEQEND"}  # belong to the INSERT or POLYLINE before them


def followers_parent(kinds: list[str]) -> np.ndarray:
    """Per entity: itself, or for an ATTRIB/VERTEX/SEQEND the entity it follows."""
    follower = np.fromiter((k in _FOLLOWERS for k in kinds), dtype=bool, count=len(kinds))
    if len(kinds) and follower[0]:
        raise Ineligible("the section starts with a follower")
    index = np.arange(len(kinds))
    return np.maximum.accumulate(np.where(follower, -1, index)) if len(kinds) else index


def _delegation(parent: np.ndarray, kind_ids, odd) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Which entities are read here (a POLYLINE with its VERTEXes and SEQEND carried along),
    and the entities ezdxf reads with their followers."""
    index = np.arange(len(parent))
    follower = parent != index
    delegated = (kind_ids < 0) | odd
    whole = np.zeros(len(parent), dtype=bool)  # per run head: ezdxf reads the run
    whole[parent[delegated]] = True  # a member it must read
    whole[parent[follower & (kind_ids[parent] != _POLYLINE)]] = True  # an INSERT's ATTRIBs
    polyline = (kind_ids == _POLYLINE) & ~whole
    whole |= polyline & ~_walled(parent, kind_ids, follower)
    native = ~whole & ~follower
    carried = follower & ~whole[parent]
    parents = np.flatnonzero(whole & ~follower).tolist()
    return native, carried, parents


def _walled(parent, kind_ids, follower) -> np.ndarray:
    """Per POLYLINE: followed by two or more VERTEXes and then its SEQEND, as ezdxf links
    them (anything else there is a structure error for its loader)."""
    count = len(parent)
    vertices = np.bincount(parent[follower & (kind_ids == _VERTEX)], minlength=count)
    followers = np.bincount(parent[follower], minlength=count)
    last = np.full(count, -1, dtype=np.int64)
    last[parent[follower]] = np.flatnonzero(follower)  # ascending: the last one stays
    ends_with_seqend = np.zeros(count, dtype=bool)
    with_followers = last >= 0
    ends_with_seqend[with_followers] = kind_ids[last[with_followers]] == _SEQEND
    return (vertices >= 2) & (followers == vertices + 1) & ends_with_seqend


def _curved_polylines_2d(codes, head, kind_ids, owners, values, start: int) -> np.ndarray:
    """Per entity: a POLYLINE other than a 2D polyline of straight segments (curve- or
    spline-fitted, 3D, a mesh: flags other than closed and linetype generation) or a
    VERTEX that is not a plain 2D vertex (a bulge, any flag)."""
    odd = np.zeros(len(kind_ids), dtype=bool)
    tags = np.flatnonzero(head & np.isin(codes, (70, 42)))
    tags = tags[np.isin(kind_ids[owners[tags]], (_POLYLINE, _VERTEX))]
    for index in tags.tolist():
        entity, code = int(owners[index]), int(codes[index])
        value = values[start + index]
        if code == 42:
            odd[entity] |= float(value) != 0.0
        elif kind_ids[entity] == _POLYLINE:
            odd[entity] |= bool(number(value) & ~(1 | 128))
        else:
            odd[entity] |= number(value) != 0
    return odd


def check_native(entities: Entities, values: list[str], doc) -> None:
    """Ineligible unless the entities read here pass what ezdxf's audit checks."""
    _check_common(entities, values, doc)


def _head_limits(codes, ends, owners, kind_ids) -> np.ndarray:
    """Per entity, the index after its last field tag: its end, or for a HATCH its first
    91 tag (the boundary data after it is read by the per-entity reader)."""
    limits = ends.copy()
    counts = np.flatnonzero((codes == 91) & (kind_ids[owners] == _HATCH))
    entity, first_count = np.unique(owners[counts], return_index=True)
    limits[entity] = counts[first_count]
    return limits


# XDATA codes ezdxf loads without a check of their values beyond the tag compiler's (1004,
# binary chunks, it decodes as hex)
_PLAIN_XDATA = np.zeros(_MAX_CODE, dtype=bool)
_PLAIN_XDATA[sorted(VALID_XDATA_GROUP_CODES - {1004})] = True


def _xdata_tails(codes, ends, owners, kind_ids) -> np.ndarray:
    """Per entity: the section index of the 1001 tag that starts its XDATA, when the
    entity is of a supported type other than HATCH and its tags from there to its end are
    all plain XDATA (ezdxf keeps them aside; they change no geometry), else -1."""
    tails = np.full(len(kind_ids), -1, dtype=np.int64)
    big = np.flatnonzero(codes >= 1000)
    if not len(big):
        return tails
    entity = owners[big]
    first = np.flatnonzero(np.r_[True, entity[1:] != entity[:-1]])
    entities, starts = entity[first], big[first]
    tagged = np.bincount(entity, minlength=len(kind_ids))[entities]
    plain = np.ones(len(kind_ids), dtype=bool)
    known = codes[big] < _MAX_CODE
    plain[entity[~known]] = False
    plain[entity[known][~_PLAIN_XDATA[codes[big][known]]]] = False
    kinds = kind_ids[entities]
    ok = (
        (codes[starts] == 1001)
        & (tagged == ends[entities] - starts)  # nothing but XDATA after the first 1001
        & plain[entities]
        & (kinds >= 0)
        & (kinds != _HATCH)
    )
    tails[entities[ok]] = starts[ok]
    return tails


def _odd_codes(codes, head, kind_ids, owners, xdata) -> np.ndarray:
    """Per entity: a group code its type does not have here (XDATA other than a plain
    tail, application data, reactors ...) or a single-valued code twice; such entities are
    left to ezdxf."""
    odd = np.zeros(len(kind_ids), dtype=bool)
    # XDATA, application data groups, extension dictionaries: anywhere, HATCH tails included
    foreign = ((codes >= 1000) & (xdata < 0)[owners]) | (codes == 102) | (codes == 360)
    odd[owners[np.flatnonzero(foreign)]] = True
    tags = np.flatnonzero(head)
    tag_codes, tag_kind = codes[tags], kind_ids[owners[tags]]
    known = (tag_codes >= 0) & (tag_codes < _MAX_CODE)
    allowed = np.zeros(len(tags), dtype=bool)
    allowed[known] = _ALLOWED[tag_kind[known], tag_codes[known]]
    odd[owners[tags[~allowed]]] = True
    tags, tag_codes, tag_kind = tags[allowed], tag_codes[allowed], tag_kind[allowed]
    single = _SINGLE[tag_kind, tag_codes]
    keys = owners[tags[single]] * _MAX_CODE + tag_codes[single]
    keys.sort()  # (np.unique is a slow hash table for large arrays in numpy 2.3)
    odd[keys[1:][keys[1:] == keys[:-1]] // _MAX_CODE] = True
    return odd


_MARKERS = {
    "LINE": ("AcDbEntity", "AcDbLine"),
    "LWPOLYLINE": ("AcDbEntity", "AcDbPolyline"),
    "TEXT": ("AcDbEntity", "AcDbText", "AcDbText"),
    "MTEXT": ("AcDbEntity", "AcDbMText"),
    "HATCH": ("AcDbEntity", "AcDbHatch"),
    "POINT": ("AcDbEntity", "AcDbPoint"),
    "CIRCLE": ("AcDbEntity", "AcDbCircle"),
    "POLYLINE": ("AcDbEntity", "AcDb2dPolyline"),
    "VERTEX": ("AcDbEntity", "AcDbVertex", "AcDb2dVertex"),
    "SEQEND": ("AcDbEntity",),
}
_OWN = _code_table(lambda kind: OWN_CODES[kind] - COMMON)
_MARKER_IDS = {name: i for i, name in enumerate(sorted({n for m in _MARKERS.values() for n in m}))}
_EXPECTED = np.full((len(SUPPORTED), 4), -2, dtype=np.int64)  # marker ids by position
for _kind, _names in _MARKERS.items():
    _EXPECTED[_KIND[_kind], : len(_names)] = [_MARKER_IDS[n] for n in _names]
_EXPECTED_COUNT = np.array([len(_MARKERS[kind]) for kind in SUPPORTED] + [0])


def _outside_subclass(codes, values, start, owners, firsts, kind_ids, head) -> np.ndarray:
    """Per entity with subclass markers (R13+): markers other than ezdxf's for its type, or
    a field of its type before the type's marker (ezdxf reads fields by subclass)."""
    odd = np.zeros(len(kind_ids), dtype=bool)
    markers = np.flatnonzero(codes == 100)
    if not len(markers):
        return odd
    names = map(values.__getitem__, (markers + start).tolist())
    ids = np.fromiter((_MARKER_IDS.get(n, -1) for n in names), np.int64, len(markers))
    ordinal = np.cumsum(codes == 100)
    ordinal = ordinal - ordinal[firsts][owners]  # per tag: markers up to it in its entity
    owner, kind = owners[markers], kind_ids[owners[markers]]
    supported = kind >= 0
    place = np.minimum(ordinal[markers] - 1, _EXPECTED.shape[1] - 1)
    wrong = supported & (ids != _EXPECTED[kind, place])
    odd[owner[wrong]] = True
    count = np.bincount(owner, minlength=len(kind_ids))
    marked = count > 0
    odd |= marked & (kind_ids >= 0) & (count != _EXPECTED_COUNT[kind_ids])
    early = np.flatnonzero(head & (ordinal < 2) & (codes < _MAX_CODE) & (codes >= 0))
    early = early[marked[owners[early]]]  # fields before the type's marker
    odd[owners[early[_OWN[kind_ids[owners[early]], codes[early]]]]] = True
    return odd


def _curved_hatches(codes, values, kind_ids, owners, start: int) -> np.ndarray:
    """Per entity: a HATCH with an arc, ellipse or spline boundary edge (edge type 2-4 in a
    72 tag; in a polyline path 72 is the 0/1 bulge flag), which ezdxf flattens."""
    odd = np.zeros(len(kind_ids), dtype=bool)
    tags = np.flatnonzero((codes == 72) & (kind_ids[owners] == _HATCH))
    curved = [i for i in tags.tolist() if values[start + i].strip() not in ("0", "1")]
    odd[owners[curved]] = True
    return odd


def _extruded(code_array, values, tags: np.ndarray, owners, start: int) -> np.ndarray:
    """Per entity: an extrusion other than (0, 0, 1) (ezdxf places it through its OCS)."""
    odd = np.zeros(len(owners) and int(owners[-1]) + 1, dtype=bool)
    for index in tags.tolist():
        z = values[index + 2] if code_array[index + 2] == 230 else "0"
        if (float(values[index]), float(values[index + 1]), float(z)) != (0.0, 0.0, 1.0):
            odd[owners[index - start]] = True
    return odd


def _field(codes, head, owners, count: int, code: int) -> np.ndarray:
    """Per entity, the section index of its (single) tag with this code, or -1."""
    where = np.full(count, -1, dtype=np.int64)
    tags = np.flatnonzero(head & (codes == code))
    where[owners[tags]] = tags
    return where


def _meets(first: tuple[float, float], last: tuple[float, float]) -> bool:
    """ezdxf's test for a 2D polyline path that already ends at its start (add_2d_polyline:
    IS_CLOSE_TOL, relative only)."""
    return all(
        math.isclose(a, b, rel_tol=1e-10, abs_tol=0) for a, b in zip(first, last, strict=True)
    )


def _values(values, start: int, where: np.ndarray, default: str | None) -> list:
    return [values[start + i] if i >= 0 else default for i in where.tolist()]


def _check_common(entities: Entities, values, doc) -> None:
    """What the audit checks on every entity: handle, owner, space, linetype, colour,
    lineweight, text style."""
    read = (entities.native | entities.carried).tolist()
    handles = [handle for handle, own in zip(entities.handles, read, strict=True) if own]
    start = entities.start

    def distinct(code: int, of: np.ndarray | None = None) -> set[str]:
        where = entities.field(code)
        if of is not None:
            where = where[of]
        return {values[start + i] for i in where[where >= 0].tolist()}

    # a VERTEX or SEQEND gets its owner when ezdxf links it to its POLYLINE
    owners = distinct(330, entities.native)
    _check_fields(doc, handles, owners, distinct, distinct(7, np.isin(entities.kind_ids, _TEXTS)))


_HEX_HANDLES = re.compile(r"[0-9A-Fa-f]+(?:\n[0-9A-Fa-f]+)*")


def _check_fields(doc, handles: list, owners: set[str], distinct, styles: set[str]) -> None:
    """Ineligible unless ezdxf's audit leaves entities with these fields unchanged:
    `distinct(code)` gives the values of a field over the entities checked."""
    if None in handles or len(set(handles)) != len(handles):
        raise Ineligible("missing or duplicate handle")
    if handles and ("0" in handles or not _HEX_HANDLES.fullmatch("\n".join(handles))):
        raise Ineligible("a handle ezdxf's entity database refuses")
    if any(handle in doc.entitydb for handle in handles):
        raise Ineligible("missing or duplicate handle")
    model = doc.block_records.get("*Model_Space").dxf.handle
    if owners - {model}:
        raise Ineligible("not owned by model space")
    if any(number(v) != 0 for v in distinct(67)):
        raise Ineligible("paper space")
    for name in distinct(6):
        special = validator.make_table_key(name) in ("bylayer", "byblock")
        if not special and name not in doc.linetypes:
            raise Ineligible("undefined linetype")
    if any(not 0 <= number(v) <= 257 for v in distinct(62)):
        raise Ineligible("invalid colour")
    if any(number(v) not in ezconst.VALID_DXF_LINEWEIGHT_VALUES for v in distinct(370)):
        raise Ineligible("invalid lineweight")
    if any(name not in doc.styles for name in styles):
        raise Ineligible("undefined text style")


class BulkItems:
    """LINE, plain LWPOLYLINE and MTEXT items converted together after the loop over the
    entities has placed them (and the per-entity reader's items) in drawing order."""

    def __init__(self, entities: Entities, values: list[str]) -> None:
        self.entities = entities
        self.values = values
        self.lines: list[tuple[int, int]] = []  # (item index, entity)
        self.polylines: list[tuple[int, int]] = []
        self.mtexts: list[tuple[int, int]] = []
        self.polylines_2d: list[tuple[int, int]] = []
        self.curved = self._curved_polylines()

    def takes(self, entity: int) -> list[tuple[int, int]] | None:
        """The list the entity's item joins, or None for the per-entity reader."""
        kind = self.entities.kinds[entity]
        if kind == "LINE":
            return self.lines
        if kind == "MTEXT":
            return self.mtexts
        if kind == "LWPOLYLINE" and entity not in self.curved:
            return self.polylines
        if kind == "POLYLINE":
            return self.polylines_2d
        return None

    def _curved_polylines(self) -> set[int]:
        """Polylines with a non-zero bulge (arcs), or vertex data the reader refuses."""
        codes, owners, start = self.entities.codes, self.entities.owners, self.entities.start
        polyline = ((self.entities.kind_ids == _LWPOLYLINE) & self.entities.native)[owners]
        bulges = np.flatnonzero(polyline & (codes == 42))
        curved = {int(owners[i]) for i in bulges.tolist() if float(self.values[start + i]) != 0.0}
        ys = np.flatnonzero(polyline & (codes == 20))
        stray = ys[codes[ys - 1] != 10]  # a y that does not follow its x
        curved.update(owners[stray].tolist())
        return curved

    def convert(self, items: list[CadItem], shapes) -> None:
        self._lines(items)
        self._polylines(items, shapes)
        self._polylines_2d(items, shapes)
        self._mtexts(items, shapes)

    def _floats(self, entities: list[int], code: int) -> np.ndarray:
        index = self.entities.field(code)[entities]
        if (index < 0).any():
            raise Ineligible(f"group code {code} missing")
        assert self.entities.floats is not None
        return self.entities.floats[index]

    def _lines(self, items: list[CadItem]) -> None:
        if not self.lines:
            return
        at, entities = (list(column) for column in zip(*self.lines, strict=True))
        xy = np.column_stack([self._floats(entities, code) for code in (10, 20, 11, 21)])
        made = shapely.linestrings(xy.reshape(-1, 2, 2))
        for index, geom in zip(at, made.tolist(), strict=True):
            items[index].geom = geom

    def _polylines(self, items: list[CadItem], shapes) -> None:
        if not self.polylines:
            return
        start, values = self.entities.start, self.values
        vertices = self._vertices()
        flags = self.entities.field(70)
        for index, entity in self.polylines:
            flag = flags[entity]
            closed = bool(number(values[start + flag]) & 1) if flag >= 0 else False
            items[index].geom, items[index].closed = shapes.line_or_ring(
                index, vertices.get(entity, []), closed
            )

    def _polylines_2d(self, items: list[CadItem], shapes) -> None:
        """POLYLINEs of straight segments, their points from the VERTEXes carried along (as
        ezdxf's path of a 2D polyline gives them: the elevation and z change no x, y)."""
        if not self.polylines_2d:
            return
        entities, values = self.entities, self.values
        wanted = np.zeros(len(entities.kinds), dtype=bool)
        wanted[[entity for _, entity in self.polylines_2d]] = True
        vertices = np.flatnonzero(
            entities.carried & (entities.kind_ids == _VERTEX) & wanted[entities.parent]
        )
        xs, ys = entities.field(10)[vertices], entities.field(20)[vertices]
        if (xs < 0).any() or (ys < 0).any():
            raise Ineligible("VERTEX without its location")
        assert entities.floats is not None
        pairs = list(zip(entities.floats[xs].tolist(), entities.floats[ys].tolist(), strict=True))
        owner = entities.parent[vertices]
        firsts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        ends = [*firsts[1:].tolist(), len(vertices)]
        points = {
            int(one): pairs[low:high]
            for one, low, high in zip(owner[firsts].tolist(), firsts.tolist(), ends, strict=True)
        }
        flags = entities.field(70)
        for index, entity in self.polylines_2d:
            flag = flags[entity]
            closed = bool(number(values[entities.start + flag]) & 1) if flag >= 0 else False
            line = points[entity]
            if closed and not _meets(line[0], line[-1]):
                line = [*line, line[0]]  # ezdxf's path closes it: A, B -> A, B, A
            items[index].geom, items[index].closed = shapes.line_or_ring(index, line, closed)

    def _vertices(self) -> dict[int, list[tuple[float, float]]]:
        """The (x, y) of each wanted polyline's vertices, in order."""
        owners = self.entities.owners
        wanted = np.zeros(len(self.entities.firsts), dtype=bool)
        wanted[[entity for _, entity in self.polylines]] = True
        xs = np.flatnonzero((self.entities.codes == 10) & wanted[owners])
        assert self.entities.floats is not None
        floats = self.entities.floats
        pairs = list(zip(floats[xs].tolist(), floats[xs + 1].tolist(), strict=True))
        found: dict[int, list[tuple[float, float]]] = {}
        entity = owners[xs]
        firsts = np.flatnonzero(np.r_[True, entity[1:] != entity[:-1]]) if len(xs) else xs
        ends = [*firsts[1:].tolist(), len(xs)]
        for one, low, high in zip(entity[firsts].tolist(), firsts.tolist(), ends, strict=True):
            found[one] = pairs[low:high]
        return found

    def _mtexts(self, items: list[CadItem], shapes) -> None:
        if not self.mtexts:
            return
        start, values = self.entities.start, self.values
        continued = self._continued()
        texts, styles = self.entities.field(1), self.entities.field(7)
        attachments = self.entities.field(71)
        entities = [entity for _, entity in self.mtexts]
        xs, ys = self._floats(entities, 10), self._floats(entities, 20)
        rotations = self._mtext_rotations(entities)
        rows = zip(self.mtexts, xs.tolist(), ys.tolist(), rotations, strict=True)
        for (index, entity), x, y, rotation in rows:
            item = items[index]
            item.rotation = rotation
            parts = continued.get(entity, [])
            parts.append(values[start + texts[entity]] if texts[entity] >= 0 else "")
            item.text, item.fonts = geometry.mtext_plain(escape_dxf_line_endings("".join(parts)))
            item.style = values[start + styles[entity]] if styles[entity] >= 0 else ""
            attachment = values[start + attachments[entity]] if attachments[entity] >= 0 else "1"
            item.anchor = geometry.mtext_anchor(number(attachment))
            shapes.points.append((index, (x, y)))

    def _mtext_rotations(self, entities: list[int]) -> list[float]:
        """Per MTEXT, geometry.text_rotation of an upright one: the angle of its text
        direction (11, 21) when it has one, else its rotation (50) as written, else 0."""
        floats = self.entities.floats
        assert floats is not None
        angles, xs, ys = (self.entities.field(code)[entities] for code in (50, 11, 21))
        rotations = np.where(angles >= 0, floats[angles], 0.0).tolist()
        directed = np.flatnonzero(xs >= 0)
        if (ys[directed] < 0).any():
            raise Ineligible("MTEXT text direction without y")
        directions = zip(floats[xs[directed]].tolist(), floats[ys[directed]].tolist(), strict=True)
        for at, (x, y) in zip(directed.tolist(), directions, strict=True):
            rotations[at] = geometry.direction_angle(x, y)
        return rotations

    def _continued(self) -> dict[int, list[str]]:
        """MTEXT's leading text chunks (code 3), in order."""
        start, owners, values = self.entities.start, self.entities.owners, self.values
        chunks = np.flatnonzero(self.entities.head & (self.entities.codes == 3))
        found: dict[int, list[str]] = defaultdict(list)
        for entity, i in zip(owners[chunks].tolist(), chunks.tolist(), strict=True):
            found[entity].append(values[start + i])
        return found
