"""The web pages through Django's test client, against the real PostGIS database."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from planning.models import Layer, Membership, Project, RevisionState

CONFIG_RE = re.compile(r'<script id="map-config" type="application/json">(.*?)</script>', re.S)

pytestmark = pytest.mark.django_db


def map_config(client: Client, url: str = "/map/") -> dict:
    response = client.get(url)
    assert response.status_code == 200
    match = CONFIG_RE.search(response.content.decode())
    assert match, "the map page must carry its configuration as json_script"
    return json.loads(match.group(1))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_root_redirects_to_map(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/map/"


def test_map_config_lists_in_force_layers_and_extent(client, plan_in_force):
    config = map_config(client)
    names = [layer["name"] for layer in config["tileLayers"]]
    assert names[0] == "plans"
    assert {
        "boundary",
        "landuse",
        "roads",
        "redlines",
        "infrastructure",
        "buildings",
        "annotation",
    } <= set(names)
    assert all(layer["title"] for layer in config["tileLayers"])
    assert config["urls"]["tiles"] == "/tiles/{layer}/{z}/{x}/{y}.png"
    west, south, east, north = config["extent"]
    assert 107.5 < west < east < 107.7  # the lots lie in Hue
    assert 16.3 < south < north < 16.6
    assert config["revisions"] == []


def test_map_without_plans_in_force_falls_back_to_hue(client):
    config = map_config(client)
    assert config["extent"] is None
    assert config["fallbackCenter"][0] == pytest.approx(107.58, abs=0.1)


def test_map_lists_drafts_only_to_those_who_may_see_them(client, draft_plan, planner, outsider):
    assert map_config(client)["revisions"] == []
    assert map_config(signed_in(outsider))["revisions"] == []
    revisions = map_config(signed_in(planner), f"/map/?revision={draft_plan.pk}")["revisions"]
    assert [r["id"] for r in revisions] == [draft_plan.pk]
    assert revisions[0]["visible"] is True
    assert revisions[0]["state"] == "draft"
    assert [layer["name"] for layer in revisions[0]["layers"]] == ["Lots"]


def test_map_opened_on_a_draft_centres_on_it(draft_plan, planner, outsider):
    url = f"/map/?revision={draft_plan.pk}"
    west, south, east, north = map_config(signed_in(planner), url)["extent"]
    assert east - west < 0.01  # the 100 m draft lot, not all of Hue
    assert north - south < 0.01
    assert map_config(signed_in(outsider), url)["extent"] is None  # nothing leaks


def test_project_create_requires_login(client):
    response = client.get(reverse("webmap:project-create"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/projects/new/")


def test_project_create_without_permission_is_forbidden(outsider):
    response = signed_in(outsider).get(reverse("webmap:project-create"))
    assert response.status_code == 403


def test_new_project_form_defaults_agree(planner):
    """The form starts as a 1/500 detailed plan, not a general plan at 1/500."""
    page = signed_in(planner).get(reverse("webmap:project-create")).text
    assert re.search(r'<option value="detailed"[^>]*selected', page)
    assert re.search(r'name="scale" value="500"', page)


def project_data(code: str = "hue-an-van-duong") -> dict:
    return {
        "code": code,
        "name": "Khu đô thị mới An Vân Dương",
        "level": "detailed",
        "scale": "500",
        "admin_area": "Thành phố Huế",
        "agency": "Sở Xây dựng",
    }


def test_project_create_makes_project_and_first_draft(planner):
    response = signed_in(planner).post(reverse("webmap:project-create"), project_data())
    project = Project.objects.get(code="hue-an-van-duong")
    assert response.status_code == 302
    assert response["Location"] == reverse("webmap:project-detail", args=[project.pk])
    assert project.name == "Khu đô thị mới An Vân Dương"
    assert list(project.revisions.values_list("number", "state")) == [(1, RevisionState.DRAFT)]
    assert Membership.objects.filter(project=project, user=planner, role="planner").exists()


def test_project_create_duplicate_code_shows_conflict(planner, plan_in_force):
    response = signed_in(planner).post(reverse("webmap:project-create"), project_data("inforce"))
    assert response.status_code == 409
    assert "Đã có đồ án với mã" in response.content.decode()  # Vietnamese by default


def test_project_create_invalid_form_is_400(planner):
    response = signed_in(planner).post(reverse("webmap:project-create"), {"code": "bad code"})
    assert response.status_code == 400
    assert not Project.objects.exists()


def test_project_detail_shows_revisions_and_upload_link(planner, draft_plan):
    url = reverse("webmap:project-detail", args=[draft_plan.project_id])
    page = signed_in(planner).get(url).content.decode()
    assert "Lots" in page
    assert reverse("webmap:revision-upload", args=[draft_plan.pk]) in page


def test_a_citizen_reaches_the_approval_dossier_from_the_project_page(client, plan_in_force):
    """The dossier of an approved plan is public, but only the review page linked it,
    which a citizen cannot open (QA walk)."""
    url = reverse("webmap:project-detail", args=[plan_in_force.project_id])
    page = client.get(url).content.decode()
    dossier = reverse("revision-dossier", args=[plan_in_force.pk])
    assert f'href="{dossier}"' in page
    assert client.get(dossier).status_code == 200


def test_project_detail_of_draft_hidden_from_public(client, draft_plan):
    url = reverse("webmap:project-detail", args=[draft_plan.project_id])
    assert client.get(url).status_code == 404


def test_upload_requires_login(client, draft_plan):
    response = client.get(reverse("webmap:revision-upload", args=[draft_plan.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def upload(client: Client, revision, name: str, content: bytes, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "file": SimpleUploadedFile(name, content),
        "kind": "landuse",
        "name": "Lô đất",
        **fields,
    }
    return client.post(reverse("webmap:revision-upload", args=[revision.pk]), data)


def test_upload_rejects_corrupt_zip_with_clear_message(planner, draft_plan):
    response = upload(signed_in(planner), draft_plan, "lots.zip", b"PK\x03\x04 this is not a zip")
    assert 400 <= response.status_code < 500
    assert "không phải là tệp nén zip hợp lệ" in response.content.decode()  # Vietnamese page
    assert not Layer.objects.filter(revision=draft_plan, name="Lô đất").exists()


def test_upload_geojson_loads_layer_and_shows_report(planner, draft_plan):
    lot = {
        "type": "Feature",
        "properties": {"code": "C1", "function": "DO"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [
                    [107.58, 16.46],
                    [107.581, 16.46],
                    [107.581, 16.461],
                    [107.58, 16.461],
                    [107.58, 16.46],
                ]
            ],
        },
    }
    body = json.dumps({"type": "FeatureCollection", "features": [lot]}).encode()
    response = upload(signed_in(planner), draft_plan, "lô đất.geojson", body, crs="EPSG:4326")
    assert response.status_code == 200, response.content.decode()[:2000]
    layer = Layer.objects.get(revision=draft_plan, name="Lô đất")
    assert layer.feature_count == 1
    assert "Lô đất" in response.content.decode()


def test_upload_into_an_approved_revision_is_refused_naming_its_state(planner, plan_in_force):
    response = signed_in(planner).get(reverse("webmap:revision-upload", args=[plan_in_force.pk]))
    assert response.status_code == 409  # its planner: role before state, as the upload API


def test_upload_form_rejects_bad_crs(planner, draft_plan):
    response = upload(signed_in(planner), draft_plan, "lots.geojson", b"{}", crs="WGS 84")
    assert response.status_code == 400
    assert "EPSG:" in response.content.decode()


def test_language_switch_to_english(client):
    vietnamese = client.get("/map/").content.decode()
    assert '<html lang="vi">' in vietnamese
    assert "Bản đồ" in vietnamese
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/map/"})
    assert response.status_code == 302
    english = client.get("/map/").content.decode()
    assert '<html lang="en">' in english
    assert "Feature information" in english
    assert "Bản đồ" not in english
    config = json.loads(CONFIG_RE.search(english).group(1))
    assert config["tileLayers"][0]["title"] == "All plans in force"


def test_login_page_renders(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


@pytest.mark.parametrize("value", ["²", "9" * 5000, "-1", "1e3"])
def test_map_ignores_malformed_revision_ids(client, value):
    assert client.get("/map/", {"revision": value}).status_code == 200


def test_pages_and_ogc_documents_have_an_icon(client):
    """No page answers its browser's icon request with a 404 (a console error per page)."""
    from xml.etree import ElementTree

    from django.contrib.staticfiles import finders

    icon = "/static/webmap/favicon.svg"
    assert f'rel="icon" type="image/svg+xml" href="{icon}"' in client.get("/map/").text
    assert f'href="{icon}"' in client.get("/ogcapi/?f=html").text
    redirect = client.get("/favicon.ico")  # pages without a link: API and JSON documents
    assert redirect.status_code == 302
    assert redirect["Location"] == icon
    found = finders.find("webmap/favicon.svg")
    assert found
    assert ElementTree.parse(found).getroot().tag.endswith("svg")


def test_project_list_shows_the_board_what_awaits_review_and_nobody_else(
    client, plan_in_force, planner, reviewer, outsider
):
    """A change submitted on top of a plan in force: its project's row links the review
    page for those who may see the revision; the public sees the project in force only."""
    from planning.actions import CreateRevision, SubmitRevision

    change = CreateRevision(
        user=planner, project=plan_in_force.project, based_on=plan_in_force
    ).execute()
    Layer.objects.create(revision=change, kind="landuse", name="Lots", created_by=planner)
    SubmitRevision(user=planner, revision=change).execute()
    review_url = reverse("webmap:revision-review", args=[change.pk])
    board = signed_in(reviewer).get("/projects/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{review_url}"' in board
    assert "Awaiting review" in board
    vietnamese = signed_in(reviewer).get("/projects/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Chờ thẩm định" in vietnamese
    for viewer in (client, signed_in(outsider)):
        page = viewer.get("/projects/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert plan_in_force.project.code in page
        assert review_url not in page
        assert "Awaiting review" not in page
