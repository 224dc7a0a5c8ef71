"""The items query of a collection: parameters → one Feature queryset, and its paging.

Parameters go through the shared parsers of `tiles.params` (bbox, CRS, limit, datetime);
property parameters (`?code=A1`) and CQL2 filters may name only the allow-listed
properties of `tiles.feature_types.properties_of`. Every value reaches SQL as a bound
parameter and every transformation runs in PostGIS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import shapely
from django.db import DatabaseError
from django.db.models import JSONField, OrderBy, Q, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.lookups import Exact

from planning.errors import InvalidInput, NotFound
from planning.extent import query_geometry
from planning.models import Feature, by_public_id
from tiles.feature_types import FeatureType, Property, feature_type, features_of
from tiles.ogcapi import cql
from tiles.params import (
    Crs,
    parse_bbox,
    parse_crs,
    parse_datetime_param,
    parse_limit,
    parse_offset,
)

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
CRS84_CRS = Crs(4326, lon_lat_order=True)
QUERY_PARAMETERS = frozenset(
    {"f", "bbox", "bbox-crs", "limit", "offset", "datetime", "crs", "filter", "filter-lang",
     "filter-crs", "sortby"}
)  # fmt: skip
FEATURE_NOT_FOUND = "Feature not found."


@dataclass(frozen=True)
class ItemsQuery:
    limit: int
    offset: int
    at: datetime | None
    crs: Crs
    conditions: list[Any] = field(default_factory=list)
    ordering: list[OrderBy] = field(default_factory=list)  # before the id, which ends ties


def instant(params: Mapping[str, str]) -> datetime | None:
    """`datetime` as the instant whose plans in force are served: an interval's end,
    or now when the interval is open at its end."""
    interval = parse_datetime_param(params.get("datetime"))
    return interval.end if interval else None


def output_crs(params: Mapping[str, str]) -> Crs:
    return parse_crs(params.get("crs"), default=CRS84_CRS)


def items_collection(name: str, user: Any, at: datetime | None) -> FeatureType:
    """The collection visible now, or (for a datetime query) at that instant."""
    ftype = feature_type(name, user) or (feature_type(name, user, at) if at else None)
    if ftype is None:
        raise NotFound("Collection not found.")
    return ftype


def parse_items_query(
    params: Mapping[str, str], properties: list[Property], at: datetime | None
) -> ItemsQuery:
    by_name = {p.name: p for p in properties}
    unknown = [name for name in params if name not in QUERY_PARAMETERS and name not in by_name]
    if unknown:
        raise InvalidInput(f"Unknown query parameter: {unknown[0][:64]}.")
    conditions: list[Any] = [
        _property_condition(by_name[name], params[name])
        for name in params
        if name in by_name and name not in QUERY_PARAMETERS
    ]
    box = _bbox_condition(params.get("bbox"), params.get("bbox-crs"))
    if box is not None:
        conditions.append(box)
    if params.get("filter"):
        filter_crs = parse_crs(params.get("filter-crs"), default=CRS84_CRS)
        mapping = cql.field_mapping(properties)
        conditions.append(
            cql.parse_filter(params["filter"], params.get("filter-lang"), filter_crs, mapping)
        )
    return ItemsQuery(
        limit=parse_limit(params.get("limit"), default=DEFAULT_LIMIT, maximum=MAX_LIMIT),
        offset=parse_offset(params.get("offset"), name="offset"),
        at=at,
        crs=output_crs(params),
        conditions=conditions,
        ordering=parse_sortby(params.get("sortby"), properties),
    )


def parse_sortby(text: str | None, properties: list[Property]) -> list[OrderBy]:
    """`sortby=-area,code` (OGC API Records' sorting, as pygeoapi and STAC read it): the
    sortables, each ascending or `+` (a bare `+` in a URL reads as a space) or `-`
    descending; a name that is not a sortable is a 400, never an SQL identifier."""
    if text is None:
        return []
    by_name = {p.name: p for p in properties}
    ordering = []
    for term in text.split(","):
        descending = term.startswith("-")
        name = term[1:] if term[:1] in "+- " and term else term
        if name not in by_name:
            raise InvalidInput(f"sortby: unknown sortable {name[:64]!r} (see the sortables).")
        ordering.append(by_name[name].ordering(descending))
    return ordering


def _property_condition(prop: Property, text: str) -> Any:
    """`?name=value` equality, typed by the property's declared type. `category`, `project`
    and `revision` compare their columns (`project=CODE`: the features of one project)."""
    if prop.type == "string" or prop.type == "datetime":
        if not prop.key:
            return Q(**{prop.path: text})
        return Exact(KeyTextTransform(prop.key, "attributes"), text)
    value = _typed(prop, text)
    if not prop.key:
        return Q(**{prop.path: value})
    return Exact(KeyTransform(prop.key, "attributes"), Value(value, output_field=JSONField()))


def _typed(prop: Property, text: str) -> object:
    """The text of a non-text property parameter as its declared type, else a 400."""
    try:
        if prop.type == "integer":
            return int(text)
        if prop.type == "number":
            return float(text)
        if text in ("true", "false"):
            return text == "true"
        raise ValueError(text)
    except ValueError as exc:
        expected = {"integer": "an integer", "number": "a number"}.get(prop.type, "true or false")
        raise InvalidInput(f"{prop.name} must be {expected}.") from exc


def _bbox_condition(text: str | None, crs_text: str | None) -> Q | None:
    crs = parse_crs(crs_text, default=CRS84_CRS)
    box = parse_bbox(text, default_crs=crs, allow_crs_suffix=False)
    if box is None:
        return None
    # Cut to the area around Viet Nam first: a box far away matches nothing (a world box
    # projected as it is would fold into a sliver of the VN-2000 transverse Mercator).
    return Q(geom__intersects=query_geometry(shapely.box(*box.lon_lat()), crs.srid))


def select(ftype: FeatureType, user: Any, query: ItemsQuery) -> QuerySet[Feature]:
    selection = features_of(ftype, user, query.at)
    for condition in query.conditions:
        try:
            selection = selection.filter(condition)
        except (ValueError, TypeError) as exc:  # a CQL2 text literal for `revision`, a number
            raise InvalidInput("The query cannot be evaluated on this collection.") from exc
    return selection.order_by(*query.ordering, "id")


def count(selection: QuerySet[Feature]) -> int:
    """numberMatched; the first execution of the query, so a filter the database cannot
    evaluate (an invalid geometry literal) is reported here as a 400, before streaming."""
    try:
        return selection.count()
    except DatabaseError as exc:
        raise InvalidInput("The query cannot be evaluated on this collection.") from exc


def page_links(
    url: str, params: Mapping[str, str], query: ItemsQuery, matched: int, fmt: str
) -> list[dict[str, str]]:
    """self/alternate plus next and prev: the same query with another offset."""
    media = {"json": "application/geo+json", "html": "text/html"}

    def href(offset: int, f: str) -> str:
        kept = {k: v for k, v in params.items() if k not in ("offset", "f")}
        return f"{url}?{urlencode({**kept, 'offset': offset, 'f': f})}"

    links = [
        {"href": href(query.offset, f), "rel": "self" if f == fmt else "alternate",
         "type": media[f]}
        for f in (fmt, "html" if fmt == "json" else "json")
    ]  # fmt: skip
    if query.offset + query.limit < matched:
        links.append({"href": href(query.offset + query.limit, fmt), "rel": "next",
                      "type": media[fmt]})  # fmt: skip
    if query.offset > 0:
        links.append({"href": href(max(0, query.offset - query.limit), fmt), "rel": "prev",
                      "type": media[fmt]})  # fmt: skip
    return links


def one_feature(ftype: FeatureType, user: Any, feature_id: str) -> QuerySet[Feature]:
    """The one visible feature of the collection under the public id `feature_id`
    (planning.models.public_ids_q: the lot in force keeps the id of its first publication);
    404 alike for absent and private ones."""
    if not feature_id.isdigit() or len(feature_id) > 18:
        raise NotFound(FEATURE_NOT_FOUND)
    selection = by_public_id(features_of(ftype, user), int(feature_id))[:1]
    if not selection.exists():
        raise NotFound(FEATURE_NOT_FOUND)
    return selection
