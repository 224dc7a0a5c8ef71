"""A fast reader for ASCII DXF drawings: model space straight to CadItems.

ezdxf builds a full object model of every entity, which is most of the import time of a
large plan. This reader tokenises the file in bulk, hands the header, tables, blocks and
objects to ezdxf (cheap: few tags) and turns the entities it can vouch for directly into the
CadItems the Walker would yield, through the same geometry helpers: LINE, LWPOLYLINE, TEXT,
MTEXT, HATCH with polyline or line-edge paths, POINT, CIRCLE and 2D POLYLINEs of straight
segments. The entity checks and the bulk conversions live in fastbulk, fasthatch and
fastsymbols; the entities it leaves are read here one by one.

An entity is read here only when that is provably equivalent to the ezdxf path (only the
group codes we understand, a unique handle, the default extrusion, no reactors or extension
dictionaries, nothing ezdxf's audit would fix); every other entity (block references, arcs,
splines, dimensions ...) is handed to ezdxf with its followers and walked by the Walker in
its place. Whole files go to ezdxf (None) when the reader cannot vouch for them: binary DXF,
unusual encodings, paper space entities, audit fixes, an entity that would convert to
nothing. Files over PRESCAN_BYTES are first pre-scanned in constant memory, so that a file
over the limits is refused before it is held in memory.
"""

from __future__ import annotations

import codecs
import gc
import logging
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from ezdxf.document import Drawing
from ezdxf.entities import Circle, DXFGraphic, LWPolyline
from ezdxf.entities.boundary_paths import BoundaryPaths, EdgePath, LineEdge, PolylinePath
from ezdxf.filemanagement import dxf_file_info
from ezdxf.lldxf.tags import Tags
from ezdxf.lldxf.types import POINT_CODES, TYPE_TABLE, DXFTag, DXFVertex
from ezdxf.math import OCS, Vec3
from ezdxf.tools.text import plain_text

from importers.cad import fastbulk, fasthatch, fastsymbols, geometry
from importers.cad.audit import audit
from importers.cad.fastbulk import REPEATED, SINGLES, Ineligible, number
from importers.cad.fasthatch import HATCH_TAIL_CODES
from importers.cad.geometry import CadItem, Skipped
from importers.cad.limits import CadLimits
from importers.cad.scan import BINARY_SENTINEL, Scan, _Block, _expanded_size, scan, scan_tags
from importers.cad.scan import _int as scan_int
from importers.cad.text import fix_layer_names, name_fixer
from planning.errors import PlanningError

logger = logging.getLogger(__name__)

_HATCH_PATH_CODES = {10, 11, 12, 13, 40, 42, 50, 51, 72, 73, 74, 92, 93, 94, 95, 96, 97, 330}
_POINT_X = {10, 11, 12, 13, 14, 15, 16, 17, 18, 110, 111, 112, 210}
_SIMPLE_CODECS = {"utf-8", "ascii", "latin-1"}
PRESCAN_BYTES = 64 << 20  # larger files are pre-scanned in constant memory first


@dataclass
class FastDrawing:
    doc: Drawing  # header, tables, blocks and objects; model space left empty
    scan: Scan  # what the streaming pre-scan would have found
    items: list[CadItem]
    counts: dict[str, Counter]  # layer -> DXF type -> entities read here (not by ezdxf)
    skipped: list[Skipped]  # what the Walker skipped of the entities ezdxf read


class _Interrupted(Exception):
    """What the progress callback raised (a cancelled job), carried past the fallbacks."""

    def __init__(self, original: Exception) -> None:
        super().__init__(original)
        self.original = original


def read(
    path: Path,
    tolerance: float,
    accept: Callable[[str], bool],
    limits: CadLimits,
    progress: Callable[[float], None] | None = None,
    prescanned: Scan | None = None,
) -> FastDrawing | None:
    """The drawing read the fast way, or None when only ezdxf reads it faithfully or when
    the streaming pre-scan must judge the file's limits (then it is read the usual way).
    `progress(share read, 0..1)` is called between stages; what it raises stops the read.
    `prescanned`: the pre-scan of this file, when the caller already made it (see
    needs_prescan); otherwise a file over PRESCAN_BYTES is pre-scanned here."""
    if prescanned is None and needs_prescan(path):
        if _is_binary(path):
            return None
        prescanned = scan(path, limits)  # raises what the ezdxf path would raise
    collecting = gc.isenabled()
    gc.disable()  # millions of small acyclic objects: the cyclic collector only costs time
    try:
        return _read(path, tolerance, accept, limits, prescanned, _ticker(progress))
    except _Interrupted as stop:
        raise stop.original from None
    except Ineligible as why:
        logger.debug("%s takes the ezdxf path: %s", path.name, why)
        return None
    except PlanningError:  # refused by the pre-scan: the ezdxf path refuses it the same way
        return None
    except Exception:  # malformed data: the ezdxf path reads the file and reports its errors
        logger.info("fast DXF reader gave up on %s; using ezdxf", path.name)
        logger.debug("why the fast DXF reader gave up on %s", path.name, exc_info=True)
        return None
    finally:
        if collecting:
            gc.enable()


def needs_prescan(path: Path) -> bool:
    """Whether the file is too large to be tokenised before its limits are judged by the
    constant-memory pre-scan."""
    return path.stat().st_size > PRESCAN_BYTES


def _ticker(progress: Callable[[float], None] | None) -> Callable[[float], None]:
    def tick(share: float) -> None:
        if progress is not None:
            try:
                progress(share)
            except Exception as exc:
                raise _Interrupted(exc) from exc

    return tick


def _read(
    path: Path,
    tolerance: float,
    accept: Callable[[str], bool],
    limits: CadLimits,
    prescanned: Scan | None,
    tick: Callable[[float], None],
) -> FastDrawing:
    codes, values, encoding = _tokens(path)
    tick(0.2)
    code_array = np.asarray(codes)
    zeros = np.flatnonzero(code_array == 0)
    sections = _sections(zeros, codes, values)
    if "HEADER" not in sections or "ENTITIES" not in sections or zeros[0] != 0:
        raise Ineligible("no header or entities section")
    start, stop = sections["ENTITIES"]
    if start < stop and codes[start] != 0:
        raise Ineligible("ENTITIES section does not start with an entity")
    entities = fastbulk.layout(code_array, values, start, stop)
    fix = name_fixer(dxf_file_info(str(path)).version, encoding)
    entities.layers = _fixed_names(entities.layers, fix)
    accept = _accepting_fixed(accept, fix)
    tick(0.35)
    scanned = prescanned or _within_limits(code_array, zeros, values, sections, limits, encoding)
    scanned = scanned or scan_tags(_file_tags(codes, values, encoding), limits)
    entities.floats = _check_values(code_array, values, start, stop)
    walker = geometry.Walker(tolerance, limits.max_depth, accept)
    symbols = fastsymbols.candidates(entities, values, accept, limits.max_depth)
    doc = _load(codes, values, (start, stop), entities, symbols)
    expanded = {name for name in set(symbols.blocks) if walker.may_yield(doc, name)}
    if expanded:  # blocks on ignored layers that hold wanted content: ezdxf loads those
        left_out = zip(symbols.parents, symbols.blocks, strict=True)
        symbols = symbols.keep({parent for parent, name in left_out if name not in expanded})
        doc = _load(codes, values, (start, stop), entities, symbols)
    delegated = _delegated(doc, entities, symbols)
    fastbulk.check_native(entities, values, doc)
    fastsymbols.check_loaded(entities, symbols, values, doc)
    tick(0.5)
    items, skipped = _items(entities, delegated, codes, values, tolerance, walker, tick)
    counts = entities.counts
    for layer, counted in symbols.counts().items():
        counts[fix(layer)].update(counted)
    return FastDrawing(doc, scanned, items, counts, skipped)


def _accepting_fixed(accept: Callable[[str], bool], fix: Callable[[str], str]):
    """`accept` asked with fixed names (fastsymbols reads the file's own names)."""
    return lambda layer: accept(fix(layer))


def _fixed_names(layers: list[str], fix: Callable[[str], str]) -> list[str]:
    """The layer names as text.fix_name reads them, as the ezdxf path names them."""
    fixed = {name: fix(name) for name in set(layers)}
    if all(name == new for name, new in fixed.items()):
        return layers
    return [fixed[name] for name in layers]


def _load(codes, values, section, entities, symbols: fastsymbols.Symbols) -> Drawing:
    """ezdxf's document of everything but the entities read here and the symbols left out;
    Ineligible if its audit would change anything."""
    ranges = entities.delegated_ranges(fastsymbols.members(entities, symbols))
    doc = Drawing.load(_skeleton_tags(codes, values, section, ranges))
    if audit(doc).fixes:
        raise Ineligible("audit fixes")
    fix_layer_names(doc)
    return doc


def _delegated(doc: Drawing, entities: fastbulk.Entities, symbols) -> dict[int, DXFGraphic]:
    """The entities ezdxf read, by their index in the section."""
    loaded = list(doc.modelspace())
    left_out = set(symbols.parents)
    parents = [parent for parent in entities.parents if parent not in left_out]
    kinds = [entities.kinds[parent] for parent in parents]
    if [entity.dxftype() for entity in loaded] != kinds:
        raise Ineligible("ezdxf's model space differs from the entities given to it")
    return dict(zip(parents, loaded, strict=True))


ITEMS_TICK = 25_000  # entities between progress calls while converting


def _items(entities, delegated, codes, values, tolerance, walker: geometry.Walker, tick):
    """Every entity's items in drawing order (ezdxf's through the Walker), and what the
    Walker skipped; `tick` gets the share read (0.5..0.9) every ITEMS_TICK entities."""
    accept = walker.accept
    reader = _EntityReader(tolerance)
    bulk = fastbulk.BulkItems(entities, values)
    plain_hatches = fasthatch.plain_rings(entities, values)
    accepted = {layer: accept(layer) for layer in set(entities.layers)}
    native = entities.native.tolist()
    rows = zip(entities.kinds, entities.layers, entities.firsts, entities.ends, strict=True)
    total = max(len(native), 1)
    for entity, (kind, layer, first, end) in enumerate(rows):
        if entity % ITEMS_TICK == 0:
            tick(0.5 + 0.4 * entity / total)
        if not native[entity]:
            if entity in delegated:
                reader.items.extend(walker.items([delegated[entity]]))
            continue
        head_end = entities.field_ends.get(entity, end)
        if not accepted[layer]:
            if kind == "HATCH":
                reader.hatch_paths(codes, values, head_end, end)  # checks the boundary data
            continue
        joining = bulk.takes(entity)
        if entity in plain_hatches:
            reader.plain_hatch(layer, entities.handles[entity], plain_hatches[entity])
        elif joining is None:
            reader.entity(
                kind, layer, entities.handles[entity], codes, values, first, end, head_end
            )
        else:
            joining.append((len(reader.items), entity))
            reader.items.append(CadItem(layer, kind, entities.handles[entity]))
    bulk.convert(reader.items, reader.shapes)
    reader.shapes.make(reader.items)
    geoms = np.asarray([item.geom for item in reader.items], dtype=object)
    if any(geom is None for geom in geoms.tolist()) or shapely.is_empty(geoms).any():
        raise Ineligible("an entity the Walker would skip")
    return reader.items, walker.skipped


def _is_binary(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(BINARY_SENTINEL)) == BINARY_SENTINEL


def _tokens(path: Path) -> tuple[list[int], list[str], str]:
    """Group codes and values of the file decoded as ezdxf.readfile decodes it, and the
    encoding (one of single-byte code pages or UTF-8)."""
    if _is_binary(path):
        raise Ineligible("binary DXF")
    encoding = dxf_file_info(str(path)).encoding
    name = codecs.lookup(encoding).name
    if not (name in _SIMPLE_CODECS or name.startswith(("cp125", "iso8859"))):
        raise Ineligible(f"encoding {name}")
    text = path.read_bytes().decode(encoding, errors="surrogateescape")
    if "\r" in text:  # universal newlines, as the text stream ezdxf reads
        if text.count("\r") != text.count("\r\n"):
            raise Ineligible("lone carriage returns: lines differ from the pre-scan's")
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    del text
    while lines and not lines[-1].strip():
        lines.pop()  # blank lines after EOF
    if len(lines) % 2:
        raise Ineligible("odd number of lines")
    code_lines = lines[0::2]
    number_of = {line: int(line) for line in set(code_lines)}  # a few hundred distinct codes
    codes = list(map(number_of.__getitem__, code_lines))
    values = lines[1::2]
    return codes, values, encoding


def _file_tags(codes: list[int], values: list[str], encoding: str) -> Iterator:
    """The tags as the streaming pre-scan reads them from the file: values as the file's
    bytes (decoding with surrogate escapes and encoding back gives the same bytes), line
    numbers of the code lines."""
    for index, (code, value) in enumerate(zip(codes, values, strict=True)):
        yield code, value.encode(encoding, errors="surrogateescape"), 2 * index + 1


def _sections(zeros: np.ndarray, codes: list[int], values: list[str]) -> dict[str, tuple]:
    """Section name -> (index of its first content tag, index of its ENDSEC); the file
    must end with its first EOF marker, sections named right after SECTION."""
    sections: dict[str, tuple[int, int]] = {}
    name, first = "", -1
    for index in zeros.tolist():
        marker = values[index].strip()
        if marker == "SECTION":
            if name or index + 1 >= len(codes) or codes[index + 1] != 2:
                raise Ineligible("section structure")
            name, first = values[index + 1].strip(), index + 2
        elif marker == "ENDSEC":
            if not name or name in sections:
                raise Ineligible("section structure")
            sections[name], name = (first, index), ""
        elif marker == "EOF":
            if name or index != len(codes) - 1 or values[index] != "EOF":
                raise Ineligible("data after EOF or an open section")
            return sections
        elif not name:  # ezdxf ignores it, the pre-scan counts it in its last section
            raise Ineligible("a tag outside any section")
    raise Ineligible("no EOF marker")


_ASCII_SPACE = " \t\n\r\x0b\x0c"  # what bytes.strip() removes (the pre-scan's strip)
_STRUCTURE = {"SECTION", "ENDSEC", "TABLE", "ENDTAB", "BLOCK", "ENDBLK", "EOF", "SEQEND"}


def _within_limits(
    code_array, zeros, values, sections, limits: CadLimits, encoding: str
) -> Scan | None:
    """What the streaming pre-scan (importers.cad.scan) would find, computed on the tags in
    memory, when it provably finds nothing to refuse: the same block structure and
    expansion (cycles, depth and size raise as there), the entity count, and the vertices
    and text of every entity within the limits (counted generously: every tag run between
    two 0 codes, text of any entity, up to 4 bytes per character in UTF-8). Otherwise None,
    and the pre-scan itself judges the file."""
    if any(v.strip() != v.strip(_ASCII_SPACE) for v in {values[i] for i in zeros.tolist()}):
        return None  # "SEQEND\x1c": a SEQEND for ezdxf, an entity for the pre-scan
    blocks = _block_structure(code_array, zeros, values, sections, encoding)
    if blocks is None:
        return None
    entities = sum(block.own for block in blocks.values())
    if entities > limits.max_entities or any(
        copies > limits.max_array for block in blocks.values() for copies in block.cells
    ):
        return None
    expanded = _expanded_size(blocks, limits)  # InvalidInput: the pre-scan refuses it too
    vertices = np.add.reduceat((code_array == 10).astype(np.int64), zeros)
    texts = np.flatnonzero((code_array == 1) | (code_array == 3))
    lengths = np.fromiter((len(values[i]) for i in texts.tolist()), dtype=np.int64)
    owners = np.searchsorted(zeros, texts, side="right") - 1
    single_byte = codecs.lookup(encoding).name != "utf-8"
    chars = np.bincount(owners, weights=lengths, minlength=len(zeros)) * (1 if single_byte else 4)
    if vertices.max() > limits.max_vertices or (len(chars) and chars.max() > limits.max_text_chars):
        return None
    markers = bool((code_array == 100).any())
    return Scan(
        has_header=True,
        has_subclass_markers=markers,
        has_eof=True,
        complete=True,
        entities=entities,
        expanded=expanded,
    )


@dataclass
class _ScannedBlock(_Block):
    cells: list[int] = field(default_factory=list)  # copies of each INSERT / MINSERT


def _block_structure(code_array, zeros, values, sections, encoding) -> dict | None:
    """Block name -> its own entities and the blocks it inserts ("*entities*": model space
    and whatever the pre-scan files there), as the pre-scan's walk builds them; None for
    the odd layouts where its walk depends on more than this (entities before the first
    BLOCK, a block named after its first tags)."""
    blocks: dict[str, _ScannedBlock] = {}
    names = np.flatnonzero(code_array == 2)
    inserts: list[tuple[_ScannedBlock, int]] = []

    def raw(index: int) -> bytes:  # the file's bytes
        return values[index].encode(encoding, "surrogateescape")

    def raw_name(index: int) -> str:  # as the pre-scan reads it: the file's bytes, Latin-1
        return raw(index).strip().decode("latin-1").upper()

    for section in ("ENTITIES", "BLOCKS"):
        first, end = sections.get(section, (0, 0))
        block = blocks.setdefault("*entities*", _ScannedBlock()) if section == "ENTITIES" else None
        for head in zeros[(zeros >= first) & (zeros < end)].tolist():
            kind = values[head].strip()
            if kind == "BLOCK":
                at = int(names[np.searchsorted(names, head)]) if len(names) else -1
                following = zeros[np.searchsorted(zeros, head, side="right")]
                if not head < at < following:
                    return None
                block = blocks.setdefault(raw_name(at), _ScannedBlock())
            elif kind == "ENDBLK":
                block = blocks.setdefault("*entities*", _ScannedBlock())
            elif kind not in _STRUCTURE:
                if block is None:
                    return None
                block.own += 1
                if kind == "INSERT":
                    inserts.append((block, head))
    heads = np.asarray([head for _, head in inserts], dtype=np.int64)
    last = {code: _last_of(code_array, zeros, heads, code) for code in (2, 70, 71)}
    for row, (block, _) in enumerate(inserts):
        _scanned_insert(
            block, {code: int(found[row]) for code, found in last.items()}, raw_name, raw
        )
    return blocks


def _last_of(code_array: np.ndarray, zeros: np.ndarray, heads: np.ndarray, code: int):
    """Per entity head: the index of the entity's last tag with this code, or -1."""
    found = np.flatnonzero(code_array == code)
    ends = np.append(zeros, len(code_array))[np.searchsorted(zeros, heads, side="right")]
    at = np.searchsorted(found, ends) - 1  # the last such tag before the entity's end
    candidates = found[np.maximum(at, 0)] if len(found) else np.zeros(len(heads), dtype=int)
    return np.where((at >= 0) & (candidates > heads), candidates, -1)


def _scanned_insert(block: _ScannedBlock, tags: dict[int, int], raw_name, raw) -> None:
    """An INSERT as the pre-scan counts it: its block name, columns x rows copies."""
    name = raw_name(tags[2]) if tags[2] >= 0 else ""
    cells = 1
    for code in (70, 71):
        if tags[code] >= 0:
            cells *= max(1, scan_int(raw(tags[code])))
    block.cells.append(cells)
    block.inserts[name] = block.inserts.get(name, 0) + cells


_FLOAT_CODES = np.array(sorted(c for c, kind in TYPE_TABLE.items() if kind is float))
_INT_CODES = np.array(sorted(c for c, kind in TYPE_TABLE.items() if kind is int))
_POINT_CODES = np.array(sorted(POINT_CODES))


def _check_values(code_array: np.ndarray, values: list[str], start: int, stop: int):
    """Every entity tag compiles as ezdxf's tag compiler compiles it (numbers parse, each
    x coordinate is followed by its y), else ezdxf would fail and recover the file.
    Returns the section's float tags parsed (NaN for the others), for the bulk readers."""
    section = code_array[start:stop]
    points = np.flatnonzero(np.isin(section, _POINT_CODES))
    if len(points) and (
        points[-1] + 1 >= len(section) or (section[points + 1] != section[points] + 10).any()
    ):
        raise Ineligible("point without y")
    pick = values.__getitem__
    at = np.flatnonzero(np.isin(section, _FLOAT_CODES))
    parsed = np.full(len(section), np.nan)  # ValueError below: not ours to read
    parsed[at] = np.fromiter(map(float, map(pick, (at + start).tolist())), float, len(at))
    integers = (np.flatnonzero(np.isin(section, _INT_CODES)) + start).tolist()
    try:
        deque(map(int, map(pick, integers)), maxlen=0)
    except ValueError:  # ezdxf also takes integers written as floats
        deque(map(number, map(pick, integers)), maxlen=0)
    return parsed


def _skeleton_tags(
    codes: list[int], values: list[str], section: tuple[int, int], delegated: list[tuple[int, int]]
) -> Iterator[DXFTag]:
    """The file's tags for ezdxf's loader: all but the ENTITIES section's entities, and of
    those only the ones left to ezdxf (`delegated` tag ranges)."""
    start, stop = section  # the ENTITIES section's first tag and its ENDSEC
    ranges = [(0, start), *delegated, (stop, len(codes))]
    for first, last in ranges:
        for index in range(first, last):
            code, value = codes[index], values[index]
            if code != 999:
                yield DXFTag(code, value)
            if code == 0 and value == "EOF":
                return


def _fields(kind, codes, values, first, end) -> tuple[dict[int, str], list[tuple[int, str]]]:
    """Single-valued codes by code, repeated codes in order (checked by fastbulk.check)."""
    singles = SINGLES[kind]
    repeats = REPEATED.get(kind, ())
    fields: dict[int, str] = {}
    repeated: list[tuple[int, str]] = []
    for index in range(first, end):
        code = codes[index]
        if code in singles:
            fields[code] = values[index]
        elif code in repeats:
            repeated.append((code, values[index]))
    return fields, repeated


class _EntityReader:
    """CadItems of the entities the bulk conversion leaves: HATCH, TEXT, POINT, CIRCLE and
    polylines with arcs (their fields were checked in bulk, fastbulk.check)."""

    def __init__(self, tolerance: float) -> None:
        self.tolerance = tolerance
        self.items: list[CadItem] = []
        self.shapes = _Shapes()

    def entity(self, kind, layer, handle, codes, values, first, end, head_end) -> None:
        fields, repeated = _fields(kind, codes, values, first + 1, head_end)
        item = CadItem(layer, kind, handle)
        self.items.append(item)
        self._convert(item, fields, repeated, codes, values, head_end, end)

    def plain_hatch(self, layer: str, handle: str, rings: fasthatch.Rings) -> None:
        """A hatch whose rings fasthatch read (as _convert reads a plain hatch)."""
        item = CadItem(layer, "HATCH", handle, closed=True)
        self.items.append(item)
        self._hatch(item, rings)

    def _hatch(self, item: CadItem, rings: list) -> None:
        if len(rings) == 1 and len(rings[0]) >= 3:
            self.shapes.hatches.append((len(self.items) - 1, rings[0]))
        else:
            item.geom = geometry.hatch_area(rings)

    def _convert(self, item, fields, repeated, codes, values, head_end, end) -> None:
        kind = item.dxftype
        at = len(self.items) - 1
        if kind == "POINT":
            self.shapes.point(at, fields)
        elif kind == "CIRCLE":
            item.geom, item.closed = self._circle(fields)
        elif kind == "LWPOLYLINE":
            item.geom, item.closed = self._lwpolyline(at, fields, repeated)
        elif kind == "TEXT":
            item.text, xy = _text(fields)
            item.anchor = geometry.text_anchor(
                number(fields.get(72, "0")), number(fields.get(73, "0"))
            )
            item.rotation = float(fields.get(50, "0"))  # upright: as written (text_rotation)
            self.shapes.points.append((at, xy))
            item.style = fields.get(7, "")
        else:
            item.closed = True
            rings = _plain_rings(codes, values, head_end, end)
            if rings is None:
                paths = self.hatch_paths(codes, values, head_end, end)
                elevation = float(fields.get(30, "0"))
                rings = geometry.boundary_rings(paths, True, OCS(), elevation, self.tolerance)
            self._hatch(item, rings)

    def _circle(self, fields):
        center = (float(fields[10]), float(fields[20]), float(fields.get(30, "0")))
        circle = Circle.new(dxfattribs={"center": center, "radius": float(fields[40])})
        return geometry._curve(circle, self.tolerance)

    def _lwpolyline(self, at: int, fields, repeated):
        vertices: list[list[float]] = []
        point: list[float] | None = None
        extra: dict[int, float] = {}
        pending_y = False
        for code, value in repeated:
            if code == 10:
                if point is not None:
                    vertices.append([*point, extra.get(40, 0), extra.get(41, 0), extra.get(42, 0)])
                point, extra, pending_y = [float(value)], {}, True
            elif code == 20 and pending_y and point is not None:
                point.append(float(value))
                pending_y = False
            elif code in (40, 41, 42):
                extra[code] = float(value)
            elif code != 91:
                raise Ineligible("LWPOLYLINE vertex data")
        if point is not None:
            vertices.append([*point, extra.get(40, 0), extra.get(41, 0), extra.get(42, 0)])
        closed = bool(number(fields.get(70, "0")) & 1)
        if not any(v[4] for v in vertices):
            return self.shapes.line_or_ring(at, [(v[0], v[1]) for v in vertices], closed)
        attribs = {"flags": number(fields.get(70, "0")), "elevation": float(fields.get(38, "0"))}
        polyline = LWPolyline.new(dxfattribs=attribs)
        polyline.set_points([tuple(v) for v in vertices], format="xyseb")
        return geometry._curve(polyline, self.tolerance)

    def hatch_paths(self, codes, values, head_end, end) -> list:
        """The boundary paths as ezdxf loads them (polyline and line-edge paths only)."""
        if head_end >= end:
            raise Ineligible("HATCH without boundary count")
        index, tags = head_end + 1, list[DXFTag]()
        while index < end and codes[index] in _HATCH_PATH_CODES:
            code, value = codes[index], values[index]
            if code in _POINT_X:
                if codes[index + 1] != code + 10:
                    raise Ineligible("point without y")
                tags.append(DXFVertex(code, (float(value), float(values[index + 1]))))
                index += 2
                continue
            tags.append(DXFTag(code, value if code == 330 else _typed(code, value)))
            index += 1
        for rest in range(index, end):
            if codes[rest] not in HATCH_TAIL_CODES:
                raise Ineligible(f"group code {codes[rest]} in HATCH")
        paths = BoundaryPaths.load_tags(Tags(tags)).paths if tags else []
        for path in paths:
            plain = isinstance(path, PolylinePath)
            if not plain and not (
                isinstance(path, EdgePath) and all(isinstance(e, LineEdge) for e in path.edges)
            ):
                raise Ineligible("HATCH with curved edges")
        return paths


class _Shapes:
    """Geometries made in bulk at the end with shapely's vectorised constructors: the same
    coordinates as the Walker's one-by-one shapely.Point/LineString/Polygon calls."""

    def __init__(self) -> None:
        self.points: list[tuple[int, tuple[float, float]]] = []
        self.lines: list[tuple[int, list[tuple[float, float]]]] = []
        self.rings: list[tuple[int, list[tuple[float, float]]]] = []
        self.hatches: list[tuple[int, list[tuple[float, float]]]] = []

    def point(self, at: int, fields: dict[int, str]) -> None:
        self.points.append((at, (float(fields[10]), float(fields[20]))))

    def line_or_ring(self, at: int, points: list[tuple[float, float]], closed: bool):
        """geometry._line_or_ring, deferred; returns (None, closed) for the item."""
        if closed and len(points) >= 3:
            if points[0] != points[-1]:
                points = [*points, points[0]]
            if len(set(points)) >= 3:
                self.rings.append((at, points))
                return None, True
        if len(points) >= 2:
            self.lines.append((at, points))
        return None, False

    def make(self, items: list[CadItem]) -> None:
        if self.points:
            xy = np.array([p for _, p in self.points], dtype=float)
            self._assign(items, self.points, shapely.points(xy))
        if self.lines:
            self._assign(items, self.lines, _made(shapely.linestrings, self.lines))
        if self.rings:
            rings = _made(shapely.linearrings, self.rings)
            self._assign(items, self.rings, shapely.polygons(rings))
        if self.hatches:
            fills = shapely.polygons(_made(shapely.linearrings, self.hatches))
            simple = shapely.is_valid(fills) & (shapely.area(fills) > 0)
            for (at, ring), fill, ok in zip(self.hatches, fills, simple, strict=True):
                items[at].geom = fill if ok else geometry.hatch_area([ring])

    @staticmethod
    def _assign(items: list[CadItem], pending, geoms) -> None:
        for (at, _), geom in zip(pending, geoms, strict=True):
            items[at].geom = geom


def _made(constructor, pending) -> np.ndarray:
    """One geometry per pending coordinate list, in order."""
    sizes = [len(coords) for _, coords in pending]
    flat = np.array([xy for _, coords in pending for xy in coords], dtype=float)
    return constructor(flat, indices=np.repeat(np.arange(len(pending)), sizes))


def _plain_rings(codes, values, start, end) -> list[list[tuple[float, float]]] | None:
    """The rings of a hatch whose boundary paths are all straight polyline paths (what the
    Walker reads directly); None for anything else (ezdxf loads those paths)."""
    rings: list[list[tuple[float, float]]] = []
    index = start + 1
    while index < end:
        code = codes[index]
        if code == 92:
            if not number(values[index]) & 2:
                return None
            rings.append([])
        elif code == 10 and rings and codes[index + 1] == 20:
            rings[-1].append((float(values[index]), float(values[index + 1])))
            index += 1
        elif code not in (72, 73, 93, 97, 330) or not rings:
            break
        index += 1
    for rest in range(index, end):
        if codes[rest] not in HATCH_TAIL_CODES:
            return None
    return rings


def _typed(code: int, value: str) -> int | float:
    if code in (40, 42, 50, 51):
        return float(value)
    return number(value)


def _text(fields: dict[int, str]) -> tuple[str, tuple[float, float]]:
    text = plain_text(fields.get(1, ""))
    aligned = number(fields.get(72, "0")) or number(fields.get(73, "0"))
    point = (float(fields[10]), float(fields[20]))
    if aligned and 11 in fields:
        align = (float(fields[11]), float(fields[21]), float(fields.get(31, "0")))
        if Vec3(align):  # the Walker's `align_point or insert`: a null vector is falsy
            point = align[:2]
    return text, point
