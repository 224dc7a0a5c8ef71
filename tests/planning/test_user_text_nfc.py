"""What users type is stored in Unicode NFC (the project's standard for Vietnamese text),
whichever way they typed it: macOS and some input methods send "ệ" decomposed, as "e" and
two combining marks, which looks the same but neither compares, sorts nor searches as the
precomposed text does. QA walk: a layer name typed so on the upload page, and a project's
name and admin area sent so to the API, were stored decomposed (planning.user_text).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from urllib.parse import quote

import pytest
import shapely
from django.contrib.admin.sites import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from planning.models import Comment, Layer, MappingPreset, Project
from tests.conftest import HUE_X, HUE_Y
from tests.files import write_vector

pytestmark = pytest.mark.django_db


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


NAME = "Quy hoạch chi tiết khu dân cư Phú Hiệp"
AREA = "Thành phố Huế, tỉnh Thừa Thiên Huế"


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_a_project_created_through_the_api_is_stored_in_nfc(planner):
    assert nfd(NAME) != NAME
    response = api(planner).post(
        "/api/projects/",
        {
            "code": "QH-NFC",
            "name": nfd(NAME),
            "admin_area": nfd(AREA),
            "level": "detailed",
            "scale": 500,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    project = Project.objects.get(code="QH-NFC")
    assert (project.name, project.admin_area) == (nfc(NAME), nfc(AREA))
    assert Project.objects.filter(name=nfc(NAME)).exists()  # found by what others type


def test_a_layer_name_typed_on_the_upload_page_is_stored_in_nfc(planner, draft_plan, tmp_path):
    path = write_vector(
        tmp_path / "lots.gpkg",
        [shapely.box(HUE_X, HUE_Y, HUE_X + 40, HUE_Y + 30)],
        {"code": ["A1"], "function": ["ODT"]},
        driver="GPKG",
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(planner)
    typed = "Lô đất ở mới"
    response = client.post(
        reverse("webmap:revision-upload", args=[draft_plan.pk]),
        {
            "file": SimpleUploadedFile(path.name, Path(path).read_bytes()),
            "kind": "landuse",
            "name": nfd(typed),
        },
    )
    assert response.status_code in (200, 302), response.content[:2000]
    layer = Layer.objects.get(revision=draft_plan, source_name="lots.gpkg")
    assert layer.name == nfc(typed)


def test_comments_and_presets_through_the_api_are_stored_in_nfc(planner, draft_plan):
    body = "Lô A1 thiếu chỉ giới xây dựng"
    comment = api(planner).post(
        f"/api/revisions/{draft_plan.pk}/comments/",
        {"body": nfd(body), "geometry": {"type": "Point", "coordinates": [107.5798, 16.468]}},
        format="json",
    )
    assert comment.status_code == 201, comment.content
    assert Comment.objects.get(pk=comment.json()["id"]).body == nfc(body)
    preset = {"name": nfd("Viện Quy hoạch Huế"), "mapping": {"*": "landuse"}, "crs": ""}
    created = api(planner).post("/api/cad/presets/", preset, format="json")
    assert created.status_code == 201, created.content
    assert MappingPreset.objects.filter(name=nfc("Viện Quy hoạch Huế")).exists()
    # Review: a preset asked for by its decomposed name (macOS) must still be found
    url = f"/api/cad/presets/{quote(nfd('Viện Quy hoạch Huế'))}/"
    assert api(planner).get(url).status_code == 200
    replaced = api(planner).put(url, {**preset, "crs": "EPSG:9214"}, format="json")
    assert replaced.status_code == 200, replaced.content
    assert MappingPreset.objects.count() == 1


def test_the_admin_stores_nfc_too(admin_client, draft_plan):
    assert Project in site._registry
    project = draft_plan.project
    url = reverse("admin:planning_project_change", args=[project.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list | dict)
    }
    data.update(name=nfd(NAME), admin_area=nfd(AREA))
    response = admin_client.post(url, data)
    assert response.status_code in (200, 302)
    project.refresh_from_db()
    if response.status_code == 200:  # the form wanted more than its initial values
        pytest.skip(str(response.context["adminform"].form.errors))
    assert (project.name, project.admin_area) == (nfc(NAME), nfc(AREA))
