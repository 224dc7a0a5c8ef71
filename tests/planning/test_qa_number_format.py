"""QA messages write numbers as the reader's language does ("82,6 %" and "2.116,0 m²" in
Vietnamese, "82.6 %" and "2,116.0 m²" in English) on every path that shows them: the API
(and so the review page), the dossier PDF; the stored params stay plain numbers. And the
demo plan in force passes its own checks."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import translation
from playwright.sync_api import Browser, expect
from rest_framework.test import APIClient

from importers.demo import DEMO_ACCOUNTS, load_demo
from planning import qa
from planning.models import Feature, QAFinding, Revision
from tests.dossier.conftest import client_for, dossier_url, pdf_text, squeeze
from tests.webmap.conftest import browser as browser  # fixture

pytestmark = pytest.mark.django_db

DENSITY_EN = "Buildings cover 82.6 % of lot A1-01; its building density allows 80.0 %."
DENSITY_VI = ("82,6 %", "80,0 %")
GAP_EN, GAP_VI = "2,116.0 m²", "2.116,0 m²"  # the DO lot A1-08: 34.5 x 61.3 m


def demo_revision() -> Revision:
    project = load_demo()
    assert project is not None
    return Revision.objects.get(project=project)


def overbuilt(revision: Revision) -> Revision:
    """The demo with two planted faults: the building of lot A1-01 widened to 2 m from the
    lot's edges (82.6 % against its MĐXD of 80 %), and lot A1-08 removed (a gap)."""
    lots = Feature.objects.filter(layer__revision=revision, layer__kind="landuse")
    lot = lots.get(attributes__code="A1-01")
    building = Feature.objects.get(
        layer__revision=revision, layer__kind="buildings", attributes__lot="A1-01"
    )
    building.geom = lot.geom.buffer_with_style(-2, join_style=2)  # mitre: a rectangle
    building.save()
    lots.filter(attributes__code="A1-08").delete()
    qa.run(revision)
    return revision


@pytest.fixture
def dense(catalogue) -> Revision:
    return overbuilt(demo_revision())


def demo_user(role: str) -> User:
    return User.objects.get(username=role)


def api_messages(revision: Revision, language: str) -> dict[str, list[str]]:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(demo_user("reviewer"))
    response = client.get(f"/api/revisions/{revision.pk}/qa/")
    assert response.status_code == 200
    messages: dict[str, list[str]] = {}
    for feature in response.json()["features"]:
        properties = feature["properties"]
        messages.setdefault(properties["rule"], []).append(properties["message"])
    return messages


def test_the_demo_plan_in_force_passes_its_checks(catalogue):
    revision = demo_revision()
    assert qa.status_of(revision) == qa.CURRENT
    assert list(revision.findings.values_list("rule", flat=True)) == []
    result = qa.run(revision)  # and again, as a board member's "run again" would
    assert (result.errors, result.warnings) == (0, 0)


def test_messages_use_the_languages_separators_and_keep_the_params(dense):
    density = dense.findings.get(rule="envelope.density")
    with translation.override("en"):
        assert qa.message_of(density) == DENSITY_EN
    with translation.override("vi"):
        shown = qa.message_of(density)
    assert all(number in shown for number in DENSITY_VI), shown
    assert "82.6" not in shown
    assert "80.0" not in shown
    stored = QAFinding.objects.get(pk=density.pk).params
    assert stored["density"] == pytest.approx(82.64, abs=0.01)
    assert isinstance(stored["density"], float)
    assert stored["max"] == 80.0


@pytest.mark.parametrize(
    ("language", "density", "gap"),
    [("en", ("82.6 %", "80.0 %"), GAP_EN), ("vi", DENSITY_VI, GAP_VI)],
)
def test_the_api_gives_messages_in_the_callers_format(dense, language, density, gap):
    messages = api_messages(dense, language)
    [density_message] = messages["envelope.density"]
    assert all(number in density_message for number in density), density_message
    [gap_message] = messages["topology.gap"]
    assert gap in gap_message, gap_message


def test_the_dossier_prints_the_messages_in_its_language(dense):
    def text(language: str) -> str:
        response = client_for(demo_user("reviewer")).get(
            dossier_url(dense), HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 200
        return pdf_text(response.content)

    vietnamese, english = text("vi"), text("en")
    assert GAP_VI in vietnamese
    assert GAP_EN not in vietnamese
    assert all(number in vietnamese for number in DENSITY_VI)
    assert squeeze(DENSITY_EN) in english
    assert GAP_EN in english


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_review_page_shows_vietnamese_numbers(browser: Browser, live_server, catalogue):
    from tests.webmap.test_review_browser import WAIT, sign_in

    revision = overbuilt(demo_revision())
    path = f"/revisions/{revision.pk}/review/"
    password = DEMO_ACCOUNTS["reviewer"][0]
    page = sign_in(browser, live_server, "reviewer", password, path, locale="vi-VN")
    page.wait_for_selector("body[data-review-ready='true']", timeout=WAIT)
    findings = page.locator("#qa-findings .finding-message")
    density = findings.filter(has_text="82,6 %")
    expect(density).to_have_count(1, timeout=WAIT)
    expect(density).to_contain_text("lô A1-01")
    expect(density).to_contain_text("80,0 %")
    expect(findings.filter(has_text=GAP_VI)).to_have_count(1)
    assert not page.js_errors
    page.context.close()
