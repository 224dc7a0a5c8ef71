"""The rings of plain hatches, read for all of a drawing's hatches at once.

A plan has a hatch per lot, each a single straight polyline path: reading their boundary
data tag by tag in Python was a fifth of the fast reader's time. Here the same reading as
fastdxf._plain_rings runs over numpy arrays of every native hatch's boundary tags: the path
part is the longest run of path tags from the first (92 flags, 72/73/93/97/330, x/y vertex
pairs), every path a polyline path (92 flag 2), and what follows only the hatch's tail codes.
Hatches that are anything else (bulges, edge paths, a first tag other than 92, other codes)
are left to the per-entity reader, which reads them as before.
"""

from __future__ import annotations

import numpy as np

from importers.cad.fastbulk import _HATCH, _MAX_CODE, Entities, number

HATCH_TAIL_CODES = {10, 20, 41, 43, 44, 45, 46, 47, 49, 52, 53, 63, 75, 76, 77, 78, 79, 98}
HATCH_TAIL_CODES |= {421, 450, 451, 452, 453, 460, 461, 462, 463, 470}
_PATH_TAGS = np.array([92, 72, 73, 93, 97, 330])
_TAIL = np.zeros(_MAX_CODE, dtype=bool)
_TAIL[sorted(HATCH_TAIL_CODES)] = True

Rings = list[list[tuple[float, float]]]  # the (x, y) vertices of each polyline path


def plain_rings(entities: Entities, values: list[str]) -> dict[int, Rings]:
    """Native HATCH entity -> its rings, for hatches whose paths are all straight polyline
    paths followed by tail codes only (fastdxf._plain_rings' answer, where not None)."""
    codes, owners, start = entities.codes, entities.owners, entities.start
    hatch = (entities.kind_ids == _HATCH) & entities.native
    first = np.full(len(entities.kinds), len(codes), dtype=np.int64)  # after the 91 tag
    for entity in np.flatnonzero(hatch).tolist():
        first[entity] = entities.field_ends[entity] - start + 1
    tags = np.flatnonzero(hatch[owners] & (np.arange(len(codes)) >= first[owners]))
    if not len(tags):
        return {}
    owner, code = owners[tags], codes[tags]
    after = np.append(codes[1:], -1)[tags]  # the loop looks at the next tag, even past the end
    before = codes[tags - 1]
    fits = (
        np.isin(code, _PATH_TAGS) | ((code == 10) & (after == 20)) | ((code == 20) & (before == 10))
    )
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])  # each hatch's first tag
    refused = np.zeros(len(entities.kinds), dtype=bool)
    refused[owner[starts][code[starts] != 92]] = True
    stop = _first_misfit(owner, fits, starts, len(entities.kinds))
    in_path = np.arange(len(tags)) < stop[owner]
    refused[owner[~in_path & ~_tail(code)]] = True
    paths = in_path & (code == 92)
    flags = [number(values[start + i]) & 2 for i in tags[paths].tolist()]
    refused[owner[paths][np.asarray(flags, dtype=bool) == 0]] = True
    return _rings(tags, owner, code, in_path, refused, entities.floats)


def _tail(code: np.ndarray) -> np.ndarray:
    known = (code >= 0) & (code < _MAX_CODE)
    tail = np.zeros(len(code), dtype=bool)
    tail[known] = _TAIL[code[known]]
    return tail


def _first_misfit(owner: np.ndarray, fits: np.ndarray, starts: np.ndarray, count: int):
    """Per hatch: the position (in the tag arrays) where its path part ends."""
    ends = np.append(starts[1:], len(owner))
    stop = np.zeros(count, dtype=np.int64)
    stop[owner[starts]] = ends
    misfits = np.flatnonzero(~fits)
    if len(misfits):
        hatch = owner[misfits]
        first = np.flatnonzero(np.r_[True, hatch[1:] != hatch[:-1]])
        stop[hatch[first]] = misfits[first]
    return stop


def _rings(tags, owner, code, in_path, refused, floats) -> dict[int, Rings]:
    """The vertex pairs of the accepted hatches' path parts, split into rings at each 92."""
    keep = in_path & ~refused[owner]
    paths = np.flatnonzero(keep & (code == 92))
    found: dict[int, Rings] = {}
    if not len(paths):
        return found
    xs = np.flatnonzero(keep & (code == 10))
    pairs = list(zip(floats[tags[xs]].tolist(), floats[tags[xs] + 1].tolist(), strict=True))
    ring_of = np.cumsum(keep & (code == 92)) - 1  # running count over the tag arrays
    ends = np.cumsum(np.bincount(ring_of[xs], minlength=len(paths))).tolist()
    for hatch, low, high in zip(owner[paths].tolist(), [0, *ends[:-1]], ends, strict=True):
        found.setdefault(hatch, []).append(pairs[low:high])
    return found
