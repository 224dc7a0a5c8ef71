"""Zoning envelopes from lot rules, and the QA rule that checks buildings against them."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString, Polygon

from planning import qa
from planning.models import Feature, QAFinding
from tests.conftest import run_twice_overlapping
from threed.envelopes import build_envelopes
from threed.models import Envelope
from threed.testing import HUE_X, HUE_Y, LOT, add_layer, make_3d_plan

pytestmark = pytest.mark.django_db
COLUMNS, ROWS = 3, 2


def _ring(x0, y0, x1, y1) -> LineString:
    return LineString([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])


@pytest.fixture
def draft(planner, reviewer):
    """6 lots of 40 m (max 19.5 m / 5 storeys, density 60 %) in one block whose red line
    is its outline and whose building line runs 3 m inside; buildings set back 6 m."""
    revision = make_3d_plan(planner, reviewer, columns=COLUMNS, rows=ROWS, approve=False)
    x1, y1 = HUE_X + COLUMNS * LOT, HUE_Y + ROWS * LOT
    add_layer(
        revision,
        planner,
        "redlines",
        "Chỉ giới",
        [
            (_ring(HUE_X, HUE_Y, x1, y1), {"type": "red line"}),
            (_ring(HUE_X + 3, HUE_Y + 3, x1 - 3, y1 - 3), {"type": "building line"}),
        ],
    )
    return revision


def _building(revision, code: str) -> Feature:
    return Feature.objects.get(layer__revision=revision, attributes__code=code)


def _findings(revision, rule: str) -> list[QAFinding]:
    qa.run(revision)
    return list(QAFinding.objects.filter(revision=revision, rule=rule))


def test_envelopes_follow_the_lot_rules(draft):
    assert build_envelopes(draft) == COLUMNS * ROWS
    corner = Envelope.objects.get(revision=draft, code="L000-000")
    assert corner.height_max == pytest.approx(19.5)
    assert corner.setback == pytest.approx(3.0)
    # The corner lot loses a 3 m strip along its two outer sides: 37 x 37 m.
    assert corner.footprint.area == pytest.approx(37 * 37, rel=1e-3)
    middle = Envelope.objects.get(revision=draft, code="L000-001")
    assert middle.footprint.area == pytest.approx(40 * 37, rel=1e-3)
    assert build_envelopes(draft) == COLUMNS * ROWS  # rebuilt, not doubled
    assert Envelope.objects.filter(revision=draft).count() == COLUMNS * ROWS


def test_clean_plan_has_no_envelope_findings(draft):
    qa.run(draft)
    assert not QAFinding.objects.filter(revision=draft, rule__startswith="envelope.").exists()


def test_planted_height_violation(draft):
    tall = _building(draft, "B-L001-002")
    tall.attributes = {**tall.attributes, "storeys": 7}
    tall.save()
    [finding] = _findings(draft, "envelope.height")
    assert finding.feature_id == tall.pk
    assert finding.severity == "error"
    assert finding.params["lot"] == "L001-002"
    assert finding.params["height"] == pytest.approx(25.2)
    assert finding.geom.intersects(tall.geom)


def test_planted_setback_and_density_violation(draft):
    big = _building(draft, "B-L000-000")
    big.geom = Polygon.from_bbox((HUE_X + 1, HUE_Y + 1, HUE_X + 39, HUE_Y + 39))
    big.save()
    [setback] = _findings(draft, "envelope.setback")
    assert setback.feature_id == big.pk
    # 38 x 38 m minus the 36 x 36 m inside the building line.
    assert setback.params["area"] == pytest.approx(38 * 38 - 36 * 36, rel=1e-3)
    [density] = QAFinding.objects.filter(revision=draft, rule="envelope.density")
    assert density.params["lot"] == "L000-000"
    assert density.params["density"] == pytest.approx(38 * 38 / 1600 * 100, rel=1e-3)
    assert qa.message_of(density).startswith("Buildings cover 90.2 % of lot L000-000")


def test_envelope_endpoint(client, draft, planner, outsider):
    from tests.threed.conftest import token_header

    url = f"/api/revisions/{draft.pk}/envelopes/"
    assert client.post(url, **token_header(outsider)).status_code == 404
    assert client.get(url).status_code == 404  # a draft is private
    built = client.post(url, **token_header(planner))
    assert built.status_code == 200
    envelopes = built.json()["envelopes"]
    assert len(envelopes) == COLUMNS * ROWS
    assert all(e["setback"] == pytest.approx(3.0) for e in envelopes)
    listed = client.get(url, **token_header(planner)).json()["envelopes"]
    assert len(listed) == COLUMNS * ROWS


def test_envelopes_as_3d_tiles(client, draft, planner):
    import json

    from tests.threed.conftest import token_header

    url = f"/3dtiles/revisions/{draft.pk}/envelopes/tileset.json"
    assert client.get(url).status_code == 404  # a private draft
    response = client.get(url, **token_header(planner))  # envelopes built on first use
    assert response.status_code == 200
    [child] = json.loads(response.content)["root"]["children"]
    assert child["content"]["uri"].startswith("k-")
    content = client.get(
        f"/3dtiles/revisions/{draft.pk}/envelopes/{child['content']['uri']}",
        **token_header(planner),
    )
    data = b"".join(content.streaming_content)
    ft_length, _ft_bin, bt_length = (
        int.from_bytes(data[i : i + 4], "little") for i in (12, 16, 20)
    )
    feature_table = json.loads(data[28 : 28 + ft_length])
    batch = json.loads(data[28 + ft_length : 28 + ft_length + bt_length])
    assert feature_table["BATCH_LENGTH"] == COLUMNS * ROWS
    assert set(batch["kind"]) == {"envelope"}
    assert batch["height"] == [pytest.approx(19.5)] * (COLUMNS * ROWS)
    assert sorted(batch["code"])[0] == "L000-000"


@pytest.mark.django_db(transaction=True)
def test_concurrent_rebuilds_do_not_double_the_envelopes(draft):
    """Two tileset requests may find the same revision without envelopes and build them
    at once: the second build waits for the first and replaces its rows."""
    run_twice_overlapping(lambda: build_envelopes(draft))
    assert Envelope.objects.filter(revision=draft).count() == COLUMNS * ROWS
