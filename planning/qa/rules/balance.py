"""The land-use balance: lots and roads must add up to the plan area."""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

from planning.balance import balance_of
from planning.qa import WARNING, Context, Found, rule


@rule(
    "balance.total",
    _(
        "Lots and roads cover %(total).1f m² but the plan boundary is %(boundary).1f m² "
        "(%(difference)+.2f %%)."
    ),
)
def total(context: Context):
    balance = balance_of(context.revision)
    difference = balance.difference_pct
    if difference is not None and abs(difference) > context.balance_tolerance_pct:
        yield Found(
            WARNING,
            {
                "total": balance.total_area,
                "boundary": balance.boundary_area,
                "difference": difference,
            },
        )
