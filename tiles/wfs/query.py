"""The features a WFS query selects: type, visibility, BBOX, filter, ids, sort, paging.

No HTTP here: a WfsRequest and a user in, a Selection (queryset and what the encoders
need) out. Every name a caller gives is checked against the type's allow-list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import shapely
from django.conf import settings
from django.db.models import OrderBy, Q, QuerySet

from planning.extent import query_geometry
from planning.models import Feature, public_ids_q
from tiles.feature_types import FeatureType, Property, feature_type, features_of, properties_of
from tiles.params import Crs, parse_bbox, parse_crs
from tiles.wfs import filters
from tiles.wfs.errors import WfsError, located
from tiles.wfs.request import GET_FEATURE_BY_ID, WfsRequest, max_count


@dataclass
class Selection:
    ftype: FeatureType
    properties: list[Property]  # the properties to output, allow-listed
    features: QuerySet[Feature]  # filtered and ordered, not sliced
    crs: Crs | None  # None: the format's default
    limit: int
    offset: int


def storage_crs() -> Crs:
    return Crs(settings.PLANNING_STORAGE_SRID)


def wfs_properties(ftype: FeatureType, user, at: datetime | None = None) -> list[Property]:
    """The allow-list, without names Django would read as lookups."""
    return [p for p in properties_of(ftype, user, at) if "__" not in p.name and "__" not in p.key]


def resolve_type(name: str, user, at: datetime | None = None) -> FeatureType:
    """A visible type, or the same error for unknown and invisible ones. A type published
    now is known at any moment: before its first approval it simply has no features (as OGC
    API Features and WMS TIME answer), and one in force only then is known then."""
    ftype = feature_type(name, user, at) if name else None
    if ftype is None and name and at is not None:
        ftype = feature_type(name, user)
    if ftype is None:
        raise WfsError(f"Unknown feature type {name[:80]!r}.", locator="typeNames")
    return ftype


def _type_name(request: WfsRequest) -> str:
    names = set(request.query.type_names)
    if not names and request.query.resource_ids:
        names = {rid.rpartition(".")[0] for rid in request.query.resource_ids}
    if not names:
        raise WfsError(
            "Parameter TYPENAMES is required.", code="MissingParameterValue", locator="typeNames"
        )
    if len(names) > 1:
        raise WfsError("One feature type per request.", locator="typeNames")
    return names.pop()


def _ids(ftype: FeatureType, rids: list[str]) -> list[int]:
    ids = []
    for rid in rids:
        prefix, _, number = rid.rpartition(".")
        if prefix != ftype.name or not number.isdigit() or len(number) > 18:
            raise WfsError(f"Invalid resource id {rid[:80]!r}.", locator="resourceId")
        ids.append(int(number))
    return ids


def select(request: WfsRequest, user) -> Selection:
    """The selection of a GetFeature / GetPropertyValue request."""
    query = request.query
    ftype = resolve_type(_type_name(request), user, request.at)
    allowed = wfs_properties(ftype, user, request.at)
    features = features_of(ftype, user, request.at)
    rids = list(query.resource_ids)
    if sum(bool(x) for x in (query.bbox, query.filter is not None, rids)) > 1:
        raise WfsError("BBOX, FILTER and RESOURCEID are mutually exclusive.", locator="filter")
    if query.bbox:
        features = features.filter(_bbox_q(query.bbox))
    if query.filter is not None:
        ids = filters.resource_ids(query.filter)
        if ids is not None:
            rids = ids
        else:
            features = features.filter(filters.to_q(query.filter, allowed, request.version))
    if rids:
        features = features.filter(public_ids_q(_ids(ftype, rids)))
        if GET_FEATURE_BY_ID in request.stored_query_ids and not features.exists():
            raise WfsError("No such feature.", code="NotFound", locator="ID", status=404)
    features = features.order_by(*_ordering(query.sort_by, allowed), "pk")
    with located("srsName"):
        crs = parse_crs(query.srs_name, legacy_axis_order=True) if query.srs_name else None
    return Selection(
        ftype=ftype,
        properties=_output_properties(query.property_names, allowed),
        features=features,
        crs=crs,
        limit=request.count or max_count(),
        offset=request.start_index,
    )


def _bbox_q(text: str) -> Q:
    with located("bbox"):
        box = parse_bbox(text, default_crs=storage_crs(), legacy_axis_order=True)
    assert box is not None
    # Cut like filter geometries: a box far away matches nothing rather than failing.
    return Q(geom__intersects=query_geometry(shapely.box(*box.lon_lat()), box.crs.srid))


def _known(name: str, allowed: list[Property], locator: str) -> str:
    bare = name.strip().rpartition(":")[2].rpartition("/")[2]
    if bare not in {p.name for p in allowed}:
        raise WfsError(f"Unknown property {name[:64]!r}.", locator=locator)
    return bare


def _ordering(keys: list[tuple[str, bool]], allowed: list[Property]) -> list[OrderBy]:
    by_name = {p.name: p for p in allowed}
    return [by_name[_known(name, allowed, "sortBy")].ordering(desc) for name, desc in keys]


def _output_properties(names: list[str] | None, allowed: list[Property]) -> list[Property]:
    if not names:
        return allowed
    wanted = {_known(n, allowed, "propertyName") for n in names if not _is_geometry(n)}
    return [p for p in allowed if p.name in wanted]


def _is_geometry(name: str) -> bool:
    return name.strip().rpartition(":")[2] == filters.GEOMETRY
