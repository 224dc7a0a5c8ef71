"""Whether a revision still builds on its project's plan in force.

Approving a revision puts it in force whole, in place of the project's plan in force. A
revision prepared on another plan (a sibling draft of the same plan, after the other one was
approved; a draft started empty while a plan is in force; a copy of a superseded revision)
would silently undo whatever was put in force since. So the transitions that lead to the
plan in force (submit, start review, reopen, approve) refuse such a stale revision with a
409 naming both revisions, and the pages warn about it. Sending it back or rejecting it stays
allowed: that is what the board does with it.

A revision builds on the plan in force when that plan is its `based_on` or further up its
`based_on` chain: an answer to a change request answers the revision that was prepared on
the plan, and nothing was put in force in between as long as that plan still is.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from planning import visibility
from planning.errors import Conflict
from planning.models import Project, Revision, RevisionState

# The states in which a revision may still be put in force, one way or another (a change
# request is answered by a new revision that builds on it).
UNDER_WAY = (
    RevisionState.DRAFT,
    RevisionState.SUBMITTED,
    RevisionState.IN_REVIEW,
    RevisionState.CHANGES_REQUESTED,
)


def lock_project(project_id: int) -> None:
    """Lock the project's row so that approvals in the project take turns: the second one
    then reads the plan in force the first put there. FOR NO KEY UPDATE: inserts that merely
    reference the project (audit records, memberships) take a key-share lock, which
    this mode lets through, so a transaction holding a revision and writing its audit record
    is never stuck behind an approval waiting for that revision (a deadlock);
    CreateRevision's FOR UPDATE of the same row does wait for it."""
    list(Project.objects.select_for_update(no_key=True).filter(pk=project_id).values_list("pk"))


def plan_in_force(project_id: int) -> Revision | None:
    return Revision.objects.filter(project_id=project_id, state=RevisionState.APPROVED).first()


# A revision's place in a `based_on` chain: its number and the id it was based on.
Link = tuple[int, int | None]


def builds_on(revision: Revision, plan: Revision) -> bool:
    """Whether `plan` is the revision's `based_on` or further up that chain."""
    return _reaches(revision.based_on_id, plan, {})


def _reaches(based_on: int | None, plan: Revision, links: Mapping[int, Link]) -> bool:
    """Whether the chain from `based_on` up reaches `plan`. A revision is always based on
    an older one (a lower number), so the walk stops below `plan`. `links` (by revision
    id) saves a query per step; a revision missing from it is read."""
    current = based_on
    while current is not None:
        if current == plan.pk:
            return True
        link = links.get(current) or _link(current)
        if link is None or link[0] < plan.number:
            return False
        current = link[1]
    return False


def _link(revision_id: int) -> Link | None:
    return Revision.objects.filter(pk=revision_id).values_list("number", "based_on_id").first()


def overriding_plan(revision: Revision) -> Revision | None:
    """The project's plan in force when `revision` does not build on it (approving the
    revision would undo that plan), else None; read it under `lock_project` to decide."""
    plan = plan_in_force(revision.project_id)
    if plan is None or plan.pk == revision.pk or builds_on(revision, plan):
        return None
    return plan


def stale_message(revision: Revision, plan: Revision, user) -> str:
    """Why `revision` cannot be put in force over `plan`, in the reader's language; the
    revision it was prepared on is named only to whom may see it."""
    based_on = _visible_based_on(revision, user)
    numbers = {"number": revision.number, "in_force": plan.number}
    if based_on is None:
        text = _(
            "Revision %(number)d was not prepared on revision %(in_force)d, the plan in "
            "force; approving it would undo revision %(in_force)d. Prepare a new revision on "
            "revision %(in_force)d."
        )
        return text % numbers
    text = _(
        "Revision %(number)d was prepared on revision %(based_on)d, but revision "
        "%(in_force)d is now the plan in force; approving it would undo revision "
        "%(in_force)d. Prepare a new revision on revision %(in_force)d."
    )
    return text % {**numbers, "based_on": based_on.number}


def _visible_based_on(revision: Revision, user) -> Revision | None:
    if revision.based_on_id is None:
        return None
    visible = visibility.visible_revisions(user).filter(pk=revision.based_on_id)
    return visible.only("number").first()


def check_builds_on_plan_in_force(revision: Revision, user) -> None:
    """Refuse (409) to move `revision` towards the plan in force when it would undo it."""
    plan = overriding_plan(revision)
    if plan is not None:
        raise Conflict(
            stale_message(revision, plan, user),
            details={"plan_in_force": {"id": plan.pk, "number": plan.number}},
        )


def stale_revisions(project: Project) -> dict[int, Revision]:
    """The project's revisions under way (or rejected: they could be reopened) that no
    longer build on its plan in force, by id, each mapped to that plan (for the project
    page, which so warns where the review page does)."""
    plan = plan_in_force(project.pk)
    if plan is None:
        return {}
    states = (*UNDER_WAY, RevisionState.REJECTED)
    # The project's chains in one query, walked in memory (a chain stays in its project:
    # CreateRevision refuses a `based_on` of another one).
    rows = list(
        Revision.objects.filter(project=project).values_list("pk", "number", "based_on_id", "state")
    )
    links = {pk: (number, based_on) for pk, number, based_on, _ in rows}
    return {
        pk: plan
        for pk, _, based_on, state in rows
        if state in states and not _reaches(based_on, plan, links)
    }
