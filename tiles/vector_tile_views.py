"""HTTP views of the vector tiles: /vtiles/{source}/{z}/{x}/{y}.pbf and /vtiles/{source}.json.

They parse the request (caller, datetime, revision), ask tiles.vector_tiles for the
source and the tile, and leave caching to tiles.http_cache (validators, 304,
Cache-Control) and tiles.vtile_cache (the public disk cache).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from planning.api.auth import is_private, service_user
from planning.errors import InvalidInput, NotFound, PlanningError
from tiles import http_cache, vector_tiles, vtile_cache
from tiles.generation import InForceState, in_force_state
from tiles.params import parse_instant_param

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
# Bump with any change of the encoding (extent, buffer, properties, ids): it keys the ETag
# and the disk cache. 3: no `category` where a kind has none or a lot is uncategorised.
# 4: `project` and `revision` on every feature.
TILE_VARIANT = "mvt4"
# 2: `category` among the fields only where a kind has it; 3: `project` and `revision`.
TILEJSON_VARIANT = "tilejson3"


def _moment(request: HttpRequest) -> datetime | None:
    message = _("datetime must be one instant for vector tiles, not an interval.")
    return parse_instant_param(request.GET.get("datetime"), message)


def _revision(request: HttpRequest) -> int | None:
    text = request.GET.get("revision")
    if text in (None, ""):
        return None
    if not text.isdigit() or len(text) > 12:
        raise InvalidInput("revision must be a revision id (a whole number).")
    return int(text)


def _tile_numbers(z: str, x: str, y: str) -> tuple[int, int, int]:
    zoom, col, row = int(z), int(x), int(y)
    zoom_ok, tile_ok = vector_tiles.tile_in_range(zoom, col, row)
    if not zoom_ok:
        raise InvalidInput(f"zoom must be between 0 and {vector_tiles.MAX_ZOOM}.")
    if not tile_ok:
        raise NotFound("No such tile: column or row outside the zoom level's matrix.")
    return zoom, col, row


@require_safe
def vector_tile(request: HttpRequest, layer: str, z: str, x: str, y: str) -> HttpResponseBase:
    """One MVT tile; anonymous plain requests go through the generation's disk cache."""
    try:
        zoom, col, row = _tile_numbers(z, x, y)
        user = service_user(request)
        at, revision_id = _moment(request), _revision(request)
        state = in_force_state()
        shared = not is_private(user) and at is None and revision_id is None
        path = (
            vtile_cache.tile_path(state.generation, TILE_VARIANT, layer, zoom, col, row)
            if shared
            else None
        )
        data = vtile_cache.read(path) if path else None
        source = None
        if data is None:  # a cached tile proves the layer exists; otherwise ask first
            source = (
                vector_tiles.public_source(layer, state.generation)
                if shared
                else vector_tiles.vector_source(layer, user, at, revision_id)
            )
            if source is None:
                raise NotFound(f"No vector tile layer {layer!r}.")
        unchanged = http_cache.not_modified(request, user, state, TILE_VARIANT)
        if unchanged is not None:
            return unchanged
        if source is not None:
            data = vector_tiles.render_tile(source, zoom, col, row)
            if path:
                vtile_cache.write(path, data)
    except PlanningError as exc:
        return http_cache.json_error(exc)
    response = HttpResponse(data, content_type=MVT_CONTENT_TYPE)
    return http_cache.set_headers(response, user, state, TILE_VARIANT)


def _tiles_url(request: HttpRequest, layer: str) -> str:
    """The absolute tile URL template, keeping the query that selects what is shown."""
    example = request.build_absolute_uri(reverse("tiles:vtile", args=[layer, 0, 0, 0]))
    template = example[: -len("0/0/0.pbf")] + "{z}/{x}/{y}.pbf"
    query = {k: v for k, v in request.GET.items() if k in ("datetime", "revision")}
    return f"{template}?{urlencode(query)}" if query else template


@require_safe
def tilejson(request: HttpRequest, layer: str) -> HttpResponseBase:
    """TileJSON 3.0.0 of a source as the caller sees it."""
    state: InForceState | None = None
    try:
        user = service_user(request)
        at, revision_id = _moment(request), _revision(request)
        source = vector_tiles.vector_source(layer, user, at, revision_id)
        if source is None:
            raise NotFound(f"No vector tile layer {layer!r}.")
        state = in_force_state()
        variant = f"{TILEJSON_VARIANT}-{http_cache.query_variant(request)}"  # URLs, titles
        unchanged = http_cache.not_modified(request, user, state, variant)
        if unchanged is not None:
            return unchanged
        document = vector_tiles.tilejson(source, _tiles_url(request, layer))
    except PlanningError as exc:
        return http_cache.json_error(exc)
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    return http_cache.set_headers(response, user, state, variant)
