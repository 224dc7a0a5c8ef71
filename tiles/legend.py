"""Legends of the public layers, derived from the same style model as the renderer."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import get_language

from tiles import datasource, styles
from tiles.mapproxy_config import public_layer


def legend_document(layer_name: str, *, complete: bool = False) -> dict | None:
    """{layer, title, entries: [{label, colour, kind}]}; None for an unknown layer.

    By default the land-use part lists only the categories used by plans in force, so
    the legend matches what the map can show; `complete` lists the whole catalogue.
    """
    layer = public_layer(layer_name)
    if layer is None:
        return None
    model = styles.load_styles(get_language() or "vi")
    used = None if complete else datasource.used_categories()
    return {
        "layer": layer.name,
        "title": layer.title,
        "entries": styles.legend(model, layer.kinds, used),
    }


def legend_url(layer_name: str) -> str:
    """Path of the JSON legend of a public layer (for the web map)."""
    return reverse("tiles:legend", kwargs={"layer": layer_name})
