"""Who may open the upload pages (GIS, CAD) of a revision, answered as the upload APIs
answer: role before state. 403 for all but the project's planners (and admins); 409 for
them once the revision has left the draft, naming its state."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from planning import visibility
from planning.models import Revision


def refuse_upload(request: HttpRequest, revision: Revision) -> HttpResponse | None:
    """None when the caller may add layers to `revision`; else the page saying why."""
    if visibility.can_edit(request.user, revision):
        return None
    if not visibility.edits_drafts(request.user, revision.project):
        message = _("Only the planners of the project can add layers to a draft.")
        return render(request, "webmap/forbidden.html", {"message": message}, status=403)
    message = _("Revision %(number)d is %(state)s; only drafts take new layers.") % {
        "number": revision.number,
        "state": revision.get_state_display(),
    }
    return render(request, "webmap/forbidden.html", {"message": message}, status=409)
