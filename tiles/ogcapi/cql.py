"""CQL2 filters (OGC API Features Part 3) → Django Q, through pygeofilter.

The text is parsed into pygeofilter's AST, then checked against an allow-list of node
types and property names *before* pygeofilter's Django backend turns it into a Q: the
backend falls back to the raw name for an unmapped property, so an unchecked name such as
`attributes__code` or `layer__revision__state` would reach the ORM. Values always stay
bound parameters. Geometry literals keep their CRS (CRS84 or `filter-crs`) and PostGIS
transforms them to the storage CRS, after they have been checked like the bbox parameter
(finite, valid, in the range of their CRS) and cut to the query area around Viet Nam
(planning.extent): a literal far away matches nothing instead of failing in PostGIS.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import shapely.errors
import shapely.geometry
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.db.models import Q, Value
from lark.exceptions import LarkError
from pygeofilter import ast, values
from pygeofilter.backends.django import to_filter
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

from planning import extent
from planning.errors import InvalidInput
from tiles.feature_types import Property, fractional_for_whole
from tiles.params import Crs

LANGUAGES = ("cql2-text", "cql2-json")
GEOMETRY_PROPERTY = "geometry"
MAX_FILTER_LENGTH = 20_000
FILTER_GEOMETRY = "Filter geometry"  # the subject of range errors of geometry literals
_SCALARS = (str, int, float, bool, date, datetime)
_COMPARISONS = (ast.Comparison, ast.Between, ast.Like, ast.In, ast.IsNull)
_PARSE_ERRORS = (LarkError, ValueError, KeyError, TypeError, AttributeError, IndexError)


def field_mapping(properties: list[Property]) -> dict[str, str]:
    """Filter names → ORM paths: allow-listed properties and the geometry, nothing else.

    Names containing the ORM separator `__` would be read as nested lookups: left out.
    """
    mapping = {p.name: p.path for p in properties if "__" not in p.name and "__" not in p.key}
    mapping[GEOMETRY_PROPERTY] = "geom"
    return mapping


def parse_filter(text: str, lang: str | None, crs: Crs, mapping: dict[str, str]) -> Q:
    """A CQL2 filter as a Q over Feature; any mistake in it is a 400, never a 500."""
    lang = lang or "cql2-text"
    if lang not in LANGUAGES:
        raise InvalidInput("filter-lang must be cql2-text or cql2-json.")
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidInput("filter is too long.")
    try:
        root = parse_cql2_json(text) if lang == "cql2-json" else parse_cql2_text(text)
    except (*_PARSE_ERRORS, RecursionError) as exc:
        raise InvalidInput(f"filter is not valid {lang}.") from exc
    checked = _Checker(mapping, crs, json_order=lang == "cql2-json").condition(root)
    try:
        query = to_filter(checked, mapping)
    except (ValueError, TypeError, AssertionError, GEOSException, GDALException) as exc:
        raise InvalidInput("filter cannot be applied to this collection.") from exc
    return _bind(query, crs.srid)


class _Checker:
    """Walks the AST: known nodes and properties only, geometry literals normalised."""

    def __init__(self, mapping: dict[str, str], crs: Crs, *, json_order: bool) -> None:
        self.mapping = mapping
        self.crs = crs
        self.json_order = json_order

    def condition(self, node: Any) -> Any:
        if isinstance(node, (ast.And, ast.Or)):
            return type(node)(self.condition(node.lhs), self.condition(node.rhs))
        if isinstance(node, ast.Not):
            return ast.Not(self.condition(node.sub_node))
        if isinstance(node, _COMPARISONS):
            return self.comparison(node)
        if isinstance(node, ast.SpatialComparisonPredicate):
            lhs, rhs = self.spatial_operand(node.lhs), self.spatial_operand(node.rhs)
            if isinstance(lhs, ast.Attribute) == isinstance(rhs, ast.Attribute):
                raise InvalidInput("A spatial predicate compares the geometry with a literal.")
            return type(node)(lhs, rhs)
        if isinstance(node, ast.BBox):
            if node.crs:
                raise InvalidInput("Give the CRS of BBOX with the filter-crs parameter.")
            box = self.box([node.minx, node.miny, node.maxx, node.maxy])
            return ast.GeometryIntersects(self.spatial_operand(node.lhs), box)
        raise InvalidInput(f"This filter construct is not supported: {_describe(node)}.")

    def comparison(self, node: Any) -> Any:
        if isinstance(node, ast.Comparison):
            lhs, rhs = self.scalar_operand(node.lhs), self.scalar_operand(node.rhs)
            if not (isinstance(lhs, ast.Attribute) or isinstance(rhs, ast.Attribute)):
                raise InvalidInput("A comparison needs a property on one side.")
            return type(node)(lhs, rhs)
        lhs = self.attribute(node.lhs, geometry=False)
        if isinstance(node, ast.Between):
            low, high = self.literal(node.low), self.literal(node.high)
            return ast.Between(lhs, low, high, node.not_)
        if isinstance(node, ast.Like):
            if not isinstance(node.pattern, str):
                raise InvalidInput("LIKE needs a text pattern.")
            return ast.Like(
                lhs, node.pattern, node.nocase, node.wildcard, node.singlechar,
                node.escapechar, node.not_,
            )  # fmt: skip
        if isinstance(node, ast.In):
            return ast.In(lhs, [self.literal(v) for v in node.sub_nodes], node.not_)
        return ast.IsNull(lhs, node.not_)

    def attribute(self, node: Any, *, geometry: bool) -> ast.Attribute:
        if not isinstance(node, ast.Attribute):
            raise InvalidInput("Expected a property name.")
        if node.name not in self.mapping:
            raise InvalidInput(f"Unknown property: {str(node.name)[:64]}.")
        if (node.name == GEOMETRY_PROPERTY) != geometry:
            kind = "the geometry" if geometry else "a non-geometry property"
            raise InvalidInput(f"Property {node.name} used where {kind} is expected.")
        return node

    def scalar_operand(self, node: Any) -> Any:
        if isinstance(node, ast.Attribute):
            return self.attribute(node, geometry=False)
        return self.literal(node)

    def literal(self, node: Any) -> Any:
        if isinstance(node, _SCALARS):
            return node
        raise InvalidInput(f"Expected a literal value, got {_describe(node)}.")

    def spatial_operand(self, node: Any) -> Any:
        if isinstance(node, ast.Attribute):
            return self.attribute(node, geometry=True)
        if isinstance(node, values.Geometry):
            return self.geometry(node.geometry)
        if isinstance(node, values.Envelope):
            # cql2-json {"bbox": [minx, miny, maxx, maxy]} lands in x1, x2, y1, y2 in turn.
            corners = [node.x1, node.x2, node.y1, node.y2] if self.json_order else [
                node.x1, node.y1, node.x2, node.y2,
            ]  # fmt: skip
            return self.box(corners)
        if isinstance(node, ast.Function) and node.name.lower() == "bbox":
            return self.box(list(node.arguments))
        raise InvalidInput(f"Expected a geometry, got {_describe(node)}.")

    def box(self, numbers: list[Any]) -> values.Geometry:
        if len(numbers) == 6:
            numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
        if len(numbers) != 4 or not all(isinstance(n, (int, float)) for n in numbers):
            raise InvalidInput("A bbox needs four numbers.")
        x1, y1, x2, y2 = (float(n) for n in numbers)
        ring = [[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]
        return self.geometry({"type": "Polygon", "coordinates": [ring]})

    def geometry(self, geometry: dict) -> values.Geometry:
        """A literal in x/y order, in the range of filter-crs, cut to the query area."""
        srid = self.crs.srid
        try:
            shape = shapely.geometry.shape(self.axes(geometry))
        except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError) as exc:
            raise InvalidInput(f"{FILTER_GEOMETRY} is not a valid geometry.") from exc
        latitude_first = not self.crs.lon_lat_order
        extent.check_shape(shape, srid, latitude_first=latitude_first, subject=FILTER_GEOMETRY)
        return values.Geometry(shapely.geometry.mapping(extent.clip_to_query_area(shape, srid)))

    def axes(self, geometry: dict) -> dict:
        """Coordinates in x/y order: a latitude-first filter-crs is swapped here."""
        if self.crs.lon_lat_order:
            return geometry
        return {**geometry, "coordinates": _swap(geometry.get("coordinates"))}


def _swap(coordinates: Any) -> Any:
    if (
        isinstance(coordinates, (list, tuple))
        and coordinates
        and not isinstance(coordinates[0], (list, tuple))
    ):
        return [coordinates[1], coordinates[0], *coordinates[2:]]
    if isinstance(coordinates, (list, tuple)):
        return [_swap(c) for c in coordinates]
    return coordinates


def _describe(node: Any) -> str:
    return type(node).__name__


def _bind(query: Q, srid: int) -> Q:
    """Plain values for JSONB lookups (JSON-encoded by Django) and the literal's SRID."""
    children: list[Any] = []
    for child in query.children:
        if isinstance(child, Q):
            children.append(_bind(child, srid))
        else:
            lookup, value = child  # type: ignore[misc]
            plain = _plain(value, srid)
            if fractional_for_whole(lookup.split("__")[0], plain):
                raise InvalidInput("filter compares a whole-number property with a fraction.")
            children.append((lookup, plain))
    return Q(*children, _connector=query.connector, _negated=query.negated)


def _plain(value: Any, srid: int) -> Any:
    if isinstance(value, Value):
        return _plain(value.value, srid)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v, srid) for v in value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, GEOSGeometry):
        value.srid = srid  # from GeoJSON via OGR it claims EPSG:4326 whatever filter-crs says
    return value
