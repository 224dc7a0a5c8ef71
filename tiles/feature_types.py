"""Feature types (WFS) / collections (OGC API) / vector-tile layers: one registry.

Per layer kind across all plans the caller may see (`landuse`, `roads` …) and per project
(`landuse.demo-hue-1-500`: kind first, so every name is a valid XML NCName). The kinds'
types are the published catalogue (`published_kinds`, also WMS's and WMTS's layers): they
always exist, empty when nothing of the kind is visible, so a client configured with a type
name keeps it whatever the data holds. A project's types exist only with a visible
feature: a private project's types are unknown, not forbidden, to others. An empty type
advertises the extent of what the caller sees, else Viet Nam (as the WMS layers do), so its
extent never tells where drafts lie. Property names are allow-listed: the kind's schema,
`category` (the catalogue code of Feature.category) for kinds that have categories, `project`
and `revision` (the code of the project and the number of the revision the feature belongs
to, as WMS GetFeatureInfo gives them), and the attribute names the visible layers declare,
when they are safe XML names.

Published names never clash, ignoring case (GDAL and QGIS read fields case-insensitively
and drop the later of two `area`/`AREA` columns): standard names win, then declared names in
the order of their layers' approval (drafts last, so a draft never renames what is in
force), and a name whose lower case is taken is published as `<name>_<n>`, the smallest n
from 1 whose name is neither taken nor declared by any visible layer. The rule depends only
on the caller's visible layers, so every request and page of a type sees the same schema.
An uploaded `project` or `revision` attribute is thus published as `project_1`/`revision_1`.

`project` and `revision` are read from the feature's own revision: the one the visibility
rule (service_features) let through, so an anonymous caller only ever sees approved ones,
and never from a project's latest (maybe draft) revision. Every service reads them in the
statement that selects the features (a join), never per feature.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.gis.db.models import Extent
from django.db.models import Case, F, OrderBy, QuerySet, Value, When
from django.db.models.functions import NullIf

from planning import extent
from planning.layer_kinds import KINDS
from planning.models import Feature, Layer
from planning.visibility import service_features
from tiles.datasource import VIETNAM_WGS84, Bbox

SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
RESERVED = {"geom", "geometry", "id", "fid", "gml_id", "boundedBy", "category"}
_RESERVED_FOLDED = {name.casefold() for name in RESERVED}
CATEGORY = "category"  # published from Feature.category, never from the attributes
CATEGORY_FIELD = "published_category"  # the alias features_of() gives it: '' read as NULL
PROJECT = "project"  # the code of the feature's project (Project.code)
REVISION = "revision"  # the number of the feature's revision within its project
# The ORM columns of a feature's revision, read in the statement that selects the features.
PROJECT_COLUMN = "layer__revision__project__code"
REVISION_COLUMN = "layer__revision__number"
# What a values_list() row must hold for Property.value(*row): in its parameters' order.
VALUE_COLUMNS = ("attributes", "category", PROJECT_COLUMN, REVISION_COLUMN)
# The properties published from the feature's row and revision, not from its attributes:
# name -> the alias features_of() gives the column (filters and sorting use it).
SERVICE_FIELDS = {
    CATEGORY: CATEGORY_FIELD,
    PROJECT: "published_project",
    REVISION: "published_revision",
}
_SERVICE_DESCRIPTIONS = {
    CATEGORY: "Land-use category code of the catalogue, read from the lot's function.",
    PROJECT: "Code of the planning project the feature belongs to.",
    REVISION: "Number of the project's revision the feature belongs to.",
}
# Older approvals first, drafts last: who keeps a clashing name (see the module docstring).
# Paths of properties read from an integer column: a filter compares them with whole
# numbers only (Django would truncate 1.5 to 1 and match revision 1: review finding).
WHOLE_NUMBER_PATHS = frozenset({SERVICE_FIELDS[REVISION]})


def fractional_for_whole(path: str, value: object) -> bool:
    """Whether a filter would compare the integer column at `path` with a fraction."""
    return path in WHOLE_NUMBER_PATHS and isinstance(value, float) and not value.is_integer()


PUBLICATION_ORDER = (F("revision__approved_at").asc(nulls_last=True), "revision_id", "id")
_TYPE_MAP = {
    "integer": "integer",
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "datetime": "datetime",
}


@dataclass(frozen=True)
class Property:
    name: str  # the published name
    type: str  # string | integer | number | boolean | datetime
    key: str  # the key in Feature.attributes it is read from; "" for a SERVICE_FIELDS one

    @property
    def path(self) -> str:
        """The ORM path filters and sorting use (on a queryset from features_of)."""
        return f"attributes__{self.key}" if self.key else SERVICE_FIELDS[self.name]

    def ordering(self, descending: bool) -> OrderBy:
        """Sorting by this property (WFS SORTBY, OGC API sortby): features without a value
        last either way, a stored JSON null too (which jsonb orders first), as JSON values
        order (numbers as numbers, texts as texts)."""
        field: Any = F(self.path)
        if self.key:  # JSON null as SQL NULL (a key transform compared with None is null)
            field = Case(When(**{self.path: None}, then=Value(None)), default=field)
        return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)

    @property
    def description(self) -> str | None:
        """What a client should know about the name (schemas and queryables say it)."""
        if not self.key:
            return _SERVICE_DESCRIPTIONS[self.name]
        if self.key != self.name:
            return f"Uploaded attribute {self.key}, renamed: its name clashes with another one."
        return None

    def value(
        self, attributes: dict | None, category: str, project: str | None, revision: int | None
    ) -> object:
        """The value of one feature (a row of VALUE_COLUMNS), None when it has none."""
        if self.key:
            return (attributes or {}).get(self.key)
        if self.name == PROJECT:
            return project
        if self.name == REVISION:
            return revision
        return category or None


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


def published_kinds() -> list[str]:
    """The layer kinds every service publishes, in draw order: the WMS/WMTS layers, the WFS
    feature types and the OGC API collections of one catalogue, listed with or without data."""
    return sorted(KINDS, key=lambda k: KINDS[k].draw_order)


def _kind_type(kind: str) -> FeatureType:
    return FeatureType(kind, kind, None, str(KINDS[kind].label))


def feature_types(user, at: datetime | None = None) -> list[FeatureType]:
    """Every published kind, then the projects' types with features the caller sees."""
    pairs = (
        service_features(user, at)
        .values_list(
            "layer__kind", "layer__revision__project__code", "layer__revision__project__name"
        )
        .distinct()
    )
    projects: dict[tuple[str, str], str] = {(k, c): n for k, c, n in pairs if k in KINDS}
    types = [_kind_type(kind) for kind in published_kinds()]
    for (kind, code), name in sorted(projects.items()):
        types.append(FeatureType(_name(kind, code), kind, code, f"{KINDS[kind].label}: {name}"))
    return types


def feature_type(name: str, user, at: datetime | None = None) -> FeatureType | None:
    """The type called `name`, or None (unknown or invisible: the same answer). A kind's
    type is always known; a project's only while the caller sees a feature of it."""
    kind, dot, code = name.partition(".")
    if kind not in KINDS or (dot and not SAFE_NAME.match(code)):
        return None
    if not dot:
        return _kind_type(kind)
    ftype = FeatureType(name, kind, code, str(KINDS[kind].label))
    return ftype if features_of(ftype, user, at).exists() else None


def features_of(ftype: FeatureType, user, at: datetime | None = None) -> QuerySet[Feature]:
    # Only features inside Viet Nam's envelope (a bounding-box test): one stored far off
    # before imports refused it cannot be transformed, and would break the whole response.
    features = service_features(user, at).filter(
        layer__kind=ftype.kind, geom__contained=extent.storage_envelope_polygon()
    )
    features = features.alias(
        **{
            CATEGORY_FIELD: NullIf("category", Value("")),
            SERVICE_FIELDS[PROJECT]: F(PROJECT_COLUMN),
            SERVICE_FIELDS[REVISION]: F(REVISION_COLUMN),
        }
    )
    if ftype.project_code:
        features = features.filter(layer__revision__project__code=ftype.project_code)
    return features


def properties_of(ftype: FeatureType, user, at: datetime | None = None) -> list[Property]:
    """The allow-listed properties under their published names: the standard ones, then
    the declared ones (see properties_from_schemas)."""
    layers = (
        Layer.objects.filter(id__in=features_of(ftype, user, at).values("layer_id").distinct())
        .order_by(*PUBLICATION_ORDER)
        .values_list("attribute_schema", "revision__approved_at")
    )
    approved = [schema for schema, approved_at in layers if approved_at is not None]
    drafts = [schema for schema, approved_at in layers if approved_at is None]
    return properties_from_schemas(ftype.kind, approved, drafts)


def properties_from_schemas(
    kind: str, schemas: Iterable[list | None], drafts: Iterable[list | None] = ()
) -> list[Property]:
    """The kind's standard properties, then the safe names the layers' attribute schemas
    declare under their published names: the approved layers' (`schemas`, in
    PUBLICATION_ORDER) named among themselves, then the drafts' a caller may see, which
    give way to every name, so a draft never renames what is in force."""
    schemas, drafts = list(schemas), list(drafts)
    # Standard properties keep the kind's types: QA refuses values that do not fit them.
    standard = standard_properties(kind)
    types = _declared_types([*schemas, *drafts])
    keys = {p.key for p in standard}
    in_force = {k: types[k] for k in _declared(schemas, keys)}
    later = {k: types[k] for k in _declared([*schemas, *drafts], keys) if k not in in_force}
    taken = {p.name.casefold() for p in standard} | _RESERVED_FOLDED
    published = list(standard)
    for declared, avoided in ((in_force, in_force), (later, {**in_force, **later})):
        blocked = {key.casefold() for key in avoided}
        for key, type_ in declared.items():
            name = _free_name(key, taken, blocked)
            taken.add(name.casefold())
            published.append(Property(name, type_, key))
    return published


def standard_properties(kind: str) -> list[Property]:
    """The kind's schema, `category` where the kind has land-use categories, then `project`
    and `revision` in every kind."""
    spec = KINDS[kind]
    standard = [Property(a.name, a.type, a.name) for a in (*spec.required, *spec.optional)]
    if spec.category_keys:
        standard.append(Property(CATEGORY, "string", ""))
    standard += [Property(PROJECT, "string", ""), Property(REVISION, "integer", "")]
    return standard


def _declared(schemas: Iterable[list | None], standard_keys: set[str]) -> list[str]:
    """The safe declared attribute keys, first declaration first; a key that is a standard
    property's own key is that property."""
    found: dict[str, None] = {}
    for schema in schemas:
        for field in schema or []:
            key = str(field.get("name", ""))
            if key not in standard_keys and key not in RESERVED and SAFE_NAME.match(key):
                found.setdefault(key)
    return list(found)


def _declared_types(schemas: Iterable[list | None]) -> dict[str, str]:
    """{attribute key: the type every declaration of it honours}: a `DIENTICH` one layer
    declares integer and another number is a number; declared as text anywhere (a MapInfo
    Char column), it is text. Published narrower, GDAL would convert what does not fit
    (56.7 read as 56, "3-5" as 3) without a word."""
    types: dict[str, str] = {}
    for schema in schemas:
        for field in schema or []:
            key = str(field.get("name", ""))
            declared = _TYPE_MAP.get(field.get("type", "string"), "string")
            types[key] = _wider(types[key], declared) if key in types else declared
    return types


def _wider(one: str, other: str) -> str:
    if one == other:
        return one
    return "number" if {one, other} == {"integer", "number"} else "string"


def _free_name(key: str, taken: set[str], declared: set[str]) -> str:
    """`key`, or `<key>_<n>` when its lower case is taken. A key ending in `_` takes the
    number directly: `__` would make the name one the services refuse as an ORM lookup."""
    if key.casefold() not in taken:
        return key
    blocked = taken | declared | _RESERVED_FOLDED
    stem = key if key.endswith("_") else f"{key}_"
    number = 1
    while f"{stem}{number}".casefold() in blocked:
        number += 1
    return f"{stem}{number}"


def type_extent_wgs84(ftype: FeatureType, user, fallback: Callable[[], Bbox] | None = None) -> Bbox:
    """The lon/lat extent a type advertises: its visible features'; for an empty type that of
    everything the caller sees (`fallback`, when a document lists many types: one query
    for all), and Viet Nam when that is nothing, as the WMS and WMTS layers fall back
    (tiles.mapproxy_config._layer_extent). Never from unseen drafts."""
    own = extent_wgs84(features_of(ftype, user))
    if own is not None:
        return own
    return fallback() if fallback is not None else seen_extent_wgs84(user)


def seen_extent_wgs84(user) -> Bbox:
    """The lon/lat extent of everything the caller sees in the services, else Viet Nam."""
    seen = service_features(user).filter(geom__contained=extent.storage_envelope_polygon())
    return extent_wgs84(seen) or VIETNAM_WGS84


def extent_fallback(user) -> Callable[[], Bbox]:
    """seen_extent_wgs84 computed at most once: for a document listing every type."""
    return functools.cache(lambda: seen_extent_wgs84(user))


def extent_wgs84(features: QuerySet[Feature]) -> tuple[float, float, float, float] | None:
    """lon/lat extent (with the VN-2000 datum shift): the storage-CRS box, clamped to Viet
    Nam's envelope and then transformed, so a far-off feature cannot break capabilities."""
    box = features.aggregate(box=Extent("geom"))["box"]
    return extent.lonlat_box(tuple(box)) if box else None  # type: ignore[arg-type]
