"""The land-use balance: lots and roads must add up to the plan area."""

from __future__ import annotations

from django.utils.translation import gettext
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


def _category_shown(params: dict) -> dict:
    """Lots without a category are the balance table's "Uncategorised" row (code "")."""
    return {**params, "code": params.get("code") or gettext("Uncategorised")}


@rule(
    "balance.declared",
    _(
        "Declared area of %(code)s is %(declared).1f m² but the lots add up to %(computed).1f m² "
        "(%(difference)+.2f %%)."
    ),
    display=_category_shown,
)
def declared(context: Context):
    table = context.revision.declared_balance or {}
    if not table:
        return
    computed = {row.code: row.area for row in balance_of(context.revision).rows}
    for code in sorted(set(table) | set(computed)):
        wanted = float(table.get(code, 0.0))
        actual = computed.get(code, 0.0)
        base = wanted or actual or 1.0
        difference = (actual - wanted) / base * 100
        if abs(difference) > context.balance_tolerance_pct:
            yield Found(
                WARNING,
                {"code": code, "declared": wanted, "computed": actual, "difference": difference},
            )
