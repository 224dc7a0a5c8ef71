"""The import report: what was loaded, what was rejected and why."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _


@dataclass
class Rejection:
    index: int  # position of the feature in the source layer (0-based)
    reason: str


@dataclass
class ImportReport:
    source_name: str
    source_format: str
    source_layer: str
    source_crs: str = ""
    text_encoding: str = ""  # legacy encoding text was decoded from ("" = as declared)
    features_read: int = 0
    features_loaded: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing_attributes: list[str] = field(default_factory=list)
    # MapInfo text objects read as lot labels: {texts, lots, labelled} (importers.gis_labels)
    lot_labels: dict | None = None
    # attributes read from Vietnamese columns, kept beside them: {"code": "MA_LO"}
    attribute_columns: dict[str, str] = field(default_factory=dict)

    def reject(self, index: int, reason: str) -> None:
        self.rejected.append(Rejection(index, reason))

    def as_dict(self) -> dict:
        return asdict(self)


# Report messages: stored in English, translated when shown.
#
# Import reports are kept as JSON (planning.Job.report) and printed by `import_cad --json`;
# both stay English whatever the requester's language, so scripts can read them. The texts
# are built from the templates below, and `localized` recognises a stored text by its
# template and renders it in the active language (the job API does, for the CAD page).
# Texts of no template (ezdxf's own audit notes, older translated warnings) pass unchanged.


@dataclass(frozen=True)
class ReportMessage:
    template: str  # a gettext msgid in English with %(name)s placeholders only
    # params shown translated: name -> function of the stored (English) value
    shown: tuple[tuple[str, Callable[[str], str]], ...] = ()

    def __call__(self, **params: object) -> str:
        return self.template % {name: str(value) for name, value in params.items()}

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        # Greedy: a user's text (a CAD layer name) comes first, our own words after it.
        parts = re.split(r"%\((\w+)\)s", self.template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*)" for i, part in enumerate(parts)
        )
        return re.compile(regex, re.DOTALL)

    def localized(self, text: str) -> str | None:
        match = self.pattern.fullmatch(text)
        if match is None:
            return None
        params = match.groupdict()
        for name, translate in self.shown:
            params[name] = translate(params[name])
        return gettext(self.template) % params


def kind_label(code: str) -> str:
    from importers.cad.mapping import target_label

    return target_label(code)


_HIDDEN = {"frozen": _("frozen"), "off": _("off"), "frozen and off": _("frozen and off")}


def _hidden(state: str) -> str:
    return gettext(_HIDDEN[state]) if state in _HIDDEN else state


# Lots and their labels (importers.cad.labels).
NO_LABEL = ReportMessage(_("no label inside the lot"))
SEVERAL_CODES = ReportMessage(_("several lot codes: %(codes)s"))
NO_LOT_CODE = ReportMessage(_("no lot code in the label"))
NO_FUNCTION = ReportMessage(_("no land-use function in the label"))
LABEL_OUTSIDE_LOTS = ReportMessage(_("lot label outside every lot"))
CONFLICTING_VALUES = ReportMessage(_("conflicting values: %(values)s"))
# MapInfo text objects as lot labels (importers.gis_labels).
LOTS_LABELLED = ReportMessage(
    _(
        "%(texts)s text objects of layer %(layer)s read as lot labels: %(labelled)s of "
        "%(lots)s lots take attributes from them"
    )
)
LOTS_LABELLED_FROM_LAYERS = ReportMessage(
    _(
        "%(texts)s text objects of layers %(layers)s read as labels of the lots of layer "
        "%(layer)s: %(labelled)s of %(lots)s lots take attributes from them"
    )
)
# CAD layers (importers.cad.convert).
NO_ENTITY = ReportMessage(_("No entity was found for the %(kind)s layer."), (("kind", kind_label),))
HIDDEN_CONVERTED = ReportMessage(
    _("CAD layer %(layer)s is %(hidden)s; converted as %(kind)s"),
    (("hidden", _hidden), ("kind", kind_label)),
)
HIDDEN_IGNORED = ReportMessage(
    _("CAD layer %(layer)s is %(hidden)s; ignored"), (("hidden", _hidden),)
)
LAYER_IGNORED = ReportMessage(_("CAD layer %(layer)s ignored (entities: %(count)s)"))
# Entities skipped (importers.cad.geometry, importers.cad.build).
UNREADABLE = ReportMessage(_("unreadable geometry (%(error)s)"))
NOT_CONVERTED = ReportMessage(_("%(type)s entities are not converted"))
DEGENERATE = ReportMessage(_("empty or degenerate geometry"))
TOO_DEEP = ReportMessage(_("blocks nested deeper than %(depth)s"))
BLOCK_FAILED = ReportMessage(_("block cannot be expanded (%(error)s)"))
FACES_OFF_BUILDINGS = ReportMessage(_("3D faces belong on a buildings layer"))
CANNOT_BOUND = ReportMessage(_("a %(type)s cannot bound an area"))
NOT_ON_LINES = ReportMessage(_("texts and 3D faces do not belong on a line layer"))
TYPE_NOT_ON_LINES = ReportMessage(_("a %(type)s does not belong on a line layer"))
TEXT_NOT_KEPT = ReportMessage(
    _("texts are kept on layers mapped to annotation, or as lot labels and road names")
)
NO_ROAD_NEAR = ReportMessage(_("a text on a roads layer with no road within %(reach)s m"))
SECOND_ROAD_NAME = ReportMessage(_("a second name for a road already named “%(name)s”"))
FUNCTIONS_FROM_CODES = ReportMessage(
    _(
        "%(count)s lots take their land-use function from the letters of their lot code "
        "(ODT-01: ODT); check those whose letters mean something else in this drawing"
    )
)
HATCHES_MERGED = ReportMessage(
    _("%(count)s hatches fill lots already bounded by linework (merged)")
)
# Leaders (importers.cad.leaders, importers.cad.geometry).
LEADER_WITHOUT_TEXT = ReportMessage(
    _("a leader linked to no text; a label beside it is joined where it is written")
)
LEADER_TEXT_NOT_READ = ReportMessage(
    _("the text this leader points from is not read (missing, or on an ignored layer)")
)
BALLOON_WITHOUT_VALUES = ReportMessage(_("a balloon whose block has no attribute values"))
LEADERS_PLACED = ReportMessage(
    _("labels joined to the lots their leaders point into: %(count)s (leaders may be on any layer)")
)
# Repairs of the file (importers.cad.repair).
NO_HEADER = ReportMessage(_("no HEADER section: read as DXF R2000"))
SECTIONS_REPAIRED = ReportMessage(_("malformed SECTION structure repaired"))
MARKERS_ADDED = ReportMessage(_("subclass markers added to %(count)s entities"))
HANDLES_RENUMBERED = ReportMessage(_("%(count)s duplicate entity handles renumbered"))
# What ezdxf's audit or recovering loader fixed (importers.cad.reader; its words are ezdxf's).
RECOVERED = ReportMessage(_("recovered: %(fix)s"))
RECOVERED_MORE = ReportMessage(_("recovered: … and %(count)s more fixes"))

MESSAGES = tuple(value for value in tuple(globals().values()) if isinstance(value, ReportMessage))


def localized(text: object) -> object:
    """A stored report text in the active language (unchanged if no template made it)."""
    if not isinstance(text, str):
        return text
    for message in MESSAGES:
        shown = message.localized(text)
        if shown is not None:
            return shown
    return text


def localized_cad_report(report: dict | None) -> dict | None:
    """A copy of a stored CAD report with its messages in the active language."""
    if not isinstance(report, dict):
        return report
    shown = dict(report)
    for key in ("notes", "warnings"):
        if isinstance(report.get(key), list):
            shown[key] = [localized(text) for text in report[key]]
    for key, field_name in (("skipped", "reason"), ("label_issues", "problem")):
        if isinstance(report.get(key), list):
            shown[key] = [
                {**entry, field_name: localized(entry.get(field_name))}
                if isinstance(entry, dict)
                else entry
                for entry in report[key]
            ]
    return shown
