"""Block references on ignored layers that the fast reader counts instead of ezdxf loading.

An AutoCAD plan holds thousands of INSERTs of tree symbols, north arrows and title blocks
on layers the mapping ignores. The Walker does not expand such an INSERT when its block
holds nothing on a wanted layer (Walker.may_yield), so it yields nothing on either path;
ezdxf would still load it (most of the load time of such a drawing), audit it and count it
in the layer list. The fast reader leaves out of ezdxf's load the INSERTs (with their
ATTRIBs and SEQEND) whose every tag is one ezdxf loads as written and whose fields its
audit accepts unchanged, and counts them itself. Whether the block yields anything is
only known once ezdxf has loaded the blocks; those that do are loaded after all.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from importers.cad.fastbulk import (
    _MAX_CODE,
    COMMON,
    Entities,
    Ineligible,
    _check_fields,
    _field,
    number,
)

_RUN_KINDS = ("INSERT", "ATTRIB", "SEQEND")
_CODES = {
    "INSERT": COMMON | {66, 2, 10, 20, 30, 41, 42, 43, 50, 70, 71, 44, 45},
    "ATTRIB": COMMON | {10, 20, 30, 40, 1, 50, 41, 51, 7, 71, 72, 11, 21, 31, 73, 74, 2, 70, 280},
    "SEQEND": COMMON,
}
_REPEATABLE = {"INSERT": {100}, "ATTRIB": {100, 280}, "SEQEND": {100}}


def _table(codes_of) -> np.ndarray:
    table = np.zeros((len(_RUN_KINDS), _MAX_CODE), dtype=bool)
    for index, kind in enumerate(_RUN_KINDS):
        table[index, sorted(codes_of(kind))] = True
    return table


_ALLOWED = _table(_CODES.__getitem__)
_SINGLE = _table(lambda kind: _CODES[kind] - _REPEATABLE[kind])


@dataclass
class Symbols:
    """INSERTs (entity indexes in the section) that ezdxf need not load."""

    parents: list[int] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)  # block name of each
    layers: list[str] = field(default_factory=list)  # layer of each

    def counts(self) -> dict[str, Counter]:
        counts: dict[str, Counter] = defaultdict(Counter)
        for layer in self.layers:
            counts[layer]["INSERT"] += 1
        return counts

    def keep(self, left_out: set[int]) -> Symbols:
        chosen = [i for i, parent in enumerate(self.parents) if parent in left_out]
        return Symbols(
            [self.parents[i] for i in chosen],
            [self.blocks[i] for i in chosen],
            [self.layers[i] for i in chosen],
        )


def candidates(entities: Entities, values: list[str], accept, max_depth: int) -> Symbols:
    """The INSERTs left to ezdxf that need not be: on a layer not wanted, every tag of the
    INSERT, its ATTRIBs and SEQEND one ezdxf loads as written (no XDATA, reactors,
    embedded objects, a single-valued field twice, an extrusion), a block name, a handle
    on each, ATTRIBs with their tag. Fields checked against the tables come later
    (check_loaded)."""
    kinds = entities.kinds
    inserts = [p for p in entities.parents if kinds[p] == "INSERT"]
    if not inserts or max_depth <= 0:  # the Walker reports an INSERT at depth 0 then
        return Symbols()
    parent = entities.parent
    in_run = np.zeros(len(kinds), dtype=bool)
    in_run[inserts] = True
    in_run = in_run[parent]
    kind_ids = np.full(len(kinds), -1, dtype=np.int64)
    for index, kind in enumerate(_RUN_KINDS):
        kind_ids[[i for i in np.flatnonzero(in_run).tolist() if kinds[i] == kind]] = index
    codes, owners = entities.codes, entities.owners
    tags = np.flatnonzero(in_run[owners] & (codes != 0))
    tag_codes, tag_kinds = codes[tags], kind_ids[owners[tags]]
    known = (tag_codes >= 0) & (tag_codes < _MAX_CODE) & (tag_kinds >= 0)
    allowed = np.zeros(len(tags), dtype=bool)
    allowed[known] = _ALLOWED[tag_kinds[known], tag_codes[known]]
    refused = np.zeros(len(kinds), dtype=bool)
    refused[parent[owners[tags[~allowed]]]] = True
    single = np.zeros(len(tags), dtype=bool)
    single[allowed] = _SINGLE[tag_kinds[allowed], tag_codes[allowed]]
    keys = owners[tags[single]] * _MAX_CODE + tag_codes[single]
    keys.sort()
    refused[parent[keys[1:][keys[1:] == keys[:-1]] // _MAX_CODE]] = True
    fields = _Fields(codes, in_run[owners] & (codes != 0), owners, len(kinds), entities.start)
    handles = fields.values(values, 5)
    names, layers = fields.values(values, 2), fields.values(values, 8, "0")
    extruded = fields.owners_with(210, 220, 230)
    follows = fields.values(values, 66)
    chosen = Symbols()
    runs = np.flatnonzero(in_run).tolist()
    broken = {parent[m] for m in runs if handles[m] is None or m in extruded}
    broken |= {parent[m] for m in runs if kinds[m] == "ATTRIB" and names[m] is None}
    broken |= {parent[m] for m in runs if kinds[m] == "ATTRIB" and _tag_unread(entities, values, m)}
    for insert in inserts:
        if refused[insert] or insert in broken or names[insert] is None:
            continue
        if _linked_as_written(kinds, parent, insert, follows[insert]) and not accept(
            layers[insert]
        ):
            chosen.parents.append(insert)
            chosen.blocks.append(names[insert])
            chosen.layers.append(layers[insert])
    return chosen


_ATTRIB_MARKERS = ["AcDbEntity", "AcDbText", "AcDbAttribute"]


def _tag_unread(entities: Entities, values: list[str], attrib: int) -> bool:
    """ezdxf reads an R13+ ATTRIB's tag (2) from its third subclass only."""
    first = entities.firsts[attrib] - entities.start
    end = entities.ends[attrib] - entities.start
    codes = entities.codes[first:end].tolist()
    markers = [i for i, code in enumerate(codes) if code == 100]
    if not markers:
        return False  # no subclasses (R12): ezdxf reads every tag
    names = [values[entities.start + first + i].strip() for i in markers]
    return names != _ATTRIB_MARKERS or codes.index(2) < markers[-1]


def _linked_as_written(kinds: list[str], parent, insert: int, follows: str | None) -> bool:
    """ezdxf links ATTRIBs to the INSERT only when its 66 flag says they follow, and then
    expects ATTRIBs up to a SEQEND; otherwise stand-alone ATTRIBs or a structure error."""
    end = insert + 1
    while end < len(kinds) and parent[end] == insert:
        end += 1
    run = kinds[insert + 1 : end]
    flagged = follows is not None and number(follows) != 0
    if not run:
        return not flagged
    return flagged and run[-1] == "SEQEND" and all(kind == "ATTRIB" for kind in run[:-1])


class _Fields:
    """The (single) field values of the INSERT runs' entities."""

    def __init__(self, codes, mask, owners, count: int, start: int) -> None:
        self.codes, self.mask, self.owners, self.count, self.start = (
            codes,
            mask,
            owners,
            count,
            start,
        )

    def where(self, code: int) -> np.ndarray:
        return _field(self.codes, self.mask, self.owners, self.count, code)

    def values(self, values: list[str], code: int, default: str | None = None) -> list:
        return [values[self.start + i] if i >= 0 else default for i in self.where(code).tolist()]

    def owners_with(self, *codes: int) -> set[int]:
        found = np.flatnonzero(self.mask & np.isin(self.codes, codes))
        return set(self.owners[found].tolist())


def members(entities: Entities, symbols: Symbols) -> list[int]:
    """The entity indexes of the symbols' INSERTs, ATTRIBs and SEQENDs."""
    parent = entities.parent
    chosen = np.zeros(len(entities.kinds), dtype=bool)
    chosen[symbols.parents] = True
    return np.flatnonzero(chosen[parent]).tolist()


def check_loaded(entities: Entities, symbols: Symbols, values: list[str], doc) -> None:
    """Ineligible unless ezdxf's audit would accept the symbols as written (what it checks
    on every entity, as for the entities read natively, and the text style of ATTRIBs)."""
    if not symbols.parents:
        return
    chosen = members(entities, symbols)
    mask = np.zeros(len(entities.kinds), dtype=bool)
    mask[chosen] = True
    tag_mask = mask[entities.owners] & (entities.codes != 0)
    fields = _Fields(entities.codes, tag_mask, entities.owners, len(entities.kinds), entities.start)
    handles = [values[entities.start + i] for i in fields.where(5)[chosen].tolist()]
    attribs = np.asarray([entities.kinds[i] == "ATTRIB" for i in chosen], dtype=bool)
    seqends = np.asarray([entities.kinds[i] == "SEQEND" for i in chosen], dtype=bool)

    def distinct(code: int, of: np.ndarray | None = None) -> set[str]:
        where = fields.where(code)[chosen]
        if of is not None:
            where = where[of]
        return {values[entities.start + i] for i in where[where >= 0].tolist()}

    # ATTRIBs and SEQEND get their owner when ezdxf links them to the INSERT
    owners = distinct(330, ~attribs & ~seqends)
    _check_fields(doc, handles, owners, distinct, distinct(7, attribs))
    read = (entities.native | entities.carried).tolist()
    native_handles = {h for h, own in zip(entities.handles, read, strict=True) if own}
    if native_handles.intersection(handles):
        raise Ineligible("missing or duplicate handle")
