"""A text encoding forced on a DBF it does not fit is refused, not loaded as U+FFFD."""

from __future__ import annotations

import pytest
from django.utils import translation

from planning.errors import InvalidInput
from planning.models import Layer
from tests.importers.test_legacy_text import TCVN3, legacy_shapefile, names, run

pytestmark = pytest.mark.django_db


def test_utf8_forced_on_a_tcvn3_dbf_is_refused_with_a_count(planner, draft_plan, tmp_path):
    archive = legacy_shapefile(tmp_path, [text.encode("latin-1") for text in TCVN3] + [b"A2"])
    layers_before = Layer.objects.filter(revision=draft_plan).count()
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        run(planner, draft_plan, archive, text_encoding="utf-8")
    message = str(refused.value)
    assert "Read as UTF-8, 3 text values of the file would lose letters" in message
    assert "\ufffd" not in message
    assert Layer.objects.filter(revision=draft_plan).count() == layers_before


def test_utf8_forced_on_a_utf8_dbf_loads(planner, draft_plan, tmp_path):
    archive = legacy_shapefile(tmp_path, ["Đất ở mới".encode(), b"A2-19"])
    result = run(planner, draft_plan, archive, text_encoding="utf-8")
    assert names(result) == ["Đất ở mới", "A2-19"]
