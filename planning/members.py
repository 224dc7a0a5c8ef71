"""Who plans, reviews and approves a project: adding, changing and removing memberships.

Administrators (staff) assign memberships. The role model has no project lead: the project's
creator is just its first planner, and planners may not pick the board that judges their own
plan; the board's composition is decided by the authority that appoints it and recorded here
by an administrator. The page, the API and ``manage.py project_members`` all call these
actions, so each change is checked and audited the same way.

Removing a project's last approver is allowed (an approver who left must be removable before a
successor is named, and staff can still decide); `awaiting_without_approver` names the
revisions nobody but staff can now approve, and the page and the API show it as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext as _

from planning import visibility
from planning.audit import audit, require_user
from planning.errors import Conflict, Forbidden, InvalidInput, NotFound
from planning.models import Membership, Project, Revision, RevisionState

# Revisions waiting for a board decision (approve, reject, request changes).
AWAITING_DECISION = (RevisionState.SUBMITTED, RevisionState.IN_REVIEW)
ROLE_ORDER = [Membership.Role.PLANNER, Membership.Role.REVIEWER, Membership.Role.APPROVER]


def can_manage_members(user) -> bool:
    """Staff only: see the module docstring for why nobody else."""
    return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


def can_see_members(user, project: Project) -> bool:
    """The project's members know who else works on it; outsiders do not."""
    return can_manage_members(user) or visibility.has_any_role(user, project)


def members_of(project: Project) -> QuerySet[Membership]:
    """Planners first, then reviewers, then approvers; by username within a role."""
    order = Case(
        *(When(role=role, then=Value(i)) for i, role in enumerate(ROLE_ORDER)),
        output_field=IntegerField(),
    )
    return (
        Membership.objects.filter(project=project)
        .select_related("user")
        .annotate(role_order=order)
        .order_by("role_order", "user__username", "id")
    )


def awaiting_without_approver(project: Project) -> list[Revision]:
    """Revisions awaiting a decision while no active account may approve them (staff aside)."""
    if has_approver(project.pk):
        return []
    return list(project.revisions.filter(state__in=AWAITING_DECISION).order_by("number"))


def has_approver(project_id: int) -> bool:
    """Whether an active account may approve the project's revisions (staff aside)."""
    return Membership.objects.filter(
        project_id=project_id, role=Membership.Role.APPROVER, user__is_active=True
    ).exists()


def _check_role(role: str) -> None:
    if role not in Membership.Role.values:
        raise InvalidInput(
            _("Unknown role %(role)s; expected one of %(roles)s.")
            % {"role": repr(role), "roles": ", ".join(Membership.Role.values)}
        )


def require_manager(user) -> None:
    require_user(user)
    if not can_manage_members(user):
        raise Forbidden(_("Only administrators may change a project's members."))


def _role_label(role: str) -> str:
    return str(Membership.Role(role).label)


def _already(username: str, role: str) -> Conflict:
    return Conflict(
        _("“%(username)s” already has the role %(role)s in this project.")
        % {"username": username, "role": _role_label(role)}
    )


def _audit_membership(action: str, membership: Membership, base: _MembershipAction, **extra):
    detail = {"membership": membership.pk, "member": membership.user.username, **extra}
    if base.via:
        detail["via"] = base.via
    audit(
        base.user,
        action,
        project=membership.project,
        remote_addr=base.remote_addr,
        role=membership.role,
        **detail,
    )


@dataclass(kw_only=True)
class _MembershipAction:
    user: Any
    remote_addr: str | None = None
    via: str = ""  # recorded in the audit detail when set (e.g. "manage.py")


@dataclass(kw_only=True)
class AddMember(_MembershipAction):
    """Give the account `username` the role `role` in `project`."""

    project: Project
    username: str
    role: str

    def check(self) -> Any:
        require_manager(self.user)
        _check_role(self.role)
        member = get_user_model().objects.filter(username=self.username.strip()).first()
        if member is None:
            raise InvalidInput(
                _("No account with the username “%(username)s”.") % {"username": self.username}
            )
        if not member.is_active:
            raise InvalidInput(
                _("The account “%(username)s” is deactivated.") % {"username": member.username}
            )
        if Membership.objects.filter(project=self.project, user=member, role=self.role).exists():
            raise _already(member.username, self.role)
        return member

    def execute(self) -> Membership:
        member = self.check()
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    project=self.project, user=member, role=self.role
                )
                _audit_membership("membership.add", membership, self)
        except IntegrityError as exc:  # added meanwhile by someone else
            raise _already(member.username, self.role) from exc
        return membership


@dataclass(kw_only=True)
class ChangeMemberRole(_MembershipAction):
    """Give a member another role in the same project (one membership row per role)."""

    membership: Membership
    role: str

    def check(self) -> Membership:
        require_manager(self.user)
        _check_role(self.role)
        return self.membership

    @transaction.atomic
    def execute(self) -> Membership:
        self.check()
        membership = _locked(self.membership)
        previous = membership.role
        if previous == self.role:
            return membership
        same = Membership.objects.filter(
            project_id=membership.project_id, user_id=membership.user_id, role=self.role
        )
        if same.exists():
            raise _already(membership.user.username, self.role)
        membership.role = self.role
        try:
            with transaction.atomic():
                membership.save(update_fields=["role"])
        except IntegrityError as exc:  # the same role given meanwhile by someone else
            raise _already(membership.user.username, self.role) from exc
        _audit_membership("membership.change", membership, self, previous_role=previous)
        return membership


@dataclass(kw_only=True)
class RemoveMember(_MembershipAction):
    """End a membership. The project's last approver may go: see the module docstring."""

    membership: Membership

    def check(self) -> Membership:
        require_manager(self.user)
        return self.membership

    @transaction.atomic
    def execute(self) -> None:
        self.check()
        membership = _locked(self.membership)
        _audit_membership("membership.remove", membership, self)
        membership.delete()


# `via` of the removals recorded when an account is deleted (see audit_removals_of_account).
VIA_ACCOUNT_DELETION = "account deletion"


def audit_removals_of_account(sender, instance, **kwargs) -> None:
    """pre_delete receiver on the user model (wired in PlanningConfig.ready): deleting an
    account (`User.delete()`, the admin site, a queryset) cascades to its memberships, so each
    is audited as `membership.remove`, as RemoveMember would, in the deletion's transaction.
    The actor is None: the signal does not know who deleted the account (the admin site's own
    history names them); `via` says how the membership ended."""
    removal = _MembershipAction(user=None, via=VIA_ACCOUNT_DELETION)
    memberships = Membership.objects.filter(user=instance).select_related("user", "project")
    for membership in memberships.order_by("id"):
        _audit_membership("membership.remove", membership, removal)


def _locked(membership: Membership) -> Membership:
    """The membership row, locked; gone (removed meanwhile) is a 404."""
    locked = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "project")
        .filter(pk=membership.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such membership."))
    return locked
