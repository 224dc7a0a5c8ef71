"""The plan boundary itself: without one, the rules measured against it have nothing to
check (topology.outside, topology.gap, balance.total), and "no findings" from them would
read as if the plan passed them."""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

from planning.qa import WARNING, Context, Found, rule

_MISSING_SQL = """
SELECT b.geom IS NULL AND EXISTS (SELECT 1 FROM f WHERE kind <> 'boundary') FROM b
"""


@rule(
    "boundary.missing",
    _(
        "The plan has no boundary (no boundary layer in this revision, none on the project), "
        "so features outside it, gaps inside it and the land-use balance against its area "
        "could not be checked: add a “Plan boundary” layer."
    ),
)
def missing(context: Context):
    (absent,) = context.rows(_MISSING_SQL)[0]
    if absent:
        yield Found(WARNING, {})
