"""WMS GetFeatureInfo answered from PostGIS (MapProxy's Mapnik source cannot answer it).

The clicked pixel (I/J in 1.3.0, X/Y in 1.1.1) becomes a point and a small square of
TOLERANCE_PX pixels in the request CRS; PostGIS moves both to the storage CRS (with the
VN-2000 datum shift), and the features the caller may see there (service_features, at
TIME if given) are returned nearest first, topmost kind first on a tie.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import F, FloatField, Func, TextField, Value

from planning.layer_kinds import KINDS
from planning.models import Feature
from planning.visibility import service_features
from tiles import raster_layers
from tiles.feature_types import PROJECT, REVISION, FeatureType, Property, properties_of
from tiles.mapproxy_config import public_layer
from tiles.params import GEOGRAPHIC_SRIDS
from tiles.wms_request import MapView, WmsError, parse_layers, positive_int

TOLERANCE_PX = 3
MAX_FEATURE_COUNT = 50
CANDIDATES = 200
GML_OPTIONS_URN_CRS = 1  # ST_AsGML: srsName as urn:ogc:def:crs:EPSG::N
GML_OPTIONS_LAT_LON = 16  # ST_AsGML: geographic coordinates in EPSG (lat, lon) order
GML_FORMATS = ("application/vnd.ogc.gml", "text/xml", "application/gml+xml")


@dataclass(frozen=True)
class InfoRequest:
    view: MapView
    query_layers: tuple[str, ...]
    i: int
    j: int
    info_format: str
    feature_count: int


@dataclass(frozen=True)
class Hit:
    """One feature found under the pixel, with what the formats print."""

    id: int
    kind: str
    project: str
    revision: int
    properties: dict[str, object]
    geometry: str | None  # GeoJSON text or a GML fragment, per format


def parse_info_request(
    params: dict[str, str], view: MapView, formats: tuple[str, ...], user=None
) -> InfoRequest:
    """The GetFeatureInfo-specific parameters, checked against the map view."""
    query_layers = parse_layers(
        params.get("QUERY_LAYERS", ""), name="QUERY_LAYERS", user=user, at=view.time
    )
    for name in query_layers:
        if name not in view.layers:
            raise WmsError(
                f"Layer {name!r} is not in LAYERS.", "LayerNotQueryable", locator="QUERY_LAYERS"
            )
    i_name, j_name = ("X", "Y") if view.version == "1.1.1" else ("I", "J")
    i = _pixel(params, i_name, view.width)
    j = _pixel(params, j_name, view.height)
    info_format = params.get("INFO_FORMAT", "").strip().lower() or "text/html"
    if info_format not in formats:
        raise WmsError(
            f"INFO_FORMAT {info_format[:64]!r} is not offered.",
            "InvalidFormat",
            locator="INFO_FORMAT",
        )
    count = 1
    if params.get("FEATURE_COUNT", "").strip():
        count = min(positive_int(params, "FEATURE_COUNT", 10**6), MAX_FEATURE_COUNT)
    return InfoRequest(view, query_layers, i, j, info_format, count)


def _pixel(params: dict[str, str], name: str, size: int) -> int:
    text = params.get(name, "").strip()
    if not text:
        raise WmsError(f"{name} is required.", "MissingParameterValue", locator=name)
    if not text.isdigit() or int(text) >= size:
        raise WmsError(
            f"{name} must be a pixel inside the map (0 to {size - 1}).",
            "InvalidPoint",
            locator=name,
        )
    return int(text)


def probe(request: InfoRequest) -> tuple[GEOSGeometry, GEOSGeometry]:
    """The pixel's centre and its tolerance square, in the storage CRS (moved by PostGIS)."""
    view = request.view
    px, py = view.pixel_size
    x = view.bbox[0] + (request.i + 0.5) * px
    y = view.bbox[3] - (request.j + 0.5) * py
    dx, dy = TOLERANCE_PX * px, TOLERANCE_PX * py
    storage = settings.PLANNING_STORAGE_SRID
    sql = """
        SELECT ST_AsEWKB(ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), %s), %s)),
               ST_AsEWKB(ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, %s), %s))
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [x, y, view.srid, storage, x - dx, y - dy, x + dx, y + dy, view.srid, storage]
        )
        point, square = cursor.fetchone()
    return GEOSGeometry(memoryview(bytes(point))), GEOSGeometry(memoryview(bytes(square)))


def _geometry_annotation(request: InfoRequest) -> Func | None:
    if request.info_format in ("application/json", "application/geo+json"):
        return AsGeoJSON(Transform("geom", 4326), precision=7)
    if request.info_format in GML_FORMATS:
        srid = request.view.srid
        options = GML_OPTIONS_URN_CRS | (GML_OPTIONS_LAT_LON if srid in GEOGRAPHIC_SRIDS else 0)
        return Func(
            Value(3),
            Transform("geom", srid),
            Value(9 if srid in GEOGRAPHIC_SRIDS else 3),
            Value(options),
            function="ST_AsGML",
            output_field=TextField(),
        )
    return None


def find(request: InfoRequest, user, at: datetime | None) -> list[Hit]:
    """The visible features under the pixel, nearest (then topmost) first."""
    point, square = probe(request)
    kinds = {k for name in request.query_layers for k in _kinds_of(name)}
    features = (
        service_features(user, at)
        .filter(layer__kind__in=kinds, geom__intersects=square)
        .select_related("layer__revision__project")
        .annotate(
            distance=Func(
                F("geom"),
                Value(point, output_field=GeometryField(srid=settings.PLANNING_STORAGE_SRID)),
                function="ST_Distance",
                output_field=FloatField(),
            )
        )
        .order_by("distance", "-id")
    )
    geometry = _geometry_annotation(request)
    if geometry is not None:
        features = features.annotate(out_geometry=geometry)
    rows = list(features[:CANDIDATES])
    rows.sort(key=lambda f: (f.distance, -KINDS[f.layer.kind].draw_order, -f.id))
    found = rows[: request.feature_count]
    published = {kind: _published(kind, user, at) for kind in {f.layer.kind for f in found}}
    return [_hit(f, published[f.layer.kind]) for f in found]


def _published(kind: str, user, at: datetime | None) -> list[Property]:
    """The kind's properties under the names WFS and OGC API publish for this caller."""
    return properties_of(FeatureType(kind, kind, None, kind), user, at)


def _kinds_of(layer_name: str) -> tuple[str, ...]:
    layer = public_layer(layer_name)
    return layer.kinds if layer else ()


def _hit(feature: Feature, properties: list[Property]) -> Hit:
    """The feature with its published properties (a stored null included, as empty)."""
    revision = feature.layer.revision
    attributes = feature.attributes or {}
    values: dict[str, object] = {}
    for prop in properties:
        if prop.key and prop.key not in attributes:
            continue
        if not prop.key and prop.name in (PROJECT, REVISION):
            continue  # the Hit carries them, and the formats print them after `layer`
        value = prop.value(attributes, feature.category, None, None)
        is_scalar = value is None or isinstance(value, str | int | float | bool)
        values[prop.name] = value if is_scalar else json.dumps(value, ensure_ascii=False)
    return Hit(
        id=feature.public_id,  # as WFS and OGC API publish it, stable across approvals
        kind=feature.layer.kind,
        project=revision.project.code,
        revision=revision.number,
        properties=values,
        geometry=getattr(feature, "out_geometry", None),
    )


def raster_hits(request: InfoRequest, user, at: datetime | None) -> list[Hit]:
    """Pixel values (an elevation, a colour) of the queried raster layers under the pixel."""
    view = request.view
    px, py = view.pixel_size
    x = view.bbox[0] + (request.i + 0.5) * px
    y = view.bbox[3] - (request.j + 0.5) * py
    hits = []
    for name in request.query_layers:
        raster = raster_layers.visible_raster(name, user, at)
        if raster is None:
            continue
        found = raster_layers.pixel_values(raster, x, y, view.srid)
        if found is None:
            continue
        revision = raster.revision
        hits.append(
            Hit(
                id=raster.service_id,  # that of its layer name, stable across approvals
                kind=raster.layer_name,
                project=revision.project.code,
                revision=revision.number,
                properties={"name": raster.name, "raster_kind": raster.kind, **found.values},
                geometry=None,
            )
        )
    return hits[: request.feature_count]
