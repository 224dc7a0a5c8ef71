"""One typed WFS request from either KVP (GET) or XML (POST).

Nothing here touches the database: names are only split and checked for shape; the
query module checks them against the caller's allow-lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from tiles.params import parse_datetime_param, parse_limit, parse_offset
from tiles.wfs.errors import WfsError, located, missing, operation_not_supported
from tiles.wfs.xmlsafe import local, parse_xml

VERSIONS = ("2.0.0", "1.1.0")
OPERATIONS = {
    "getcapabilities": "GetCapabilities",
    "describefeaturetype": "DescribeFeatureType",
    "getfeature": "GetFeature",
    "getpropertyvalue": "GetPropertyValue",
    "liststoredqueries": "ListStoredQueries",
    "describestoredqueries": "DescribeStoredQueries",
}
GET_FEATURE_BY_ID = "urn:ogc:def:query:OGC-WFS::GetFeatureById"
MAX_FEATURES = 1_000_000  # per response; streaming keeps memory flat, this bounds time


def max_count() -> int:
    """The server maximum of COUNT/MAXFEATURES (and the default when none is given)."""
    return MAX_FEATURES


@dataclass
class Query:
    type_names: list[str] = field(default_factory=list)
    filter: etree._Element | None = None
    bbox: str | None = None
    resource_ids: list[str] = field(default_factory=list)
    property_names: list[str] | None = None
    sort_by: list[tuple[str, bool]] = field(default_factory=list)  # (name, descending)
    srs_name: str | None = None


@dataclass
class WfsRequest:
    version: str
    operation: str
    query: Query = field(default_factory=Query)
    count: int | None = None
    start_index: int = 0
    hits: bool = False
    output_format: str | None = None
    value_reference: str | None = None
    stored_query_ids: list[str] = field(default_factory=list)
    # Vendor parameter DATETIME: the plans in force at that instant (WFS has no dimension).
    at: datetime | None = None


def version_of(text: str | None, accept: str | None = None) -> str:
    """The version to answer in: VERSION, else the first ACCEPTVERSIONS we speak, else 2.0.0."""
    if text:
        aliases = {"2.0": "2.0.0", "1.1": "1.1.0"}
        value = aliases.get(text.strip(), text.strip())
        if value not in VERSIONS:
            raise WfsError(f"Version {text!r} is not supported.", locator="version")
        return value
    if accept:
        for candidate in accept.split(","):
            if candidate.strip() in VERSIONS:
                return candidate.strip()
        raise WfsError(
            "None of the accepted versions is supported.", code="VersionNegotiationFailed"
        )
    return VERSIONS[0]


def operation_of(text: str | None) -> str:
    if not text:
        raise missing("request")
    name = OPERATIONS.get(text.strip().lower())
    if name is None:
        raise operation_not_supported(text[:64])
    return name


def type_name(text: str) -> str:
    """A type name without its namespace prefix (planning:landuse → landuse)."""
    return text.strip().rpartition(":")[2]


def split_list(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _sort_by(text: str | None) -> list[tuple[str, bool]]:
    keys = []
    for item in split_list(text):
        name, _, order = item.partition(" ")
        order = order.strip().upper()
        if order not in ("", "ASC", "DESC", "A", "D"):
            raise WfsError("SORTBY order must be ASC or DESC.", locator="sortBy")
        keys.append((name.strip(), order in ("DESC", "D")))
    return keys


def _filter_param(text: str | None) -> etree._Element | None:
    if not text:
        return None
    value = text.strip()
    if value.startswith("(") and value.endswith(")"):  # one query: (filter)
        value = value[1:-1]
    with located("filter"):
        return parse_xml(value, what="FILTER")


def _type_names_param(text: str | None) -> list[str]:
    """The type names of the one query: "landuse,roads" (several types, this server's
    union) or, in the bracketed KVP form of WFS 2.0 (7.9.2.4.1), "(planning:landuse)".
    Several bracketed lists are several queries, and several names in brackets a join,
    which this server does not run: refused rather than answered as something else."""
    value = (text or "").strip()
    if value.startswith("("):
        inner = _one_bracketed(value, "typeNames")
        if len(split_list(inner)) > 1:
            raise WfsError(
                "Joins are not supported: give the type names without brackets, "
                "e.g. TYPENAMES=planning:landuse,planning:roads.",
                locator="typeNames",
            )
        value = inner
    return split_list(value)


def _one_bracketed(value: str, locator: str) -> str:
    """The inside of "(…)", the bracketed KVP form of one query's list; WfsError for
    several queries' lists ("(…)(…)")."""
    if value.count("(") > 1 or not value.endswith(")") or ")" in value[:-1]:
        raise WfsError(
            "Only one query is supported: give a single list, in one pair of brackets at most.",
            locator=locator,
        )
    return value[1:-1]


def _unbracketed(text: str | None, locator: str) -> str | None:
    """PROPERTYNAME or SORTBY of the one query, bracketed or not."""
    value = (text or "").strip()
    return _one_bracketed(value, locator) if value.startswith("(") else text


def _moment(text: str | None, locator: str = "datetime") -> datetime | None:
    """An instant (or an interval's end) for the plans in force at that time."""
    with located(locator):
        interval = parse_datetime_param(text)
    return interval.end if interval is not None else None


def _time_param(params: dict[str, str]) -> tuple[str | None, str]:
    """The vendor parameter DATETIME, or TIME as WMS and MapServer's WFS spell it (a client
    sending TIME must not silently get today's plans), and the locator of its errors. Both,
    differing: refused."""
    given = {name: params[name] for name in ("DATETIME", "TIME") if params.get(name)}
    if len(set(given.values())) > 1:
        raise WfsError("Give DATETIME or TIME, not both.", locator="datetime")
    name, value = next(iter(given.items()), ("DATETIME", None))
    return value, name.lower()


def from_kvp(params: dict[str, str]) -> WfsRequest:
    """A request from upper-cased KVP parameters."""
    operation = operation_of(params.get("REQUEST"))
    version = version_of(params.get("VERSION"), params.get("ACCEPTVERSIONS"))
    names = _type_names_param(params.get("TYPENAMES") or params.get("TYPENAME"))
    query = Query(
        type_names=[type_name(n) for n in names],
        # OWSLib's WFS 2.0 GET sends the filter as QUERY: accepted as an alias of FILTER.
        filter=_filter_param(params.get("FILTER") or params.get("QUERY")),
        bbox=params.get("BBOX") or None,
        resource_ids=split_list(params.get("RESOURCEID") or params.get("FEATUREID")),
        property_names=[
            n
            for n in split_list(_unbracketed(params.get("PROPERTYNAME"), "propertyName"))
            if n != "*"
        ]
        or None,
        sort_by=_sort_by(_unbracketed(params.get("SORTBY"), "sortBy")),
        srs_name=params.get("SRSNAME") or None,
    )
    request = WfsRequest(version, operation, query)
    _paging(request, params.get("COUNT") or params.get("MAXFEATURES"), params.get("STARTINDEX"))
    request.hits = _hits(params.get("RESULTTYPE"))
    request.output_format = params.get("OUTPUTFORMAT") or None
    request.value_reference = params.get("VALUEREFERENCE") or None
    request.at = _moment(*_time_param(params))
    stored = params.get("STOREDQUERY_ID")
    request.stored_query_ids = split_list(stored)
    if stored and operation in ("GetFeature", "GetPropertyValue"):
        _stored_query(request, stored, params.get("ID"))
    return request


def _paging(request: WfsRequest, count: str | None, start: str | None) -> None:
    with located("count"):
        request.count = parse_limit(count, default=0, maximum=max_count(), name="COUNT") or None
    with located("startIndex"):
        request.start_index = parse_offset(start, "STARTINDEX")


def _hits(text: str | None) -> bool:
    value = (text or "results").strip().lower()
    if value not in ("results", "hits"):
        raise WfsError("RESULTTYPE must be results or hits.", locator="resultType")
    return value == "hits"


def _stored_query(request: WfsRequest, query_id: str, feature_id: str | None) -> None:
    if query_id.strip() != GET_FEATURE_BY_ID:
        raise WfsError(f"Unknown stored query {query_id[:80]!r}.", locator="STOREDQUERY_ID")
    if not feature_id:
        raise missing("ID")
    request.query.resource_ids = [feature_id.strip()]
    request.stored_query_ids = [GET_FEATURE_BY_ID]


def from_xml(body: bytes) -> WfsRequest:
    """A request from an XML POST body (WFS 2.0 or 1.1 encoding)."""
    root = parse_xml(body)
    operation = operation_of(local(root.tag))
    version = version_of(root.get("version"), None)
    request = WfsRequest(version, operation)
    _paging(request, root.get("count") or root.get("maxFeatures"), root.get("startIndex"))
    request.hits = _hits(root.get("resultType"))
    request.output_format = root.get("outputFormat")
    request.value_reference = root.get("valueReference")
    for child in root:
        name = local(child.tag)
        if name == "Query":
            request.query = _xml_query(child)
        elif name in ("TypeName",) and child.text:
            request.query.type_names.append(type_name(child.text))
        elif name == "StoredQueryId" and child.text:
            request.stored_query_ids.append(child.text.strip())
        elif name == "StoredQuery":
            params = {p.get("name", "").upper(): (p.text or "") for p in child}
            _stored_query(request, child.get("id", ""), params.get("ID"))
    if operation == "DescribeFeatureType" and root.get("typeNames"):
        request.query.type_names += [type_name(n) for n in root.get("typeNames", "").split()]
    return request


def _xml_query(element: etree._Element) -> Query:
    names = (element.get("typeNames") or element.get("typeName") or "").replace(",", " ")
    query = Query(type_names=[type_name(n) for n in names.split()])
    query.srs_name = element.get("srsName")
    for child in element:
        name = local(child.tag)
        if name == "Filter":
            query.filter = child
        elif name == "PropertyName" and child.text and child.text.strip() != "*":
            query.property_names = [*(query.property_names or []), child.text.strip()]
        elif name == "SortBy":
            query.sort_by = [_xml_sort_key(prop) for prop in child]
    return query


def _xml_sort_key(prop: etree._Element) -> tuple[str, bool]:
    name, order = "", "ASC"
    for part in prop:
        if local(part.tag) in ("ValueReference", "PropertyName"):
            name = (part.text or "").strip()
        elif local(part.tag) == "SortOrder":
            order = (part.text or "").strip().upper()
    if order not in ("ASC", "DESC"):
        raise WfsError("SortOrder must be ASC or DESC.", locator="SortBy")
    return name, order == "DESC"
