"""Streamed GetFeature encodings: GML 3.2 / 3.1.1 and GeoJSON.

PostGIS writes the geometries (ST_AsGML / ST_AsGeoJSON, in the requested CRS, lat/lon
where the CRS says so) and, for GeoJSON, the whole feature text; Python only frames and
joins. Rows come from a server-side cursor inside a transaction, so memory stays flat
whatever the number of features.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db import transaction
from django.db.models import F, Func, TextField, Value
from django.db.models.functions import Cast

from planning.models import PublicId
from tiles.feature_types import (
    CATEGORY,
    PROJECT,
    PROJECT_COLUMN,
    REVISION,
    REVISION_COLUMN,
    VALUE_COLUMNS,
    Property,
)
from tiles.params import CRS84, GEOGRAPHIC_SRIDS, Crs
from tiles.wfs.profiles import NS, PREFIX, XSI, Profile
from tiles.wfs.query import Selection

CHUNK = 2000
_GEOM_TAG = re.compile(
    r"<gml:(Point|LineString|Curve|Polygon|Surface|MultiPoint|MultiCurve|MultiSurface"
    r"|MultiGeometry)(?=[\s>/])( srsName=\"[^\"]*\")?"
)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MULTI = {"polygon", "line", "point"}


class AsGml3(Func):
    """ST_AsGML(3, geom, precision, options): GML 3 geometry text."""

    function = "ST_AsGML"
    output_field = TextField()

    def __init__(self, geometry: object, precision: int, options: int) -> None:
        super().__init__(Value(3), geometry, Value(precision), Value(options))


_PROPERTIES_SQL = (
    "COALESCE((SELECT jsonb_object_agg(m.name, e.value) FROM jsonb_each(ATTRIBUTES) AS e "
    "JOIN unnest(%s::text[], %s::text[]) AS m(name, key) ON e.key = m.key), '{}'::jsonb)"
)
_CATEGORY_SQL = " || CASE WHEN COLUMN <> '' THEN jsonb_build_object(%s::text, COLUMN) ELSE '{}' END"
_SERVICE_SQL = " || jsonb_build_object({pairs})"  # one call: each `||` copies the object
# The column each property without an attribute key is read from (joined in the statement).
_SERVICE_COLUMNS = {CATEGORY: "category", PROJECT: PROJECT_COLUMN, REVISION: REVISION_COLUMN}


class JsonProperties(Func):
    """The selected properties as JSON text ({} when none): the allow-listed keys of
    `attributes` under their published names, the category code unless blank, and the
    feature's project code and revision number (columns of its own revision, joined)."""

    output_field = TextField()

    def __init__(self, properties: list[Property]) -> None:
        self.services = [p for p in properties if not p.key]
        columns = (_SERVICE_COLUMNS[p.name] for p in self.services)
        super().__init__(F("attributes"), *(F(column) for column in columns))
        self.properties = properties

    def as_sql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def, override]
        attributes, *columns = (compiler.compile(e) for e in self.get_source_expressions())
        # Only the compiled column references are interpolated; names are bound parameters.
        keyed = [p for p in self.properties if p.key]
        sql = _PROPERTIES_SQL.replace("ATTRIBUTES", attributes[0])
        params = [*attributes[1], [p.name for p in keyed], [p.key for p in keyed]]
        pairs, pair_params = [], []
        for prop, (column, column_params) in zip(self.services, columns, strict=True):
            if prop.name == CATEGORY:
                sql += _CATEGORY_SQL.replace("COLUMN", column)
                params += [*column_params, prop.name, *column_params]
            else:
                pairs.append(f"%s::text, {column}")
                pair_params += [prop.name, *column_params]
        if pairs:
            sql += _SERVICE_SQL.format(pairs=", ".join(pairs))
            params += pair_params
        return f"({sql})::text", tuple(params)


def geometry_expression(kind: str, srid: int) -> object:
    """The geometry in `srid` (transformed by PostGIS), multi- for single-family kinds."""
    geometry: object = F("geom")
    if srid != settings.PLANNING_STORAGE_SRID:
        geometry = Transform("geom", srid)
    if kind in MULTI:
        geometry = Func(geometry, function="ST_Multi", output_field=GeometryField(srid=srid))
    return geometry


def srs_name(crs: Crs, profile: Profile) -> str:
    if crs.srid in GEOGRAPHIC_SRIDS and crs.lon_lat_order:
        return CRS84 if crs.srid == 4326 else f"EPSG:{crs.srid}"
    return crs.urn()


def _precision(crs: Crs) -> int:
    return 8 if crs.srid in GEOGRAPHIC_SRIDS else 3


def rows(selection: Selection, *columns: str) -> Iterator[tuple]:
    window = selection.features[selection.offset : selection.offset + selection.limit]
    with transaction.atomic():  # a plain (not WITH HOLD) cursor streams as it reads
        yield from window.values_list(*columns).iterator(chunk_size=CHUNK)


def batched(parts: Iterable[str], size: int = 500) -> Iterator[bytes]:
    batch: list[str] = []
    for part in parts:
        batch.append(part)
        if len(batch) >= size:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


# ---- GML ---------------------------------------------------------------------------------


def value_text(value: object, kind: str) -> str | None:
    """A property value as schema-valid text for its declared type, or None (omitted)."""
    if value is None:
        return None
    if kind in ("number", "integer"):
        if isinstance(value, bool):
            return None
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        if not math.isfinite(number) or (kind == "integer" and not number.is_integer()):
            return None
        return str(int(number)) if kind == "integer" else repr(number)
    if kind == "boolean":
        return "true" if value in (True, "true", "1", 1) else "false"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return escape(_NOT_XML.sub("", text))


def _gml_geometry(gml: str, gid: str, srs: str, with_ids: bool) -> str:
    counter = itertools.count()

    def tag(match: re.Match[str]) -> str:
        srs_attr = f' srsName="{srs}"' if match.group(2) else ""
        id_attr = f' gml:id="{gid}.g{next(counter)}"' if with_ids else ""
        return f"<gml:{match.group(1)}{srs_attr}{id_attr}"

    return _GEOM_TAG.sub(tag, gml)


def gml_header(
    profile: Profile,
    matched: int,
    returned: int,
    stamp: str,
    schema_url: str,
    next_url: str | None,
    previous_url: str | None = None,
) -> str:
    schema = f"{NS} {schema_url} {profile.wfs} {profile.wfs_schema}"
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<wfs:FeatureCollection '
        f'xmlns:wfs="{profile.wfs}" xmlns:gml="{profile.gml}" xmlns:{PREFIX}="{NS}" '
        f'xmlns:xsi="{XSI}" xsi:schemaLocation={quoteattr(schema)} timeStamp="{stamp}" '
    )
    if profile.is_v2:
        head += f'numberMatched="{matched}" numberReturned="{returned}"'
        if next_url:
            head += f" next={quoteattr(next_url)}"
        if previous_url:
            head += f" previous={quoteattr(previous_url)}"
    else:
        head += f'numberOfFeatures="{returned}"'
    return head + ">"


def gml_members(selection: Selection, profile: Profile, crs: Crs) -> Iterator[bytes]:
    """The members of a GML feature collection, one feature per row."""
    options = 1 | 4 | (0 if crs.lon_lat_order else 16)
    geometry = AsGml3(
        geometry_expression(selection.ftype.geometry, crs.srid), _precision(crs), options
    )
    features = selection.features.annotate(gml_text=geometry, fid=PublicId())
    name, srs, open_tag, close_tag = selection.ftype.name, srs_name(crs, profile), *_member(profile)

    def encode(row: tuple) -> str:
        fid, gml, *values = row
        gid = f"{name}.{fid}"
        parts = [f'{open_tag}<{PREFIX}:{name} gml:id="{gid}"><{PREFIX}:geom>']
        parts.append(_gml_geometry(gml, gid, srs, profile.is_v2))
        parts.append(f"</{PREFIX}:geom>")
        for prop in selection.properties:
            text = value_text(prop.value(*values), prop.type)
            if text is not None:
                parts.append(f"<{PREFIX}:{prop.name}>{text}</{PREFIX}:{prop.name}>")
        parts.append(f"</{PREFIX}:{name}>{close_tag}")
        return "".join(parts)

    source = Selection(**{**selection.__dict__, "features": features})
    columns = ("fid", "gml_text", *VALUE_COLUMNS)  # project and revision: joined, not queried
    yield from batched(encode(row) for row in rows(source, *columns))


def _member(profile: Profile) -> tuple[str, str]:
    return f"<{profile.member}>", f"</{profile.member}>"


# ---- GeoJSON -----------------------------------------------------------------------------


def geojson_header(matched: int, returned: int, stamp: str, crs: Crs | None) -> str:
    head = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": stamp,
    }
    if crs is not None and not (crs.srid == 4326):
        head["crs"] = {"type": "name", "properties": {"name": crs.urn()}}
    return json.dumps(head)[:-1] + ',"features":['


def geojson_footer(next_url: str | None, previous_url: str | None = None) -> str:
    pages = (("next", next_url), ("prev", previous_url))
    links = [{"rel": rel, "href": url, "type": "application/geo+json"} for rel, url in pages if url]
    if not links:
        return "]}"
    return '],"links":' + json.dumps(links) + "}"


def geojson_features(selection: Selection, crs: Crs) -> Iterator[bytes]:
    """Feature texts written by PostgreSQL, comma-joined."""
    feature = Func(
        Value(f'{{"type":"Feature","id":"{selection.ftype.name}.'),
        Cast(PublicId(), TextField()),
        Value('","geometry":'),
        AsGeoJSON(
            geometry_expression(selection.ftype.geometry, crs.srid), precision=_precision(crs)
        ),
        Value(',"properties":'),
        JsonProperties(selection.properties),
        Value("}"),
        function="concat",
        output_field=TextField(),
    )
    source = Selection(
        **{**selection.__dict__, "features": selection.features.annotate(feature_text=feature)}
    )
    texts = (text for (text,) in rows(source, "feature_text"))
    yield from batched(_commas(texts))


def _commas(rows: Iterator[str]) -> Iterator[str]:
    first = next(rows, None)
    if first is None:
        return
    yield first
    for row in rows:
        yield ","
        yield row
