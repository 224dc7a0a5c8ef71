"""Responses to signed-in or credentialed callers are never stored by a cache
(planning/middleware.py): the REST API and the pages that show a draft answer its planner
`Cache-Control: private, no-store` with `Vary: Authorization, Cookie`, by session, HTTP Basic
and token alike; anonymous callers' answers keep their public caching."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from planning.middleware import PRIVATE
from planning.models import Feature, Layer, Revision
from tests.rasters.conftest import SCAN_TRANSFORM, pattern, write_tiff

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def draft_raster(settings, tmp_path, client, draft_plan, planner) -> int:
    """A scan uploaded into the draft through the API (what the raster endpoints serve)."""
    settings.PLANNING_RASTER_DIR = tmp_path / "rasters"
    tif = write_tiff(
        tmp_path / "scan.tif", pattern(400, 300), transform=SCAN_TRANSFORM, crs="EPSG:9214"
    )
    client.force_login(planner)
    with tif.open("rb") as fh:
        response = client.post(
            f"/api/revisions/{draft_plan.pk}/rasters/", {"file": fh, "name": "scan"}
        )
    client.logout()
    assert response.status_code == 201, response.content
    return response.json()["id"]


def draft_urls(draft: Revision, raster_id: int) -> list[str]:
    """Every endpoint of the review found answering without Cache-Control (review S1)."""
    layer = Layer.objects.get(revision=draft)
    feature = Feature.objects.filter(layer=layer).first()
    assert feature is not None
    project, revision = draft.project_id, f"/api/revisions/{draft.pk}"
    return [
        f"/api/projects/{project}/",
        f"/api/projects/{project}/audit/",
        f"/api/projects/{project}/members/",
        "/api/revisions/",
        f"{revision}/",
        f"/api/layers/{layer.pk}/",
        f"/api/layers/{layer.pk}/features/",
        f"/api/features/?revision={draft.pk}",
        f"/api/features/{feature.pk}/",
        f"{revision}/qa/",
        f"{revision}/balance/",
        f"{revision}/changes/",
        f"{revision}/comments/",
        f"{revision}/rasters/",
        f"/api/rasters/{raster_id}/",
        f"/api/feature-info/?lon=107.58&lat=16.47&tolerance=500&revisions={draft.pk}",
        f"/revisions/{draft.pk}/review/",
        f"/revisions/{draft.pk}/upload/",
        f"/rasters/{raster_id}/georeference/",
        f"/projects/{project}/",
        "/map/",
    ]


def authorization(planner, mode: str) -> dict[str, str]:
    if mode == "basic":
        secret = base64.b64encode(b"planner_t:pw-planner-test").decode()
        return {"HTTP_AUTHORIZATION": f"Basic {secret}"}
    token = Token.objects.get_or_create(user=planner)[0]
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}


def not_private(client: Client, urls: list[str], **headers) -> list[str]:
    """The URLs whose successful answer a cache could store, with what they said."""
    found = []
    for url in urls:
        response = client.get(url, **EN, **headers)
        assert response.status_code == 200, (url, response.status_code)
        vary = {name.strip() for name in response.get("Vary", "").split(",")}
        if response.get("Cache-Control") != PRIVATE or not {"Authorization", "Cookie"} <= vary:
            found.append(f"{url}: {response.get('Cache-Control')!r}, Vary {vary}")
        if response.has_header("ETag") or response.has_header("Expires"):
            found.append(f"{url}: validators on a private answer")
    return found


def test_the_drafts_planner_gets_private_answers_by_session_basic_and_token(
    client, draft_plan, plan_in_force, planner, draft_raster
):
    urls = draft_urls(draft_plan, draft_raster)
    client.force_login(planner)
    assert not_private(client, urls) == []
    client.logout()
    for mode in ("basic", "token"):
        assert not_private(client, urls[:16], **authorization(planner, mode)) == [], mode


def test_refusals_and_errors_to_a_signed_in_caller_are_private_too(client, outsider, draft_plan):
    client.force_login(outsider)
    hidden = client.get(f"/api/revisions/{draft_plan.pk}/", **EN)
    assert hidden.status_code == 404
    assert hidden["Cache-Control"] == PRIVATE
    wrong = Client().get("/api/projects/", HTTP_AUTHORIZATION="Basic bm9ib2R5Om5vcGU=")
    assert wrong.status_code in (401, 403)
    assert wrong["Cache-Control"] == PRIVATE


def test_a_views_own_private_policy_is_kept(client, planner, draft_plan):
    """The OGC API's problem documents say `no-store` (no `private`): left as they are."""
    client.force_login(planner)
    response = client.get("/ogcapi/collections/nope/items", **EN)
    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"


def test_anonymous_answers_keep_their_headers(client, plan_in_force, draft_plan):
    project = client.get(f"/api/projects/{plan_in_force.project_id}/", **EN)
    assert project.status_code == 200
    assert not project.has_header("Cache-Control")
    assert "Authorization" not in project.get("Vary", "")
    dossier = client.get(f"/api/revisions/{plan_in_force.pk}/dossier.pdf", **EN)
    assert dossier["Cache-Control"].startswith("public, max-age=")
    caps = client.get("/wms", {"REQUEST": "GetCapabilities", "VERSION": "1.3.0"})
    assert caps["Cache-Control"].startswith("public")
    # A shared cache keeps it for anonymous callers only (QA walk: it did not vary).
    assert "Authorization" in {name.strip() for name in caps["Vary"].split(",")}
    assert "Authorization" in dossier["Vary"]
    again = client.get(
        "/wms",
        {"REQUEST": "GetCapabilities", "VERSION": "1.3.0"},
        HTTP_IF_NONE_MATCH=caps["ETag"],
    )
    assert again.status_code == 304
    assert again["Cache-Control"].startswith("public")


def test_a_public_answer_to_a_signed_in_caller_loses_its_public_policy(client, planner):
    """The legend image is the same for everyone, but the rule is one for all signed-in
    answers: no view can let a shared cache keep one by mistake."""
    anonymous = client.get("/wms", {"REQUEST": "GetLegendGraphic", "LAYER": "landuse"})
    assert anonymous.status_code == 200
    assert anonymous["Cache-Control"].startswith("public")
    client.force_login(planner)
    signed_in = client.get("/wms", {"REQUEST": "GetLegendGraphic", "LAYER": "landuse"})
    assert signed_in.status_code == 200
    assert signed_in["Cache-Control"] == PRIVATE
    assert not signed_in.has_header("ETag")
