"""The admin's land-use catalogue takes codes the map can draw and that no other code
shadows: "do" beside the standard "DO" took over its lots on every lookup, drew them in
its own colour on the review page and grey on the public map, which draws upper-case codes
only (QA walk)."""

from __future__ import annotations

import pytest
from django.test import Client

from planning.models import LandUseCategory

pytestmark = pytest.mark.django_db
ADD = "/admin/planning/landusecategory/add/"


@pytest.fixture
def admin_client_t(admin_user_t, catalogue) -> Client:
    client = Client()
    client.force_login(admin_user_t)
    return client


def _add(client: Client, code: str):
    data = {"code": code, "system": "planning", "name_vi": "thử", "name_en": "test",
            "colour": "#ABCDEF", "sort_order": 0}  # fmt: skip
    return client.post(ADD, data, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("code", ["do", "Do", "ĐẤT_Ở", "A B", "a/../%2F?"])
def test_codes_the_map_cannot_draw_or_that_shadow_another_are_refused(admin_client_t, code):
    response = _add(admin_client_t, code)
    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["code"]
    assert not LandUseCategory.objects.filter(code=code).exists()


def test_a_new_upper_case_code_is_taken(admin_client_t):
    assert _add(admin_client_t, "QH-NEW.1").status_code == 302
    assert LandUseCategory.objects.filter(code="QH-NEW.1").exists()


def test_a_code_an_older_row_holds_in_another_case_is_refused(admin_client_t):
    """Only the case check stands between an old lower-case row and its upper-case twin."""
    LandUseCategory.objects.create(code="qh1", system="planning", name_vi="cũ", name_en="old")
    response = _add(admin_client_t, "QH1")
    assert response.status_code == 200
    assert "already has the code qh1" in str(response.context["adminform"].form.errors["code"])
    assert not LandUseCategory.objects.filter(code="QH1").exists()


def test_a_trailing_newline_is_no_code():
    from django.core.exceptions import ValidationError

    field = LandUseCategory._meta.get_field("code")
    with pytest.raises(ValidationError):
        field.run_validators("DO\n")
