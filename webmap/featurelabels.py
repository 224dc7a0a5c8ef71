"""Readable, translated names of the planning attributes and layer kinds, for the pages that
show a feature's attributes (the review map's feature info; the public map's may use them too).

The attribute names are those of the layer kinds' schemas (planning.layer_kinds); a schema
attribute missing from the table below falls back to the schema's own description.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from planning.layer_kinds import KINDS

ATTRIBUTE_LABELS = {
    "code": _("Lot code"),
    "function": _("Land-use function"),
    "area": _("Area (m²)"),
    "density": _("Building density (%)"),
    "far": _("Land-use coefficient (FAR)"),
    "storeys_min": _("Minimum storeys"),
    "storeys_max": _("Maximum storeys"),
    "height_max": _("Maximum height (m)"),
    "name": _("Name"),
    "width": _("Right of way (m)"),
    "section": _("Cross-section"),
    "type": _("Line type"),
    "network": _("Network"),
    "storeys": _("Storeys"),
    "height": _("Height (m)"),
    "use": _("Use"),
    "text": _("Text"),
}

# What the CAD import (importers.cad) adds to every feature besides the schema's attributes:
# without a label the feature info would show these keys raw.
CAD_ATTRIBUTE_LABELS = {
    "cad_layer": _("CAD layer"),
    "cad_type": _("CAD entity type"),
    "function_label": _("Land-use function as written"),
    "label_text": _("Label text not understood"),
}


def attribute_labels() -> dict[str, str]:
    """Attribute name → label in the request's language, for every kind's schema and the
    attributes the CAD import adds."""
    labels: dict[str, str] = {}
    for kind in KINDS.values():
        for spec in (*kind.required, *kind.optional):
            label = ATTRIBUTE_LABELS.get(spec.name)
            labels[spec.name] = str(label) if label else spec.label.capitalize()
    for name, label in CAD_ATTRIBUTE_LABELS.items():  # after the schema's: the page's order
        labels.setdefault(name, str(label))
    return labels


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
