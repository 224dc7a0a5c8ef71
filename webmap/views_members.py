"""The members panel of the project page: who plans, reviews and approves the project.

Its forms post to the project page itself; the rules (staff only, unknown accounts, duplicate
roles, the audit record) are planning.members', shared with the API and manage.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from planning import members
from planning.errors import PlanningError
from planning.models import Membership, Project
from webmap.forms import MemberAddForm, MemberEditForm

MAX_SUGGESTED_USERNAMES = 1000


@dataclass
class PanelState:
    """What a refused change shows again: the add form with its errors, or a message."""

    add_form: MemberAddForm | None = None
    error: str = ""
    status: int = 200


def panel_context(user, project: Project, state: PanelState | None = None) -> dict:
    """The panel for the project's members and staff; nothing for anyone else."""
    if not members.can_see_members(user, project):
        return {}
    state = state or PanelState()
    can_manage = members.can_manage_members(user)
    return {
        "members_panel": True,
        "memberships": members.members_of(project),
        "can_manage_members": can_manage,
        "member_add_form": state.add_form or MemberAddForm(),
        "member_error": state.error,
        "role_choices": Membership.Role.choices,
        "awaiting_without_approver": members.awaiting_without_approver(project),
        "usernames": _usernames() if can_manage else [],
    }


def _usernames() -> list[str]:
    accounts = get_user_model().objects.filter(is_active=True).order_by("username")
    return list(accounts.values_list("username", flat=True)[:MAX_SUGGESTED_USERNAMES])


def handle_post(request: HttpRequest, project: Project) -> HttpResponse | PanelState:
    """A redirect back to the panel when the change is done; else what to show again."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not members.can_manage_members(request.user):
        message = _("Only administrators may change a project's members.")
        return render(request, "webmap/forbidden.html", {"message": message}, status=403)
    try:
        if request.POST.get("op") == "add":
            state = _add(request, project)
        else:
            state = _edit(request, project)
    except PlanningError as exc:
        return PanelState(error=exc.message, status=exc.status)
    if state is not None:
        return state
    return redirect(f"{request.path}#members")


def _add(request: HttpRequest, project: Project) -> PanelState | None:
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        return PanelState(add_form=form, status=400)
    try:
        membership = members.AddMember(
            user=request.user,
            project=project,
            username=form.cleaned_data["username"],
            role=form.cleaned_data["role"],
            remote_addr=request.META.get("REMOTE_ADDR"),
        ).execute()
    except PlanningError as exc:
        form.add_error(None, exc.message)
        return PanelState(add_form=form, status=exc.status)
    messages.success(request, _("Added “%(username)s” as %(role)s.") % _names(membership))
    return None


def _edit(request: HttpRequest, project: Project) -> PanelState | None:
    form = MemberEditForm(request.POST)
    if not form.is_valid():
        return PanelState(error=_("Choose a membership and a role."), status=400)
    membership = project.memberships.filter(pk=form.cleaned_data["membership"]).first()
    if membership is None:
        return PanelState(error=_("No such membership."), status=404)
    remote_addr = request.META.get("REMOTE_ADDR")
    if form.cleaned_data["op"] == "remove":
        names = _names(membership)
        members.RemoveMember(
            user=request.user, membership=membership, remote_addr=remote_addr
        ).execute()
        messages.success(request, _("Removed “%(username)s” (%(role)s).") % names)
        return None
    membership = members.ChangeMemberRole(
        user=request.user,
        membership=membership,
        role=form.cleaned_data["role"],
        remote_addr=remote_addr,
    ).execute()
    messages.success(request, _("“%(username)s” is now %(role)s.") % _names(membership))
    return None


def _names(membership: Membership) -> dict[str, str]:
    return {"username": membership.user.username, "role": str(membership.get_role_display())}
