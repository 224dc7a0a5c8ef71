"""Feature types (WFS) / collections (OGC API) / vector-tile layers: one registry.

Per layer kind across all plans the caller may see (`landuse`, `roads` …) and per project
(`landuse.demo-hue-1-500`: kind first, so every name is a valid XML NCName). Only types
with at least one visible feature exist for a caller: a private project's types are
unknown, not forbidden, to others. Property names are allow-listed: the kind's schema
plus the attribute names the visible layers declare, when they are safe XML names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.gis.db.models import Extent
from django.db.models import QuerySet

from planning import extent
from planning.layer_kinds import KINDS
from planning.models import Feature, Layer
from planning.visibility import service_features

SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
RESERVED = {"geom", "geometry", "id", "fid", "gml_id", "boundedBy", "category"}
_TYPE_MAP = {
    "integer": "integer",
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "datetime": "datetime",
}


@dataclass(frozen=True)
class Property:
    name: str
    type: str  # string | integer | number | boolean | datetime


@dataclass(frozen=True)
class FeatureType:
    name: str
    kind: str
    project_code: str | None
    title: str

    @property
    def geometry(self) -> str:
        return KINDS[self.kind].geometry


def _name(kind: str, project_code: str | None) -> str:
    return kind if project_code is None else f"{kind}.{project_code}"


def feature_types(user, at: datetime | None = None) -> list[FeatureType]:
    pairs = (
        service_features(user, at)
        .values_list(
            "layer__kind", "layer__revision__project__code", "layer__revision__project__name"
        )
        .distinct()
    )
    projects: dict[tuple[str, str], str] = {(k, c): n for k, c, n in pairs if k in KINDS}
    kinds = sorted({k for k, _ in projects}, key=lambda k: KINDS[k].draw_order)
    types = [FeatureType(k, k, None, str(KINDS[k].label)) for k in kinds]
    for (kind, code), name in sorted(projects.items()):
        types.append(FeatureType(_name(kind, code), kind, code, f"{KINDS[kind].label}: {name}"))
    return types


def feature_type(name: str, user, at: datetime | None = None) -> FeatureType | None:
    """The visible type called `name`, or None (unknown or invisible: the same answer)."""
    kind, _, code = name.partition(".")
    if kind not in KINDS or (code and not SAFE_NAME.match(code)):
        return None
    ftype = FeatureType(name, kind, code or None, str(KINDS[kind].label))
    return ftype if features_of(ftype, user, at).exists() else None


def features_of(ftype: FeatureType, user, at: datetime | None = None) -> QuerySet[Feature]:
    # Only features inside Viet Nam's envelope (a bounding-box test): one stored far off
    # before imports refused it cannot be transformed, and would break the whole response.
    features = service_features(user, at).filter(
        layer__kind=ftype.kind, geom__contained=extent.storage_envelope_polygon()
    )
    if ftype.project_code:
        features = features.filter(layer__revision__project__code=ftype.project_code)
    return features


def properties_of(ftype: FeatureType, user, at: datetime | None = None) -> list[Property]:
    """The allow-listed properties, in schema order then source order."""
    layers = Layer.objects.filter(
        id__in=features_of(ftype, user, at).values("layer_id").distinct()
    ).values_list("attribute_schema", flat=True)
    return properties_from_schemas(ftype.kind, layers)


def properties_from_schemas(kind: str, schemas: Iterable[list | None]) -> list[Property]:
    """The kind's schema plus the safe names the layers' attribute schemas declare."""
    spec = KINDS[kind]
    found: dict[str, str] = {a.name: a.type for a in (*spec.required, *spec.optional)}
    for schema in schemas:
        for field in schema or []:
            name = str(field.get("name", ""))
            if name not in found and SAFE_NAME.match(name):
                found[name] = _TYPE_MAP.get(field.get("type", "string"), "string")
    return [Property(n, t) for n, t in found.items() if n not in RESERVED]


def extent_wgs84(features: QuerySet[Feature]) -> tuple[float, float, float, float] | None:
    """lon/lat extent (with the VN-2000 datum shift): the storage-CRS box, clamped to Viet
    Nam's envelope and then transformed, so a far-off feature cannot break capabilities."""
    box = features.aggregate(box=Extent("geom"))["box"]
    return extent.lonlat_box(tuple(box)) if box else None  # type: ignore[arg-type]
