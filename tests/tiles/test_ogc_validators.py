"""Conditional requests on the OGC KVP endpoints: anonymous answers carry validators of the
in-force generation and revalidate with 304; a new approval changes them; signed-in
callers' answers stay private and unvalidated."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

WFS = {
    "SERVICE": "WFS",
    "VERSION": "2.0.0",
    "REQUEST": "GetFeature",
    "TYPENAMES": "landuse",
    "OUTPUTFORMAT": "application/json",
}


def test_wfs_and_wms_capabilities_revalidate(client, plan_in_force, planner):
    first = client.get("/wfs", WFS)
    assert first.status_code == 200
    etag = first["ETag"]
    assert first["Cache-Control"].startswith("public")
    again = client.get("/wfs", WFS, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    other_query = client.get("/wfs", {**WFS, "COUNT": "1"}, HTTP_IF_NONE_MATCH=etag)
    assert other_query.status_code == 200  # another query, another tag
    caps = client.get("/wms", {"REQUEST": "GetCapabilities", "VERSION": "1.3.0"})
    assert caps.status_code == 200
    assert (
        client.get(
            "/wms",
            {"REQUEST": "GetCapabilities", "VERSION": "1.3.0"},
            HTTP_IF_NONE_MATCH=caps["ETag"],
        ).status_code
        == 304
    )
    token = Token.objects.create(user=planner)
    private = client.get(
        "/wfs", WFS, HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_IF_NONE_MATCH=etag
    )
    assert private.status_code == 200
    assert private["Cache-Control"] == "private, no-store"
    assert not private.has_header("ETag")


def test_errors_carry_no_validators(client, plan_in_force):
    response = client.get("/wfs", {**WFS, "TYPENAMES": "nope"})
    assert response.status_code == 400
    assert not response.has_header("ETag")
