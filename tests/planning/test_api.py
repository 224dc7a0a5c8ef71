"""The REST API: authentication, visibility, uploads, workflow, OpenAPI."""

from __future__ import annotations

import pytest
import shapely
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from planning.models import Feature, Layer, Revision
from tests.conftest import HUE_X, HUE_Y
from tests.files import write_vector

pytestmark = pytest.mark.django_db


def to_wgs84(x: float, y: float) -> shapely.Point:
    """Storage CRS to lon/lat by PostGIS, the one datum-shift implementation of the server."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID("
            "ST_MakePoint(%s, %s), 9214), 4326) p) q",
            [x, y],
        )
        return shapely.Point(cursor.fetchone())


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def login(client: APIClient, user) -> APIClient:
    client.force_authenticate(user)
    return client


def test_anonymous_sees_only_plans_in_force(client, plan_in_force, draft_plan):
    revisions = client.get("/api/revisions/").json()["results"]
    assert [r["id"] for r in revisions] == [plan_in_force.id]
    projects = [p["code"] for p in client.get("/api/projects/").json()["results"]]
    assert projects == ["inforce"]
    assert client.get(f"/api/revisions/{draft_plan.id}/").status_code == 404
    draft_layer = Layer.objects.get(revision=draft_plan)
    assert client.get(f"/api/layers/{draft_layer.id}/features/").status_code == 404
    features = client.get("/api/features/").json()["features"]
    assert {f["properties"]["code"] for f in features} == {"A1", "A2"}


def test_member_sees_their_draft_outsider_does_not(
    client, plan_in_force, draft_plan, planner, outsider
):
    login(client, planner)
    assert {r["id"] for r in client.get("/api/revisions/").json()["results"]} == {
        plan_in_force.id,
        draft_plan.id,
    }
    login(client, outsider)
    assert {r["id"] for r in client.get("/api/revisions/").json()["results"]} == {plan_in_force.id}


def test_features_are_geojson_in_wgs84_with_colours(client, plan_in_force):
    layer = Layer.objects.get(revision=plan_in_force)
    response = client.get(f"/api/layers/{layer.id}/features/")
    assert response["Content-Type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    lot = next(f for f in collection["features"] if f["properties"]["code"] == "A1")
    lon, lat = shapely.geometry.shape(lot["geometry"]).centroid.coords[0]
    assert 107.57 < lon < 107.59
    assert 16.46 < lat < 16.48
    assert lot["properties"]["colour"] == "#FFD37F"
    assert lot["properties"]["category_name"]


def test_feature_paging_has_next_link(client, plan_in_force):
    body = client.get("/api/features/?limit=1").json()
    assert len(body["features"]) == 1
    assert "offset=1" in body["links"][0]["href"]


@pytest.mark.parametrize("query", ["bbox=1,2,3", "bbox=a,b,c,d", "limit=0", "limit=abc", "layer=x"])
def test_bad_parameters_are_400(client, plan_in_force, query):
    response = client.get(f"/api/features/?{query}")
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    ["/api/features/?projet=inforce", "/api/feature-info/?lon=107.5&lat=16.4&date=2025-01-01"],
)
def test_a_misspelt_filter_is_refused_not_ignored(client, plan_in_force, url):
    """`?projet=` answered with every feature in force, unfiltered (known gap)."""
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Unknown query parameter" in response.json()["detail"]
    assert client.get("/api/features/?format=json&limit=1").status_code == 200


def test_feature_info_finds_the_lot_under_the_click(client, plan_in_force, draft_plan, planner):
    centre = to_wgs84(HUE_X + 50, HUE_Y + 50)
    found = client.get(f"/api/feature-info/?lon={centre.x}&lat={centre.y}").json()["features"]
    assert [f["attributes"]["code"] for f in found] == ["A1"]
    assert found[0]["colour"] == "#FFD37F"
    assert found[0]["state"] == "approved"
    draft_centre = to_wgs84(HUE_X + 50, HUE_Y + 350)
    url = f"/api/feature-info/?lon={draft_centre.x}&lat={draft_centre.y}&revisions={draft_plan.id}"
    assert client.get(url).json()["features"] == []  # anonymous: the draft stays invisible
    login(client, planner)
    assert [f["attributes"]["code"] for f in client.get(url).json()["features"]] == ["B1"]


def test_feature_info_on_the_maps_date_answers_with_the_plans_then(client, plan_in_force):
    """The dated map drew the plans of that day, its cards today's (QA walk)."""
    from datetime import timedelta

    centre = to_wgs84(HUE_X + 50, HUE_Y + 50)
    approved = plan_in_force.approved_at

    def codes(at: str) -> list[str]:
        query = {"lon": centre.x, "lat": centre.y, "at": at}
        return [f["attributes"]["code"] for f in client.get(url, query).json()["features"]]

    url = "/api/feature-info/"
    assert codes((approved - timedelta(days=1)).isoformat()) == []
    assert codes((approved + timedelta(seconds=1)).isoformat()) == ["A1"]
    # superseded since: on that date it was in force, and the card says so (QA walk)
    Revision.objects.filter(pk=plan_in_force.pk).update(state="superseded")
    then = {"lon": centre.x, "lat": centre.y, "at": (approved + timedelta(seconds=1)).isoformat()}
    [lot] = client.get(url, then).json()["features"]
    assert lot["state"] == "approved"
    assert client.get(url, {"lon": centre.x, "lat": centre.y, "at": "soon"}).status_code == 400


def test_token_authentication_and_upload_workflow(client, planner, reviewer, tmp_path):
    # A planner creates a project, uploads a layer, submits; the reviewer approves.
    token = Token.objects.create(user=planner)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    project = client.post(
        "/api/projects/",
        {"code": "hue-a", "name": "Khu A", "level": "detailed", "scale": 500},
        format="json",
    )
    assert project.status_code == 201, project.content
    revision = client.post("/api/revisions/", {"project": project.json()["id"]}, format="json")
    assert revision.status_code == 201
    assert revision.json()["state"] == "draft"
    gpkg = write_vector(
        tmp_path / "lots.gpkg",
        [shapely.box(HUE_X, HUE_Y, HUE_X + 30, HUE_Y + 30)],
        {"code": ["K1"], "function": ["DO"]},
        driver="GPKG",
    )
    with gpkg.open("rb") as handle:
        upload = client.post(
            f"/api/revisions/{revision.json()['id']}/uploads/",
            {"file": handle, "kind": "landuse", "name": "Lô đất"},
            format="multipart",
        )
    assert upload.status_code == 201, upload.content
    assert upload.json()["report"]["features_loaded"] == 1
    assert upload.json()["layer"]["name"] == "Lô đất"
    submitted = client.post(f"/api/revisions/{revision.json()['id']}/submit/")
    assert submitted.json()["state"] == "submitted"
    # A planner cannot approve their own plan; the project's approver can.
    assert (
        client.post(
            f"/api/revisions/{revision.json()['id']}/approve/",
            {"decision_number": "1/QĐ"},
            format="json",
        ).status_code
        == 403
    )
    from planning.models import Membership, Project

    Membership.objects.create(
        project=Project.objects.get(code="hue-a"), user=reviewer, role="approver"
    )
    client.credentials()
    login(client, reviewer)
    approved = client.post(
        f"/api/revisions/{revision.json()['id']}/approve/",
        {"decision_number": "1/QĐ"},
        format="json",
    )
    assert approved.json()["state"] == "approved"
    client.force_authenticate(None)
    codes = {f["properties"]["code"] for f in client.get("/api/features/").json()["features"]}
    assert codes == {"K1"}


def test_upload_errors_are_4xx_json_and_leave_nothing(client, planner, draft_plan, tmp_path):
    login(client, planner)
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04garbage")
    before = (Layer.objects.count(), Feature.objects.count())
    with bad.open("rb") as handle:
        response = client.post(
            f"/api/revisions/{draft_plan.id}/uploads/",
            {"file": handle, "kind": "landuse", "name": "x"},
            format="multipart",
        )
    assert response.status_code == 400
    assert "zip" in response.json()["detail"]
    assert (Layer.objects.count(), Feature.objects.count()) == before


def test_anonymous_cannot_upload_or_create(client, draft_plan, tmp_path):
    assert client.post("/api/projects/", {"code": "x"}, format="json").status_code in (401, 403)
    path = tmp_path / "a.geojson"
    path.write_text("{}")
    with path.open("rb") as handle:
        response = client.post(
            f"/api/revisions/{draft_plan.id}/uploads/",
            {"file": handle, "kind": "landuse", "name": "x"},
            format="multipart",
        )
    assert response.status_code in (401, 403)  # refused before the revision is even looked up


def test_an_account_that_may_not_create_projects_learns_nothing_of_taken_codes(
    client, draft_plan, outsider
):
    """The permission is settled before the form: a hidden draft's code and a free code get
    the same refusal (the unique-code check would otherwise confirm the hidden one)."""
    login(client, outsider)
    hidden = draft_plan.project.code
    answers = [
        client.post(
            "/api/projects/",
            {"code": code, "name": "X", "level": "detailed", "scale": 500},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        for code in (hidden, "free-code-1")
    ]
    assert [answer.status_code for answer in answers] == [403, 403]
    assert answers[0].json() == answers[1].json()
    assert "may not create" in answers[0].json()["detail"]
    anonymous = APIClient().post("/api/projects/", {"code": hidden}, format="json")
    assert anonymous.status_code in (401, 403)


def test_resubmitting_is_a_conflict(client, planner, plan_in_force):
    login(client, planner)
    response = client.post(f"/api/revisions/{plan_in_force.id}/submit/")
    assert response.status_code == 409


def test_openapi_documents_the_error_answers(client):
    """Integrators generate clients from the schema: every operation says how it fails
    ({detail, code}), uploads that they may be too large, and a list's GET no 201."""
    schema = client.get("/api/schema/?format=json").json()
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "code"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("400", "401", "403", "429"):
                body = responses[status]["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/Error"}, (path, method, status)
            assert ("404" in responses) == ("{" in path), (path, method)
    uploads = schema["paths"]["/api/revisions/{revision_id}/uploads/"]["post"]["responses"]
    assert "413" in uploads
    assert "409" in uploads
    assert "413" not in schema["paths"]["/api/projects/"]["post"]["responses"]
    rasters = schema["paths"]["/api/revisions/{revision_id}/rasters/"]
    assert [s for s in rasters["get"]["responses"] if s < "300"] == ["200"]
    assert [s for s in rasters["post"]["responses"] if s < "300"] == ["201"]


def test_openapi_schema_and_docs(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/projects/",
        "/api/revisions/{id}/submit/",
        "/api/layers/{id}/features/",
        "/api/revisions/{revision_id}/uploads/",
        "/api/feature-info/",
    ):
        assert path in paths, path
    # Upload fields are files in the request bodies (QA walk: `format: uri`, so a client
    # generated from the schema sent a URL string).
    components = schema.json()["components"]["schemas"]
    for name in ("UploadRequest", "RasterUploadRequest", "ModelUploadRequest"):
        assert components[name]["properties"]["file"]["format"] == "binary", name
    token = paths["/api/token/"]
    issued = token["post"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert set(components[issued.rsplit("/", 1)[1]]["properties"]) == {"token", "expires"}
    assert "204" in token["delete"]["responses"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
    assert b"jsdelivr" not in docs.content.lower()


def test_approval_supersedes_previous_plan(planner, reviewer, plan_in_force):
    from planning.actions import ApproveRevision, CreateRevision, SubmitRevision
    from planning.models import RevisionState

    # Prepared on the plan in force: one started empty would undo it (planning/staleness.py).
    nxt = CreateRevision(
        user=planner, project=plan_in_force.project, based_on=plan_in_force
    ).execute()
    Layer.objects.create(revision=nxt, kind="landuse", name="L", created_by=planner)
    SubmitRevision(user=planner, revision=nxt).execute()
    ApproveRevision(user=reviewer, revision=nxt, decision_number="2/QĐ").execute()
    plan_in_force.refresh_from_db()
    assert plan_in_force.state == RevisionState.SUPERSEDED
    assert plan_in_force.superseded_at
    assert Revision.objects.filter(project=plan_in_force.project, state="approved").get() == nxt


def test_feature_query_errors_speak_the_readers_language(client, plan_in_force):
    answers = {
        "bbox=a,b": "bbox phải gồm bốn số: minx,miny,maxx,maxy.",
        "at=yesterday": "at phải là ngày hoặc ngày giờ theo ISO 8601.",
        "limit=many": "limit phải là một số nguyên.",
    }
    for query, said in answers.items():
        refused = client.get(f"/api/features/?{query}", HTTP_ACCEPT_LANGUAGE="vi")
        assert refused.status_code == 400, query
        assert refused.json()["detail"] == said
