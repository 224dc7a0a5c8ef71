"""The CAD import page through Django's test client: who may open it, what its script is
given (URLs, kinds, labels) and that it speaks English and Vietnamese. The API it calls is
tested in tests/cad; the whole walk in a browser in test_cad_browser.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from importers.cad.convert import check_mapping
from planning.actions import SubmitRevision
from planning.layer_kinds import KINDS
from planning.models import Revision

CONFIG_RE = re.compile(r'<script id="cad-config" type="application/json">(.*?)</script>', re.S)

pytestmark = pytest.mark.django_db


def client_for(user=None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def cad_url(revision: Revision) -> str:
    return f"/revisions/{revision.pk}/cad/"


def config_of(html: str) -> dict:
    match = CONFIG_RE.search(html)
    assert match, "the CAD page must carry its configuration as json_script"
    return json.loads(match.group(1))


def test_planner_gets_the_page_with_its_configuration(planner, draft_plan):
    response = client_for(planner).get(cad_url(draft_plan))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="cad-file"' in html
    assert 'type="file"' in html
    assert "webmap/dist/cad.js" in html
    assert "webmap/dist/cad.css" in html
    config = config_of(html)
    assert config["revision"] == {"id": draft_plan.pk, "number": draft_plan.number}
    assert config["urls"]["jobs"] == f"/api/revisions/{draft_plan.pk}/cad/jobs/"
    assert config["urls"]["inspect"] == "/api/cad/inspect/"
    assert config["urls"]["job"] == "/api/jobs/{id}/"
    assert config["urls"]["map"] == f"/map/?revision={draft_plan.pk}"
    codes = [kind["code"] for kind in config["kinds"]]
    assert sorted(codes) == sorted([*KINDS, "buildlines", "ignore"])
    assert codes[-1] == "ignore"
    assert config["extent"]
    assert len(config["extent"]) == 4


def test_the_selector_docs_and_converter_agree_on_the_kinds(planner, draft_plan):
    """The page's selector, the converter's check and docs/cad.md name the same kinds
    (the docs once listed a `buildlines` kind that neither offered nor accepted)."""
    offered = [
        kind["code"]
        for kind in config_of(client_for(planner).get(cad_url(draft_plan)).content.decode())[
            "kinds"
        ]
    ]
    for code in offered:
        assert check_mapping({"LAYER": code, "OTHER": "landuse"})["LAYER"] == code
    docs = (Path(__file__).parents[2] / "docs" / "cad.md").read_text()
    step = docs.split("2. **Map** layers to planning kinds", 1)[1].split('`"*"`', 1)[0]
    assert sorted(re.findall(r"`(\w+)`", step)) == sorted(offered)


@pytest.mark.parametrize("who", ["reviewer", "outsider"])
def test_draft_is_not_found_for_others(request, draft_plan, who):
    """Drafts are their planners' own: others do not learn that it exists."""
    user = request.getfixturevalue(who)
    assert client_for(user).get(cad_url(draft_plan)).status_code == 404


def test_submitted_revision_is_refused_even_to_its_planner(planner, draft_plan):
    SubmitRevision(user=planner, revision=draft_plan).execute()
    response = client_for(planner).get(cad_url(draft_plan))
    assert response.status_code == 409  # its planner hears the state (role before state)
    assert "cad-config" not in response.content.decode()


def test_anonymous_is_sent_to_sign_in(draft_plan):
    response = client_for().get(cad_url(draft_plan))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_only_get(planner, draft_plan):
    assert client_for(planner).post(cad_url(draft_plan)).status_code == 405


def test_unknown_revision_is_not_found(planner):
    assert client_for(planner).get("/revisions/999999/cad/").status_code == 404


def test_page_is_linked_from_project_upload_and_review_pages(planner, draft_plan):
    client = client_for(planner)
    link = f'href="{cad_url(draft_plan)}"'
    for url in (
        f"/projects/{draft_plan.project_id}/",
        f"/revisions/{draft_plan.pk}/upload/",
        f"/revisions/{draft_plan.pk}/review/",
    ):
        assert link in client.get(url).content.decode(), url


def test_link_is_not_offered_once_submitted(planner, draft_plan):
    SubmitRevision(user=planner, revision=draft_plan).execute()
    html = client_for(planner).get(f"/projects/{draft_plan.project_id}/").content.decode()
    assert cad_url(draft_plan) not in html


def test_english(planner, draft_plan):
    html = client_for(planner, "en").get(cad_url(draft_plan)).content.decode()
    assert '<html lang="en">' in html
    assert "Import a CAD drawing" in html
    labels = config_of(html)["labels"]
    assert labels["requestFailed"] == "The server could not be reached. Try again."
    assert labels["kinds"]["landuse"] == "Land-use lots and zones"
    assert labels["progress"] % {"progress": 40} == "40 %"


def test_vietnamese(planner, draft_plan):
    html = client_for(planner, "vi").get(cad_url(draft_plan)).content.decode()
    assert '<html lang="vi">' in html
    assert "Nhập bản vẽ CAD" in html  # the page heading
    config = config_of(html)
    labels = config["labels"]
    assert labels["requestFailed"] == "Không kết nối được máy chủ. Hãy thử lại."
    assert labels["kinds"]["roads"] == "Giao thông"
    assert {"code": "landuse", "label": "Lô đất và khu chức năng sử dụng đất"} in config["kinds"]
    assert labels["layer"] == "Lớp CAD"
    assert "Hủy" in html  # the Cancel button
