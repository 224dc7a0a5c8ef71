"""Template filters of the OGC API HTML pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pairs(mapping: dict) -> list[tuple]:
    """The (key, value) pairs of a dict of published properties: `mapping.items` in a
    template would read a property named `items` (or `keys`, `values`) instead."""
    return list(mapping.items())
