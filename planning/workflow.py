"""The review workflow of a revision, one action object per transition.

    draft ──submit──► submitted ──start review──► in review ──approve──► approved (in force)
      ▲                 │  ▲                        │  │                    │
      │              withdraw└────reopen────┐       │  └─reject──► rejected  └─(next approval)─► superseded
      │                 ▼                   │       └─request changes─► changes requested
    (a new draft answers, copying the layers: planning.actions.CreateRevision(based_on=…))

Each transition locks the revision row first, so of two concurrent decisions exactly one
passes its state check and the other gets a 409 Conflict; an approval locks the project row
before it, so approvals in one project take turns. A revision that does not build on the
project's plan in force would undo it when approved: submitting, reviewing, reopening and
approving it are refused with 409 (planning.staleness). Every transition writes the audit
log and, after commit, notifies the people concerned. Roles are per project (Membership):
planners submit and withdraw; reviewers start reviews and request changes; approvers (the
board chair) approve, reject and reopen; staff may do everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from planning import comments, decision_rules, lineage, notifications, staleness, visibility
from planning.audit import audit, require_user
from planning.errors import Conflict, Forbidden, InvalidInput
from planning.models import Membership, Revision, RevisionState
from planning.signals import plan_in_force_changed

PLANNER, REVIEWER, APPROVER = (
    Membership.Role.PLANNER,
    Membership.Role.REVIEWER,
    Membership.Role.APPROVER,
)
# What ApproveRevision and the API answer a boolean (or a negative number) acknowledgement.
ACKNOWLEDGE_A_COUNT = gettext_lazy(
    "Acknowledge open comments with their number (the count you saw, 0 or more), "
    "not with true or false."
)
ROLE_PLURALS: dict[str, object] = {
    PLANNER: gettext_lazy("planners"),
    REVIEWER: gettext_lazy("reviewers"),
    APPROVER: gettext_lazy("approvers"),
}


@dataclass
class RevisionTransition:
    """Base of every transition: permission, state check under a row lock, audit, notify."""

    user: Any
    revision: Revision
    note: str = ""
    remote_addr: str | None = None

    action: ClassVar[str]
    sources: ClassVar[tuple[str, ...]]
    target: ClassVar[str]
    roles: ClassVar[tuple[str, ...]]
    # Review and decisions are the board's: never its author's, whatever roles or staff
    # status the author also holds (four eyes).
    judges: ClassVar[bool] = False

    def check(self) -> None:
        self.check_permission()
        if self.revision.state not in self.sources:
            raise Conflict(
                _("This cannot be done to a revision that is %(state)s.")
                % {"state": self.revision.get_state_display()}
            )

    def check_permission(self) -> None:
        """Whether the user may act at all (role, four eyes): the API asks this before it
        validates the request's form, so a caller who may not act learns nothing about it."""
        require_user(self.user)
        project = self.revision.project
        if not (
            self.user.is_staff
            or any(visibility.has_role(self.user, project, r) for r in self.roles)
        ):
            raise Forbidden(
                _("Only the project's %(roles)s may do this.")
                % {"roles": _(" or ").join(str(ROLE_PLURALS[r]) for r in self.roles)}
            )
        if self.judges and self.revision.author_id == self.user.pk:
            raise Forbidden(
                _(
                    "The author of a revision cannot review or decide on it; another member of the board must."
                )
            )

    def apply(self, now) -> list[str]:
        """Change the locked revision; returns the fields to save besides `state`."""
        return []

    def lock(self) -> None:
        """Lock the revision's row (and re-read it): of two concurrent transitions of one
        revision, the second waits and then finds the state the first left. Only that row
        (`of=self`): joined, the project's row would be locked FOR UPDATE too, after the
        revision, the reverse of an approval's order (a deadlock)."""
        self.revision = (
            Revision.objects.select_for_update(of=("self",))
            .select_related("project")
            .get(pk=self.revision.pk)
        )

    @transaction.atomic
    def execute(self) -> Revision:
        self.lock()
        self.check()
        previous_state = self.revision.state
        now = timezone.now()
        fields = self.apply(now)
        self.revision.state = self.target
        self.revision.save(update_fields=["state", *fields])
        audit(
            self.user,
            self.action,
            project=self.revision.project,
            revision=self.revision,
            remote_addr=self.remote_addr,
            note=self.note,
            previous_state=previous_state,
            **self.audit_detail(),
        )
        revision, action = self.revision, self.action
        transaction.on_commit(lambda: notifications.revision_changed(revision, action))
        return self.revision

    def audit_detail(self) -> dict:
        return {}


@dataclass
class SubmitRevision(RevisionTransition):
    """Freeze a draft for review. Automatic QA runs first; its errors block submission."""

    action: ClassVar[str] = "revision.submit"
    sources: ClassVar[tuple[str, ...]] = (RevisionState.DRAFT,)
    target: ClassVar[str] = RevisionState.SUBMITTED
    roles: ClassVar[tuple[str, ...]] = (PLANNER,)

    def check(self) -> None:
        super().check()
        staleness.check_builds_on_plan_in_force(self.revision, self.user)
        if not self.revision.layers.exists():
            raise InvalidInput(_("A revision needs at least one layer before it is submitted."))

    def execute(self) -> Revision:
        """QA runs first, in its own transaction, so its findings stay for the planner
        even when they block the submission."""
        from planning import qa  # QA rules import the domain; keep the import local

        self.check()
        errors = qa.run(self.revision).errors
        if errors:
            raise InvalidInput(
                _("Automatic checks found %(count)d errors; fix them before submitting.")
                % {"count": errors},
                details={"qa_errors": errors},
            )
        return super().execute()

    def apply(self, now) -> list[str]:
        # A change that slipped in between the checks and this lock was not checked (the
        # content triggers of migration 0010 cleared the flag the run had set).
        if not self.revision.qa_current:
            raise Conflict(_("The revision changed while it was being checked; submit again."))
        self.revision.submitted_at = now
        return ["submitted_at"]


@dataclass
class WithdrawRevision(RevisionTransition):
    """The planner takes a revision back before any decision; it stays in the history."""

    action: ClassVar[str] = "revision.withdraw"
    sources: ClassVar[tuple[str, ...]] = (RevisionState.SUBMITTED, RevisionState.IN_REVIEW)
    target: ClassVar[str] = RevisionState.WITHDRAWN
    roles: ClassVar[tuple[str, ...]] = (PLANNER,)


@dataclass
class StartReview(RevisionTransition):
    action: ClassVar[str] = "revision.start_review"
    sources: ClassVar[tuple[str, ...]] = (RevisionState.SUBMITTED,)
    target: ClassVar[str] = RevisionState.IN_REVIEW
    roles: ClassVar[tuple[str, ...]] = (REVIEWER, APPROVER)
    judges: ClassVar[bool] = True

    def check(self) -> None:
        super().check()
        staleness.check_builds_on_plan_in_force(self.revision, self.user)

    def apply(self, now) -> list[str]:
        self.revision.review_started_at = now
        return ["review_started_at"]


@dataclass
class _Decision(RevisionTransition):
    """A transition that records who decided, when and why."""

    requires_note: ClassVar[bool] = True
    judges: ClassVar[bool] = True

    def check(self) -> None:
        super().check()
        if self.requires_note and not self.note.strip():
            raise InvalidInput(_("Say why: the planner needs the reason."))

    def apply(self, now) -> list[str]:
        self.revision.decided_at = now
        self.revision.decided_by = self.user
        self.revision.decision_note = self.note
        return ["decided_at", "decided_by", "decision_note"]


@dataclass
class RequestChanges(_Decision):
    action: ClassVar[str] = "revision.request_changes"
    sources: ClassVar[tuple[str, ...]] = (RevisionState.SUBMITTED, RevisionState.IN_REVIEW)
    target: ClassVar[str] = RevisionState.CHANGES_REQUESTED
    roles: ClassVar[tuple[str, ...]] = (REVIEWER, APPROVER)


@dataclass
class RejectRevision(_Decision):
    action: ClassVar[str] = "revision.reject"
    sources: ClassVar[tuple[str, ...]] = (RevisionState.SUBMITTED, RevisionState.IN_REVIEW)
    target: ClassVar[str] = RevisionState.REJECTED
    roles: ClassVar[tuple[str, ...]] = (APPROVER,)


@dataclass
class ReopenRevision(_Decision):
    """Undo a rejection or a change request, as long as no newer revision answers it."""

    action: ClassVar[str] = "revision.reopen"
    sources: ClassVar[tuple[str, ...]] = (RevisionState.REJECTED, RevisionState.CHANGES_REQUESTED)
    target: ClassVar[str] = RevisionState.IN_REVIEW
    roles: ClassVar[tuple[str, ...]] = (APPROVER,)

    def check(self) -> None:
        super().check()
        newer = Revision.objects.filter(
            project_id=self.revision.project_id, number__gt=self.revision.number
        ).exclude(state=RevisionState.WITHDRAWN)
        if newer.exists():
            raise Conflict(_("A newer revision of this project exists; review that one."))
        staleness.check_builds_on_plan_in_force(self.revision, self.user)


# The transaction-level advisory lock every approval holds (pg_advisory_xact_lock): "plan".
APPROVALS_LOCK = 0x706C616E


@dataclass
class ApproveRevision(_Decision):
    """Make the revision the plan in force; the project's previous plan is superseded, and
    so are the lots of other projects' plans in force it overlaps, once the approver
    confirms (`supersede_overlaps`); unconfirmed overlaps are a 409 listing them. Comment
    threads still open need the approver's acknowledgement too: `acknowledge_open_comments`
    is how many open threads the approver saw, and more open now (fewer acknowledged, or a
    thread opened since) is a 409 naming their count, which the audit record keeps."""

    action: ClassVar[str] = "revision.approve"
    sources: ClassVar[tuple[str, ...]] = (RevisionState.SUBMITTED, RevisionState.IN_REVIEW)
    target: ClassVar[str] = RevisionState.APPROVED
    roles: ClassVar[tuple[str, ...]] = (APPROVER,)
    requires_note: ClassVar[bool] = False

    decision_number: str = ""
    decision_date: date | None = None
    decision_signer: str = ""
    decision_document: Any = None  # an uploaded PDF (django File)
    supersede_overlaps: bool = False
    acknowledge_open_comments: int = 0  # the open threads the approver saw and approves over
    superseded: list[int] = field(default_factory=list)
    superseded_lots: list[dict] = field(default_factory=list)
    superseded_features: list[int] = field(default_factory=list)
    open_comments: int = 0  # counted under the row lock, for the audit record

    def lock(self) -> None:
        """The project's row before the revision's: approvals in one project take turns, so
        of two sibling revisions approved at once the second reads the plan the first put
        in force (and refuses to undo it), and two first plans cannot both pass. In the mode
        that lets inserts which merely reference the project (audit records of other
        transitions) through; the revision's own lock then takes that row only.

        All approvals take turns first, whatever their project: an approval supersedes
        other projects' lots, so two at once could each read the other's plan as it was
        (review finding: one superseding a lot the other just replaced, both then in force).
        Approvals are rare; taken before the approval's row locks, and only by approvals,
        it cannot close a cycle with them. A caller that wraps an approval in a larger
        transaction holding other row locks (the demo loader, on rows it just created) must
        keep those rows its own."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPROVALS_LOCK])
        staleness.lock_project(self.revision.project_id)
        super().lock()

    def check(self) -> None:
        super().check()
        # A revision prepared on another plan than the one in force would undo it.
        staleness.check_builds_on_plan_in_force(self.revision, self.user)
        decision_rules.check_decision(
            self.decision_number, self.decision_signer, self.decision_date, self.decision_document
        )
        self._check_acknowledgement_is_a_count()
        self._check_open_comments()

    def _check_acknowledgement_is_a_count(self) -> None:
        """A bare "yes" would cover threads opened after the approver looked (and Python's
        True is the int 1): only a number of threads is taken."""
        ack = self.acknowledge_open_comments
        if isinstance(ack, bool) or not isinstance(ack, int) or ack < 0:
            raise InvalidInput(str(ACKNOWLEDGE_A_COUNT))

    def _check_open_comments(self) -> None:
        """A plan put in force over open remarks is the board's informed choice, never an
        oversight: the approver says how many open threads they know of (counted as the
        approver reads the thread, the review page's count). A thread posted or reopened
        since they looked makes that too few."""
        self.open_comments = comments.open_comment_count(self.revision, self.user)
        if self.open_comments > self.acknowledge_open_comments:
            raise Conflict(
                self._open_comments_refusal(), details={"open_comments": self.open_comments}
            )

    def _open_comments_refusal(self) -> str:
        count, acknowledged = self.open_comments, self.acknowledge_open_comments
        if not acknowledged:
            return ngettext(
                "%(count)d comment is still open; confirm that you approve with it open.",
                "%(count)d comments are still open; confirm that you approve with them open.",
                count,
            ) % {"count": count}
        return ngettext(
            "%(count)d comment is now open, more than the %(acknowledged)d you "
            "acknowledged; reload the comments and check them before approving.",
            "%(count)d comments are now open, more than the %(acknowledged)d you "
            "acknowledged; reload the comments and check them before approving.",
            count,
        ) % {"count": count, "acknowledged": acknowledged}

    def apply(self, now) -> list[str]:
        fields = super().apply(now)
        previous = Revision.objects.select_for_update().filter(
            project_id=self.revision.project_id, state=RevisionState.APPROVED
        )
        self.superseded = list(previous.values_list("id", flat=True))
        previous.update(state=RevisionState.SUPERSEDED, superseded_at=now)
        lineage.link_continued_features(self.revision, replaced=self.superseded)
        self._supersede_other_projects(now)
        self.revision.approved_at = now
        self.revision.decision_number = self.decision_number.strip()
        self.revision.decision_date = self.decision_date or timezone.localdate(now)
        self.revision.decision_signer = self.decision_signer.strip()
        if self.decision_document is not None:
            self.revision.decision_document.save(
                f"decision-{self.revision.pk}.pdf", self.decision_document, save=False
            )
            fields.append("decision_document")
        revision = self.revision
        transaction.on_commit(
            lambda: plan_in_force_changed.send(sender=Revision, revision=revision)
        )
        return [*fields, "approved_at", "decision_number", "decision_date", "decision_signer"]

    def _supersede_other_projects(self, now) -> None:
        from planning import supersession

        overlaps = supersession.overlapping_lots(self.revision)
        if overlaps and not self.supersede_overlaps:
            placed = supersession.dependents(overlaps)
            raise Conflict(
                unconfirmed_supersession(len(overlaps), supersession.placed_text(placed)),
                details={
                    "overlaps": [o.as_dict() for o in overlaps],
                    # what stands on them and leaves with them, counted and said by kind
                    "placed": len(placed),
                    "placed_text": supersession.placed_text(placed),
                },
            )
        self.superseded_features = supersession.supersede(self.revision, overlaps, now)
        self.superseded_lots = [o.as_dict() for o in overlaps]

    def audit_detail(self) -> dict:
        return {
            "decision_number": self.decision_number,
            "superseded": self.superseded,
            "superseded_lots": self.superseded_lots,
            # what stood on those lots (buildings, lines, notes), left with them
            "superseded_features": self.superseded_features,
            "open_comments": self.open_comments,
        }


def unconfirmed_supersession(lots: int, placed: str) -> str:
    """Why an approval over other projects' plans in force waits for its confirmation."""
    message = ngettext(
        "This plan overlaps %(count)d lot of other projects' plans in force; "
        "confirm that it supersedes it.",
        "This plan overlaps %(count)d lots of other projects' plans in force; "
        "confirm that it supersedes them.",
        lots,
    ) % {"count": lots}
    return f"{message} {placed}" if placed else message
