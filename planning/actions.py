"""State changes as action objects: check() carries the permission rule, execute() the
change, the audit record and the signal. The web pages, the API and manage.py all call
these, so they behave identically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.gis.geos import MultiPolygon
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from planning import visibility
from planning.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated
from planning.models import AuditEvent, Membership, Project, Revision, RevisionState
from planning.signals import plan_in_force_changed


def _require_user(user) -> None:
    if user is None or not user.is_authenticated:
        raise NotAuthenticated(_("Sign in to do this."))


def _duplicate_code(code: str) -> Conflict:
    return Conflict(_("A project with code %(code)s already exists.") % {"code": repr(code)})


def audit(user, action: str, *, project=None, revision=None, remote_addr=None, **detail) -> None:
    AuditEvent.objects.create(
        actor=user if user is not None and user.is_authenticated else None,
        action=action,
        project=project,
        revision=revision,
        detail=detail,
        remote_addr=remote_addr,
    )


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
        _require_user(self.user)
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
    user: Any
    project: Project
    note: str = ""
    remote_addr: str | None = None

    def check(self) -> None:
        _require_user(self.user)
        if not (self.user.is_staff or visibility.has_role(self.user, self.project, "planner")):
            raise Forbidden(_("Only the project's planners may start a revision."))

    @transaction.atomic
    def execute(self) -> Revision:
        self.check()
        Project.objects.select_for_update().get(pk=self.project.pk)
        last = self.project.revisions.aggregate(n=Max("number"))["n"] or 0
        revision = Revision.objects.create(
            project=self.project, number=last + 1, note=self.note, author=self.user
        )
        audit(
            self.user,
            "revision.create",
            project=self.project,
            revision=revision,
            remote_addr=self.remote_addr,
        )
        return revision


@dataclass
class SubmitRevision:
    user: Any
    revision: Revision
    remote_addr: str | None = None

    def check(self) -> None:
        _require_user(self.user)
        if not visibility.can_edit(self.user, self.revision):
            if self.revision.state != RevisionState.DRAFT:
                raise Conflict(
                    _("The revision is %(state)s, not a draft.")
                    % {"state": self.revision.get_state_display()}
                )
            raise Forbidden(_("Only the project's planners may submit this revision."))
        if not self.revision.layers.exists():
            raise InvalidInput(_("A revision needs at least one layer before it is submitted."))

    @transaction.atomic
    def execute(self) -> Revision:
        self.revision = Revision.objects.select_for_update().get(pk=self.revision.pk)
        self.check()
        self.revision.state = RevisionState.SUBMITTED
        self.revision.submitted_at = timezone.now()
        self.revision.save(update_fields=["state", "submitted_at"])
        audit(
            self.user,
            "revision.submit",
            project=self.revision.project,
            revision=self.revision,
            remote_addr=self.remote_addr,
        )
        return self.revision


@dataclass
class ApproveRevision:
    """Makes a submitted revision the plan in force; the previous one is superseded."""

    user: Any
    revision: Revision
    decision_number: str = ""
    decision_date: date | None = None
    remote_addr: str | None = None
    superseded: list[int] = field(default_factory=list)

    def check(self) -> None:
        _require_user(self.user)
        project = self.revision.project
        if not (self.user.is_staff or visibility.has_role(self.user, project, "reviewer")):
            raise Forbidden(_("Only the project's reviewers may approve."))
        if self.revision.state != RevisionState.SUBMITTED:
            raise Conflict(
                _("Only a submitted revision can be approved; this one is %(state)s.")
                % {"state": self.revision.get_state_display()}
            )

    @transaction.atomic
    def execute(self) -> Revision:
        # Lock the revision: of two concurrent approvals exactly one passes check().
        self.revision = Revision.objects.select_for_update().get(pk=self.revision.pk)
        self.check()
        now = timezone.now()
        previous = Revision.objects.select_for_update().filter(
            project_id=self.revision.project_id, state=RevisionState.APPROVED
        )
        self.superseded = list(previous.values_list("id", flat=True))
        previous.update(state=RevisionState.SUPERSEDED, superseded_at=now)
        self.revision.state = RevisionState.APPROVED
        self.revision.approved_at = now
        self.revision.decision_number = self.decision_number
        self.revision.decision_date = self.decision_date or now.date()
        self.revision.save(
            update_fields=["state", "approved_at", "decision_number", "decision_date"]
        )
        audit(
            self.user,
            "revision.approve",
            project=self.revision.project,
            revision=self.revision,
            remote_addr=self.remote_addr,
            decision_number=self.decision_number,
            superseded=self.superseded,
        )
        revision = self.revision
        transaction.on_commit(
            lambda: plan_in_force_changed.send(sender=Revision, revision=revision)
        )
        return self.revision
