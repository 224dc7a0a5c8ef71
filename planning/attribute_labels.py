"""Readable, translated names of the planning attributes: the layer kinds' schema attributes
(planning.layer_kinds) and those the CAD import adds. The review map's feature info and the
QA findings ("lot A1 has no “Land-use function”") name attributes with these, not with the
stored keys."""

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
    "lot": _("Lot code"),  # a building's lot (the demo plan's, 3D massing tables)
    "block": _("Block"),  # the block (ô phố) a lot lies in
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


def _schema_specs() -> dict:
    return {spec.name: spec for kind in KINDS.values() for spec in (*kind.required, *kind.optional)}


def attribute_labels() -> dict[str, str]:
    """Attribute name → label in the active language, for every kind's schema and the
    attributes the CAD import adds (in that order: the feature info's)."""
    labels: dict[str, str] = {}
    for name, spec in _schema_specs().items():
        label = ATTRIBUTE_LABELS.get(name)
        labels[name] = str(label) if label else spec.label.capitalize()
    for name, label in (*ATTRIBUTE_LABELS.items(), *CAD_ATTRIBUTE_LABELS.items()):
        labels.setdefault(name, str(label))  # also `lot` and `block`, in no kind's schema
    return labels


def attribute_label(name: str) -> str:
    """One attribute's label in the active language; an attribute no schema knows as it is."""
    label = ATTRIBUTE_LABELS.get(name) or CAD_ATTRIBUTE_LABELS.get(name)
    if label:
        return str(label)
    spec = _schema_specs().get(name)
    return spec.label.capitalize() if spec else name
