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


CAPABILITIES = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetCapabilities"}


@pytest.mark.parametrize(
    ("path", "query"),
    [("/wfs", CAPABILITIES), ("/vtiles/plans.json", {})],
    ids=["wfs-capabilities", "tilejson"],
)
def test_each_language_has_its_own_validator(client, plan_in_force, path, query):
    """Titles follow Accept-Language: the Vietnamese copy's tag must not revalidate the
    English answer (a shared cache would serve the wrong language)."""
    vietnamese = client.get(path, query, HTTP_ACCEPT_LANGUAGE="vi")
    english = client.get(path, query, HTTP_ACCEPT_LANGUAGE="en")
    assert vietnamese.content != english.content
    assert vietnamese["ETag"] != english["ETag"]
    assert "Accept-Language" in english["Vary"]
    crossed = client.get(
        path, query, HTTP_ACCEPT_LANGUAGE="en", HTTP_IF_NONE_MATCH=vietnamese["ETag"]
    )
    assert crossed.status_code == 200
    assert crossed.content == english.content
    same = client.get(path, query, HTTP_ACCEPT_LANGUAGE="vi", HTTP_IF_NONE_MATCH=vietnamese["ETag"])
    assert same.status_code == 304


def test_tilejson_at_an_instant_has_its_own_validator(client, plan_in_force):
    """Its tile URL template carries the datetime: another instant, another document."""
    now = client.get("/vtiles/plans.json")
    then = client.get(
        "/vtiles/plans.json", {"datetime": "2030-01-01T00:00:00Z"}, HTTP_IF_NONE_MATCH=now["ETag"]
    )
    assert then.status_code == 200
    assert "datetime=" in then.json()["tiles"][0]
    assert then["ETag"] != now["ETag"]


def test_a_release_that_changes_the_output_changes_the_validator(
    client, plan_in_force, monkeypatch
):
    """A cache revalidating a GetFeature stored before the features carried `project`
    and `revision` was told it was current (review finding)."""
    from tiles import http_cache

    before = client.get("/wfs", WFS)["ETag"]
    monkeypatch.setattr(http_cache, "OUTPUT_VERSION", "older")
    assert client.get("/wfs", WFS, HTTP_IF_NONE_MATCH=before).status_code == 200
