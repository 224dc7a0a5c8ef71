"""What an approval's decision record must satisfy, whichever path records it (the API, the
demo, a script calling planning.workflow.ApproveRevision): the API's form reports the same
rules per field, the workflow enforces them before anything changes."""

from __future__ import annotations

import unicodedata
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from planning.errors import InvalidInput

NUMBER_MAX_LENGTH = 100
SIGNER_MAX_LENGTH = 200
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# A floor against typing slips ("0226" for "2026"), not a legal rule: no planning decision a
# board files here predates the state that issues them (1945), while plans approved long
# ago may still be entered today, so the date is not bound to the submission either.
EARLIEST_DATE = date(1945, 1, 1)


def project_today() -> date:
    """Today in the project's time zone (settings.TIME_ZONE), whoever's clock asks."""
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


def check_single_line(value: str) -> None:
    """Decision numbers and signers are printed on one line (dossier, page, audit log): no
    control characters, nor the Unicode line and paragraph separators."""
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value):
        raise InvalidInput(_("Enter a single line of text."))


def check_date(value: date) -> None:
    """The decision is signed before the plan is put in force: never after today, which
    would date a plan in force now by a decision still to come."""
    if value > project_today():
        raise InvalidInput(_("The decision date cannot be after today."))
    if value < EARLIEST_DATE:
        raise InvalidInput(
            _("The decision date cannot be before %(year)d.") % {"year": EARLIEST_DATE.year}
        )


def check_document(document) -> None:
    """The signed decision must be a PDF of reasonable size (checked by content)."""
    if document.size > MAX_DOCUMENT_BYTES:
        raise InvalidInput(_("The decision document is larger than 20 MB."))
    document.seek(0)
    head = document.read(5)
    document.seek(0)
    if head != b"%PDF-":
        raise InvalidInput(_("The decision document must be a PDF."))


def check_decision(number: str, signer: str, when: date | None, document) -> None:
    """Every rule at once, for callers outside the API's form."""
    if not number.strip():
        raise InvalidInput(_("An approval needs the decision number."))
    check_single_line(number)
    check_single_line(signer)
    if len(number.strip()) > NUMBER_MAX_LENGTH:
        raise InvalidInput(
            _("The decision number is longer than %(limit)d characters.")
            % {"limit": NUMBER_MAX_LENGTH}
        )
    if len(signer.strip()) > SIGNER_MAX_LENGTH:
        raise InvalidInput(
            _("The signer's name is longer than %(limit)d characters.")
            % {"limit": SIGNER_MAX_LENGTH}
        )
    if when is not None:
        check_date(when)
    if document is not None:
        check_document(document)
