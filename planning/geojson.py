"""GeoJSON (RFC 7946, EPSG:4326) output of features, assembled from PostGIS' own encoder."""

from __future__ import annotations

import json

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db.models import F, QuerySet

from planning.models import Feature, LandUseCategory, PublicId


def category_colours() -> dict[str, tuple[str, str]]:
    return {c.code: (c.colour, c.name) for c in LandUseCategory.objects.all()}


def feature_collection(features: QuerySet[Feature], *, limit: int, offset: int = 0) -> dict:
    query = (
        features.order_by("id")
        .annotate(
            geojson=AsGeoJSON(Transform("geom", 4326), precision=7),
            layer_kind=F("layer__kind"),
            revision_id=F("layer__revision_id"),
            fid=PublicId(),
        )
        .values(
            "fid",
            "geojson",
            "attributes",
            "category",
            "layer_id",
            "layer_kind",
            "revision_id",
        )
    )
    rows: list[dict] = [dict(row) for row in query[offset : offset + limit + 1]]
    colours = category_colours()
    items = [_feature(row, colours) for row in rows[:limit]]
    return {"type": "FeatureCollection", "features": items, "has_more": len(rows) > limit}


def _feature(row: dict, colours: dict[str, tuple[str, str]]) -> dict:
    colour, category_name = colours.get(row["category"], ("", ""))
    return {
        "type": "Feature",
        "id": row["fid"],  # the id the map services publish, stable across approvals
        "geometry": json.loads(row["geojson"]),
        "properties": {
            **row["attributes"],
            "_layer": row["layer_id"],
            "_kind": row["layer_kind"],
            "_revision": row["revision_id"],
            "category": row["category"],
            "category_name": category_name,
            "colour": colour,
        },
    }
