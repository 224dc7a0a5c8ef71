"""FES 2.0 / FES 1.1 filters → Django Q, through pygeofilter, allow-listed.

The XML is parsed safely first (xmlsafe) and pygeofilter's FES parser gets the
Element. Its Django backend is used with a field mapping holding only the allow-listed
properties (published name → `Property.path`) and the geometry (`geom`); any other name is
an InvalidParameterValue, never a lookup. Literals stay literals (bound parameters) and are
coerced to the property's declared type so JSONB compares numbers as numbers. Geometry
literals are checked like the BBOX parameter (finite, valid, in the range of their CRS) and
cut to the query area around Viet Nam (planning.extent), so PostGIS never fails to
transform them and a valid box far away simply matches nothing.
"""

from __future__ import annotations

import copy
import math
import re

import shapely.errors
import shapely.geometry
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.contrib.gis.measure import D
from django.db.models import F, Q
from lxml import etree
from pygeofilter import ast, values
from pygeofilter.backends.django import filters
from pygeofilter.backends.django.evaluate import DjangoFilterEvaluator
from pygeofilter.backends.evaluator import handle
from pygeofilter.parsers.fes import parse as parse_fes
from pygeofilter.parsers.fes.util import NodeParsingError
from pygml.axisorder import is_crs_yx

from planning import extent
from planning.errors import PlanningError
from tiles.feature_types import Property, fractional_for_whole
from tiles.params import Crs, parse_crs
from tiles.wfs.errors import WfsError
from tiles.wfs.xmlsafe import local

FES20 = "http://www.opengis.net/fes/2.0"
OGC = "http://www.opengis.net/ogc"
GEOMETRY = "geom"
FILTER_GEOMETRY = "Filter geometry"  # the subject of range errors of geometry literals
ID_ELEMENTS = {"ResourceId": "rid", "FeatureId": "fid", "GmlObjectId": None}
METRES = {
    "m": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "km": 1000.0,
    "kilometers": 1000.0,
    "urn:ogc:def:uom:epsg::9001": 1.0,
}


def _bad(message: str, code: str = "InvalidParameterValue") -> WfsError:
    return WfsError(message, code=code, locator="filter")


def resource_ids(root: etree._Element) -> list[str] | None:
    """The ids of an identifier filter (fes:ResourceId, ogc:FeatureId/GmlObjectId), else None."""
    children = list(root)
    if not children or any(local(c.tag) not in ID_ELEMENTS for c in children):
        return None
    ids = []
    for child in children:
        attr = ID_ELEMENTS[local(child.tag)]
        value = child.get(attr) if attr else child.get(f"{{{child.nsmap.get('gml', '')}}}id")
        if not value:
            raise _bad("Identifier filter without an id.")
        ids.append(value.strip())
    return ids


# WFS 1.1's own CRS form, which pygml cannot read: the same CRS as urn:ogc:def:crs:EPSG::n
_X_OGC_URN = re.compile(r"^urn:x-ogc:def:crs:EPSG:(?:[\d.]*:)?(\d{4,6})$", re.I)


def _envelopes_as_polygons(root: etree._Element) -> etree._Element:
    """pygeofilter drops an Envelope's srsName: rewrite Envelopes as Polygons, which keep it,
    and give a BBOX without a ValueReference the geometry property. A urn:x-ogc srsName is
    written as the urn:ogc one it means."""
    root = copy.deepcopy(root)
    for element in root.iter():
        srs_name = element.get("srsName")
        if srs_name and (match := _X_OGC_URN.match(srs_name.strip())):
            element.set("srsName", f"urn:ogc:def:crs:EPSG::{match.group(1)}")
    for bbox in [e for e in root.iter() if local(e.tag) == "BBOX"]:
        if len(bbox) == 1:
            ns = FES20 if etree.QName(bbox).namespace == FES20 else OGC
            ref = etree.Element(f"{{{ns}}}{'ValueReference' if ns == FES20 else 'PropertyName'}")
            ref.text = GEOMETRY
            bbox.insert(0, ref)
    for env in [e for e in root.iter() if local(e.tag) == "Envelope"]:
        gml = etree.QName(env).namespace
        corners = {local(c.tag): (c.text or "").split() for c in env}
        lower, upper = corners.get("lowerCorner"), corners.get("upperCorner")
        if not lower or not upper or len(lower) != 2 or len(upper) != 2:
            raise _bad("An Envelope needs a lowerCorner and an upperCorner of two numbers.")
        _check_finite([*lower, *upper])
        (a, b), (c, d) = lower, upper
        polygon = etree.Element(f"{{{gml}}}Polygon", nsmap={"gml": gml})
        polygon.set(f"{{{gml}}}id", "envelope")
        if env.get("srsName"):
            polygon.set("srsName", env.get("srsName", ""))
        ring = etree.SubElement(
            etree.SubElement(polygon, f"{{{gml}}}exterior"), f"{{{gml}}}LinearRing"
        )
        etree.SubElement(
            ring, f"{{{gml}}}posList"
        ).text = f"{a} {b} {a} {d} {c} {d} {c} {b} {a} {b}"
        env.getparent().replace(env, polygon)
    return root


def _check_finite(numbers: list[str]) -> None:
    """Envelope corners are numbers (NaN would otherwise be an unclosed ring, a vaguer error)."""
    try:
        finite = all(math.isfinite(float(n)) for n in numbers)
    except ValueError as exc:
        raise _bad("An Envelope needs a lowerCorner and an upperCorner of two numbers.") from exc
    if not finite:
        raise _bad(f"{FILTER_GEOMETRY} coordinates must be finite numbers.")


def to_q(root: etree._Element, properties: list[Property], version: str) -> Q:
    """The Q of a FES filter over the allow-listed `properties`."""
    expected = OGC if version.startswith("1.") else FES20
    if etree.QName(root).namespace not in (expected, FES20, OGC) or local(root.tag) != "Filter":
        raise _bad("FILTER must be a fes:Filter (WFS 2.0) or ogc:Filter (WFS 1.1).")
    try:
        tree = parse_fes(_envelopes_as_polygons(root))
    except (NodeParsingError, ValueError, KeyError, AttributeError, TypeError, IndexError) as exc:
        raise _bad(f"The filter is not supported or not valid: {exc}"[:300]) from exc
    try:
        result = _Evaluator(properties).evaluate(tree)
    except NotImplementedError as exc:
        raise _bad("The filter uses an unsupported operator.", "OperationNotSupported") from exc
    if not isinstance(result, Q):
        raise _bad("The filter is not a predicate.")
    return result


def _coerce(value: object, kind: str) -> object:
    """A literal as the property's declared type (JSONB compares by type)."""
    if isinstance(value, (F, GEOSGeometry)):
        return value
    try:
        if kind in ("number", "integer"):
            number = float(value) if not isinstance(value, bool) else math.nan  # type: ignore[arg-type]
            if not math.isfinite(number):
                raise ValueError(value)
            return int(number) if number.is_integer() else number
        if kind == "boolean":
            return str(value).lower() in ("true", "1")
    except (TypeError, ValueError) as exc:
        raise _bad(f"{value!r} is not a valid {kind}.") from exc
    return "" if value is None else str(value)


def like_regex(pattern: str, wildcard: str, single: str, escape: str) -> str:
    """An anchored regular expression equal to an FES LIKE pattern (literals escaped)."""
    parts, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if escape and char == escape and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == wildcard else "." if char == single else re.escape(char))
        index += 1
    return "^" + "".join(parts) + "$"


class _Evaluator(DjangoFilterEvaluator):
    """pygeofilter's Django evaluator restricted to the allow-list and to what we support."""

    def __init__(self, properties: list[Property]) -> None:
        mapping = {p.name: p.path for p in properties}
        mapping[GEOMETRY] = "geom"
        super().__init__(mapping, None)
        self.types = {p.path: p.type for p in properties}

    def _scalar(self, lhs: object, *others: object) -> tuple[object, ...]:
        if not isinstance(lhs, F):
            if len(others) == 1 and isinstance(others[0], F):
                return (*self._scalar(others[0], lhs),)[::-1]
            raise _bad("A comparison needs a property.")
        kind = self.types.get(lhs.name)  # type: ignore[attr-defined]
        if kind is None:
            raise _bad("The geometry cannot be compared as a value.")
        values = tuple(_coerce(o, kind) for o in others)
        if any(fractional_for_whole(lhs.name, v) for v in values):  # type: ignore[attr-defined]
            raise _bad("The property takes whole numbers only.")
        return (lhs, *values)

    @handle(ast.Not)
    def not_(self, node: ast.Not, sub: Q) -> Q:
        """FES BBOX arrives as Not(Disjoint): query it as Intersects, which uses the index."""
        if isinstance(node.sub_node, ast.GeometryDisjoint) and len(sub.children) == 1:
            _, geometry = sub.children[0]  # type: ignore[misc]
            return Q(geom__intersects=geometry)
        return ~sub

    @handle(ast.Attribute)
    def attribute(self, node: ast.Attribute) -> F:
        name = str(node.name or "").strip().rpartition(":")[2]
        if name not in self.field_mapping:
            raise _bad(f"Unknown property {str(node.name)[:64]!r}.")
        return F(self.field_mapping[name])

    @handle(*values.LITERALS)
    def literal(self, node: object) -> object:
        return node  # a bound parameter, never SQL

    @handle(ast.Comparison, subclasses=True)
    def comparison(self, node: ast.Comparison, lhs: object, rhs: object) -> Q:
        swapped = not isinstance(lhs, F)
        left, right = self._scalar(lhs, rhs) if not swapped else self._scalar(rhs, lhs)
        if swapped:
            left, right = right, left
        return filters.compare(left, right, node.op.value)  # type: ignore[arg-type]

    @handle(ast.Between)
    def between(self, node: ast.Between, lhs: object, low: object, high: object) -> Q:
        field, low, high = self._scalar(lhs, low, high)
        return filters.between(field, low, high, node.not_)  # type: ignore[arg-type]

    @handle(ast.Like)
    def like(self, node: ast.Like, lhs: object) -> Q:
        (field,) = self._scalar(lhs)
        regex = like_regex(str(node.pattern), node.wildcard, node.singlechar, node.escapechar)
        lookup = "iregex" if node.nocase else "regex"
        query = Q(**{f"{field.name}__{lookup}": regex})  # type: ignore[attr-defined]
        return ~query if node.not_ else query

    @handle(ast.IsNull)
    def null(self, node: ast.IsNull, lhs: object) -> Q:
        if not isinstance(lhs, F):
            raise _bad("PropertyIsNull needs a property.")
        return filters.null(lhs, node.not_)

    @handle(ast.SpatialComparisonPredicate, subclasses=True)
    def spatial_operation(self, node: ast.Node, lhs: object, rhs: object) -> Q:
        self._geometry_pair(lhs, rhs)
        return filters.spatial(lhs, rhs, node.op.name)  # type: ignore[arg-type, attr-defined]

    @handle(ast.SpatialDistancePredicate, subclasses=True)
    def spatial_distance(self, node: ast.Node, lhs: object, rhs: object) -> Q:
        _, geometry = self._geometry_pair(lhs, rhs)
        factor = METRES.get(str(node.units).lower())  # type: ignore[attr-defined]
        if factor is None:
            raise _bad("Distance units must be metres or kilometres.")
        metres = float(node.distance) * factor  # type: ignore[attr-defined]
        if not 0 <= metres <= extent.QUERY_MARGIN_M:  # NaN fails too
            raise _bad(
                f"Filter distances must lie between 0 and {extent.QUERY_MARGIN_M / 1000:g} km."
            )
        query = Q(geom__dwithin=(geometry, D(m=metres)))
        return query if node.op.name == "DWITHIN" else ~query  # type: ignore[attr-defined]

    def _geometry_pair(self, lhs: object, rhs: object) -> tuple[F, GEOSGeometry]:
        field, geometry = (lhs, rhs) if isinstance(lhs, F) else (rhs, lhs)
        if (
            not isinstance(field, F)
            or field.name != "geom"  # type: ignore[attr-defined]
            or not isinstance(geometry, GEOSGeometry)
        ):
            raise _bad("Spatial operators compare the geometry property with a GML geometry.")
        return field, geometry

    @handle(values.Geometry)
    def geometry(self, node: values.Geometry) -> GEOSGeometry:
        data = dict(node.geometry)
        declared = data.pop("crs", None)
        name = declared.get("properties", {}).get("name") if isinstance(declared, dict) else None
        storage = Crs(settings.PLANNING_STORAGE_SRID)
        try:
            # pygml has put the coordinates of a latitude-first srsName in x/y order.
            crs = parse_crs(name, legacy_axis_order=True) if name else storage
            shape = shapely.geometry.shape(data)
            if name and crs.lon_lat_order and is_crs_yx(name):
                # ... "EPSG:4326" too, which WFS reads lon/lat (tiles.params.parse_crs)
                shape = shapely.transform(shape, lambda xy: xy[:, ::-1])
            extent.check_shape(
                shape, crs.srid, latitude_first=not crs.lon_lat_order, subject=FILTER_GEOMETRY
            )
        except PlanningError as exc:
            raise _bad(exc.message) from exc
        except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError) as exc:
            raise _bad("The filter geometry is not valid.") from exc
        return extent.query_geometry(shape, crs.srid)

    def _unsupported(self, node: object, *args: object) -> None:
        raise _bad("The filter uses an unsupported operator.", "OperationNotSupported")

    arithmetic = handle(ast.Arithmetic, subclasses=True)(_unsupported)
    temporal = handle(ast.TemporalPredicate, subclasses=True)(_unsupported)
    spatial_pattern = handle(ast.Relate)(_unsupported)
    bbox = handle(ast.BBox)(_unsupported)
    in_ = handle(ast.In)(_unsupported)
    envelope = handle(values.Envelope)(_unsupported)
