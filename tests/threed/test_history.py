"""The plans in force at a moment in 3D: /3dtiles/in-force/…tileset.json?datetime=…"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from planning import jobs
from planning.models import Feature, Job, Revision, SupersededFeature
from tests.threed.conftest import token_header
from threed.tasks import scope_named
from threed.testing import make_3d_plan, replace_3d_plan
from threed.tileset import Scope, existing, prepare

pytestmark = pytest.mark.django_db

TILESET = "/3dtiles/in-force/tileset.json"
ENVELOPES = "/3dtiles/in-force/envelopes/tileset.json"
FIRST_APPROVED = datetime(2020, 1, 1, 3, tzinfo=UTC)
SUPERSEDED = datetime(2022, 1, 1, 3, tzinfo=UTC)


def _batch_table(data: bytes) -> dict:
    ft_length, ft_bin, bt_length = (int.from_bytes(data[i : i + 4], "little") for i in (12, 16, 20))
    start = 28 + ft_length + ft_bin
    return json.loads(data[start : start + bt_length])


@dataclass
class Shown:
    features: set[tuple[int, str]]  # (revision, code)
    etag: str

    @property
    def revisions(self) -> set[int]:
        return {revision for revision, _ in self.features}

    @property
    def codes(self) -> set[str]:
        return {code for _, code in self.features}


def shown(client, url: str, **query) -> Shown:
    """What a public tileset shows, read from its contents as a client would: content URIs
    resolved against the tileset's URL (its query dropped)."""
    response = client.get(url, query)
    assert response.status_code == 200, response.content[:300]
    assert response["Cache-Control"] == "public, max-age=300"
    base = url.removesuffix("tileset.json")
    features: set[tuple[int, str]] = set()
    for child in json.loads(response.content)["root"]["children"]:
        content = client.get(base + child["content"]["uri"])
        assert content.status_code == 200
        batch = _batch_table(b"".join(content.streaming_content))
        features |= set(zip(batch["revision"], batch["code"], strict=True))
    return Shown(features, response["ETag"])


@pytest.fixture
def superseded_plan(planner, reviewer) -> tuple[Revision, Revision]:
    """A plan of two buildings in force from 2020, replaced on 2022-01-01 by its project's
    next revision without the second building."""
    first = make_3d_plan(planner, reviewer, "history", columns=2, rows=1)
    answer = replace_3d_plan(
        first,
        planner,
        reviewer,
        dropped="B-L000-001",
        approved=FIRST_APPROVED,
        replaced=SUPERSEDED,
    )
    return first, answer


def test_superseded_plan_shows_before_its_supersession(client, superseded_plan):
    first, answer = superseded_plan
    now = shown(client, TILESET)
    assert now.revisions == {answer.pk}
    assert now.codes == {"B-L000-000"}
    then = shown(client, TILESET, datetime="2021-06-01")
    assert then.revisions == {first.pk}
    assert then.codes == {"B-L000-000", "B-L000-001"}
    assert then.etag != now.etag
    # A day means its end: the newer plan, approved that morning, is in force.
    assert shown(client, TILESET, datetime="2022-01-01").revisions == {answer.pk}
    assert shown(client, TILESET, datetime="2022-01-01T02:59:59Z").revisions == {first.pk}
    # Every moment between the same two changes shares one build (and its ETag).
    assert shown(client, TILESET, datetime="2020-02-29T12:00:00+07:00").etag == then.etag
    # A moment after the last change is today's plans: the same build as without a moment.
    assert shown(client, TILESET, datetime="2023-06-01").etag == now.etag
    assert Scope.plans_in_force(at=datetime(2023, 6, 1, tzinfo=UTC)).name == "in-force"


def test_before_any_approval_the_tileset_is_empty(client, superseded_plan):
    response = client.get(TILESET, {"datetime": "2019-12-31"})
    assert response.status_code == 200
    tileset = json.loads(response.content)
    assert "children" not in tileset["root"]  # none rather than an empty array
    assert len(tileset["root"]["boundingVolume"]["region"]) == 6


def test_historical_tileset_revalidates(client, superseded_plan):
    first = client.get(TILESET, {"datetime": "2021-06-01"})
    again = client.get(TILESET, {"datetime": "2021-06-01"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["Cache-Control"] == "public, max-age=300"


def test_content_keeps_the_query_cesium_sends(client, superseded_plan):
    """Cesium passes the tileset's query on to its contents: the key alone decides."""
    tileset = json.loads(client.get(TILESET, {"datetime": "2021-06-01"}).content)
    uri = tileset["root"]["children"][0]["content"]["uri"]
    content = client.get(f"/3dtiles/in-force/{uri}", {"datetime": "2021-06-01"})
    assert content.status_code == 200
    assert (
        _batch_table(b"".join(content.streaming_content))["revision"] == [superseded_plan[0].pk] * 2
    )
    # The features' key names nothing among the envelopes.
    assert client.get(f"/3dtiles/in-force/envelopes/{uri}").status_code == 404


def test_a_signed_in_caller_gets_private_answers(client, superseded_plan, planner):
    response = client.get(TILESET, {"datetime": "2021-06-01"}, **token_header(planner))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response


def test_drafts_never_show_at_any_moment(client, superseded_plan, planner, reviewer):
    draft = make_3d_plan(
        planner, reviewer, "draft3d", columns=1, rows=1, approve=False, origin=(562400.0, 1821449.0)
    )
    Revision.objects.filter(pk=draft.pk).update(approved_at=FIRST_APPROVED)  # never approved
    for moment in ("2021-06-01", "2030-01-01"):
        assert draft.pk not in shown(client, TILESET, datetime=moment).revisions


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("soon", "RFC 3339"),
        ("2024-02-30", "not a valid date"),
        ("2020-01-01/2021-01-01", "one instant"),
        ("../2021-01-01", "one instant"),
    ],
)
@pytest.mark.parametrize("url", [TILESET, ENVELOPES])
def test_malformed_datetime_is_400(client, url, value, words):
    response = client.get(url, {"datetime": value})
    assert response.status_code == 400
    assert response["Cache-Control"] == "private, no-store"
    assert response.json()["code"] == "InvalidParameterValue"
    assert words in response.json()["detail"]
    assert "datetime" in response.json()["detail"]


def test_superseded_lots_leave_the_envelopes_when_superseded(client, planner, reviewer):
    """Another project's approval supersedes the lots it overlaps: their envelopes show
    before that approval and not after."""
    older = make_3d_plan(planner, reviewer, "older", columns=2, rows=1)
    newer = make_3d_plan(planner, reviewer, "newer", columns=1, rows=1)
    superseded = SupersededFeature.objects.filter(by_revision=newer)
    left = Feature.objects.filter(pk__in=superseded.values("feature_id"))
    # the overlapped lot, and the building standing on it (planning.supersession)
    assert sorted(left.values_list("layer__kind", flat=True)) == ["buildings", "landuse"]
    Revision.objects.filter(pk=older.pk).update(approved_at=FIRST_APPROVED)
    Revision.objects.filter(pk=newer.pk).update(approved_at=SUPERSEDED)
    superseded.update(superseded_at=SUPERSEDED)
    older_lots = {(older.pk, "L000-000"), (older.pk, "L000-001")}
    now = shown(client, ENVELOPES)
    assert now.features == {(older.pk, "L000-001"), (newer.pk, "L000-000")}
    assert shown(client, ENVELOPES, datetime="2021-06-01").features == older_lots
    # Approved that day but before the supersession's instant: still the older lots.
    assert shown(client, ENVELOPES, datetime="2022-01-01T02:00:00Z").features == older_lots


def test_historical_scope_names_round_trip(superseded_plan):
    for envelopes in (False, True):
        for moment in (datetime(2019, 1, 1, tzinfo=UTC), datetime(2021, 6, 1, tzinfo=UTC)):
            scope = Scope.plans_in_force(envelopes, moment)
            assert scope.name.startswith("in-force-at-")
            assert scope_named(scope.name) == scope
    assert Scope.plans_in_force(at=datetime(2021, 6, 1, tzinfo=UTC)).at == FIRST_APPROVED
    assert Scope.plans_in_force(at=datetime(2019, 1, 1, tzinfo=UTC)).revision_ids == ()


@pytest.mark.django_db(transaction=True)
def test_large_historical_scope_is_built_in_the_background(client, superseded_plan, settings):
    first, _answer = superseded_plan
    Job.objects.filter(kind="tiles3d").delete()  # the approvals' own builds of "now"
    settings.PLANNING_3D_SYNC_BUILD_MAX = 1
    response = client.get(TILESET, {"datetime": "2021-06-01"})
    assert response.status_code == 404
    assert "being built" in response.json()["detail"]
    [job] = Job.objects.filter(kind="tiles3d")
    scope = Scope.plans_in_force(at=datetime(2021, 6, 1, tzinfo=UTC))
    assert job.params["scope"] == scope.name
    jobs.run_worker_until_idle()
    job.refresh_from_db()
    assert job.state == "succeeded", job.message
    key, count = prepare(scope)
    assert (job.result["key"], count) == (key, 2)
    assert existing(scope, key) is not None
    assert shown(client, TILESET, datetime="2021-06-01").revisions == {first.pk}
