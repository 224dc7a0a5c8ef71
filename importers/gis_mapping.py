"""The CAD mapping step for GIS files: MapInfo TAB/MIF, shapefiles (also with a legacy
TCVN3/VNI DBF and no .cpg), GeoPackage ...: inspect the source layers, then import the
ones mapped {source layer: planning kind} with the text encoding forced or detected, the
CRS given (EPSG code or province preset) or read from the file, and the optional
two-point fix, checked and applied as for drawings (importers.control_points): a mistyped
control point is refused with a 400 on inspect and at import. As for drawings, a warning
says when the data lands more than 10 km from its project (importers.cad.placement), and
each layer's report lists the attributes its kind requires that the file lacks. Every layer
is loaded in one transaction.
"""

from __future__ import annotations

import dataclasses
import functools
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer

from importers import crs as import_crs
from importers import geometry, gis_labels, mapinfo_text, ogr, replacing
from importers.cad import crs as cad_crs
from importers.cad import placement as cad_placement
from importers.cad import preview as cad_preview
from importers.cad.convert import IGNORE, Progress, check_mapping
from importers.cad.geometry import map_rotation
from importers.cad.mapping import layer_key, target_attributes, target_kind, target_label
from importers.control_points import control_transform, parse_control_points, turn_of
from importers.report import ImportReport
from importers.sources import Dataset, locate_dataset
from importers.text.vietnamese import ENCODINGS
from planning.audit import audit
from planning.errors import InvalidInput
from planning.layer_kinds import catalogue_functions_once, get_kind
from planning.models import Layer, Project, Revision

LEGACY = ("tcvn3", "vni", "cp1258")


def check_encoding(text_encoding: str) -> None:
    if text_encoding not in ("auto", *ENCODINGS):
        raise InvalidInput(
            _("Unknown text encoding %(encoding)s; expected auto or one of %(encodings)s.")
            % {"encoding": repr(text_encoding), "encodings": ", ".join(ENCODINGS)}
        )


def inspect_dataset(
    path: Path,
    filename: str,
    crs: str | None = None,
    control_points=None,
    project: Project | None = None,
):
    """Source layers with feature counts by geometry type and a preview in EPSG:4326,
    placed with the CRS and two-point fix given (a mistyped point: 400); with the project
    the file is meant for, a warning when it lands far from it."""
    given, user_crs = _user_crs(crs)
    points = parse_control_points(control_points)
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gis-", dir=_work_root()) as workdir:
        dataset = locate_dataset(
            Path(path), filename, Path(workdir), settings.PLANNING_MAX_UNZIPPED_BYTES
        )
        layers: list[dict] = []
        read: list[tuple[str, list, CRS, str]] = []  # name, geometries, CRS, where it is from
        encodings: set[str] = set()
        for name in ogr.list_layers(dataset):
            # a table without geometry is listed (to be ignored), not refused
            source = ogr.read_layer(dataset, name, "auto", geometry_required=False)
            shapes = [g for g in shapely.from_wkb(source.wkb) if g is not None]
            layer_crs, layer_source = _chosen_crs(
                user_crs, _file_crs(source), warnings, _own_crs_layer(dataset, name)
            )
            layers.append(
                {
                    **_layer_dict(name, dict(Counter(g.geom_type for g in shapes)), source.fields),
                    "crs": import_crs.describe(layer_crs, given),
                }
            )
            read.append((name, shapes, layer_crs, layer_source))
            if source.text_encoding:
                encodings.add(source.text_encoding)
            warnings.extend(source.warnings)
    _check_one_crs_for_points(points, [crs for _name, _shapes, crs, _from in read])
    chosen, crs_source = _preview_crs(user_crs, read, warnings)
    label = import_crs.describe(chosen, given)
    move, info = _control_move(points, chosen, label, warnings)
    geoms = [g for _name, shapes, crs, _from in read for g in _into(shapes, crs, chosen)]
    names = [name for name, shapes, _crs, _from in read for _shape in shapes]
    moved = np.asarray(geoms, dtype=object)
    if move is not None and len(moved):
        moved = shapely.transform(moved, move)
    if len(moved):
        warning = cad_crs.plausibility_warning(chosen, shapely.total_bounds(moved))
        if warning:
            warnings.append(warning)
    preview = cad_preview.geojson_preview(moved, names, chosen)
    far = cad_placement.lonlat_far_from_project(project, preview["extent"])
    if far:
        warnings.append(far)
    return {
        "source_name": filename,
        "source_format": dataset.format.name,
        "notes": [],
        "layers": layers,
        "text_encoding": ",".join(sorted(encodings)),
        **preview,
        "crs": label,
        "crs_source": crs_source,
        "drawable": len(moved),  # as for drawings: shapes, placed or not
        "transform": info,
        "warnings": warnings,
    }


def import_mapped_dataset(
    *,
    user,
    revision: Revision,
    path: Path,
    filename: str,
    mapping: dict[str, str],
    crs: str | None = None,
    text_encoding: str = "auto",
    control_points=None,
    progress: Progress | None = None,
    remote_addr: str | None = None,
    replace_layers: bool = False,
    replace_layer_ids: list[int] | None = None,
):
    """The mapped source layers as planning layers, in one transaction; `replace_layers`
    removes the draft's earlier layers of the kinds loaded in it (only those of
    `replace_layer_ids` when given; importers.replacing)."""
    from importers.service import (
        CadImportResult,
        _check_permission,
        _load,
        numbered_from_one,
        standard_attributes,
    )

    _check_permission(user, revision)
    check_encoding(text_encoding)
    checked = check_mapping(mapping)
    default = checked.pop("*", IGNORE)
    rules = {key: kind for key, kind in checked.items() if "=" in key}
    given, user_crs = _user_crs(crs)
    points = parse_control_points(control_points)
    step = progress or (lambda pct, message: None)
    warnings: list[str] = []
    transform = None
    crs_sources: list[str] = []
    boxes: list[tuple | None] = []  # storage-CRS extent of each layer: the project check
    functions = catalogue_functions_once()  # one catalogue query for all the layers
    labelled = _LotLabels()
    with tempfile.TemporaryDirectory(prefix="gis-", dir=_work_root()) as workdir:
        step(2, _("Reading the file"))
        dataset = locate_dataset(
            Path(path), filename, Path(workdir), settings.PLANNING_MAX_UNZIPPED_BYTES
        )
        available = ogr.list_layers(dataset)
        wanted = [(n, checked.get(layer_key(n), default)) for n in available]
        wanted = [(n, kind) for n, kind in wanted if kind != IGNORE or rules]
        if not wanted:
            raise InvalidInput(
                _("The mapping names none of the file's layers (%(layers)s).")
                % {"layers": ", ".join(available)}
            )
        sources = [
            (kind, numbered_from_one(source))
            for kind, source in _read_wanted(dataset, wanted, text_encoding, step)
        ]
        if points and user_crs is None and len(sources) > 1:
            _check_one_crs_for_points(points, [_file_crs(whole) for _kind, whole in sources])
        read: list[_Read] = []
        for kind, whole in sources:
            name = whole.name
            layer_crs, crs_source = _chosen_crs(
                user_crs, _file_crs(whole), warnings, _own_crs_layer(dataset, name)
            )
            crs_sources.append(crs_source)
            label = import_crs.describe(layer_crs, given)
            move, info = _control_move(points, layer_crs, label, warnings)
            if move is not None:
                whole.wkb, transform = _moved_wkb(whole.wkb, move), info
                _turn_texts(whole, turn_of(move))
            for target, by_rule in _split_by_rules(whole, kind, rules):
                source = _with_defaults(by_rule, target)
                read.append(_Read(name, target, target_kind(target), source, layer_crs, label))
        # Lot labels are joined across the land-use tables of one CRS (importers.gis_labels).
        labelled_tables = gis_labels.label_lot_tables(
            [(entry.source, entry.kind, entry.crs) for entry in read], functions
        )
        prepared = []
        for entry, (labelled_source, labelling) in zip(read, labelled_tables, strict=True):
            report = ImportReport(filename, dataset.format.name, entry.name, entry.crs_label)
            report.lot_labels = labelled.add(labelling, entry.name, entry.crs)
            source, report.attribute_columns = standard_attributes(
                labelled_source, get_kind(entry.kind), functions
            )
            ready = _prepare(source, entry, report)
            boxes.append(ready.bounds)
            title = f"{entry.name} – {target_label(entry.target)}"  # building lines apart
            prepared.append((entry.name, entry.kind, source, ready, title, report))
        if not prepared:
            raise InvalidInput(_("No feature could be loaded."))
        far = cad_placement.storage_box_far_from_project(
            revision.project, cad_placement.union_box(boxes)
        )
        if far:
            warnings.append(far)
        load = functools.partial(_load, catalogue=functions)
        replacement = replacing.asked(replace_layers, replace_layer_ids)
        layers, replaced = _load_all(
            user, revision, prepared, (filename, remote_addr, replacement), step, load
        )
    reports = [report.as_dict() for *_, report in prepared]
    summary = {
        "source_name": filename,
        "source_format": dataset.format.name,
        "source_crs": reports[0]["source_crs"],
        "crs_source": crs_sources[0],
        "notes": labelled.notes,
        "text_encoding": ",".join(sorted({r["text_encoding"] for r in reports} - {""})),
        "features": {},
        "layers": reports,
        "warnings": [*warnings, *(w for r in reports for w in r["warnings"])],
        "transform": transform,
        "skipped": [],
        "unclosed": [],
        "label_issues": labelled.issues[: gis_labels.LIST_CAP],
        "totals": {"skipped": 0, "unclosed": 0, "label_issues": len(labelled.issues)},
    }
    for layer in layers:
        summary["features"][layer.kind] = summary["features"].get(layer.kind, 0) + (
            layer.feature_count or 0
        )
    return CadImportResult(layers, replacing.reported(summary, revision, layers, replaced))


def _read_wanted(
    dataset: Dataset, wanted: list[tuple[str, str]], text_encoding: str, step: Progress
) -> list[tuple[str, ogr.SourceLayer]]:
    """(kind, layer) of the layers the mapping names, each read once. A layer it ignores is
    read only for its FIELD=VALUE rules, and left out when it has no geometry: a table of
    attributes (QGIS's layer_styles) gives the rules nothing to place, so it is neither
    refused for its lack of geometry nor for its long values (importers.ogr.read_layer)."""
    sources = []
    for index, (name, kind) in enumerate(wanted):
        step(5 + 70 * index / len(wanted), _("Reading layer %(name)s") % {"name": name})
        ignored = kind == IGNORE
        source = ogr.read_layer(dataset, name, text_encoding, geometry_required=not ignored)
        if not ignored or any(wkb is not None for wkb in source.wkb.tolist()):
            sources.append((kind, source))
    return sources


@dataclasses.dataclass(frozen=True)
class _Read:
    """One source layer as read, moved and split by the mapping's rules."""

    name: str
    target: str  # the mapping's target (kind, or kind with a subtype)
    kind: str
    source: ogr.SourceLayer
    crs: CRS
    crs_label: str


def _prepare(source: ogr.SourceLayer, entry: _Read, report: ImportReport):
    """The layer's geometries in the storage CRS, its report filled in."""
    from importers.service import missing_attributes

    report.features_read = len(source)
    report.text_encoding = source.text_encoding or ""
    report.warnings.extend(source.warnings)
    kind = get_kind(entry.kind)
    report.missing_attributes = missing_attributes(kind, [f["name"] for f in source.fields])
    ready = geometry.prepare(source.wkb, kind, import_crs.transformer_to_storage(entry.crs), report)
    if source.text_encoding in LEGACY:
        report.warnings.append(
            _("Text was converted from the legacy %(encoding)s encoding to Unicode.")
            % {"encoding": source.text_encoding.upper()}
        )
    return ready


@dataclasses.dataclass
class _LotLabels:
    """The notes and label issues of the lot layers of one import (importers.gis_labels)."""

    notes: list[str] = dataclasses.field(default_factory=list)
    issues: list[dict] = dataclasses.field(default_factory=list)

    def add(self, labelling: gis_labels.Labelling | None, layer: str, crs: CRS) -> dict | None:
        """Takes a layer's labelling into the report; its counts for the layer's report."""
        if labelling is None:
            return None
        notes, entries = gis_labels.report_entries(labelling, layer, crs)
        self.notes.extend(notes)
        self.issues.extend(entries)
        return gis_labels.lot_labels(labelling)


def _labels_only(report: ImportReport) -> bool:
    """A table of text objects only, all read as lot labels: it was to give no features."""
    counts = report.lot_labels
    return bool(counts and counts["texts"] and not counts["lots"] and not report.features_read)


@transaction.atomic
def _load_all(user, revision, prepared, how, step, load) -> tuple[list[Layer], list | None]:
    """The new layers, and the earlier ones they replaced (None: replacing not asked)."""
    filename, remote_addr, replacement = how
    layers = []
    for index, (name, kind, source, ready, title, report) in enumerate(prepared):
        if not len(ready.keep):
            if not _labels_only(report):
                report.warnings.append(_("No feature could be loaded."))
            continue
        step(80 + 19 * index / len(prepared), _("Loading layer %(name)s") % {"name": name})
        layers.append(
            load(user, revision, kind, title[:200], source, ready, report, filename, remote_addr)
        )
    if not layers:
        raise InvalidInput(_("No feature could be loaded."))
    if replacement is None:
        return layers, None
    replaced = replacing.replace(user, revision, layers, replacement, remote_addr)
    # Each layer has its own "layer.import" (written before the old ones went); this event,
    # written only when asked to replace, has `replaced` as "layer.import_cad" has it.
    audit(
        user,
        "layer.import_replace",
        project=revision.project,
        revision=revision,
        remote_addr=remote_addr,
        layers=[layer.pk for layer in layers],
        file=filename,
        replaced=replaced,
    )
    return layers, replaced


def _split_by_rules(source: ogr.SourceLayer, kind: str, rules: dict[str, str]):
    """(kind, features) groups of a source layer: `FIELD=VALUE` rules of the mapping pick
    the kind of the features whose attribute has that value (case-insensitive); the rest
    get the layer's own kind. Ignored groups are left out."""
    if not rules:
        if kind != IGNORE:
            yield kind, source
        return
    fields = {f["name"].upper(): i for i, f in enumerate(source.fields)}
    kinds = np.full(len(source), kind, dtype=object)
    for rule, rule_kind in rules.items():
        field_name, value = rule.split("=", 1)
        column = fields.get(field_name.strip())
        if column is None:
            continue
        values = source.columns[column]
        hits = [i for i, v in enumerate(values) if layer_key(str(v).strip()) == value.strip()]
        kinds[hits] = rule_kind
    for group_kind in sorted(set(kinds.tolist()) - {IGNORE}):
        yield group_kind, _subset(source, np.flatnonzero(kinds == group_kind))


def _with_defaults(source: ogr.SourceLayer, target: str) -> ogr.SourceLayer:
    """The layer with its mapping target's attributes (importers.cad.mapping) where its own
    are missing or empty: building lines get `type: building line`."""
    defaults = target_attributes(target)
    if not defaults:
        return source
    fields, columns = list(source.fields), list(source.columns)
    names = [field["name"] for field in fields]
    for key, value in defaults.items():
        if key in names:
            at = names.index(key)
            columns[at] = [value if v in (None, "") else v for v in columns[at]]
        else:
            fields.append({"name": key, "type": "string"})
            columns.append([value] * len(source))
    return dataclasses.replace(source, fields=fields, columns=columns)


def _subset(source: ogr.SourceLayer, keep: np.ndarray) -> ogr.SourceLayer:
    return ogr.SourceLayer(
        source.name,
        source.crs,
        source.crs_problem,
        source.fids[keep],
        source.wkb[keep],
        source.fields,
        [[column[i] for i in keep] for column in source.columns],
        source.text_encoding,
        None if source.text_objects is None else source.text_objects[keep],
        source.text_fields,
        source.warnings,
    )


def _layer_dict(name: str, types: dict[str, int], fields) -> dict:
    return {
        "name": name,
        "entities": types,
        "total": sum(types.values()),
        "frozen": False,
        "off": False,
        "locked": False,
        "fields": fields,
    }


def _user_crs(crs: str | None) -> tuple[str | None, CRS | None]:
    """The CRS given as normalised text (a province preset as its EPSG code) and parsed."""
    text = cad_crs.normalise_crs(crs)
    return text, import_crs.parse_user_crs(text) if text else None


def _file_crs(source: ogr.SourceLayer) -> CRS | None:
    """The file's CRS unless it is a local ("NonEarth") one, which places nothing."""
    if source.crs is None or source.crs.type_name.startswith("Engineering"):
        return None
    return source.crs


def _chosen_crs(user_crs, file_crs, warnings: list[str], layer: str | None = None):
    """The CRS given, else the file's, else the storage CRS with a warning: the same on
    inspect (the preview the page draws) and at import, so what was shown is what loads.
    `layer`: the layer whose own file lacks the CRS (one of an archive's several files)."""
    if user_crs is not None:
        return user_crs, "user"
    if file_crs is not None:
        return file_crs, "file"
    srid = settings.PLANNING_STORAGE_SRID
    if layer is None:
        assumed = _("The file declares no usable CRS; assumed EPSG:%(srid)d.") % {"srid": srid}
    else:
        assumed = _("The layer %(layer)s declares no usable CRS; assumed EPSG:%(srid)d.") % {
            "layer": repr(layer),
            "srid": srid,
        }
    if assumed not in warnings:  # said once for all the layers of a file
        warnings.append(assumed)
    return import_crs.storage_crs(), "default"


def _check_one_crs_for_points(points, crss: list[CRS | None]) -> None:
    """The two-point fix places the layers of a file together: their coordinates must be in
    one CRS (several files of a zip may each declare their own; None: the storage CRS)."""
    storage = import_crs.storage_crs()
    crss = [storage if crs is None else crs for crs in crss]
    if points and any(crs != crss[0] for crs in crss[1:]):
        raise InvalidInput(
            _(
                "The layers of this file are in different coordinate systems, so two control "
                "points cannot place them together: choose the coordinate system, or upload "
                "the layers to place separately."
            )
        )


def _own_crs_layer(dataset: Dataset, layer: str) -> str | None:
    """The layer's name when its CRS comes from a file of its own (a .prj, a CoordSys)
    among an archive's several files; None when the layers share the file's."""
    return layer if dataset.files else None


def _preview_crs(user_crs, read: list[tuple[str, list, CRS, str]], warnings: list[str]):
    """The CRS the preview and the two-point fix are drawn in: the first layer's that is not
    assumed (each layer is moved into it from its own), as when one file's CRS served all."""
    placed = [(crs, source) for _name, _shapes, crs, source in read]
    known = [(crs, source) for crs, source in placed if source != "default"]
    if not placed:  # a file without layers: the preview is empty, in the CRS given
        return _chosen_crs(user_crs, None, warnings)
    return (known or placed)[0]


def _into(geoms: list, source: CRS, target: CRS) -> list:
    """A layer's geometries in the preview's CRS (unchanged when it is the layer's own)."""
    if not geoms or source == target:
        return geoms
    to_target = Transformer.from_crs(source, target, always_xy=True)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = to_target.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return list(shapely.transform(np.asarray(geoms, dtype=object), project))


def _control_move(points, crs: CRS, label: str, warnings: list[str]):
    """The two-point fix as CAD checks it, against the CRS the data is placed in (a typo:
    InvalidInput before anything is moved); (None, None) without points. Its scale warning
    is said once however many layers share it."""
    if not points:
        return None, None
    said: list[str] = []
    move, info = control_transform(points, crs, label, said)
    warnings.extend(w for w in said if w not in warnings)
    return move, info


def _moved_wkb(wkb: np.ndarray, move) -> np.ndarray:
    geoms = shapely.from_wkb(wkb)
    present = ~shapely.is_missing(geoms)
    out = np.array(wkb, dtype=object)
    # include_z=None: 3D features (buildings with heights) keep their z, which a 2D fix leaves
    out[present] = shapely.to_wkb(
        shapely.transform(geoms[present], move, include_z=None), include_srid=False
    )
    return out


def _turn_texts(source: ogr.SourceLayer, turn: float) -> None:
    """Text objects turn with the layer the two-point fix turns (their `rotation` column,
    as a drawing's texts turn: importers.cad.convert._moved)."""
    if source.text_objects is None or mapinfo_text.ROTATION_FIELD not in source.text_fields:
        return
    names = [field["name"] for field in source.fields]
    column = source.columns[names.index(mapinfo_text.ROTATION_FIELD)]
    for row in np.flatnonzero(source.text_objects).tolist():
        column[row] = map_rotation(float(column[row] or 0.0) + turn) or None


def _work_root() -> Path:
    root = Path(settings.PLANNING_VAR_DIR) / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return root
