"""GET /api/revisions/<id>/decision.pdf: the signed decision uploaded at approval.

The file lives under MEDIA_ROOT, which nothing serves wholesale: this view hands out one
revision's document to exactly those who may see the revision (planning.visibility), and
answers 404 to everyone else, as the revision itself does. A published plan's decision is
public; its response may be kept by shared caches only when the caller is anonymous
(the same rule as the dossier's and the tiles').
"""

from __future__ import annotations

import re

from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from planning.api.auth import is_private, service_user
from planning.errors import NotFound, PlanningError
from planning.models import PUBLISHED_STATES, Revision
from planning.visibility import visible_revisions
from tiles import http_cache

_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def decision_document_path(revision: Revision) -> str | None:
    """The URL path of the revision's decision document, or None without one."""
    if not revision.decision_document:
        return None
    return reverse("revision-decision-document", args=[revision.pk])


def download_name(revision: Revision) -> str:
    """An ASCII file name from the project code and revision number (codes may hold any
    character; the header must not)."""
    code = _UNSAFE_IN_FILENAME.sub("-", revision.project.code).strip("-.") or "plan"
    return f"decision-{code}-r{revision.number}.pdf"


@require_safe
def decision_document(request: HttpRequest, revision_id: int) -> HttpResponseBase:
    try:
        user = service_user(request)
        revision = visible_revisions(user).select_related("project").filter(pk=revision_id).first()
        if revision is None:
            raise NotFound(_("No such revision."))
        document = _open(revision)
    except PlanningError as exc:
        return http_cache.json_error(exc)
    response = FileResponse(
        document, content_type="application/pdf", filename=download_name(revision)
    )
    response["X-Content-Type-Options"] = "nosniff"
    public = revision.state in PUBLISHED_STATES and not is_private(user)
    response["Cache-Control"] = (
        f"public, max-age={http_cache.PUBLIC_MAX_AGE}" if public else http_cache.PRIVATE
    )
    return response


def _open(revision: Revision):
    """The stored file, opened; a revision without one (or whose file is gone) is a 404."""
    if not revision.decision_document:
        raise NotFound(_("This revision has no decision document."))
    try:
        return revision.decision_document.open("rb")
    except FileNotFoundError as exc:
        raise NotFound(_("This revision has no decision document.")) from exc
