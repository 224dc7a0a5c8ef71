"""A streaming pre-scan of the DXF tag stream, before ezdxf loads the file into memory.

ezdxf builds the whole document in memory, so a 10-million-vertex polyline, a 50 MB
MTEXT, a 1000 x 1000 MINSERT or blocks that insert each other would exhaust time or
memory inside it. This pass reads the file line by line in constant memory, counts what
each entity would cost and computes how many entities the block structure expands to;
anything over a limit is refused with a message that says what and where.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _
from ezdxf.lldxf.const import DXFError
from ezdxf.lldxf.tagger import binary_tags_loader

from importers.cad.limits import CadLimits
from planning.errors import InvalidInput
from planning.numbers import localized

BINARY_SENTINEL = b"AutoCAD Binary DXF"
_STRUCTURE = {b"SECTION", b"ENDSEC", b"TABLE", b"ENDTAB", b"BLOCK", b"ENDBLK", b"EOF", b"SEQEND"}
_TEXTS = {b"TEXT", b"MTEXT", b"ATTRIB", b"ATTDEF"}
_COUNTED = {10, 1, 3, 2, 70, 71}  # the group codes _count looks at


@dataclass
class _Block:
    own: int = 0
    inserts: dict[str, int] = field(default_factory=dict)  # block name -> copies


@dataclass
class Scan:
    """What the tag stream holds; `has_header` decides whether repair is needed."""

    binary: bool = False
    has_header: bool = False
    has_subclass_markers: bool = False
    has_eof: bool = False
    complete: bool = False  # ends with EOF or ENDSEC (not cut in the middle)
    entities: int = 0
    expanded: int = 0
    blocks: dict[str, _Block] = field(default_factory=dict)


def pairs(path: Path) -> Iterator[tuple[int, bytes, int]]:
    """(group code, value, line number) of an ASCII DXF, in constant memory."""
    with path.open("rb") as handle:
        lines = iter(handle)
        for index, (code_line, value) in enumerate(zip(lines, lines, strict=False)):
            try:
                code = int(code_line)
            except ValueError:
                if not code_line.strip() and not value.strip():
                    return  # blank last lines
                if index == 0:  # another kind of file under a .dxf name
                    raise InvalidInput(
                        _(
                            "The file is not a DXF drawing (it does not begin as a DXF "
                            "does). Save or export the drawing as DXF and upload it again."
                        )
                    ) from None
                raise InvalidInput(
                    _("Not a readable DXF file: line %(line)d holds no group code.")
                    % {"line": 2 * index + 1}
                ) from None
            value = value.rstrip(b"\r\n")
            yield code, value, 2 * index + 1
            if code == 0 and value.strip() == b"EOF":
                return


def binary_pairs(path: Path) -> Iterator[tuple[int, bytes, int]]:
    """(group code, value as ASCII DXF would write it, tag number) of a binary DXF. The
    file (already within the size limit) is read whole, as ezdxf reads it; a file cut in
    the middle of a tag ends in a clear error, not in a struct or index error."""
    data = path.read_bytes()
    try:
        for number, tag in enumerate(binary_tags_loader(data), start=1):
            value = tag.value
            if isinstance(value, str):
                raw = value.encode("utf-8", errors="surrogateescape")
            elif isinstance(value, bytes):
                raw = value
            else:
                raw = str(value).encode()
            yield tag.code, raw, number
    except (struct.error, IndexError, ValueError, DXFError) as exc:
        raise InvalidInput(
            _("The binary DXF file is damaged or truncated (%(reason)s). Export it again.")
            % {"reason": str(exc)[:120]}
        ) from exc


class _Entity:
    """Cost counters of the entity being read."""

    def __init__(self, kind: bytes, line: int) -> None:
        self.kind, self.line = kind, line
        self.vertices = self.text = 0
        self.block = b""
        self.columns = self.rows = 1


def scan(path: Path, limits: CadLimits) -> Scan:
    with path.open("rb") as handle:
        head = handle.read(len(BINARY_SENTINEL))
    if head == BINARY_SENTINEL:
        return scan_tags(binary_pairs(path), limits, binary=True)
    return scan_tags(pairs(path), limits)


def scan_tags(
    tags: Iterator[tuple[int, bytes, int]], limits: CadLimits, binary: bool = False
) -> Scan:
    """The pre-scan of (group code, value as in the file, line number) tags: the file's,
    or those a reader already holds in memory."""
    result = Scan(binary=binary)
    _walk(tags, limits, result)
    if result.entities == 0 and not result.has_eof:
        raise InvalidInput(_("Not a DXF drawing: no entity and no end-of-file marker found."))
    if not result.complete:
        raise InvalidInput(
            _("The DXF file ends before its EOF marker: it is truncated. Export it again.")
        )
    result.expanded = _expanded_size(result.blocks, limits)
    return result


def _walk(tags: Iterator[tuple[int, bytes, int]], limits: CadLimits, result: Scan) -> None:
    section = b""
    block = _Block()
    current: _Entity | None = None
    expect_section_name = expect_block_name = False
    for code, value, line in tags:
        result.complete = code == 0 and value.strip() in (b"EOF", b"ENDSEC")
        if code == 0:
            if current is not None:
                _close(current, block, limits)
            current = None
            name = value.strip()
            if name == b"EOF":
                result.has_eof = True
                break
            if name == b"SECTION":
                expect_section_name = True
            elif name == b"BLOCK":
                block, expect_block_name = _Block(), True
            elif name == b"ENDBLK":
                block = result.blocks.setdefault("*entities*", _Block())
            elif name not in _STRUCTURE and section in (b"ENTITIES", b"BLOCKS"):
                result.entities += 1
                if result.entities > limits.max_entities:
                    raise _too_many(limits.max_entities)
                current = _Entity(name, line)
            continue
        if expect_section_name and code == 2:
            section, expect_section_name = value.strip(), False
            result.has_header |= section == b"HEADER"
            if section == b"ENTITIES":
                block = result.blocks.setdefault("*entities*", _Block())
        elif expect_block_name and code == 2:
            block = result.blocks.setdefault(_name(value), _Block())
            expect_block_name = False
        elif code == 100:
            result.has_subclass_markers = True
        elif current is not None and code in _COUNTED:
            _count(current, code, value, limits)


def _name(value: bytes) -> str:
    return value.strip().decode("latin-1").upper()


def _count(entity: _Entity, code: int, value: bytes, limits: CadLimits) -> None:
    if code == 10:
        entity.vertices += 1
        if entity.vertices > limits.max_vertices:
            raise InvalidInput(
                _("The %(type)s at line %(line)d has more than %(limit)d vertices; simplify it.")
                % {"type": entity.kind.decode(), "line": entity.line, "limit": limits.max_vertices}
            )
    elif code in (1, 3) and entity.kind in _TEXTS:
        entity.text += len(value)
        if entity.text > limits.max_text_chars:
            raise InvalidInput(
                _("The %(type)s at line %(line)d holds more than %(limit)d characters of text.")
                % {
                    "type": entity.kind.decode(),
                    "line": entity.line,
                    "limit": limits.max_text_chars,
                }
            )
    elif entity.kind == b"INSERT" and code == 2:
        entity.block = value
    elif entity.kind == b"INSERT" and code in (70, 71):
        count = max(1, _int(value))
        if code == 70:
            entity.columns = count
        else:
            entity.rows = count


def _int(value: bytes) -> int:
    """An integer tag as ezdxf reads it (written as a float too), else 1."""
    try:
        return int(value.strip())
    except ValueError:
        try:
            return int(float(value.strip()))
        except ValueError:
            return 1
        except OverflowError:
            return 1 << 62  # over any limit


def _close(entity: _Entity, block: _Block, limits: CadLimits) -> None:
    block.own += 1
    if entity.kind != b"INSERT":
        return
    cells = entity.columns * entity.rows
    if cells > limits.max_array:
        raise InvalidInput(
            _("The MINSERT at line %(line)d is an array of %(cells)s copies (limit %(limit)s).")
            % {
                "line": entity.line,
                "cells": localized(cells, 0),
                "limit": localized(limits.max_array, 0),
            }
        )
    name = _name(entity.block)
    block.inserts[name] = block.inserts.get(name, 0) + cells


def _expanded_size(blocks: dict[str, _Block], limits: CadLimits) -> int:
    """Entities after expanding every INSERT; refuses cycles, deep nesting, explosions."""
    sizes: dict[str, int] = {}

    def size(name: str, path: tuple[str, ...]) -> int:
        if name in path:
            cycle = " → ".join((*path[path.index(name) :], name))
            raise InvalidInput(
                _("Blocks insert each other (%(cycle)s): the drawing cannot be expanded.")
                % {"cycle": cycle}
            )
        if len(path) > limits.max_depth:
            raise InvalidInput(
                _("Blocks are nested more than %(limit)d deep.") % {"limit": limits.max_depth}
            )
        if name not in sizes:
            block = blocks.get(name, _Block())
            total = block.own
            for child, copies in block.inserts.items():
                total += copies * size(child, (*path, name))
                if total > limits.max_expanded:
                    raise _too_many(limits.max_expanded)
            sizes[name] = total
        return sizes[name]

    return size("*entities*", ())


def _too_many(limit: int) -> InvalidInput:
    return InvalidInput(
        _("The drawing holds more than %(limit)d entities (blocks expanded); split it.")
        % {"limit": limit}
    )
