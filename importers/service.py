"""Import an uploaded vector file as a layer of a draft revision, atomically.

The whole mapping is checked before any feature is written; the layer and its features
are loaded in one transaction; every rejected feature is reported with its reason. On any
error nothing stays in the database and the work directory is removed.
"""

from __future__ import annotations

import dataclasses
import gc
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from importers import attribute_limit, geometry, gis_labels, loader, ogr, replacing
from importers import crs as import_crs
from importers.cad import convert as cad_convert
from importers.cad import crs as cad_crs
from importers.cad import fastdxf
from importers.cad import limits as cad_limits
from importers.cad import placement as cad_placement
from importers.cad import preview as cad_preview
from importers.cad import reader as cad_reader
from importers.cad.labels import function_names
from importers.cad.rows import to_rows
from importers.cad.scan import Scan
from importers.control_points import parse_control_points
from importers.report import ImportReport
from importers.report import localized as localized_text
from importers.sources import is_cad, locate_dataset
from importers.text.vietnamese import ENCODINGS
from planning import visibility
from planning.actions import audit
from planning.catalogue import function_of
from planning.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated
from planning.layer_kinds import (
    KINDS,
    LayerKind,
    catalogue_functions_once,
    category_column,
    get_kind,
    standard_columns,
)
from planning.models import LandUseCategory, Layer, Project, Revision


@dataclass
class ImportResult:
    layer: Layer
    report: dict


@dataclass
class CadImportResult:
    layers: list[Layer]
    report: dict


def import_upload(
    *,
    user,
    revision: Revision,
    path: Path,
    filename: str,
    kind: str,
    name: str,
    crs: str | None = None,
    source_layer: str | None = None,
    text_encoding: str = "auto",
    remote_addr: str | None = None,
) -> ImportResult:
    _check_permission(user, revision)
    if not name.strip():
        raise InvalidInput(_("Give the layer a name."))
    if is_cad(filename):  # the CAD layer asked for (else every one) into the one kind
        cad = import_cad(
            user=user,
            revision=revision,
            path=path,
            filename=filename,
            mapping={source_layer or "*": kind},
            crs=crs,
            text_encoding=text_encoding,
            remote_addr=remote_addr,
            layer_name=name.strip(),
        )
        return ImportResult(cad.layers[0], cad.report)
    try:
        layer_kind = get_kind(kind)
    except ValueError as exc:
        raise InvalidInput(
            _("Unknown layer kind %(kind)s; expected one of %(kinds)s.")
            % {"kind": repr(kind), "kinds": ", ".join(KINDS)}
        ) from exc
    if text_encoding not in ("auto", *ENCODINGS):
        raise InvalidInput(
            _("Unknown text encoding %(encoding)s; expected auto or one of %(encodings)s.")
            % {"encoding": repr(text_encoding), "encodings": ", ".join(ENCODINGS)}
        )
    crs = cad_crs.normalise_crs(crs)  # also province:<slug>
    user_crs = import_crs.parse_user_crs(crs) if crs else None
    with tempfile.TemporaryDirectory(prefix="import-", dir=_work_root()) as workdir:
        dataset = locate_dataset(
            Path(path), filename, Path(workdir), settings.PLANNING_MAX_UNZIPPED_BYTES
        )
        # several files: one layer of one kind here, all of them through the layer mapping
        mapping_page = reverse("webmap:revision-cad", args=[revision.pk])
        layer_name = ogr.choose_layer(dataset, source_layer, mapping_page)
        source = numbered_from_one(ogr.read_layer(dataset, layer_name, text_encoding))
        source_crs = _resolve_crs(source, user_crs)
        report = ImportReport(
            filename, dataset.format.name, layer_name, import_crs.describe(source_crs, crs)
        )
        report.text_encoding = source.text_encoding or ""
        report.warnings.extend(source.warnings)
        if source.text_encoding in ("tcvn3", "vni", "cp1258"):
            report.warnings.append(
                _("Text was converted from the legacy %(encoding)s encoding to Unicode.")
                % {"encoding": source.text_encoding.upper()}
            )
        if not len(source):
            raise InvalidInput(_("The layer contains no features."))
        functions = catalogue_functions_once()
        source, labelling = gis_labels.label_lots(source, layer_kind.code, functions)
        source, report.attribute_columns = standard_attributes(source, layer_kind, functions)
        report.features_read = len(source)  # text objects read as lot labels are no features
        report.lot_labels = gis_labels.lot_labels(labelling)
        report.missing_attributes = missing_attributes(
            layer_kind, [f["name"] for f in source.fields]
        )
        prepared = geometry.prepare(
            source.wkb,
            layer_kind,
            import_crs.transformer_to_storage(source_crs),
            report,
        )
        far = cad_placement.storage_box_far_from_project(revision.project, prepared.bounds)
        if far:
            report.warnings.append(far)
        if not len(prepared.keep):
            raise InvalidInput(
                _("No feature could be loaded."),
                details=gis_labels.with_labels(report.as_dict(), labelling, layer_name, source_crs),
            )
        layer = _load(
            user,
            revision,
            layer_kind.code,
            name.strip(),
            source,
            prepared,
            report,
            filename,
            remote_addr,
            functions,
        )
    return ImportResult(
        layer, gis_labels.with_labels(report.as_dict(), labelling, layer_name, source_crs)
    )


def numbered_from_one(source: ogr.SourceLayer) -> ogr.SourceLayer:
    """The layer with its features numbered from 1, as a GeoPackage, MapInfo or KML file
    numbers them, when its file counts from 0 (a shapefile, GeoJSON): the number a
    feature's source reference carries, which QA findings show ("lot no. 1 in lots.shp")."""
    if not len(source.fids) or int(source.fids.min()) != 0:
        return source
    return dataclasses.replace(source, fids=source.fids + 1)


def standard_attributes(
    source: ogr.SourceLayer, kind: LayerKind, catalogue
) -> tuple[ogr.SourceLayer, dict[str, str]]:
    """The layer with the kind's attributes its columns give under Vietnamese names
    (planning.layer_kinds.standard_columns: MA_LO -> code, CHUCNANG -> function) added
    beside those columns, which stay as they are; and {attribute: column} for the report.
    A function is stored as the catalogue code its value names ("Đất ở" -> its code, as a
    drawing's labels give it), else as written. After a MapInfo table's text objects filled
    those columns (importers.gis_labels), so the attributes have what the labels said."""
    names = [field["name"] for field in source.fields]
    found = standard_columns(kind, names, source.columns, catalogue)
    if not found:
        return source, {}
    fields, columns = list(source.fields), list(source.columns)
    functions = catalogue() if "function" in found else {}
    for attribute, column_name in found.items():
        at = names.index(column_name)
        field, values = {**source.fields[at], "name": attribute}, source.columns[at]
        if attribute == "function":  # a catalogue code, whatever the column's type
            field["type"] = "string"
            values = [_function_value(value, functions) for value in values]
        fields.append(field)
        columns.append(list(values))
    return dataclasses.replace(source, fields=fields, columns=columns), found


def _function_value(value: object, functions: dict[str, str]) -> object:
    if value is None or not str(value).strip():
        return value
    return function_of(str(value), functions) or str(value).strip()


def missing_attributes(kind: LayerKind, field_names: Iterable[str]) -> list[str]:
    """The attributes the kind requires that the source has no field for (any case), in
    the kind's order: what planning.qa's attributes.required rule will report per feature.
    Vietnamese columns (MA_LO, CHUCNANG) were read into them before (standard_attributes)."""
    lowered = {name.lower() for name in field_names}
    return [spec.name for spec in kind.required if spec.name not in lowered]


def import_cad(
    *,
    user,
    revision: Revision,
    path: Path,
    filename: str,
    mapping: dict[str, str],
    crs: str | None = None,
    text_encoding: str = "auto",
    remote_addr: str | None = None,
    control_points: str | list | None = None,  # JSON text or [[x_cad, y_cad, x, y]] x 2
    progress: cad_convert.Progress | None = None,
    layer_name: str | None = None,
    replace_layers: bool = False,
    replace_layer_ids: list[int] | None = None,
) -> CadImportResult:
    """A DXF (or DWG) as one layer per mapped planning kind, all in one transaction.

    `progress(pct, message)` is called between stages (0-80 converting, 80-99 loading);
    whatever it raises stops the import with nothing written. `layer_name` names the
    layers (one kind per upload on the upload page) instead of "<file> – <kind>".
    `replace_layers` removes the draft's earlier layers of the kinds loaded, in the same
    transaction (importers.replacing), only those of `replace_layer_ids` when given; the
    report lists them, or those kept."""
    _check_permission(user, revision)
    check_cad_encoding(text_encoding)
    options = cad_convert.CadOptions(
        mapping=mapping,
        encoding=text_encoding,
        crs=cad_crs.normalise_crs(crs),
        functions=function_names(LandUseCategory.objects.values_list("code", "name_vi")),
        limits=cad_limits.limits(),
        tolerances=cad_limits.tolerances(),
        control_points=parse_control_points(control_points),
    )
    with _collector_paused():
        with tempfile.TemporaryDirectory(prefix="cad-", dir=_work_root()) as workdir:
            conversion = cad_convert.convert(Path(path), filename, options, Path(workdir), progress)
        report = conversion.report
        if not any(conversion.outputs.values()):
            raise InvalidInput(_("No feature could be loaded."), details=report.as_dict())
        for features in conversion.outputs.values():  # texts and layer names of any length
            attribute_limit.check_rows(
                [f.source_ref for f in features], [f.attributes for f in features]
            )
        warning = cad_placement.far_from_project(revision.project, conversion)
        if warning:
            report.warnings.append(warning)
        names = _CadNames(filename, layer_name)
        replacement = replacing.asked(replace_layers, replace_layer_ids)
        load = _CadLoad(names, remote_addr, progress, replacement)
        layers, replaced = _load_cad(user, revision, conversion, load)
    return CadImportResult(layers, replacing.reported(report.as_dict(), revision, layers, replaced))


@dataclass(frozen=True)
class _CadNames:
    filename: str
    chosen: str | None  # the name the user gave, for every layer

    def layer(self, kind: str) -> str:
        """The user's name, else "<file> – <kind label>" in the site's language (not the
        importer's): a layer name is stored data that every reader of the plan sees."""
        if self.chosen:
            return self.chosen[:200]
        with translation.override(settings.LANGUAGE_CODE):
            label = str(get_kind(kind).label)
        return f"{Path(self.filename).stem} – {label}"[:200]


@dataclass(frozen=True)
class _CadLoad:
    """How the converted layers are loaded."""

    names: _CadNames
    remote_addr: str | None
    progress: cad_convert.Progress | None
    replacement: replacing.Replacement | None  # None: keep the draft's earlier layers


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a drawing is converted and loaded: the
    conversion makes millions of small acyclic objects (freed by reference counting), and
    every collection would walk them all again. Cycles ezdxf leaves wait for the
    collector's next pass."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


CAD_ENCODINGS = ("auto", "tcvn3", "vni", "cp1258")  # a drawing's text: detected or forced


def check_cad_encoding(text_encoding: str) -> None:
    if text_encoding not in CAD_ENCODINGS:
        raise InvalidInput(
            _("Unknown text encoding %(encoding)s; expected auto, tcvn3, vni or cp1258.")
            % {"encoding": repr(text_encoding)}
        )


def inspect_drawing(
    path: Path,
    filename: str,
    crs: str | None = None,
    control_points=None,
    project: Project | None = None,
) -> dict:
    """The CAD layers of a drawing with entity counts by type, and a preview in EPSG:4326
    (placed with the CRS and two-point fix given); writes nothing. With the project the
    file is meant for, a warning when it lands more than 10 km from it."""
    if not is_cad(filename):  # TAB/MIF, shapefile ...: the same mapping step
        from importers.gis_mapping import inspect_dataset

        return inspect_dataset(path, filename, crs, control_points, project)
    crs = cad_crs.normalise_crs(crs)
    points = parse_control_points(control_points)
    limits, tolerances = cad_limits.limits(), cad_limits.tolerances()

    def every_layer(source: Path, limits: cad_limits.CadLimits, prescanned: Scan | None):
        return fastdxf.read(source, tolerances.arc, lambda layer: True, limits, None, prescanned)

    with _collector_paused(), tempfile.TemporaryDirectory(prefix="cad-", dir=_work_root()) as work:
        drawing = cad_reader.open_drawing(Path(path), filename, Path(work), limits, every_layer)
        fast = drawing.fast
        shown = cad_preview.preview(
            drawing.doc,
            filename,
            crs=crs,
            control_points=points,
            limits=limits,
            tolerances=tolerances,
            items=fast.items if fast else None,
        )
        far = cad_placement.lonlat_far_from_project(project, shown["extent"])
        if far:
            shown["warnings"] = [*shown["warnings"], far]
        layers = cad_reader.list_layers(drawing.doc, fast.counts if fast else None)
        return {
            "source_name": filename,
            "source_format": "DXF",
            "dxf_version": drawing.doc.dxfversion,
            "notes": [localized_text(note) for note in drawing.notes],  # the reader's language
            "layers": [layer.as_dict() for layer in layers],
            **shown,
        }


@transaction.atomic
def _load_cad(user, revision, conversion, load: _CadLoad) -> tuple[list[Layer], list | None]:
    """The new layers, and the earlier ones they replaced (None: replacing not asked)."""
    names, progress = load.names, load.progress
    locked = Revision.objects.select_for_update().get(pk=revision.pk)
    _check_permission(user, locked)
    transformer = import_crs.transformer_to_storage(conversion.crs)
    report = conversion.report
    layers = []
    outputs = [(kind, features) for kind, features in conversion.outputs.items() if features]
    for step, (kind, features) in enumerate(outputs):
        if progress:
            progress(
                80 + 19 * step / len(outputs),
                _("Loading the layer “%(kind)s”") % {"kind": KINDS[kind].label},
            )
        rows = to_rows(features, transformer)
        layer = Layer.objects.create(
            revision=locked,
            kind=kind,
            name=names.layer(kind),
            source_name=names.filename,
            source_format="DXF",
            source_crs=report.source_crs,
            attribute_schema=rows.schema,
            created_by=user,
        )
        layer.feature_count = loader.copy_features(
            layer.pk, rows.wkb_2d, rows.wkb_3d, rows.attributes, rows.categories, rows.refs
        )
        layer.save(update_fields=["feature_count"])
        layers.append(layer)
    replaced = None
    if load.replacement is not None:
        replaced = replacing.replace(user, locked, layers, load.replacement, load.remote_addr)
    if progress:
        progress(99, _("Saving"))
    audit(
        user,
        "layer.import_cad",
        project=locked.project,
        revision=locked,
        remote_addr=load.remote_addr,
        layers=[layer.pk for layer in layers],
        file=names.filename,
        features=report.features,
        replaced=replaced,  # null: not asked to replace; else what went (maybe nothing)
    )
    return layers, replaced


def _check_permission(user, revision: Revision) -> None:
    if user is None or not user.is_authenticated:
        raise NotAuthenticated(_("Sign in to upload layers."))
    if visibility.can_edit(user, revision):
        return
    if not visibility.edits_drafts(user, revision.project):  # who before what, as edits
        raise Forbidden(_("Only the project's planners may add layers to this revision."))
    raise Conflict(
        _("Revision %(number)d is %(state)s; only drafts take new layers.")
        % {"number": revision.number, "state": revision.get_state_display()}
    )


def _resolve_crs(source: ogr.SourceLayer, user_crs):
    if user_crs is not None:
        return user_crs
    if source.crs is not None:
        return source.crs
    reason = source.crs_problem or _("the file declares no coordinate reference system")
    raise InvalidInput(
        _("Cannot place the data on the map: %(reason)s. Give the CRS (e.g. EPSG:9214).")
        % {"reason": reason}
    )


def _work_root() -> Path:
    root = Path(settings.PLANNING_VAR_DIR) / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _without_derived_category(
    fields: list[dict], attributes: list[dict], categories: list[str]
) -> list[dict]:
    """The layer's fields, each lot's `category` attribute dropped where it only repeats the
    lot's catalogue code: the one WFS and OGC API publish (Feature.category), which a plan
    exported from them and imported again carries. Kept, it would make every lot of such a
    round trip differ from its original; a `category` that says otherwise stays."""
    names = {field["name"]: field for field in fields}
    field = next((name for name in names if name.lower() == "category"), None)
    if field is None:
        return fields
    for row, category in zip(attributes, categories, strict=True):
        value = row.get(field)
        if ("" if value is None else str(value).strip()) == category:
            del row[field]
    if any(field in row for row in attributes):
        return fields
    return [spec for name, spec in names.items() if name != field]


def _without_provenance(fields: list[dict], attributes: list[dict], project: str) -> list[dict]:
    """The layer's fields, a feature's `project` and `revision` dropped where they only say
    it came from this project's plan: WFS, OGC API and vector tiles publish both with every
    feature, so a plan exported from them and imported again carries them, and kept they
    would make every lot differ from its original (and be published as `project_1`). Those
    naming another project (lots copied over from it) stay, as its provenance."""
    names = {field["name"]: field for field in fields}
    # any case: tools that upper-case field names export PROJECT and REVISION
    project_field = next((name for name in names if name.lower() == "project"), None)
    revision_field = next((name for name in names if name.lower() == "revision"), None)
    if project_field is None:
        return fields

    def blank(value) -> bool:
        return value is None or str(value).strip() == ""

    exported = any(str(row.get(project_field) or "").strip() == project for row in attributes)
    if not exported:
        return fields  # the user's own columns: nothing here came from our services
    for row in attributes:
        value = row.get(project_field)
        if blank(value) or str(value).strip() == project:  # blank: a lot added beside them
            row.pop(project_field, None)
            number = row.get(revision_field) if revision_field else None
            if revision_field and (blank(number) or _whole_number(number)):
                row.pop(revision_field, None)
    own = {project_field, revision_field} - {None}
    dropped = {name for name in own if not any(name in row for row in attributes)}
    return [spec for name, spec in names.items() if name not in dropped]


def _whole_number(value) -> bool:
    try:
        return float(str(value)).is_integer()
    except ValueError:
        return False


DBF_NAME_CHARS = 10  # a shapefile's DBF cuts field names there


def schema_named(kind: LayerKind, fields: list[dict]) -> list[dict]:
    """The source's fields, those named as a schema attribute cut to a DBF's ten characters
    ("storeys_mi", any case) under the attribute's name, as QA, the services and the edit
    form read it (QA walk: a shapefile's minimum and maximum storeys were never checked).
    A field that already carries the attribute's own name keeps the name for itself."""
    taken = {field["name"].lower() for field in fields}
    cut = {
        spec.name[:DBF_NAME_CHARS]: spec.name
        for spec in (*kind.required, *kind.optional)
        if len(spec.name) > DBF_NAME_CHARS and spec.name not in taken
    }
    renamed: list[dict] = []
    for field in fields:
        full = cut.pop(field["name"].lower(), None)  # one field per attribute
        renamed.append({**field, "name": full} if full else field)
    return renamed


@transaction.atomic
def _load(
    user, revision, kind, name, source, prepared, report, filename, remote_addr, catalogue=None
) -> Layer:
    """`catalogue`: catalogue_functions_once() shared by the layers of one import."""
    # Re-check under a row lock: a submission racing this import wins or waits.
    locked = Revision.objects.select_for_update().get(pk=revision.pk)
    _check_permission(user, locked)
    fields = schema_named(get_kind(kind), source.fields)
    names = [f["name"] for f in fields]
    catalogue = catalogue or catalogue_functions_once()
    categories = category_column(get_kind(kind), names, source.columns, prepared.keep, catalogue)
    attributes = loader.attribute_rows(names, source.columns, prepared.keep)
    layer = Layer.objects.create(
        revision=locked,
        kind=kind,
        name=name,
        source_name=filename,
        source_format=report.source_format,
        source_crs=report.source_crs,
        attribute_schema=_without_provenance(
            _without_derived_category(fields, attributes, categories),
            attributes,
            locked.project.code,
        ),
        created_by=user,
    )
    refs = [f"{filename}#{source.name}:{int(source.fids[i])}" for i in prepared.keep]
    report.features_loaded = loader.copy_features(
        layer.pk, prepared.wkb_2d, prepared.wkb_3d, attributes, categories, refs
    )
    layer.feature_count = report.features_loaded
    layer.save(update_fields=["feature_count"])
    audit(
        user,
        "layer.import",
        project=locked.project,
        revision=locked,
        remote_addr=remote_addr,
        layer=layer.pk,
        file=filename,
        loaded=report.features_loaded,
        rejected=len(report.rejected),
    )
    return layer
