"""The 3D model page (/revisions/{id}/models/): the web form of the model upload API. Who may
open it (role before state, as the API), real CityJSON/GLB/OBJ models imported into the
real PostGIS, refusals shown in the form in the reader's language with nothing written."""

from __future__ import annotations

import html
import json

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from planning.actions import SubmitRevision
from planning.errors import InvalidInput
from planning.models import AuditEvent, Feature, Layer, Membership
from tests.conftest import HUE_X, HUE_Y
from tests.threed.test_models3d import CUBE, QUADS, cityjson, glb_cube, obj_text
from threed.testing import make_3d_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(planner, reviewer):
    return make_3d_plan(planner, reviewer, columns=1, rows=1, approve=False)


def page_client(user=None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def page(revision) -> str:
    return f"/revisions/{revision.pk}/models/"


def post_model(client: Client, revision, filename: str, data: bytes, **fields):
    return client.post(
        page(revision), {"file": SimpleUploadedFile(filename, data), "name": "Massing", **fields}
    )


def written(revision) -> tuple[int, int, int]:
    """Layers, features and import audit events of `revision`: all unchanged on a refusal."""
    return (
        Layer.objects.filter(revision=revision).count(),
        Feature.objects.filter(layer__revision=revision).count(),
        AuditEvent.objects.filter(action="layer.import_3d").count(),
    )


def text(response) -> str:
    return html.unescape(response.content.decode())


# --- who may open it -------------------------------------------------------------------


def test_anonymous_callers_are_sent_to_the_login_page(draft):
    response = page_client().get(page(draft))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_reviewers_and_approvers_hear_the_role(draft, planner, reviewer):
    submitted = SubmitRevision(user=planner, revision=draft).execute()  # seen by reviewers
    approver = User.objects.create_user("approver_t", password="pw-approver-test")
    Membership.objects.create(project=draft.project, user=approver, role=Membership.Role.APPROVER)
    for user in (reviewer, approver):
        client = page_client(user)
        for response in (
            client.get(page(submitted)),
            post_model(client, submitted, "c.json", b"{}"),
        ):
            assert response.status_code == 403
            assert "Only the planners of the project can add layers" in text(response)
    assert written(submitted)[0] == 2


def test_the_planner_of_a_submitted_revision_hears_its_state(draft, planner):
    submitted = SubmitRevision(user=planner, revision=draft).execute()
    before = written(submitted)
    client = page_client(planner)
    model = json.dumps(cityjson()).encode()
    for response in (client.get(page(submitted)), post_model(client, submitted, "c.json", model)):
        assert response.status_code == 409
        # the API's words (importers.service._check_permission)
        assert f"Revision {submitted.number} is Submitted; only drafts take new layers." in text(
            response
        )
    assert written(submitted) == before


def test_the_planner_gets_the_form_and_the_links_to_it(draft, planner, reviewer, outsider):
    response = page_client(planner).get(page(draft))
    assert response.status_code == 200
    assert page_client(outsider).get(page(draft)).status_code == 404  # a private draft
    body = text(response)
    for field in ("file", "name", "crs", "origin_x", "origin_y", "origin_z", "rotation"):
        assert f'name="{field}"' in body
    assert 'accept=".json,.cityjson,.gltf,.glb,.obj"' in body
    assert "csrfmiddlewaretoken" in body
    assert "Not needed for CityJSON" in body  # when the origin is needed
    # Linked beside the other uploads, for those who may edit the draft only.
    link = f'href="/revisions/{draft.pk}/models/"'
    project_page = f"/projects/{draft.project_id}/"
    for path in (project_page, f"/revisions/{draft.pk}/upload/", f"/revisions/{draft.pk}/review/"):
        assert link in text(page_client(planner).get(path)), path
    submitted = SubmitRevision(user=planner, revision=draft).execute()
    for user in (planner, reviewer):
        for path in (project_page, f"/revisions/{submitted.pk}/review/"):
            assert link not in text(page_client(user).get(path)), (user, path)


def test_the_page_speaks_vietnamese_by_default(draft, planner):
    client = Client()  # no Accept-Language: the site's default language
    client.force_login(planner)
    body = text(client.get(page(draft)))
    assert 'lang="vi"' in body
    assert "Tên lớp" in body  # "Layer name", from the catalogue


# --- imports ---------------------------------------------------------------------------


def test_a_cityjson_model_becomes_a_layer_and_the_report_links_to_3d(draft, planner):
    response = post_model(
        page_client(planner), draft, "city.json", json.dumps(cityjson()).encode(), crs=""
    )
    assert response.status_code == 200, text(response)[:2000]
    layer = Layer.objects.get(revision=draft, name="Massing")
    assert (layer.kind, layer.feature_count) == ("buildings", 1)
    assert Feature.objects.get(layer=layer).geom.area == pytest.approx(100.0)
    body = text(response)
    assert "1 feature was loaded into layer “Massing”." in body
    assert f'href="/revisions/{draft.pk}/review/" id="view3d-link"' in body
    assert f'href="/projects/{draft.project_id}/"' in body


def test_a_glb_placed_by_origin_typed_the_vietnamese_way(draft, planner):
    """Vietnamese writes 561.734,5: the origin is read as the page's language writes it."""
    response = post_model(
        page_client(planner, "vi"), draft, "tower.glb", glb_cube(),
        name="Tháp", origin_x="561.734", origin_y="1.821.469,0", origin_z="2,5", rotation="90",
    )  # fmt: skip
    assert response.status_code == 200, text(response)[:2000]
    assert "Đã nạp 1 đối tượng vào lớp “Tháp”." in text(response)
    feature = Feature.objects.get(layer__revision=draft, layer__name="Tháp")
    # Turned 90° counter-clockwise about the origin: x from -10 to 0, y from 0 to 10.
    assert feature.geom.extent == pytest.approx((HUE_X + 10, HUE_Y + 20, HUE_X + 20, HUE_Y + 30))


def test_an_open_obj_solid_is_kept_and_reported(draft, planner):
    points = [[x * 10, z * 10, -y * 10] for x, y, z in CUBE]  # Y up
    model = obj_text({"shed": (points, QUADS[1:])})  # no floor: 4 edges on one face only
    response = post_model(
        page_client(planner), draft, "shed.obj", model,
        origin_x=f"{HUE_X + 20:.1f}", origin_y=f"{HUE_Y + 20:.1f}",
    )  # fmt: skip
    assert response.status_code == 200, text(response)[:2000]
    body = text(response)
    assert "1 feature was loaded" in body
    assert "<strong>shed</strong>: not a closed solid: 4 edges belong to one face only" in body


# --- refusals --------------------------------------------------------------------------


def test_a_broken_file_keeps_the_form_and_writes_nothing(draft, planner):
    before = written(draft)
    broken = cityjson()
    broken["CityObjects"]["house-1"]["geometry"][0]["boundaries"][0][0][0][2] = 99
    response = post_model(
        page_client(planner), draft, "city.json", json.dumps(broken).encode(),
        name="Khối nhà", crs="EPSG:9214",
    )  # fmt: skip
    assert response.status_code == 400
    body = text(response)
    assert "uses vertex 99, but the file has 8 vertices" in body
    assert 'value="Khối nhà"' in body
    assert 'value="EPSG:9214"' in body
    assert 'id="model-upload-form"' in body
    assert written(draft) == before


def test_a_local_model_without_origin_is_refused_in_vietnamese(draft, planner):
    before = written(draft)
    response = post_model(page_client(planner, "vi"), draft, "tower.glb", glb_cube(), rotation="45")
    assert response.status_code == 400
    body = text(response)
    assert "Mô hình glTF hoặc OBJ cần một điểm gốc" in body
    assert 'name="rotation" value="45"' in body
    assert written(draft) == before


def test_a_number_written_the_other_way_is_a_field_error(draft, planner):
    """561714.5 on the Vietnamese page is refused, not guessed (561.500 there is 561500)."""
    before = written(draft)
    response = post_model(
        page_client(planner, "vi"), draft, "tower.glb", glb_cube(),
        origin_x="561714.5", origin_y="1821469",
    )  # fmt: skip
    assert response.status_code == 400
    body = text(response)
    assert "“561714.5” không phải là số" in body
    assert 'value="561714.5"' in body
    half = post_model(page_client(planner), draft, "tower.glb", glb_cube(), origin_x="561734")
    assert half.status_code == 400
    assert "Give both origin x and origin y, or neither." in text(half)
    assert written(draft) == before


def test_a_rotation_or_height_out_of_range_is_a_field_error(draft, planner):
    """Review: "12.500" typed for 12.5 on the Vietnamese page is 12500: refused, not read
    as a turn of 260 degrees or an origin 12.5 km up."""
    before = written(draft)
    response = post_model(
        page_client(planner, "vi"), draft, "tower.glb", glb_cube(), name="Tháp",
        origin_x="561.734", origin_y="1.821.469", origin_z="12.500", rotation="12.500",
    )  # fmt: skip
    assert response.status_code == 400
    body = text(response)
    assert "Góc xoay (độ) phải nằm trong khoảng -360 đến 360." in body
    assert "Điểm gốc z (m) phải nằm trong khoảng -200 đến 9.000." in body
    assert written(draft) == before
    english = post_model(
        page_client(planner), draft, "tower.glb", glb_cube(), name="Tower",
        origin_x="561734", origin_y="1821469", rotation="-361",
    )  # fmt: skip
    assert english.status_code == 400
    assert "Rotation (degrees) must be between -360 and 360." in text(english)
    assert "Origin z (m) must be" not in text(english)
    assert written(draft) == before


def test_a_model_far_from_the_project_is_refused(draft, planner):
    before = written(draft)
    response = post_model(
        page_client(planner), draft, "tower.glb", glb_cube(),
        origin_x=f"{HUE_X + 1_000_000:.0f}", origin_y=f"{HUE_Y:.0f}",
    )  # fmt: skip
    assert response.status_code == 400
    assert "km from the project boundary" in text(response)
    assert written(draft) == before


def test_the_upload_size_limit_is_the_other_uploads(draft, planner, settings):
    settings.PLANNING_MAX_UPLOAD_BYTES = 100
    response = post_model(page_client(planner), draft, "city.json", json.dumps(cityjson()).encode())
    assert response.status_code == 413
    assert "The file is larger than the 0 MB upload limit." in text(response)
    assert written(draft)[0] == 2


def test_a_failure_after_the_layer_is_written_leaves_nothing(draft, planner, monkeypatch):
    """The service writes the layer, its features and the audit event in one transaction:
    a refusal at the last step (the audit) undoes the layer and its features."""

    def refuse(*args, **kwargs):
        raise InvalidInput("audit refused")

    monkeypatch.setattr("threed.models3d.audit", refuse)
    before = written(draft)
    response = post_model(page_client(planner), draft, "city.json", json.dumps(cityjson()).encode())
    assert response.status_code == 400
    assert "audit refused" in text(response)
    assert written(draft) == before


def test_a_report_that_cannot_be_rendered_leaves_no_layer(draft, planner, monkeypatch):
    """The import and its report page are one transaction (as the GIS upload page)."""
    import threed.pages

    def broken_render(*args, **kwargs):
        raise RuntimeError("template broke")

    client = page_client(planner)
    client.raise_request_exception = False
    monkeypatch.setattr(threed.pages, "render", broken_render)
    before = written(draft)
    response = post_model(client, draft, "city.json", json.dumps(cityjson()).encode())
    assert response.status_code == 500
    assert written(draft) == before
