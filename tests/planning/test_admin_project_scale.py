"""The admin's project form reads the scale denominator as the project page does
(planning.scales): Django's integer field took the Vietnamese "2.000" for 2, a 1/2 plan.
Now digit grouping reads in both languages, and a denominator outside 1/100 – 1/1,000,000
or not a whole number is refused with the page's own message."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from planning import scales
from planning.models import AuditEvent, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_t(admin_user_t) -> Client:
    client = Client()
    client.force_login(admin_user_t)
    return client


def _post(client: Client, project: Project, scale: str, language: str):
    data = {"name": project.name, "level": project.level, "scale": scale}
    url = f"/admin/planning/project/{project.pk}/change/"
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)


def _scale_errors(response) -> list[str]:
    assert response.status_code == 200, response.status_code  # the form again, with errors
    form = response.context["adminform"].form
    return [str(error) for error in form.errors["scale"]]


@pytest.mark.parametrize(("language", "text"), [("vi", "2.000"), ("en", "2,000"), ("vi", "2 000")])
def test_grouped_digits_are_two_thousand(admin_client_t, plan_in_force, language, text):
    project = plan_in_force.project
    response = _post(admin_client_t, project, text, language)
    assert response.status_code == 302, _scale_errors(response)
    assert Project.objects.get(pk=project.pk).scale == 2000
    event = AuditEvent.objects.filter(action="project.update", project=project).get()
    assert event.detail["fields"] == ["scale"]
    # The stored 2000 against the same text posted again: no change, nothing audited.
    assert _post(admin_client_t, project, text, language).status_code == 302
    assert AuditEvent.objects.filter(action="project.update", project=project).count() == 1


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_implausible_scale_is_refused_with_the_pages_message(
    admin_client_t, plan_in_force, language
):
    project = plan_in_force.project
    before = project.scale
    errors = _scale_errors(_post(admin_client_t, project, "2", language))
    with translation.override(language):
        assert errors == [scales.bounds_message()]
    assert Project.objects.get(pk=project.pk).scale == before


def test_a_decimal_is_refused_with_the_pages_message(admin_client_t, plan_in_force):
    errors = _scale_errors(_post(admin_client_t, plan_in_force.project, "2,5", "vi"))
    with translation.override("vi"):
        assert errors == [scales.malformed_message()]
    assert "2.000" in errors[0]  # the example as a Vietnamese reader writes it
