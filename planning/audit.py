"""The append-only audit log and the sign-in requirement every action shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils.translation import gettext as _

from planning.errors import NotAuthenticated
from planning.models import AuditEvent


def require_user(user) -> None:
    if user is None or not user.is_authenticated:
        raise NotAuthenticated(_("Sign in to do this."))


def audit(user, action: str, *, project=None, revision=None, remote_addr=None, **detail) -> None:
    AuditEvent.objects.create(
        actor=user if user is not None and user.is_authenticated else None,
        action=action,
        project=project,
        revision=revision,
        detail=detail,
        remote_addr=remote_addr,
    )


@contextmanager
def audit_purge() -> Iterator[None]:
    """A transaction in which audit events may be deleted (with the project or revision
    they belong to). Everywhere else the database refuses it (migration 0009): use this
    only to remove a project for good or a benchmark's own data, never to edit history."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('planning.audit_purge', 'on', true)")
        yield
        cursor.execute("SELECT set_config('planning.audit_purge', 'off', true)")
