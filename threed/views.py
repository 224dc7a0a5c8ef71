"""HTTP views of the 3D Tiles: /3dtiles/in-force/… and /3dtiles/revisions/{id}/….

`tileset.json` is served at a stable URL and names its content files under the build's
key (`k-<key>/<n>.b3dm`), so a content URL never changes meaning. The plans in force at a
moment: `?datetime=<date or instant>` on the in-force tilesets (parsed like the vector
tiles' `datetime`; a day means its end); their content resolves by the build's key alone.
The caller is resolved like every other service (token, Basic or session); a revision the
caller may not see is a 404. Public answers carry an ETag of the build key and `public, max-age`; answers to a
signed-in caller are `private, no-store`.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from planning import visibility
from planning.api.auth import is_private, service_user
from planning.errors import NotFound, PlanningError
from threed import tileset
from threed.tileset import Scope
from tiles import http_cache
from tiles.params import parse_instant_param

_CONTENT_NAME = re.compile(r"^[0-9]{1,6}\.b3dm$")
_KEY = tileset.KEY


def _moment(request: HttpRequest) -> datetime | None:
    """`datetime`: the plans in force at that instant (a day: at its end); absent: now."""
    message = _("datetime must be one instant for 3D tiles, not an interval.")
    return parse_instant_param(request.GET.get("datetime"), message)


def _scope(user, revision_id: int | None, envelopes: bool, at: datetime | None = None) -> Scope:
    if revision_id is None:
        return Scope.plans_in_force(envelopes, at)
    revision = visibility.visible_revisions(user).filter(pk=revision_id).first()
    if revision is None:
        raise NotFound(_("No such revision."))
    return Scope.of_revision(revision, envelopes)


def _headers(response: HttpResponseBase, user, etag: str) -> HttpResponseBase:
    """Public: validators and max-age; private callers (or private revisions): no-store."""
    if is_private(user):
        response["Cache-Control"] = http_cache.PRIVATE
        return response
    response["Cache-Control"] = f"public, max-age={http_cache.PUBLIC_MAX_AGE}"
    response["ETag"] = etag
    return response


def _current(scope: Scope) -> tileset.Built:
    """The scope's tileset, built on the spot when it is small enough (docs/3d.md)."""
    key, count = tileset.prepare(scope)
    built = tileset.existing(scope, key)
    if built is not None:
        return built
    if count > settings.PLANNING_3D_SYNC_BUILD_MAX:
        from threed.tasks import schedule_build

        schedule_build(scope)
        previous = tileset.latest(scope)  # the last build, until the new one is ready
        if previous is not None:
            return previous
        raise NotFound(
            _("The 3D tiles of these plans are being built; try again in a few minutes.")
        )
    return tileset.build_tileset(scope)


def _serve_tileset(
    request: HttpRequest, revision_id: int | None, envelopes: bool = False
) -> HttpResponseBase:
    try:
        user = service_user(request)
        at = _moment(request) if revision_id is None else None
        built = _current(_scope(user, revision_id, envelopes, at))
    except PlanningError as exc:
        return http_cache.json_error(exc)
    etag = f'"3dt-{built.key}"'
    if not is_private(user):
        unchanged = get_conditional_response(request, etag=etag)
        if unchanged is not None:
            return _headers(unchanged, user, etag)
    response = HttpResponse(built.tileset_path.read_bytes(), content_type="application/json")
    return _headers(response, user, etag)


def _serve_content(
    request: HttpRequest, revision_id: int | None, key: str, name: str, envelopes: bool = False
) -> HttpResponseBase:
    try:
        user = service_user(request)
        path = _content_path(_build_dir(user, revision_id, key, envelopes), name)
    except PlanningError as exc:
        return http_cache.json_error(exc)
    etag = f'"3dt-{key}-{name}"'
    if not is_private(user):
        unchanged = get_conditional_response(request, etag=etag)
        if unchanged is not None:
            return _headers(unchanged, user, etag)
    response = FileResponse(path.open("rb"), content_type="application/octet-stream")
    return _headers(response, user, etag)


def _build_dir(user, revision_id: int | None, key: str, envelopes: bool) -> Path | None:
    """The build `key` names: of the plans in force (now or at any moment), or of a
    revision the caller may see."""
    if not _KEY.match(key):
        raise NotFound(_("No such 3D tile."))
    if revision_id is None:
        return tileset.in_force_build(key, envelopes)
    return tileset.tiles_root() / _scope(user, revision_id, envelopes).name / key


def _content_path(directory: Path | None, name: str) -> Path:
    if not _CONTENT_NAME.match(name):
        raise NotFound(_("No such 3D tile."))
    path = directory / name if directory is not None else None
    if path is None or not path.is_file():
        raise NotFound(_("No such 3D tile: the plans changed since the tileset was loaded."))
    return path


@require_safe
def in_force_tileset(request: HttpRequest) -> HttpResponseBase:
    """The plans in force (now, or at `datetime`) in 3D (3D Tiles 1.0 tileset)."""
    return _serve_tileset(request, None)


@require_safe
def revision_tileset(request: HttpRequest, revision_id: int) -> HttpResponseBase:
    """One revision in 3D, for those who may see it."""
    return _serve_tileset(request, revision_id)


@require_safe
def in_force_content(request: HttpRequest, key: str, name: str) -> HttpResponseBase:
    return _serve_content(request, None, key, name)


@require_safe
def revision_content(request: HttpRequest, revision_id: int, key: str, name: str):
    return _serve_content(request, revision_id, key, name)


@require_safe
def in_force_envelopes_tileset(request: HttpRequest) -> HttpResponseBase:
    """The zoning envelopes of the plans in force (now, or at `datetime`)."""
    return _serve_tileset(request, None, envelopes=True)


@require_safe
def revision_envelopes_tileset(request: HttpRequest, revision_id: int) -> HttpResponseBase:
    return _serve_tileset(request, revision_id, envelopes=True)


@require_safe
def in_force_envelopes_content(request: HttpRequest, key: str, name: str) -> HttpResponseBase:
    return _serve_content(request, None, key, name, envelopes=True)


@require_safe
def revision_envelopes_content(request: HttpRequest, revision_id: int, key: str, name: str):
    return _serve_content(request, revision_id, key, name, envelopes=True)
