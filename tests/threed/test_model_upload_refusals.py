"""A 3D model upload is refused as the GIS and raster uploads refuse theirs, and as the
revision edits (the envelopes' rebuild among them) do: role (403) before state (409), the
project's own planner hearing that the revision left the draft state."""

from __future__ import annotations

import json

import pytest

from tests.threed.conftest import token_header
from tests.threed.test_models3d import cityjson, upload
from threed.testing import make_3d_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(planner, reviewer):
    return make_3d_plan(planner, reviewer, "refused3d", columns=1, rows=1)


def test_the_planner_of_an_approved_revision_hears_its_state(client, approved, planner):
    response = upload(client, approved, planner, "c.json", json.dumps(cityjson()).encode())
    assert response.status_code == 409, response.content
    assert response.json()["detail"] == (
        f"Revision {approved.number} is Approved (in force); only drafts take new layers."
    )


def test_a_stranger_to_an_approved_revision_hears_the_role(client, approved, outsider):
    response = upload(client, approved, outsider, "c.json", json.dumps(cityjson()).encode())
    assert response.status_code == 403, response.content
    assert response.json()["detail"] == (
        "Only the project's planners may add layers to this revision."
    )


def test_envelopes_of_an_approved_revision_role_before_state(client, approved, planner, outsider):
    url = f"/api/revisions/{approved.pk}/envelopes/"
    stranger = client.post(url, **token_header(outsider))
    assert stranger.status_code == 403, stranger.content
    assert stranger.json()["detail"] == "Only the project's planners may change this revision."
    own = client.post(url, **token_header(planner))
    assert own.status_code == 409, own.content
    assert own.json()["detail"] == (
        "This cannot be done to a revision that is Approved (in force)."
    )
