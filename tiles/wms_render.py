"""GetMap rendered straight with Mapnik, for what MapProxy's shared cache must not serve.

Two cases bypass MapProxy: TIME (the plans in force at a past or future instant) and a
signed-in caller (who also sees their visible drafts). Both draw from
planning.visibility.service_features(user, at), with the same style model and Mapnik
XML as the public layers; only the datasource's SQL differs. Mapnik takes its SQL as
text, so the queryset's values are bound by psycopg's client-side quoting (mogrify),
never formatted by hand.
"""

from __future__ import annotations

from datetime import datetime

import mapnik
import psycopg
from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    DecimalField,
    FloatField,
    Func,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact

from planning.models import Feature
from planning.visibility import service_features
from tiles import datasource, raster_layers, styles
from tiles.mapnik_source import encoding_for, mapnik_srs, render_limit
from tiles.wms_request import MapView

_JPEG_FORMATS = {"image/jpeg"}


def mapnik_table(features: QuerySet[Feature], kind: str) -> str:
    """The Mapnik table subquery of one kind of `features`: the queryset's SQL with its
    values quoted by psycopg, wrapped for Mapnik's bbox token."""
    rows = (
        features.filter(layer__kind=kind)
        .annotate(
            label=Coalesce(
                KT("attributes__text"), KT("attributes__label"), Value(""), output_field=TextField()
            ),
            anchor=Case(  # where a text stands on its point (tiles.styles)
                When(attributes__anchor__in=styles.TEXT_ANCHORS, then=KT("attributes__anchor")),
                default=Value(styles.DEFAULT_ANCHOR),
                output_field=TextField(),
            ),
            rotation=_rotation(),
        )
        .values("id", "geom", "category", "label", "anchor", "rotation")
    )
    sql, params = rows.query.sql_with_params()
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, psycopg.Connection)
    literal = psycopg.ClientCursor(raw).mogrify(sql, params)
    if "!bbox!" in literal:  # no bound value can smuggle in Mapnik's own tokens
        raise ValueError("unexpected Mapnik token in a bound value")
    return f"(SELECT * FROM ({literal}) AS visible WHERE geom && !bbox!) AS features"  # noqa: S608


def _rotation() -> Case:
    """A text's direction (tiles.styles), as tiles.datasource selects it: a JSON number
    reduced to a turn in numeric (which any JSON number casts to), anything else 0."""
    value = KeyTransform("rotation", "attributes")
    json_type = Func(value, function="jsonb_typeof", output_field=TextField())
    turn = Func(
        KT("attributes__rotation"),
        template="mod((%(expressions)s)::numeric, 360)",
        output_field=DecimalField(),
    )
    return Case(
        When(Exact(json_type, Value("number")), then=Cast(turn, FloatField())),
        default=Value(0.0),
        output_field=FloatField(),
    )


def visible_sql(kind: str, user, at: datetime | None) -> str:
    """The Mapnik table subquery of one kind as `user` sees it at `at`."""
    return mapnik_table(service_features(user, at), kind)


def map_xml(kinds: tuple[str, ...], user, at: datetime | None, style: str = "default") -> str:
    """The Mapnik document of `kinds` drawn from service_features(user, at) in `style`."""
    extent = datasource.vietnam_storage_extent(settings.PLANNING_STORAGE_SRID)
    db = datasource.connection_params()

    def params(kind: str) -> dict[str, str]:
        return {
            **datasource.datasource_params(kind, extent, db),
            "table": visible_sql(kind, user, at),
        }

    return styles.mapnik_xml(
        styles.styled(styles.load_styles(), style),
        kinds,
        map_srs="epsg:3857",
        layer_srs=datasource.srs_definition(settings.PLANNING_STORAGE_SRID),
        datasource=params,
    )


def render(view: MapView, user, at: datetime | None) -> bytes:
    """The encoded image of `view` (exact bbox, stretched like any WMS)."""
    m = mapnik.Map(view.width, view.height)
    mapnik.load_map_from_string(m, map_xml(view.kinds, user, at, view.style))
    m.srs = mapnik_srs(f"EPSG:{view.srid}")
    m.maximum_extent = render_limit(m.srs)
    m.aspect_fix_mode = mapnik.aspect_fix_mode.RESPECT
    m.zoom_to_box(mapnik.Box2d(*view.bbox))
    opaque = not view.transparent or view.format in _JPEG_FORMATS
    rasters = raster_layers.shown_rasters(view.rasters, user, at)
    # Rasters (drawn by GDAL, see tiles.raster_layers) and background under the vectors.
    image = raster_layers.mapnik_base(
        [raster_layers.drawing(r) for r in rasters],
        view.bbox,
        (view.width, view.height),
        m.srs,
        view.bgcolor if opaque else None,
    )
    mapnik.render(m, image)
    return image.to_string(encoding_for(view.format.split("/")[-1].split(";")[0], view.format))
