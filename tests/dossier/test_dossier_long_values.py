"""Long lot codes in the QA report and the dossier (hostile-input QA walk): a code of
5,000,000 characters made the dossier fail after 74 s (ReportLab LayoutError: a QA table
cell a million points tall) and the QA list weigh 15 MB. Imports now stop values at
PLANNING_MAX_ATTRIBUTE_CHARS (10,000); a code that long, or one stored before, is cut with
an ellipsis in the findings and in the dossier's cells, and the dossier renders."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from planning import qa
from planning.models import QAFinding
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.dossier.conftest import client_for, dossier_url, pdf_text

pytestmark = pytest.mark.django_db
CODE = "Lô" + "x" * 9_998  # at the import limit


@pytest.fixture
def long_coded(planner, reviewer):
    """A draft whose lot has a code at the limit and no function: attributes.required
    names the lot by its code."""
    revision = make_plan(
        planner,
        reviewer,
        "longcode",
        [(square(HUE_X, HUE_Y + 600, 80), {"code": CODE})],
        approve=False,
    )
    qa.run(revision)
    return revision


def test_a_finding_keeps_and_shows_a_cut_code(planner, long_coded):
    finding = long_coded.findings.get(rule="attributes.required", params__attribute="function")
    assert finding.params["code"] == CODE[: qa.PARAM_CHARS - 1] + "…"
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    response = client.get(f"/api/revisions/{long_coded.pk}/qa/")
    assert response.status_code == 200
    assert len(response.content) < 5_000
    messages = [f["properties"]["message"] for f in response.json()["features"]]
    assert f"Lots: lot {CODE[: qa.PARAM_CHARS - 1]}… has no “Land-use function”." in messages


def test_the_dossier_renders_with_a_code_at_the_limit(planner, long_coded):
    started = time.monotonic()
    response = client_for(planner).get(dossier_url(long_coded), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content[:500]
    assert time.monotonic() - started < 30
    text = pdf_text(response.content).replace(" ", "")
    assert "Lôxxxx" in text
    assert "x…" in text
    assert CODE[:400] not in text


def test_a_finding_stored_before_the_cut_is_shown_cut(planner, long_coded):
    """What the QA walk left in its database: a finding holding the whole code."""
    huge = "y" * 1_000_000
    QAFinding.objects.create(
        revision=long_coded,
        rule="attributes.required",
        severity="error",
        params={"layer": "Lots", "code": huge, "code_source": "", "attribute": "function"},
    )
    finding = long_coded.findings.get(params__code=huge)
    assert len(qa.message_of(finding)) < 300
    response = client_for(planner).get(dossier_url(long_coded), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content[:500]
    assert "y" * 300 not in pdf_text(response.content).replace(" ", "")


def test_a_long_table_cell_is_cut_with_an_ellipsis():
    """Any cell: ReportLab cannot split a cell across pages."""
    from tiles.dossier import CELL_CHARS, cell

    paragraph = cell("z" * 100_000)
    assert paragraph.text == "z" * (CELL_CHARS - 1) + "…"
