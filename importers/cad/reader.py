"""Opening a DXF safely, and listing its CAD layers for the mapping step.

Order matters: size limit, then the constant-memory pre-scan (limits, recursion, truncation),
then ezdxf's recovering loader; files that ezdxf refuses but AutoCAD and GDAL read are
repaired at tag level and read again. Every failure ends in InvalidInput with a message a
planner can act on, never in a traceback.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import ezdxf
from django.utils.translation import gettext as _
from ezdxf import recover
from ezdxf.document import Drawing
from ezdxf.lldxf.const import DXFError

from importers import report
from importers.cad import dwg, fastdxf
from importers.cad.audit import audit
from importers.cad.limits import CadLimits
from importers.cad.repair import repair
from importers.cad.scan import Scan, scan
from importers.cad.text import fix_layer_names
from planning.errors import InvalidInput, PayloadTooLarge

if TYPE_CHECKING:
    from collections.abc import Callable

    from importers.cad.fastdxf import FastDrawing

logging.getLogger("ezdxf").setLevel(logging.WARNING)


@dataclass
class CadDocument:
    doc: Drawing
    scan: Scan
    notes: list[str] = field(default_factory=list)  # repairs and recoveries made
    fast: FastDrawing | None = None  # model space already converted (importers.cad.fastdxf)


@dataclass
class CadLayer:
    name: str
    entities: dict[str, int]  # DXF type -> count in model space
    frozen: bool = False
    off: bool = False
    locked: bool = False

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "entities": self.entities,
            "total": sum(self.entities.values()),
            "frozen": self.frozen,
            "off": self.off,
            "locked": self.locked,
        }


def open_drawing(
    path: Path,
    filename: str,
    workdir: Path,
    limits: CadLimits,
    fast: Callable[[Path, CadLimits, Scan | None], FastDrawing | None] | None = None,
) -> CadDocument:
    """The drawing of an uploaded .dxf (or .dwg through a converter). `fast(path, limits,
    pre-scan or None)` reads it the fast way when it can (None otherwise); a file large
    enough to need the pre-scan first is pre-scanned once here, for both ways."""
    size = path.stat().st_size
    if size == 0:
        raise InvalidInput(_("The file is empty."))
    if size > limits.max_bytes:
        raise PayloadTooLarge(
            _("The drawing is larger than %(limit)d MB.") % {"limit": limits.max_bytes >> 20}
        )
    if dwg.is_dwg_name(filename):
        path = dwg.to_dxf(path, workdir, limits)
    scanned = None
    if fast is not None:  # None unless exactly equivalent, pre-scan limits included
        if fastdxf.needs_prescan(path):
            scanned = scan(path, limits)
        quick = fast(path, limits, scanned)
        if quick is not None:
            return CadDocument(quick.doc, quick.scan, fast=quick)
    if scanned is None:
        scanned = scan(path, limits)
    if scanned.binary or scanned.has_header:
        try:
            doc, notes = _load(path)
            if scanned.binary or not any("conflicting handle" in n for n in notes):
                return CadDocument(doc, scanned, notes)
        except _LOAD_ERRORS:
            pass  # retried below after repair (duplicate handles made ezdxf drop entities)
    data, repairs = repair(path, add_header=not scanned.has_header)
    repaired = workdir / "repaired.dxf"
    repaired.write_bytes(data)
    del data
    try:
        doc, notes = _load(repaired)
    except _LOAD_ERRORS as exc:
        raise InvalidInput(
            _("The DXF file is damaged beyond repair: %(reason)s.") % {"reason": str(exc)[:200]}
        ) from exc
    return CadDocument(doc, scanned, repairs + notes)


_LOAD_ERRORS = (DXFError, ValueError, IndexError, KeyError, TypeError, AttributeError)


def _load(path: Path) -> tuple[Drawing, list[str]]:
    """ezdxf's fast loader and an audit; its slower recovering loader when that fails."""
    try:
        doc = ezdxf.readfile(path)
        auditor = audit(doc)
    except _LOAD_ERRORS:
        doc, auditor = recover.readfile(path)
    notes = [report.RECOVERED(fix=fix.message) for fix in auditor.fixes[:20]]
    if len(auditor.fixes) > 20:
        notes.append(report.RECOVERED_MORE(count=len(auditor.fixes) - 20))
    fix_layer_names(doc)  # named as the fast reader names them, in the list and the mapping
    return doc, notes


def list_layers(doc: Drawing, counted: dict[str, Counter] | None = None) -> list[CadLayer]:
    """Every CAD layer of the layer table and of model space, with counts by entity type."""
    counts: dict[str, Counter] = defaultdict(Counter)
    if counted is not None:
        counts.update({layer: Counter(kinds) for layer, kinds in counted.items()})
    for entity in doc.modelspace():
        counts[entity.dxf.get("layer", "0")][entity.dxftype()] += 1
    layers: dict[str, CadLayer] = {}
    for table_layer in doc.layers:
        name = table_layer.dxf.name
        layers[name.upper()] = CadLayer(
            name,
            dict(counts.pop(name, Counter())),
            frozen=table_layer.is_frozen(),
            off=table_layer.is_off(),
            locked=table_layer.is_locked(),
        )
    in_table = set(layers)
    for name, counter in counts.items():  # layers used but missing from the table
        key = name.upper()
        if key in layers:
            for kind, count in counter.items():
                layers[key].entities[kind] = layers[key].entities.get(kind, 0) + count
            if key not in in_table:  # named alike whatever order the entities were counted in
                layers[key].name = min(layers[key].name, name)
        else:
            layers[key] = CadLayer(name, dict(counter))
    return sorted(layers.values(), key=lambda layer: layer.name.upper())
