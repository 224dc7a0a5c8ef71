"""Template filters of the OGC API HTML pages."""

from __future__ import annotations

import math

from django import template

from planning.layer_kinds import KINDS
from planning.numbers import localized
from tiles.feature_types import Property

register = template.Library()


@register.filter
def pairs(mapping: dict) -> list[tuple]:
    """The (key, value) pairs of a dict of published properties: `mapping.items` in a
    template would read a property named `items` (or `keys`, `values`) instead."""
    return list(mapping.items())


@register.filter
def number(value: object) -> object:
    """A count or a numeric value as the page's language writes it, digits grouped ("84.640,5"
    in Vietnamese, "84,640.5" in English: Django groups only with USE_THOUSAND_SEPARATOR,
    which is off); its digits are kept. Anything else (text, true/false) is left as it is.
    Ids are not numbers to read: pages show them without this filter."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return value
    return localized(value, decimals=None)


def shown(value: object, published: Property | None) -> object:
    """A property's value on the HTML pages, by its published type: numbers as the page's
    language writes them (`number`), but a whole number of a property that is no quantity
    of the kind's schema (a year "2026", a code stored as a number) as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if published is None or published.type not in ("number", "integer"):
        return value
    whole = isinstance(value, int) or value.is_integer()
    if whole and published.key not in _QUANTITIES:
        return int(value)
    return number(value)


# Schema attributes that are quantities: their whole numbers are grouped too ("10.000" m²).
_QUANTITIES = frozenset(
    spec.name
    for kind in KINDS.values()
    for spec in (*kind.required, *kind.optional)
    if spec.type in ("number", "integer")
)
