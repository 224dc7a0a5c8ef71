"""QA findings on the CAD page's wording and the project page's "New revision" action, through
Django's test client (issue #3, QA4 finding 8 and the cosmetic ones). The browser walks are
in test_cad_layout_browser.py."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from planning.models import Membership, Revision
from tests.webmap.test_cad_views import cad_url, client_for, config_of

pytestmark = pytest.mark.django_db

MAP_CONFIG_RE = re.compile(r'<script id="map-config" type="application/json">(.*?)</script>', re.S)
BUTTON_RE = re.compile(r"<button[^>]*data-new-revision[^>]*>", re.S)


def new_revision_button(client: Client, revision: Revision) -> str | None:
    response = client.get(f"/projects/{revision.project_id}/")
    assert response.status_code == 200
    match = BUTTON_RE.search(response.content.decode())
    return match.group(0) if match else None


def test_a_gis_file_crs_source_is_worded(planner, draft_plan):
    """A GIS file's CRS comes from the file ("file"): worded like the drawing's sources."""
    labels = config_of(client_for(planner).get(cad_url(draft_plan)).content.decode())["labels"]
    assert labels["crsSources"]["file"] == "declared by the file"


def test_the_report_notes_heading_is_not_the_annotation_kind(planner, draft_plan):
    """In Vietnamese "Notes" was "Ghi chú", the annotation layer's name in the table above."""
    for language in ("vi", "en"):
        html = client_for(planner, language).get(cad_url(draft_plan)).content.decode()
        labels = config_of(html)["labels"]
        assert labels["notes"] != labels["kinds"]["annotation"], language


def test_cad_attributes_have_labels_in_the_feature_info(planner, draft_plan):
    """The map's feature info names what the CAD import adds, not cad_layer / cad_type."""
    html = client_for(planner).get(f"/map/?revision={draft_plan.pk}").content.decode()
    match = MAP_CONFIG_RE.search(html)
    assert match
    names = json.loads(match.group(1))["labels"]["attributes"]
    assert names["cad_layer"] == "CAD layer"
    assert names["cad_type"] == "CAD entity type"
    assert names["function_label"] == "Land-use function as written"
    assert list(names).index("code") < list(names).index("cad_layer")  # schema's first


def test_planners_get_a_new_revision_button_based_on_the_plan_in_force(planner, plan_in_force):
    button = new_revision_button(client_for(planner), plan_in_force)
    assert button, "the project's planner is offered no new revision"
    assert f'data-project="{plan_in_force.project_id}"' in button
    assert f'data-based-on="{plan_in_force.pk}"' in button
    assert 'data-next="/revisions/{id}/cad/"' in button


def test_a_project_without_a_plan_in_force_starts_an_empty_draft(planner, draft_plan):
    button = new_revision_button(client_for(planner), draft_plan)
    assert button
    assert 'data-based-on=""' in button


@pytest.mark.parametrize("who", ["reviewer", "outsider", "anonymous"])
def test_only_planners_and_staff_are_offered_a_new_revision(request, plan_in_force, who):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    assert new_revision_button(client_for(user), plan_in_force) is None


def test_staff_are_offered_a_new_revision(admin_user_t, plan_in_force):
    assert not Membership.objects.filter(user=admin_user_t).exists()
    assert new_revision_button(client_for(admin_user_t), plan_in_force)
