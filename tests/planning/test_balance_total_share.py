"""The balance's total share comes from the unrounded areas: three categories of a third of
the boundary each show 33.33 % but 100.00 % together (the dossier printed the sum of the
rounded shares, 99.99 %, QA walk)."""

from __future__ import annotations

import csv
import io
import math

import pytest
from rest_framework.test import APIClient

from planning.balance import balance_of
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.dossier.conftest import client_for, dossier_url, pdf_text

pytestmark = pytest.mark.django_db
SIDE = math.sqrt(3_000_000)  # a third of the plans' 9 km² boundary (tests.conftest)


@pytest.fixture
def thirds(planner, reviewer):
    lots = [(square(HUE_X + i * 1800, HUE_Y, SIDE), {"code": f"T{i}", "function": function})
            for i, function in enumerate(["DO", "CX", "GD"])]  # fmt: skip
    return make_plan(planner, reviewer, "thirds", lots, approve=False)


def test_the_total_share_is_not_the_sum_of_rounded_shares(thirds, planner):
    table = balance_of(thirds)
    assert table.boundary_area == pytest.approx(9_000_000.0)
    assert [row.share for row in table.rows] == [33.33, 33.33, 33.33]
    assert table.total_share == 100.0
    client = APIClient()
    client.force_authenticate(planner)
    assert client.get(f"/api/revisions/{thirds.pk}/balance/").json()["total_share"] == 100.0
    exported = client.get(
        f"/api/revisions/{thirds.pk}/balance/?download=csv", HTTP_ACCEPT_LANGUAGE="en"
    )
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert (rows[-1][0], float(rows[-1][3]), rows[-1][4]) == ("Total", 100.0, "3")
    response = client_for(planner).get(dossier_url(thirds), HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "9.000.000,00 100,00 3" in text
    assert "99,99" not in text
