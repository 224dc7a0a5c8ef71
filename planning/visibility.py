"""Who may see and change what. Every service asks here; none decides on its own.

Anonymous users and public services see only plans in force (approved revisions). A
signed-in user also sees the revisions of projects they are a member of; staff see all.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from planning.models import Feature, Layer, Membership, Project, Revision, RevisionState


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


def service_features(user, at: datetime | None = None) -> QuerySet[Feature]:
    """What a map or feature service shows its caller: the plans in force (at `at`) plus,
    for a signed-in caller, the other revisions they may see. Services that show only
    published data pass user=None."""
    rule = Q(layer__revision__in=in_force_revisions(at))
    if user is not None and user.is_authenticated and at is None:
        rule |= Q(
            layer__revision__in=visible_revisions(user).exclude(
                state__in=[RevisionState.APPROVED, RevisionState.SUPERSEDED]
            )
        )
    return Feature.objects.filter(rule)


def visible_revisions(user) -> QuerySet[Revision]:
    if _is_admin(user):
        return Revision.objects.all()
    rule = Q(state=RevisionState.APPROVED)
    if user is not None and user.is_authenticated:
        member_of = Membership.objects.filter(user=user).values("project_id")
        rule |= Q(project_id__in=member_of)
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


def has_role(user, project: Project, role: str) -> bool:
    if not (user and user.is_authenticated):
        return False
    return Membership.objects.filter(user=user, project=project, role=role).exists()


def can_edit(user, revision: Revision) -> bool:
    """Planners of the project (and admins) edit its drafts; nobody edits anything else."""
    if not revision.is_editable:
        return False
    return _is_admin(user) or has_role(user, revision.project, Membership.Role.PLANNER)


def can_create_project(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("planning.add_project"))
