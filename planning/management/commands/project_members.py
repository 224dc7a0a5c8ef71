"""manage.py project_members PROJECT [--add USER ROLE] [--remove USER ROLE] [--list]."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from planning import members
from planning.errors import PlanningError
from planning.models import Membership, Project

ROLES = ", ".join(Membership.Role.values)


class Command(BaseCommand):
    help = (
        "List, add or remove the members of a planning project (planners, reviewers, "
        "approvers). Every change is audited; all changes of one call apply together or not "
        "at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="project code (or id)")
        parser.add_argument(
            "--add", nargs=2, action="append", default=[], metavar=("USER", "ROLE"),
            help=f"give USER the role ROLE ({ROLES}); repeatable",
        )  # fmt: skip
        parser.add_argument(
            "--remove", nargs=2, action="append", default=[], metavar=("USER", "ROLE"),
            help="take the role ROLE from USER; repeatable",
        )  # fmt: skip
        parser.add_argument("--list", action="store_true", help="print the members")
        parser.add_argument(
            "--by",
            metavar="ADMIN",
            help="the staff account recorded in the audit log (default: the first superuser)",
        )

    def handle(self, *args, **options):
        project = _project(options["project"])
        changes = options["add"] or options["remove"]
        if changes:
            actor = _actor(options["by"])
            try:
                with transaction.atomic():
                    for username, role in options["add"]:
                        _add(actor, project, username, role)
                    for username, role in options["remove"]:
                        _remove(actor, project, username, role)
            except PlanningError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(
                f"{len(options['add'])} added, {len(options['remove'])} removed ({project.code})."
            )
        if options["list"] or not changes:
            for membership in members.members_of(project):
                self.stdout.write(f"{membership.user.username}\t{membership.role}")
        self._warn_without_approver(project)

    def _warn_without_approver(self, project: Project) -> None:
        waiting = members.awaiting_without_approver(project)
        if waiting:
            numbers = ", ".join(str(r.number) for r in waiting)
            self.stderr.write(
                f"Warning: {project.code} has no active approver; revisions {numbers} await a "
                "decision that only staff can take now."
            )


def _project(key: str) -> Project:
    project = Project.objects.filter(code=key).first()
    if project is None and key.isascii() and key.isdecimal():
        project = Project.objects.filter(pk=int(key)).first()
    if project is None:
        raise CommandError(f"No project with code (or id) {key!r}.")
    return project


def _actor(username: str | None):
    """The administrator the audit log names: --by, else the first active superuser."""
    users = get_user_model().objects.filter(is_active=True)
    if username:
        actor = users.filter(username=username).first()
        if actor is None or not members.can_manage_members(actor):
            raise CommandError(f"--by: no active staff account {username!r}.")
        return actor
    actor = users.filter(is_superuser=True).order_by("id").first()
    if actor is None:
        raise CommandError("No active superuser to record as the actor: give --by ADMIN.")
    return actor


def _add(actor, project: Project, username: str, role: str) -> None:
    members.AddMember(
        user=actor, project=project, username=username, role=role, via="manage.py"
    ).execute()


def _remove(actor, project: Project, username: str, role: str) -> None:
    membership = project.memberships.filter(user__username=username, role=role).first()
    if membership is None:
        raise CommandError(f"{username!r} has no role {role!r} in {project.code}.")
    members.RemoveMember(user=actor, membership=membership, via="manage.py").execute()
