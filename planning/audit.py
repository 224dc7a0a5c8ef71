"""The append-only audit log and the sign-in requirement every action shares."""

from __future__ import annotations

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
