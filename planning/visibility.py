"""Who may see and change what. Every service asks here; none decides on its own.

Anonymous users and public services see only plans in force (approved revisions). A
signed-in user also sees the revisions of projects they are a member of; staff see all.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from planning.models import (
    PUBLISHED_STATES,
    AuditEvent,
    Feature,
    Layer,
    Membership,
    Project,
    Revision,
    RevisionState,
    SupersededFeature,
)


def _is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


def in_force_revisions(at: datetime | None = None) -> QuerySet[Revision]:
    """The plans in force now, or at the moment `at` (history stays queryable)."""
    if at is None:
        return Revision.objects.filter(state=RevisionState.APPROVED)
    return Revision.objects.filter(
        Q(superseded_at__isnull=True) | Q(superseded_at__gt=at),
        state__in=[RevisionState.APPROVED, RevisionState.SUPERSEDED],
        approved_at__lte=at,
    )


def superseded_features(at: datetime | None = None) -> QuerySet[SupersededFeature]:
    """Lots of plans in force that a later approval of another project replaced (by `at`)."""
    superseded = SupersededFeature.objects.all()
    if at is not None:
        superseded = superseded.filter(superseded_at__lte=at)
    return superseded


def in_force_features(at: datetime | None = None) -> QuerySet[Feature]:
    """The features of the plans in force (at `at`), without lots other approvals replaced."""
    return Feature.objects.filter(_in_force_rule(at))


def _in_force_rule(at: datetime | None) -> Q:
    return Q(layer__revision__in=in_force_revisions(at)) & ~Q(
        id__in=superseded_features(at).values("feature_id")
    )


def service_features(user, at: datetime | None = None) -> QuerySet[Feature]:
    """What a map or feature service shows its caller: the plans in force (at `at`) plus,
    for a signed-in caller, the other revisions they may see. Services that show only
    published data pass user=None."""
    rule = _in_force_rule(at)
    if user is not None and user.is_authenticated and at is None:
        rule |= Q(layer__revision__in=_own_unpublished(user))
    return Feature.objects.filter(rule)


def service_revisions(user, at: datetime | None = None) -> QuerySet[Revision]:
    """The revisions whose features service_features shows: for services that filter
    features in their own SQL (vector tiles) by revision rather than row by row."""
    rule = Q(id__in=in_force_revisions(at).values("id"))
    if user is not None and user.is_authenticated and at is None:
        rule |= Q(id__in=_own_unpublished(user).values("id"))
    return Revision.objects.filter(rule)


def _own_unpublished(user) -> QuerySet[Revision]:
    return visible_revisions(user).exclude(
        state__in=[RevisionState.APPROVED, RevisionState.SUPERSEDED]
    )


def visible_revisions(user) -> QuerySet[Revision]:
    """Published plans for everyone; planners also see all of their projects' revisions,
    reviewers and approvers everything but drafts (unfinished work stays the planner's)."""
    if _is_admin(user):
        return Revision.objects.all()
    rule = Q(state__in=PUBLISHED_STATES)
    if user is not None and user.is_authenticated:
        roles = Membership.objects.filter(user=user)
        rule |= Q(project_id__in=roles.filter(role=Membership.Role.PLANNER).values("project_id"))
        rule |= Q(
            project_id__in=roles.exclude(role=Membership.Role.PLANNER).values("project_id")
        ) & ~Q(state=RevisionState.DRAFT)
    return Revision.objects.filter(rule)


def visible_projects(user) -> QuerySet[Project]:
    if _is_admin(user):
        return Project.objects.all()
    visible = Project.objects.filter(id__in=visible_revisions(user).values("project_id"))
    if user is not None and user.is_authenticated:
        visible |= Project.objects.filter(memberships__user_id=user.id)
    return visible


def visible_layers(user) -> QuerySet[Layer]:
    return Layer.objects.filter(revision__in=visible_revisions(user))


def visible_features(user) -> QuerySet[Feature]:
    return Feature.objects.filter(layer__revision__in=visible_revisions(user))


# The audit events everyone who sees a published plan may read, and which of their details.
# The decision is public by nature (the dossier prints number, note and approver; the plans
# it superseded were in force): how the plan was prepared, submitted, reviewed, sent back
# or rejected, the files imported, the comments and the members are the project's.
PUBLIC_AUDIT_DETAIL: dict[str, tuple[str, ...]] = {
    "revision.approve": (
        "decision_number",
        "note",
        "superseded",
        "superseded_lots",
        "superseded_features",
    ),
}


def reads_whole_audit_log(user, project: Project) -> bool:
    """Members read the project's history (of the revisions they see) and staff all of it."""
    return _is_admin(user) or has_any_role(user, project)


def visible_audit_events(user, project: Project) -> QuerySet[AuditEvent]:
    """The project's audit events `user` may read: staff all; members the project's own
    events (members, settings) and those of the revisions their role lets them see (a
    reviewer never a planner's draft); everyone else only the public decisions
    (PUBLIC_AUDIT_DETAIL) about revisions they see, shown through `public_audit_detail`."""
    events = AuditEvent.objects.filter(project=project)
    if _is_admin(user):
        return events
    revisions = visible_revisions(user).filter(project=project)
    if has_any_role(user, project):
        return events.filter(Q(revision__isnull=True) | Q(revision__in=revisions))
    return events.filter(action__in=list(PUBLIC_AUDIT_DETAIL), revision__in=revisions)


def public_audit_detail(event: AuditEvent) -> dict:
    """The details of a public event that are public too (an allow-list per action)."""
    keys = PUBLIC_AUDIT_DETAIL.get(event.action, ())
    return {key: value for key, value in event.detail.items() if key in keys}


def has_role(user, project: Project, role: str) -> bool:
    if not (user and user.is_authenticated):
        return False
    return Membership.objects.filter(user=user, project=project, role=role).exists()


def has_any_role(user, project: Project) -> bool:
    if not (user and user.is_authenticated):
        return False
    return Membership.objects.filter(user=user, project=project).exists()


def can_edit(user, revision: Revision) -> bool:
    """Planners of the project (and admins) edit its drafts; nobody edits anything else."""
    if not revision.is_editable:
        return False
    return _is_admin(user) or has_role(user, revision.project, Membership.Role.PLANNER)


def edits_drafts(user, project: Project) -> bool:
    """A planner of the project, or an admin: who edits its drafts (whatever the state of
    the revision at hand), so who hears 409 rather than 403 for one that left the draft."""
    return _is_admin(user) or has_role(user, project, Membership.Role.PLANNER)


def can_create_project(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("planning.add_project"))
