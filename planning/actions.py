"""State changes as action objects: check() carries the permission rule, execute() the
change, the audit record and the signal. The web pages, the API and manage.py all call
these, so they behave identically. Project and revision creation live here; the review
transitions of a revision live in planning.workflow (re-exported).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import MultiPolygon
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from planning import visibility
from planning.audit import audit, require_user
from planning.errors import Conflict, Forbidden, InvalidInput
from planning.models import PUBLISHED_STATES, Membership, Project, Revision, RevisionState
from planning.workflow import (
    ApproveRevision,
    RejectRevision,
    ReopenRevision,
    RequestChanges,
    StartReview,
    SubmitRevision,
    WithdrawRevision,
)

__all__ = [
    "ApproveRevision",
    "CreateProject",
    "CreateRevision",
    "RejectRevision",
    "ReopenRevision",
    "RequestChanges",
    "StartReview",
    "SubmitRevision",
    "WithdrawRevision",
    "audit",
]


def _duplicate_code(code: str) -> Conflict:
    return Conflict(_("A project with code %(code)s already exists.") % {"code": repr(code)})


@dataclass
class CreateProject:
    user: Any
    code: str
    name: str
    level: str
    scale: int
    admin_area: str = ""
    agency: str = ""
    boundary: MultiPolygon | None = None
    remote_addr: str | None = None

    def check(self) -> None:
        require_user(self.user)
        if not visibility.can_create_project(self.user):
            raise Forbidden(_("You may not create planning projects."))
        if Project.objects.filter(code=self.code).exists():
            raise _duplicate_code(self.code)

    @transaction.atomic
    def execute(self) -> Project:
        self.check()
        try:
            project = Project.objects.create(
                code=self.code,
                name=self.name,
                level=self.level,
                scale=self.scale,
                admin_area=self.admin_area,
                agency=self.agency,
                boundary=self.boundary,
                created_by=self.user,
            )
        except IntegrityError as exc:
            raise _duplicate_code(self.code) from exc
        Membership.objects.create(project=project, user=self.user, role=Membership.Role.PLANNER)
        audit(self.user, "project.create", project=project, remote_addr=self.remote_addr)
        return project


@dataclass
class CreateRevision:
    """A new draft; `based_on` copies that revision's layers and features, so a planner
    answers review comments by editing a copy (the submitted revision stays frozen).

    Several drafts may be based on the same plan (alternatives); once one of them is put in
    force, the others no longer build on the plan in force and cannot be submitted or
    approved over it (planning.staleness): they are prepared again on the new plan."""

    user: Any
    project: Project
    note: str = ""
    based_on: Revision | None = None
    remote_addr: str | None = None
    # False: prepared on `based_on` (it replaces that plan) but with none of its vector
    # layers, for an import that brings the whole plan anew (manage.py import_cad).
    copy_layers: bool = True
    # True: prepared on the project's plan in force, read under the project's lock (an
    # approval committing meanwhile cannot leave the draft on a superseded plan).
    on_plan_in_force: bool = False

    def check(self) -> None:
        require_user(self.user)
        if not (self.user.is_staff or visibility.has_role(self.user, self.project, "planner")):
            raise Forbidden(_("Only the project's planners may start a revision."))
        if self.based_on is not None and self.based_on.project_id != self.project.pk:
            raise InvalidInput(_("A revision can only answer a revision of the same project."))

    @transaction.atomic
    def execute(self) -> Revision:
        self.check()
        Project.objects.select_for_update().get(pk=self.project.pk)
        if self.on_plan_in_force:
            self.based_on = Revision.objects.filter(
                project=self.project, state=RevisionState.APPROVED
            ).first()
        last = self.project.revisions.aggregate(n=Max("number"))["n"] or 0
        revision = Revision.objects.create(
            project=self.project,
            number=last + 1,
            note=self.note,
            author=self.user,
            based_on=self.based_on,
        )
        if self.based_on is not None and self.copy_layers:
            _copy_layers(self.based_on, revision, self.user)
        audit(
            self.user,
            "revision.create",
            project=self.project,
            revision=revision,
            remote_addr=self.remote_addr,
            based_on=self.based_on.pk if self.based_on else None,
        )
        return revision


# A copy of a published feature takes its public id as lineage (Feature.lineage): the lot
# keeps that id once the copy is approved; a copy of an unpublished one carries its lineage.
# What another project's approval superseded (planning.supersession) is not copied: it left
# force, and approving the copy would put it back unasked (review finding).
COPY_FEATURES = """
INSERT INTO planning_feature (layer_id, geom, geom_3d, attributes, category, source_ref, lineage)
SELECT %(layer)s, geom, geom_3d, attributes, category, source_ref,
       CASE WHEN %(published)s THEN COALESCE(lineage, id) ELSE lineage END
FROM planning_feature f WHERE layer_id = %(source)s
  AND NOT EXISTS (SELECT 1 FROM planning_supersededfeature s WHERE s.feature_id = f.id)
ORDER BY id
"""


def _copy_layers(source: Revision, target: Revision, user) -> None:
    """Copy every layer with its features, in PostGIS (no round trip through Python)."""
    # Read from the database: the caller's instance may predate an approval.
    published = Revision.objects.filter(pk=source.pk, state__in=PUBLISHED_STATES).exists()
    for layer in source.layers.order_by("id"):
        old_id = layer.pk
        layer.pk = None
        # the CAD import offers to replace copies, not the planner's own (importers.replacing)
        layer.copied_from_id = old_id
        layer.revision = target
        layer.created_by = user
        layer.save()
        with connection.cursor() as cursor:
            params = {"layer": layer.pk, "source": old_id, "published": published}
            cursor.execute(COPY_FEATURES, params)
            copied = cursor.rowcount
        if copied != layer.feature_count:  # superseded features stayed behind
            layer.feature_count = copied
            layer.save(update_fields=["feature_count"])
