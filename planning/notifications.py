"""E-mail to the people a revision's change concerns (Django mail; console backend locally)."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils.translation import gettext as _

from planning.models import Membership, Revision

log = logging.getLogger(__name__)

# Who hears about each transition, by project role.
AUDIENCE = {
    "revision.submit": (Membership.Role.REVIEWER, Membership.Role.APPROVER),
    "revision.withdraw": (Membership.Role.REVIEWER, Membership.Role.APPROVER),
    "revision.start_review": (Membership.Role.PLANNER,),
    "revision.request_changes": (Membership.Role.PLANNER, Membership.Role.APPROVER),
    "revision.reject": (Membership.Role.PLANNER, Membership.Role.REVIEWER),
    "revision.reopen": (Membership.Role.PLANNER, Membership.Role.REVIEWER),
    "revision.approve": (Membership.Role.PLANNER, Membership.Role.REVIEWER),
    "comment.create": (Membership.Role.PLANNER, Membership.Role.REVIEWER, Membership.Role.APPROVER),
}


def recipients(revision: Revision, action: str) -> list[str]:
    roles = AUDIENCE.get(action, ())
    emails = (
        Membership.objects.filter(project_id=revision.project_id, role__in=roles)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
    return sorted(emails)


def revision_changed(revision: Revision, action: str) -> int:
    """Send one message per recipient; returns how many were sent. Mail failures are
    logged, never raised: the transition has already been committed."""
    to = recipients(revision, action)
    if not to:
        return 0
    subject = _("[%(project)s] revision %(number)d: %(state)s") % {
        "project": revision.project.code,
        "number": revision.number,
        "state": revision.get_state_display(),
    }
    link = f"{settings.PLANNING_PUBLIC_URL}/revisions/{revision.pk}/review/"
    body = _("%(name)s\n\nRevision %(number)d is now %(state)s.\n%(note)s\n\n%(link)s") % {
        "name": revision.project.name,
        "number": revision.number,
        "state": revision.get_state_display(),
        "note": revision.decision_note,
        "link": link,
    }
    sender = settings.DEFAULT_FROM_EMAIL
    try:
        return send_mass_mail([(subject, body, sender, [address]) for address in to])
    except (SMTPException, OSError):
        log.exception("could not send %s notifications for revision %s", action, revision.pk)
        return 0
