"""The new-project form and the REST API in Vietnamese and English (QA walk M4, L1):
"2.000" typed as the scale denominator made a 1/2 project (Django's IntegerField read the
Vietnamese digit grouping as a decimal point), and a code with accents got Django's English
slug message. Now the denominator reads digit grouping in both languages, refuses anything
else and anything outside 1/100 – 1/1,000,000, and a bad code is answered with a good one.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from planning import scales
from planning.models import Project
from tests.webmap.test_views import project_data, signed_in
from webmap.forms import ProjectForm

pytestmark = pytest.mark.django_db

GROUPED = ["2.000", "2,000", "2 000", "2\u00a0000", "2\u202f000", " 2.000 "]
NOT_WHOLE = ["2.5", "2,5", "2.00", "2.0000", "20.00.000", "2.000,0", "1/500", "2.000 000", "x"]


def form_errors(data: dict, language: str) -> dict:
    with translation.override(language):
        form = ProjectForm(data)
        assert not form.is_valid()
        return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def cleaned_scale(text: str, language: str) -> int:
    with translation.override(language):
        form = ProjectForm(project_data() | {"scale": text})
        assert form.is_valid(), form.errors
        return form.cleaned_data["scale"]


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("text", GROUPED)
def test_digit_grouping_is_two_thousand_in_both_languages(text, language):
    assert cleaned_scale(text, language) == 2000


@pytest.mark.parametrize("language", ["vi", "en"])
def test_plain_and_grouped_denominators_of_real_plans(language):
    assert cleaned_scale("500", language) == 500
    assert cleaned_scale("100", language) == 100
    assert cleaned_scale("1.000.000", language) == 1_000_000
    assert cleaned_scale("1,000,000", language) == 1_000_000


@pytest.mark.parametrize(("language", "example"), [("vi", "2.000"), ("en", "2,000")])
@pytest.mark.parametrize("text", NOT_WHOLE)
def test_anything_but_a_whole_number_is_refused_with_an_example(text, language, example):
    [message] = form_errors(project_data() | {"scale": text}, language)["scale"]
    with translation.override(language):
        assert message == scales.malformed_message()
    assert example in message  # two thousand as the reader writes it


@pytest.mark.parametrize(
    ("language", "bounds"), [("vi", ("1/100", "1.000.000")), ("en", ("1/100", "1,000,000"))]
)
@pytest.mark.parametrize("text", ["2", "99", "0", "1.000.001", "20.000.000"])
def test_implausible_denominators_are_refused_naming_the_bounds(text, language, bounds):
    [message] = form_errors(project_data() | {"scale": text}, language)["scale"]
    with translation.override(language):
        assert message == scales.bounds_message()
    assert all(bound in message for bound in bounds), message


def test_the_page_makes_a_1_2000_project_from_vietnamese_2_000(planner):
    data = project_data() | {"scale": "2.000"}
    response = signed_in(planner).post(
        reverse("webmap:project-create"), data, HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert response.status_code == 302, response.content.decode()
    assert Project.objects.get(code="hue-an-van-duong").scale == 2000


def test_the_scale_box_takes_spaces_the_browser_would_drop(planner):
    """A number box (type=number) sends "2 000" as an empty value: a text box it is."""
    page = signed_in(planner).get(reverse("webmap:project-create")).content.decode()
    assert 'type="text" name="scale" value="500"' in page
    assert 'inputmode="numeric"' in page


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_code_with_accents_is_answered_with_a_good_code(language):
    errors = form_errors(project_data("Khu Đô Thị An Vân"), language)
    [message] = errors["code"]
    assert "khu-do-thi-an-van" in message
    assert "Enter a valid" not in message  # Django's own, untranslated in Vietnamese


def test_a_code_of_nothing_latin_still_gets_an_example():
    [message] = form_errors(project_data("!!!"), "en")["code"]
    assert "khu-do-thi-an-van" in message


def test_the_page_shows_our_code_message_in_vietnamese(planner):
    data = project_data("Khu Đô Thị An Vân")
    response = signed_in(planner).post(
        reverse("webmap:project-create"), data, HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "khu-do-thi-an-van" in page
    assert "Enter a valid" not in page


# --- the REST API: JSON numbers, the same bounds ------------------------------------------


def api_create(user, scale: object, language: str = "en", code: str = "hue-b"):
    client = APIClient()
    client.force_authenticate(user)
    body = {"code": code, "name": "Khu B", "level": "detailed", "scale": scale}
    return client.post("/api/projects/", body, format="json", HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize("scale", [2, 99, 0, -500, 1_000_001])
def test_the_api_refuses_implausible_denominators(planner, scale):
    response = api_create(planner, scale)
    assert response.status_code == 400
    with translation.override("en"):
        assert response.json()["scale"] == [scales.bounds_message()]
    assert not Project.objects.exists()


def test_the_api_names_the_bounds_in_vietnamese(planner):
    response = api_create(planner, 2, "vi")
    assert response.status_code == 400
    [message] = response.json()["scale"]
    assert "1.000.000" in message


def test_the_api_refuses_the_string_2_000(planner):
    """REST framework alone reads the string "2.000" as 2, which the bounds would refuse,
    but "200.000" as 200, which they would not."""
    for text in ("2.000", "200.000"):
        response = api_create(planner, text)
        assert response.status_code == 400
        assert "scale" in response.json()


def test_the_api_takes_the_scales_of_real_plans_and_no_others(planner):
    for index, scale in enumerate((100, 500, 2000, "2000", 1_000_000)):
        response = api_create(planner, scale, code=f"hue-{index}")
        assert response.status_code == 201, response.content
        assert Project.objects.get(code=f"hue-{index}").scale == int(scale)
    for scale in (99, 1_000_001):
        assert api_create(planner, scale).status_code == 400


def test_the_scale_and_code_messages_read_in_vietnamese():
    with translation.override("vi"):
        form = ProjectForm(data={**project_data("x"), "code": "Khu Đô Thị", "scale": "2,5"})
        assert not form.is_valid()
        assert "mẫu số tỷ lệ" in form.errors["scale"][0]
        assert "Mã chỉ gồm" in form.errors["code"][0]
        assert "Tỷ lệ quy hoạch" in scales.bounds_message()
