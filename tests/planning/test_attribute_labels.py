"""Every attribute the demo plan carries has a readable, translated name in the feature info
(a bare key such as "lot" used to show on the map)."""

from __future__ import annotations

import pytest
from django.utils import translation

from importers.demo import generate
from planning.attribute_labels import attribute_label


def _demo_attribute_names() -> set[str]:
    layers = generate()
    tables = (layers.lots, layers.roads, layers.redlines, layers.buildings)
    return {name for table in tables for _, attributes in table for name in attributes}


@pytest.mark.parametrize("language", ["en", "vi"])
def test_every_demo_attribute_has_a_label(language):
    names = _demo_attribute_names()
    assert "lot" in names
    with translation.override(language):
        raw = sorted(name for name in names if attribute_label(name) == name)
    assert raw == []


def test_a_buildings_lot_reads_as_a_lot_code():
    with translation.override("vi"):
        assert attribute_label("lot") == attribute_label("code")


def test_the_labels_are_vietnamese_on_vietnamese_pages():
    names = _demo_attribute_names()
    with translation.override("en"):
        english = {name: attribute_label(name) for name in names}
    with translation.override("vi"):
        same = sorted(name for name in names if attribute_label(name) == english[name])
    assert same == []


def test_the_labels_of_attributes_outside_every_schema_are_given_too():
    """A building's `lot` and a lot's `block` (no kind's schema has them): the feature
    card showed them raw ("lot B3-01") in Vietnamese (QA walk)."""
    from django.utils import translation

    from planning.attribute_labels import attribute_labels

    with translation.override("vi"):
        labels = attribute_labels()
    assert labels["lot"] == "Ký hiệu lô"
    assert labels["block"] == "Ô phố"
