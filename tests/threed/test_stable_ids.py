"""The 3D Tiles batch table carries a building's public id (planning.models.PublicId): a
building carried unchanged into the project's next approved revision keeps its id there,
and it is the id WFS and OGC API Features publish, so an integrator joins a clicked
building to its feature."""

from __future__ import annotations

import json

import pytest

from planning import jobs
from planning.actions import ApproveRevision, CreateRevision, SubmitRevision
from planning.models import Feature, Layer, Revision
from threed.testing import make_3d_plan
from threed.tileset import Scope, build_tileset, prepare

pytestmark = pytest.mark.django_db

TILESET = "/3dtiles/in-force/tileset.json"
CODE = "B-L000-000"


def _batch_table(data: bytes) -> dict:
    ft_length, ft_bin, bt_length = (int.from_bytes(data[i : i + 4], "little") for i in (12, 16, 20))
    start = 28 + ft_length + ft_bin
    return json.loads(data[start : start + bt_length])


def _tiles_ids(client, url: str = TILESET) -> dict[str, int]:
    """The batch table's `id` of each building of a tileset, by code, as a client reads it."""
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    ids: dict[str, int] = {}
    for child in json.loads(response.content)["root"]["children"]:
        content = client.get(url.removesuffix("tileset.json") + child["content"]["uri"])
        batch = _batch_table(b"".join(content.streaming_content))
        ids |= dict(zip(batch["code"], batch["id"], strict=True))
    return ids


def _body(response) -> bytes:
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content) if response.streaming else response.content


def _ogcapi_id(client, code: str) -> int:
    body = _body(client.get("/ogcapi/collections/buildings/items", {"limit": 100}))
    return next(f["id"] for f in json.loads(body)["features"] if f["properties"]["code"] == code)


def _wfs_id(client, code: str) -> str:
    query = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature"}
    query |= {"TYPENAMES": "buildings", "OUTPUTFORMAT": "application/json"}
    body = _body(client.get("/wfs", query))
    return next(f["id"] for f in json.loads(body)["features"] if f["properties"]["code"] == code)


def _answer_and_approve(planner, reviewer, plan: Revision) -> Revision:
    answer = CreateRevision(user=planner, project=plan.project, based_on=plan).execute()
    SubmitRevision(user=planner, revision=answer).execute()
    ApproveRevision(user=reviewer, revision=answer, decision_number="4/QĐ-UBND").execute()
    answer.refresh_from_db()
    return answer


def _declared(revision: Revision) -> Revision:
    """The buildings declare `code`, as an import would: the OGC services publish only
    declared attributes."""
    schema = [{"name": "code", "type": "string"}]
    Layer.objects.filter(revision=revision, kind="buildings").update(attribute_schema=schema)
    return revision


def _building(revision: Revision) -> Feature:
    return Feature.objects.get(layer__revision=revision, attributes__code=CODE)


def test_a_building_carried_into_the_next_approval_keeps_its_id(client, planner, reviewer):
    first = _declared(make_3d_plan(planner, reviewer, "stable3d", columns=2, rows=1))
    original = _building(first).pk
    assert _tiles_ids(client)[CODE] == original
    answer = _answer_and_approve(planner, reviewer, first)
    assert _building(answer).pk != original  # a new row, published under the old id
    assert _tiles_ids(client)[CODE] == original
    assert _ogcapi_id(client, CODE) == original
    assert _wfs_id(client, CODE) == f"buildings.{original}"


def test_a_revision_tileset_is_rebuilt_when_its_ids_are_published(planner, reviewer):
    """A draft copy is served under its own row id, the same copy approved under the lot's
    id: the build key follows, so the revision's tileset never keeps the draft's ids."""
    first = make_3d_plan(planner, reviewer, "stable3d", columns=2, rows=1)
    answer = CreateRevision(user=planner, project=first.project, based_on=first).execute()
    draft_key, _ = prepare(Scope.of_revision(answer))
    SubmitRevision(user=planner, revision=answer).execute()
    ApproveRevision(user=reviewer, revision=answer, decision_number="4/QĐ-UBND").execute()
    answer.refresh_from_db()
    assert prepare(Scope.of_revision(answer))[0] != draft_key


@pytest.mark.django_db(transaction=True)
def test_a_build_made_while_private_is_never_served_once_approved(
    client, planner, reviewer, settings
):
    """The view serves a scope's last build while a large scope's next one is made; the
    revision's builds as a draft and as a published plan live apart, so the draft's (its
    row ids, its text then) never goes out to the public."""
    first = _declared(make_3d_plan(planner, reviewer, "stable3d", columns=2, rows=1))
    answer = CreateRevision(user=planner, project=first.project, based_on=first).execute()
    Feature.objects.filter(layer__revision=answer, attributes__code=CODE).update(
        attributes={"code": CODE, "name": "DRAFT-ONLY NAME", "storeys": 3}
    )
    build_tileset(Scope.of_revision(answer))  # made while a draft
    Feature.objects.filter(layer__revision=answer, attributes__code=CODE).update(
        attributes={"code": CODE, "name": "final name", "storeys": 3}
    )
    SubmitRevision(user=planner, revision=answer).execute()
    ApproveRevision(user=reviewer, revision=answer, decision_number="4/QĐ-UBND").execute()
    settings.PLANNING_3D_SYNC_BUILD_MAX = 0  # every build in the background
    url = f"/3dtiles/revisions/{answer.pk}/tileset.json"

    waiting = client.get(url)

    assert waiting.status_code == 404, waiting.content[:300]
    assert "being built" in waiting.json()["detail"]
    jobs.run_worker_until_idle()
    assert _tiles_ids(client, url)[CODE] == _building(first).pk  # the lot's public id
