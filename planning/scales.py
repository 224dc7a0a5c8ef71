"""The scale denominator of a planning project (500 for 1/500): its plausible bounds and the
reading of what people type for it. The project form and the REST API share the bounds, so
both refuse the same denominators with the same message.

Vietnamese writes two thousand "2.000", English "2,000", and both may write "2 000". A scale
has no decimals, so a separator followed by exactly three digits is digit grouping in either
language; "2.5" or "2,5" is refused rather than read as 2 (Django's IntegerField took
"2.000" for 2, a 1/2 scale).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from planning.numbers import localized

# Vietnamese planning runs from 1/100 (building details) to 1/1,000,000 (national plans).
SCALE_MIN = 100
SCALE_MAX = 1_000_000

# Plain digits, or groups of three after a first group of one to three digits, all with
# the same separator: ".", ",", a space, a non-breaking or a narrow non-breaking space.
_GROUPED = re.compile(r"\d+|\d{1,3}(?:(?P<sep>[., \u00a0\u202f])\d{3})(?:(?P=sep)\d{3})*")


def parse_denominator(text: str) -> int | None:
    """The whole number `text` writes, digit grouping allowed; None when it writes none."""
    text = text.strip()
    if not _GROUPED.fullmatch(text):
        return None
    return int(re.sub(r"\D", "", text))


def malformed_message() -> str:
    return _(
        "Write the scale denominator as a whole number: 500 for 1/500, %(example)s for 1/2000."
    ) % {"example": localized(2000, 0)}


def bounds_message() -> str:
    return _(
        "Planning scales run from 1/%(min)s to 1/%(max)s: give a denominator from %(min)s "
        "to %(max)s."
    ) % {"min": localized(SCALE_MIN, 0), "max": localized(SCALE_MAX, 0)}
