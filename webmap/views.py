"""The pages people use. Each view translates a request into a domain call and the result
(or the PlanningError it raised, with its status) into a page; no rules live here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from importers.loader import PlacementRefused
from importers.uploads import import_uploaded_file
from planning import staleness, visibility
from planning.actions import CreateProject, CreateRevision
from planning.errors import PlanningError
from planning.models import Membership, Project, Revision, RevisionState
from webmap import mapconfig, reviewconfig, views_cad, views_members
from webmap.forms import ProjectForm, UploadForm
from webmap.upload_access import refuse_upload
from webmap.upload_summary import summarise


def _remote_addr(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _int_list(values: list[str], limit: int = 20) -> list[int]:
    """Plain decimal ids only (isdigit() would admit '²'), at most `limit` of them."""
    return [int(v) for v in values[:limit] if v.isascii() and v.isdecimal() and len(v) <= 18]


def _date(text: str | None) -> date | None:
    """A plain YYYY-MM-DD date, None for anything else (the map then shows today)."""
    if not text or len(text) != 10 or not text.isascii():
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def map_view(request: HttpRequest) -> HttpResponse:
    """The map viewer; ``?revision=ID`` switches a draft or submitted revision on and
    ``?date=YYYY-MM-DD`` shows the plans in force on that day."""
    shown = _int_list(request.GET.getlist("revision"))
    config = mapconfig.build(request.user, shown, _date(request.GET.get("date")))
    return render(request, "webmap/map.html", {"config": config})


AWAITING_DECISION = (RevisionState.SUBMITTED, RevisionState.IN_REVIEW)


def project_list(request: HttpRequest) -> HttpResponse:
    """The projects the caller may see: whether a plan is in force, and to those who may see
    it, the submitted revision awaiting review or decision (the board's work list)."""
    in_force = Revision.objects.filter(project=OuterRef("pk"), state=RevisionState.APPROVED)
    awaiting = visibility.visible_revisions(request.user).filter(
        project=OuterRef("pk"), state__in=AWAITING_DECISION
    )
    projects = (
        Project.objects.filter(pk__in=visibility.visible_projects(request.user).values("pk"))
        .annotate(
            in_force=Exists(in_force),
            awaiting_pk=Subquery(awaiting.order_by("pk").values("pk")[:1]),
            awaiting_state=Subquery(awaiting.order_by("pk").values("state")[:1]),
        )
        .order_by("code")
    )
    return render(
        request,
        "webmap/project_list.html",
        {
            "projects": projects,
            "can_create": visibility.can_create_project(request.user),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The project, its revisions and (for its members and staff) its members; POST changes
    a membership (views_members)."""
    project = get_object_or_404(visibility.visible_projects(request.user).distinct(), pk=pk)
    state = None
    if request.method == "POST":
        outcome = views_members.handle_post(request, project)
        if isinstance(outcome, HttpResponse):
            return outcome
        state = outcome
    revisions = (
        visibility.visible_revisions(request.user)
        .filter(project=project)
        .prefetch_related("layers")
        .order_by("-number")
    )
    shown = {r.pk: r for r in revisions}
    stale = staleness.stale_revisions(project)
    rows = [
        (
            r,
            visibility.can_edit(request.user, r),
            _may_review(request.user, r),
            # What it was prepared on, when the caller sees that revision.
            shown.get(r.based_on_id) if r.based_on_id else None,
            _stale_warning(request.user, r, stale.get(r.pk)),
        )
        for r in revisions
    ]
    under_way = [r for r in revisions if r.state in staleness.UNDER_WAY]
    new_revision = _new_revision(request, project, under_way)
    context = {"project": project, "rows": rows, "new_revision": new_revision}
    context.update(views_members.panel_context(request.user, project, state))
    status = state.status if state else 200
    return render(request, "webmap/project_detail.html", context, status=status)


def _stale_warning(user, revision: Revision, plan: Revision | None) -> str | None:
    """Why a revision under way can no longer be approved (the workflow's refusal)."""
    return staleness.stale_message(revision, plan, user) if plan is not None else None


def _new_revision(request: HttpRequest, project: Project, under_way: list) -> dict | None:
    """What the "New revision" button posts to /api/revisions/ (pages/new_revision.js): the
    project and the plan in force it starts from (its layers are copied), and the page it
    then opens; None for anyone CreateRevision would refuse (planners and staff only).
    Revisions already under way are named: a new draft is an alternative to them, and only
    one of them can be put in force (planning.staleness)."""
    in_force = visibility.in_force_revisions().filter(project=project).order_by("-number").first()
    action = CreateRevision(user=request.user, project=project, based_on=in_force)
    try:
        action.check()
    except PlanningError:
        return None
    return {
        "project": project.pk,
        "based_on": in_force.pk if in_force else None,
        "based_on_number": in_force.number if in_force else None,
        "under_way": sorted(under_way, key=lambda r: r.number),
        "next": "/revisions/{id}/cad/",  # where the planner brings the drawing
    }


def _may_review(user, revision: Revision) -> bool:
    """The review page is for submitted work; a draft's page only for its planners."""
    if not user.is_authenticated:
        return False
    if revision.state != RevisionState.DRAFT:
        return True
    return user.is_staff or visibility.has_role(user, revision.project, Membership.Role.PLANNER)


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "webmap/forbidden.html", {"message": message}, status=403)


@transaction.atomic
def _create_project_with_draft(request: HttpRequest, data: dict) -> Project:
    """A project is useless without a draft to upload into, so both are made together."""
    project = CreateProject(user=request.user, remote_addr=_remote_addr(request), **data).execute()
    CreateRevision(user=request.user, project=project, remote_addr=_remote_addr(request)).execute()
    return project


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    if not visibility.can_create_project(request.user):
        return _forbidden(request, _("You may not create planning projects."))
    form = ProjectForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                project = _create_project_with_draft(request, form.cleaned_data)
            except PlanningError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Project created with a first draft revision."))
                return redirect("webmap:project-detail", pk=project.pk)
    return render(request, "webmap/project_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def revision_upload(request: HttpRequest, pk: int) -> HttpResponse:
    revisions = visibility.visible_revisions(request.user).select_related("project")
    revision = get_object_or_404(revisions, pk=pk)
    if refused := refuse_upload(request, revision):
        return refused
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "revision": revision, "project": revision.project}
    if request.method != "POST":
        return render(request, "webmap/upload_form.html", context)
    if not form.is_valid():
        return render(request, "webmap/upload_form.html", context, status=400)
    try:
        return _import_and_report(request, revision, form.cleaned_data, context)
    except PlacementRefused as exc:
        form.add_error(None, _placement_message(exc))
        context["cad_fix_url"] = _two_point_fix_url(revision, form.cleaned_data["file"].name)
        return render(request, "webmap/upload_form.html", context, status=exc.status)
    except PlanningError as exc:
        form.add_error(None, exc.message)
        context["failure"] = summarise(exc.details)  # e.g. why no feature could be loaded
        return render(request, "webmap/upload_form.html", context, status=exc.status)


def _placement_message(exc: PlacementRefused) -> str:
    """The loader's refusal worded for this page, which has no control points: the file's
    coordinate system is what the planner can check here (the two-point fix is the CAD
    page's, linked beside the message)."""
    return _(
        "%(count)d of %(loaded)d features lie outside Viet Nam or have coordinates that are "
        "not numbers (%(examples)s): check the file's coordinate system (its .prj, or the "
        "“Coordinate reference system” field above when the file declares none). Nothing was "
        "imported."
    ) % {"count": exc.count, "loaded": exc.loaded, "examples": ", ".join(exc.examples)}


def _two_point_fix_url(revision: Revision, filename: str) -> str | None:
    """The CAD page's two-point fix for this draft, when that page reads this kind of file."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in views_cad.ACCEPT.split(","):
        return None
    return reverse("webmap:revision-cad", args=[revision.pk]) + "#control-points"


@transaction.atomic
def _import_and_report(request: HttpRequest, revision: Revision, data: dict, context: dict):
    """The import and its report page in one transaction: if the page cannot be rendered,
    the import is undone too, so a retry does not add a second copy of the layer."""
    result = import_uploaded_file(
        user=request.user,
        revision=revision,
        upload=data["file"],
        kind=data["kind"],
        name=data["name"],
        crs=data["crs"],
        source_layer=data["source_layer"],
        text_encoding=data["text_encoding"] or "auto",
        remote_addr=_remote_addr(request),
    )
    context.update(
        layer=result.layer, summary=summarise(result.report, loaded=result.layer.feature_count)
    )
    return render(request, "webmap/upload_result.html", context)


@login_required
def revision_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The review page of one revision; 404 when the user may not see it (drafts are the
    planners' until submitted), so its existence is not leaked either."""
    revisions = visibility.visible_revisions(request.user).select_related("project", "based_on")
    revision = get_object_or_404(revisions, pk=pk)
    context = reviewconfig.page_context(request.user, revision)
    return render(request, "webmap/review.html", context)
