"""What the upload page shows of an import report, in one shape for every importer.

The vector importer reports features read, loaded and rejected; the CAD importer reports
features per kind and skipped entities. The page renders only this summary, whose fields
always have their types, so a report of another shape cannot break the page after the
import committed; reports are read defensively because a failure's details are whatever
the importer had gathered when it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LISTED = 200  # rejected features and skipped entities listed on the page


@dataclass(frozen=True)
class Rejection:
    where: str  # the feature number, or the CAD layer, entity type and handle
    reason: str


@dataclass(frozen=True)
class UploadSummary:
    loaded: int = 0
    features_read: int | None = None  # vector files
    entities_read: int | None = None  # CAD drawings
    source_format: str = ""
    source_layer: str = ""
    source_crs: str = ""
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing_attributes: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)  # listed, at most MAX_LISTED
    rejected_total: int = 0
    unclosed: int = 0  # CAD linework that could not be closed into lots
    label_issues: int = 0  # CAD lots without (or with a doubtful) label

    @property
    def rejected_unlisted(self) -> int:
        return self.rejected_total - len(self.rejected)


def summarise(report: object, loaded: int | None = None) -> UploadSummary:
    """The summary of an importer's report; `loaded` (the layer's count) wins if given."""
    data = report if isinstance(report, dict) else {}
    is_cad = isinstance(data.get("features"), dict)
    rejections = _cad_rejections(data) if is_cad else _vector_rejections(data)
    counted = _int(data.get("features_loaded"))
    if is_cad:
        counted = sum(_int(count) for count in data["features"].values())
    return UploadSummary(
        loaded=counted if loaded is None else _int(loaded),
        features_read=None if is_cad else _optional_int(data.get("features_read")),
        entities_read=_entities_read(data) if is_cad else None,
        source_format=_text(data.get("source_format")),
        source_layer=_text(data.get("source_layer")),
        source_crs=_text(data.get("source_crs")),
        warnings=_texts(data.get("warnings")),
        notes=_texts(data.get("notes")),
        missing_attributes=_texts(data.get("missing_attributes")),
        rejected=rejections[:MAX_LISTED],
        rejected_total=_total(data, "skipped", len(rejections)) if is_cad else len(rejections),
        unclosed=_total(data, "unclosed", len(_list(data.get("unclosed")))),
        label_issues=_total(data, "label_issues", len(_list(data.get("label_issues")))),
    )


def _total(data: dict, name: str, listed: int) -> int:
    """Entries of a CAD report list, with those beyond its cap (`totals`, when the report
    has them: reports kept from before list only the first 1,000)."""
    totals = data.get("totals")
    found = _optional_int(totals.get(name)) if isinstance(totals, dict) else None
    return max(listed, found or 0)


def _vector_rejections(data: dict) -> list[Rejection]:
    rejections = []
    for item in _list(data.get("rejected")):
        if isinstance(item, dict):
            index = _optional_int(item.get("index"))
            where = "" if index is None else str(index)
            rejections.append(Rejection(where, _text(item.get("reason"))))
    return rejections


def _cad_rejections(data: dict) -> list[Rejection]:
    rejections = []
    for item in _list(data.get("skipped")):
        if isinstance(item, dict):
            parts = (_text(item.get(key)) for key in ("layer", "type", "handle"))
            where = " · ".join(part for part in parts if part)
            rejections.append(Rejection(where, _text(item.get("reason"))))
    return rejections


def _entities_read(data: dict) -> int:
    layers = _list(data.get("cad_layers"))
    return sum(_int(layer.get("total")) for layer in layers if isinstance(layer, dict))


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _texts(value: object) -> list[str]:
    return [str(item) for item in _list(value) if item not in (None, "")]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _int(value: object) -> int:
    return _optional_int(value) or 0


def _optional_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
