"""A drawing to normalised features per planning layer kind, with the conversion report.

Input: a mapping {CAD layer -> planning kind or "ignore"; "*" for every other layer}, the
text encoding choice and the CRS (the user's, else the GEODATA object's, else the storage CRS with a warning).
Output: per kind the features in the source CRS (the service reprojects and loads them)
and a report a planner can act on: counts, skipped entities, unclosed linework and lots
without a usable label, each with its location. No database access except through the
catalogue names handed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import shapely
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer

from importers import report as messages
from importers.cad import fastdxf, leaders, reader
from importers.cad.build import CadFeature, build_features
from importers.cad.crs import plausibility_warning, resolve_crs
from importers.cad.geometry import CadItem, Walker
from importers.cad.limits import CadLimits, CadTolerances
from importers.cad.mapping import (
    BUILDING_LINES,
    layer_key,
    target_attributes,
    target_kind,
    target_label,
)
from importers.cad.scan import Scan
from importers.cad.text import TextDecoder, detection_samples
from importers.control_points import control_transform, turn_of
from planning.errors import InvalidInput
from planning.layer_kinds import KINDS

IGNORE = "ignore"
LIST_CAP = 1000  # entries per report list
POLYGON_KINDS = {"landuse", "boundary", "buildings"}


@dataclass
class CadReport:
    source_name: str
    source_format: str = "DXF"
    dxf_version: str = ""
    source_crs: str = ""
    crs_source: str = ""
    text_encoding: str = ""
    cad_layers: list[dict] = field(default_factory=list)
    features: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    unclosed: list[dict] = field(default_factory=list)
    label_issues: list[dict] = field(default_factory=list)
    # Entries found per list: each list keeps its first LIST_CAP, the page and the command
    # line say "1000 of 21622" rather than a capped count that reads as the whole.
    totals: dict[str, int] = field(
        default_factory=lambda: {"skipped": 0, "unclosed": 0, "label_issues": 0}
    )
    transform: dict | None = None  # the two-point fix applied, if any

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CadOptions:
    mapping: dict[str, str]
    encoding: str = "auto"
    crs: str | None = None
    functions: dict[str, str] = field(default_factory=dict)  # labels.function_names(...)
    limits: CadLimits = field(default_factory=CadLimits)
    tolerances: CadTolerances = field(default_factory=CadTolerances)
    control_points: list[list[float]] | None = None  # [[x_cad, y_cad, x_true, y_true]] x 2
    fast_reader: bool = True  # importers.cad.fastdxf when equivalent; False: always ezdxf


@dataclass
class Conversion:
    crs: CRS
    outputs: dict[str, list[CadFeature]]
    report: CadReport


def check_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """layer_key of each CAD layer -> kind; refuses unknown kinds before any work."""
    checked = {}
    for layer, kind in mapping.items():
        if kind not in (IGNORE, BUILDING_LINES) and kind not in KINDS:
            raise InvalidInput(
                _("Unknown planning layer kind %(kind)s for CAD layer %(layer)s.")
                % {"kind": repr(kind), "layer": repr(layer)}
            )
        checked[layer_key(str(layer))] = kind
    if not any(kind != IGNORE for kind in checked.values()):
        raise InvalidInput(_("Map at least one CAD layer to a planning layer."))
    return checked


Progress = Callable[[float, str], None]


def _no_progress(pct: float, message: str) -> None:
    return None


def convert(
    path: Path,
    filename: str,
    options: CadOptions,
    workdir: Path,
    progress: Progress | None = None,
) -> Conversion:
    """`progress(pct 0..80, message)` is called between stages; it may raise to stop."""
    progress = progress or _no_progress
    checked = check_mapping(options.mapping)
    default = checked.pop("*", IGNORE)

    def kind_of(layer: str) -> str:
        return checked.get(layer_key(layer), default)

    def wanted_layer(name: str) -> bool:
        return kind_of(name) != IGNORE

    def reading(share: float) -> None:
        progress(2 + 13 * share, _("Reading the drawing"))

    def fast_read(source: Path, limits: CadLimits, prescanned: Scan | None):
        arc = options.tolerances.arc
        return fastdxf.read(source, arc, wanted_layer, limits, reading, prescanned)

    progress(2, _("Reading the drawing"))
    fast = fast_read if options.fast_reader else None
    drawing = reader.open_drawing(path, filename, workdir, options.limits, fast)
    doc = drawing.doc
    progress(15, _("Reading the entities"))
    report = CadReport(filename, dxf_version=doc.dxfversion, notes=list(drawing.notes))
    counted = drawing.fast.counts if drawing.fast else None
    report.cad_layers = [layer.as_dict() for layer in reader.list_layers(doc, counted)]
    _note_layers(report, kind_of)
    walker = Walker(
        options.tolerances.arc,
        options.limits.max_depth,
        lambda name: kind_of(name) != IGNORE,
    )
    items = drawing.fast.items if drawing.fast else _walk(walker, doc.modelspace(), progress)
    progress(30, _("Decoding the text"))
    skipped = drawing.fast.skipped if drawing.fast else walker.skipped
    items, unlinked = leaders.link(items, wanted_layer)
    skipped = [*skipped, *unlinked]
    report.skipped = [s.as_dict() for s in skipped[:LIST_CAP]]
    report.totals["skipped"] = len(skipped)
    samples = detection_samples((i.text, i.fonts) for i in items if i.text)
    decoder = TextDecoder(doc, options.encoding, samples)
    report.warnings.extend(decoder.warnings)
    crs, transform = resolve_crs(doc, options.crs, report)
    moves = [transform] if transform is not None else []
    if options.control_points:
        move, report.transform = control_transform(
            options.control_points, crs, report.source_crs, report.warnings
        )
        moves.append(move)
    for move in moves:
        turn = turn_of(move)
        items = [_moved(item, move, turn) for item in items]
    _move_locations(report.skipped, moves)  # the reader's entries; build's come moved
    _check_extent(items, crs, report)
    outputs: dict[str, list[CadFeature]] = {}
    item_kinds = _kinds(items, kind_of)
    wanted = sorted({*checked.values(), default} - {IGNORE})
    for step, target in enumerate(wanted):
        progress(
            35 + 45 * step / len(wanted),
            _("Building the layer “%(kind)s”") % {"kind": target_label(target)},
        )
        mine = [i for i, k in zip(items, item_kinds, strict=True) if k == target]
        labelled_by = (target, "annotation")
        texts = [i for i, k in zip(items, item_kinds, strict=True) if i.text and k in labelled_by]
        if not mine:
            report.warnings.append(messages.NO_ENTITY(kind=target))
        kind = target_kind(target)
        built = build_features(kind, mine, texts, decoder, options, report, filename)
        _set_defaults(built, target_attributes(target))
        outputs.setdefault(kind, []).extend(built)
        report.features[kind] = len(outputs[kind])
    report.text_encoding = ",".join(sorted(decoder.used))
    _locate_entries(report, crs)
    return Conversion(crs, outputs, report)


def _set_defaults(features: list[CadFeature], defaults: dict[str, str]) -> None:
    for feature in features:
        for key, value in defaults.items():
            feature.attributes.setdefault(key, value)


WALK_TICK = 5000  # entities between progress calls while walking (a cancel stops there)


def _walk(walker: Walker, modelspace, progress: Progress) -> list[CadItem]:
    """The walker's items, with progress (15..30) every WALK_TICK model-space entities, so
    that a cancel of a large drawing takes effect during the walk, not only after it."""
    total = max(len(modelspace), 1)
    items: list[CadItem] = []
    for done, entity in enumerate(modelspace, start=1):
        items.extend(walker.items([entity]))
        if done % WALK_TICK == 0:
            progress(15 + 15 * done / total, _("Reading the entities"))
    return items


def _kinds(items: list[CadItem], kind_of) -> list[str]:
    """The planning kind of each item (each layer's kind looked up once)."""
    layer_kinds: dict[str, str] = {}
    for item in items:
        if item.layer not in layer_kinds:
            layer_kinds[item.layer] = kind_of(item.layer)
    return [layer_kinds[item.layer] for item in items]


def _note_layers(report: CadReport, kind_of) -> None:
    for layer in report.cad_layers:
        kind = kind_of(layer["name"])
        hidden = [flag for flag in ("frozen", "off") if layer[flag]]
        if hidden and layer["total"]:
            name, state = repr(layer["name"]), " and ".join(hidden)
            report.notes.append(
                messages.HIDDEN_CONVERTED(layer=name, hidden=state, kind=kind)
                if kind != IGNORE
                else messages.HIDDEN_IGNORED(layer=name, hidden=state)
            )
        elif kind == IGNORE and layer["total"]:  # a hidden one is said once, above
            report.notes.append(
                messages.LAYER_IGNORED(layer=repr(layer["name"]), count=layer["total"])
            )


def _moved(item: CadItem, transform, turn: float) -> CadItem:
    """The item moved in x and y; a 3D face keeps its z (include_z=None: per geometry); a
    text turns with the drawing (`turn`: control_points.turn_of the move)."""
    if item.geom is not None:
        item.geom = shapely.transform(item.geom, transform, include_z=None)
    if item.anchors:
        item.anchors = tuple(shapely.transform(list(item.anchors), transform))
    if item.text is not None:
        item.rotation += turn
    return item


def _move_locations(entries: list[dict], moves) -> None:
    """Entry locations in drawing coordinates → the map's CRS (the items' moves)."""
    for entry in entries:
        if entry["location"] is not None and moves:
            xy = np.array([entry["location"][:2]], dtype=float)
            for move in moves:
                xy = move(xy)
            entry["location"] = (round(float(xy[0, 0]), 3), round(float(xy[0, 1]), 3))


def _locate_entries(report: CadReport, crs: CRS) -> None:
    """Every entry (its location already in `crs`) gets `lonlat` for the map."""
    to_lonlat = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    for entry in (*report.skipped, *report.unclosed, *report.label_issues):
        location = entry.get("location")
        if location is None:
            entry["lonlat"] = None
            continue
        lon, lat = to_lonlat.transform(location[0], location[1])
        finite = np.isfinite(lon) and np.isfinite(lat)
        entry["lonlat"] = [round(lon, 7), round(lat, 7)] if finite else None


def _check_extent(items: list[CadItem], crs: CRS, report: CadReport) -> None:
    geoms = [i.geom for i in items if i.geom is not None]
    if geoms:
        warning = plausibility_warning(crs, shapely.total_bounds(np.asarray(geoms, dtype=object)))
        if warning:
            report.warnings.append(warning)
