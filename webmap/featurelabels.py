"""Readable, translated names of the planning attributes and layer kinds, for the pages that
show a feature's attributes (the review map's feature info; the public map's may use them too).

The attribute labels live beside the layer kinds (planning.attribute_labels), since QA findings
name attributes with them too; a schema attribute without a label falls back to the schema's
own description.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from planning.attribute_labels import attribute_labels
from planning.layer_kinds import KINDS

__all__ = ["attribute_labels", "kind_labels", "numeric_attributes", "value_labels"]


def kind_labels() -> dict[str, str]:
    """Layer kind code → its name in the request's language."""
    return {code: str(kind.label) for code, kind in KINDS.items()}


def numeric_attributes() -> list[str]:
    """The schema attributes holding numbers (shown in the page's number format)."""
    return sorted(
        {
            spec.name
            for kind in KINDS.values()
            for spec in (*kind.required, *kind.optional)
            if spec.type in ("number", "integer")
        }
    )


def value_labels() -> dict[str, dict[str, str]]:
    """Stored values the product itself writes, as readers say them (attribute → value →
    label): a red-line feature's `type` is stored in English, as services publish it."""
    return {"type": {"red line": _("red line"), "building line": _("building line")}}
