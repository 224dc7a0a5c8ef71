"""Numbers as the reader's language writes them: "84.640,0" in Vietnamese, "84,640.0" in
English. Grouped by thousands always: areas in m² run to millions, and Django's Vietnamese
format leaves grouping off (USE_THOUSAND_SEPARATOR is not set)."""

from __future__ import annotations

from django.utils import formats, numberformat


def localized(value: float, decimals: int | None = 2) -> str:
    """`value` with the active language's separators; `decimals` None keeps its digits."""
    return numberformat.format(
        value,
        formats.get_format("DECIMAL_SEPARATOR"),
        decimals,
        grouping=3,
        thousand_sep=formats.get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )
