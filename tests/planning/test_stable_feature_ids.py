"""An unchanged lot keeps its public id across approvals, on every service.

Revision 1 of a plan is in force with lot A1; revision 2 answers it (copying the lots) and
is approved with A1 unchanged. An integrator saved A1's id from revision 1's time: WFS,
OGC API Features, WMS GetFeatureInfo, vector tiles and the REST API must still give it,
and find the lot by it, now and at an instant before the approval. Driven over HTTP
against the live server; the rule itself is Feature.public_id (planning.models).
"""

from __future__ import annotations

import json
from base64 import b64encode
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import mapbox_vector_tile
import pytest
import shapely
from django.apps import apps as django_apps
from lxml import etree

from importers.service import import_upload
from planning.actions import ApproveRevision, CreateRevision, RequestChanges, SubmitRevision
from planning.models import Feature, Layer, Revision
from planning.revision_edits import RemoveLayer
from tests.conftest import HUE_X, HUE_Y, declare_lot_schema, make_plan, square
from tests.files import write_vector
from tests.ogc_schemas import needs_schemas
from tests.vtiles.conftest import tile_of
from tests.wfs.helpers import NS, call
from tests.wfs.test_wfs_schemas import _combined
from tests.wms.helpers import A1_PIXEL, wms_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalogue", "private_tile_cache"),
]
LOTS = [
    (square(HUE_X, HUE_Y, 100), {"code": "A1", "function": "DO", "name": "Đất ở mới"}),
    (square(HUE_X + 100, HUE_Y, 100), {"code": "A2", "function": "CX"}),
]
PLANNER = {"Authorization": "Basic " + b64encode(b"planner_t:pw-planner-test").decode()}
SAFE = etree.XMLParser(resolve_entities=False, no_network=True)


def _migration():
    return __import__("planning.migrations.0014_feature_lineage", fromlist=["_"])


def _a1(revision: Revision) -> Feature:
    return Feature.objects.select_related("layer__revision").get(
        layer__revision=revision, attributes__code="A1"
    )


def _approve(planner, reviewer, revision: Revision) -> Revision:
    SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(user=reviewer, revision=revision, decision_number="2/QĐ-UBND").execute()
    revision.refresh_from_db()
    return revision


def _answer(planner, revision: Revision) -> Revision:
    return CreateRevision(user=planner, project=revision.project, based_on=revision).execute()


@dataclass(frozen=True)
class Chain:
    first: Revision  # revision 1, in force before
    second: Revision  # its answer, in force now
    lot: int  # A1's row id in revision 1: its public id


@pytest.fixture
def chain(planner, reviewer) -> Chain:
    first = declare_lot_schema(make_plan(planner, reviewer, "stable", LOTS, approve=True))
    lot = _a1(first).pk
    second = _approve(planner, reviewer, _answer(planner, first))
    assert _a1(second).pk != lot
    return Chain(first, second, lot)


# --- What each service calls lot A1 ---------------------------------------------------------


def _get(url: str, headers: dict[str, str] | None = None) -> bytes:
    status, _, body = call(url, headers=headers)
    assert status == 200, body[:500]
    return body


def _wfs(base: str, headers: dict[str, str] | None = None, **params: str) -> bytes:
    query = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", **params}
    return _get(f"{base}/wfs?{urlencode(query)}", headers)


def _gml_ids(body: bytes) -> dict[str, list[str]]:
    """gml:id of each landuse member of a GML answer, by lot code."""
    ids: dict[str, list[str]] = {}
    for member in etree.fromstring(body, SAFE).iter(f"{{{NS}}}landuse"):
        code = member.findtext(f"{{{NS}}}code")
        ids.setdefault(code, []).append(member.get("{http://www.opengis.net/gml/3.2}id"))
    return ids


def _by_code(features: list[dict], code: str = "A1", key: str = "properties") -> list:
    return [f["id"] for f in features if f[key].get("code") == code]


def _wfs_json_ids(base: str, at: str | None = None) -> list:
    extra = {"DATETIME": at} if at else {}
    body = _wfs(base, TYPENAMES="landuse", OUTPUTFORMAT="application/json", **extra)
    return _by_code(json.loads(body)["features"])


def _ogc_ids(base: str, at: str | None = None) -> list:
    query = f"?datetime={at}" if at else ""
    body = _get(f"{base}/ogcapi/collections/landuse/items{query}")
    return _by_code(json.loads(body)["features"])


def _wms_ids(base: str, at: str | None = None) -> list:
    query = {"REQUEST": "GetFeatureInfo", "QUERY_LAYERS": "plans", "I": A1_PIXEL[0]}
    query.update({"J": A1_PIXEL[1], "INFO_FORMAT": "application/json", "TIME": at})
    body = _get(wms_url(base, **query))
    return _by_code(json.loads(body)["features"])


def _mvt_ids(base: str, at: str | None = None) -> list:
    x, y, _ = tile_of(HUE_X + 50, HUE_Y + 50, 16)
    query = f"?{urlencode({'datetime': at})}" if at else ""
    tile = mapbox_vector_tile.decode(_get(f"{base}/vtiles/landuse/16/{x}/{y}.pbf{query}"))
    return _by_code(tile["landuse"]["features"])


def _api_ids(base: str, at: str | None = None) -> list:
    query = f"?{urlencode({'at': at})}" if at else ""
    body = _get(f"{base}/api/features/{query}")
    return _by_code(json.loads(body)["features"])


def _ids_everywhere(base: str, at: str | None = None) -> dict[str, list]:
    gml = _wfs(base, TYPENAMES="landuse", **({"DATETIME": at} if at else {}))
    return {
        "wfs gml": _gml_ids(gml)["A1"],
        "wfs json": _wfs_json_ids(base, at),
        "ogcapi": _ogc_ids(base, at),
        "wms": _wms_ids(base, at),
        "mvt": _mvt_ids(base, at),
        "api": _api_ids(base, at),
    }


def _expected(lot: int) -> dict[str, list]:
    return {
        "wfs gml": [f"landuse.{lot}"],
        "wfs json": [f"landuse.{lot}"],
        "ogcapi": [lot],
        "wms": [f"landuse.{lot}"],
        "mvt": [lot],
        "api": [lot],
    }


def _found_by_id(base: str, lot: int, headers: dict[str, str] | None = None) -> dict[str, int]:
    """HTTP status of the lookups by public id; the lot's code where found."""
    found = {}
    status, _, body = call(f"{base}/ogcapi/collections/landuse/items/{lot}", headers=headers)
    found["ogcapi"] = json.loads(body)["properties"]["code"] if status == 200 else status
    status, _, body = call(f"{base}/api/features/{lot}/", headers=headers)
    found["api"] = json.loads(body)["properties"]["code"] if status == 200 else status
    body = _wfs(base, headers, RESOURCEID=f"landuse.{lot}")
    found["wfs resourceid"] = ",".join(_gml_ids(body)) or "none"
    status, _, body = call(
        f"{base}/wfs?"
        + urlencode(
            {
                "SERVICE": "WFS",
                "VERSION": "2.0.0",
                "REQUEST": "GetFeature",
                "STOREDQUERY_ID": "urn:ogc:def:query:OGC-WFS::GetFeatureById",
                "ID": f"landuse.{lot}",
            }
        ),
        headers=headers,
    )
    found["wfs by id"] = ",".join(_gml_ids(body)) if status == 200 else status
    return found


def _at(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- The tests --------------------------------------------------------------------------------


def test_an_unchanged_lot_keeps_its_id_through_an_approval(live_server, chain):
    base = live_server.url
    assert _ids_everywhere(base) == _expected(chain.lot)
    assert _found_by_id(base, chain.lot) == {
        "ogcapi": "A1",
        "api": "A1",
        "wfs resourceid": "A1",
        "wfs by id": "A1",
    }
    # The copy's own row id names nothing public.
    copy = _a1(chain.second).pk
    assert _found_by_id(base, copy) == {
        "ogcapi": 404,
        "api": 404,
        "wfs resourceid": "none",
        "wfs by id": 404,
    }


def test_at_instants_before_the_approvals_the_old_copies_answer_with_the_same_id(
    live_server, chain, planner, reviewer
):
    """A third revision approved over the second: at an instant when the second (a copy)
    was in force, and one when the first was, the lot has the same id as now."""
    third = _approve(planner, reviewer, _answer(planner, chain.second))
    now = third.approved_at
    Revision.objects.filter(pk=chain.first.pk).update(
        approved_at=now - timedelta(days=4), superseded_at=now - timedelta(days=2)
    )
    Revision.objects.filter(pk=chain.second.pk).update(approved_at=now - timedelta(days=2))
    for moment in (None, now - timedelta(days=1), now - timedelta(days=3)):
        at = _at(moment) if moment else None
        assert _ids_everywhere(live_server.url, at) == _expected(chain.lot), at
        extra = {"DATETIME": at} if at else {}
        body = _wfs(live_server.url, RESOURCEID=f"landuse.{chain.lot}", **extra)
        assert _gml_ids(body) == {"A1": [f"landuse.{chain.lot}"]}, at


def test_a_reimported_layer_keeps_the_ids(live_server, chain, planner, reviewer, tmp_path):
    """A layer removed and imported again holds new rows; the approval links each lot to
    the one of the same code it replaces (planning.lineage), so the id holds on every
    service (more cases: test_reimport_keeps_ids)."""
    assert _found_by_id(live_server.url, chain.lot)["ogcapi"] == "A1"
    draft = _answer(planner, chain.second)
    RemoveLayer(user=planner, layer=Layer.objects.get(revision=draft)).execute()
    lots = [shapely.from_wkt(geom.wkt) for geom, _ in LOTS]
    fields = {key: [attrs.get(key, "") for _, attrs in LOTS] for key in ("code", "function")}
    path = write_vector(tmp_path / "lots.gpkg", lots, fields, driver="GPKG")
    import_upload(
        user=planner, revision=draft, path=path, filename=path.name, kind="landuse", name="Lots"
    )
    third = _approve(planner, reviewer, draft)
    assert _a1(third).lineage == chain.lot
    assert _ids_everywhere(live_server.url) == _expected(chain.lot)
    assert _found_by_id(live_server.url, chain.lot)["ogcapi"] == "A1"


def _draft_copy(chain: Chain, planner) -> tuple[Revision, int]:
    draft = _answer(planner, chain.second)
    return draft, _a1(draft).pk


def test_a_draft_copy_has_its_own_id_next_to_the_plan_in_force(live_server, chain, planner):
    draft, draft_lot = _draft_copy(chain, planner)
    assert draft_lot != chain.lot
    body = _wfs(live_server.url, PLANNER, TYPENAMES="landuse")
    ids = _gml_ids(body)["A1"]
    assert sorted(ids) == sorted([f"landuse.{chain.lot}", f"landuse.{draft_lot}"])
    every_id = [i for lot_ids in _gml_ids(body).values() for i in lot_ids]
    assert len(every_id) == len(set(every_id))
    items = json.loads(_get(f"{live_server.url}/ogcapi/collections/landuse/items", PLANNER))
    assert sorted(_by_code(items["features"])) == sorted([chain.lot, draft_lot])
    # Each id finds its own feature, for the planner.
    found = {
        lot: json.loads(_get(f"{live_server.url}/ogcapi/collections/landuse/items/{lot}", PLANNER))
        for lot in (chain.lot, draft_lot)
    }
    assert {lot: doc["id"] for lot, doc in found.items()} == {
        chain.lot: chain.lot,
        draft_lot: draft_lot,
    }
    revisions = {
        lot: json.loads(_get(f"{live_server.url}/api/features/{lot}/", PLANNER))["properties"][
            "_revision"
        ]
        for lot in (chain.lot, draft_lot)
    }
    assert revisions == {chain.lot: chain.second.pk, draft_lot: draft.pk}


@needs_schemas
def test_the_planners_gml_with_a_draft_copy_validates(live_server, chain, planner, tmp_path):
    """gml:id is an XML ID: the schema refuses a document where two members share one."""
    _draft_copy(chain, planner)
    xsd = _wfs(live_server.url, PLANNER, REQUEST="DescribeFeatureType", TYPENAMES="landuse")
    body = _wfs(live_server.url, PLANNER, TYPENAMES="landuse")
    checker = _combined(xsd, tmp_path)
    assert checker.validate(etree.fromstring(body, SAFE)), str(checker.error_log)[:2000]
    assert f"landuse.{chain.lot}" in _gml_ids(body)["A1"]


def test_guessing_a_hidden_draft_features_id_finds_nothing(live_server, chain, planner, outsider):
    _, draft_lot = _draft_copy(chain, planner)
    hidden = {"ogcapi": 404, "api": 404, "wfs resourceid": "none", "wfs by id": 404}
    assert _found_by_id(live_server.url, draft_lot) == hidden
    outsider_auth = {"Authorization": "Basic " + b64encode(b"outsider_t:pw-outsider-test").decode()}
    assert _found_by_id(live_server.url, draft_lot, outsider_auth) == hidden
    # The public id of the lot in force still names the lot in force only, for everyone.
    everyone = {"ogcapi": "A1", "api": "A1", "wfs resourceid": "A1", "wfs by id": "A1"}
    assert _found_by_id(live_server.url, chain.lot) == everyone
    assert _found_by_id(live_server.url, draft_lot, PLANNER) == everyone
    body = _wfs(live_server.url, PLANNER, RESOURCEID=f"landuse.{chain.lot}")
    assert _gml_ids(body) == {"A1": [f"landuse.{chain.lot}"]}


def test_a_sent_back_original_and_its_approved_answer_have_their_own_ids(
    live_server, planner, reviewer
):
    """Revision 1 is sent back, never published; revision 2 answers it and is approved.
    Its lot starts its own public id, distinct from the sent-back original's."""
    first = declare_lot_schema(make_plan(planner, reviewer, "sentback", LOTS, approve=False))
    SubmitRevision(user=planner, revision=first).execute()
    RequestChanges(user=reviewer, revision=first, note="Sửa lại").execute()
    second = _approve(planner, reviewer, _answer(planner, first))
    original, answer = _a1(first), _a1(second)
    assert (original.public_id, answer.public_id) == (original.pk, answer.pk)
    assert _ids_everywhere(live_server.url) == _expected(answer.pk)
    body = _wfs(live_server.url, PLANNER, TYPENAMES="landuse")
    assert sorted(_gml_ids(body)["A1"]) == sorted(
        [f"landuse.{original.pk}", f"landuse.{answer.pk}"]
    )
    assert _found_by_id(live_server.url, original.pk)["ogcapi"] == 404
    assert _found_by_id(live_server.url, original.pk, PLANNER)["ogcapi"] == "A1"
    # A later answer to the approved revision carries the approved lot's id.
    later = _a1(_answer(planner, second))
    assert later.lineage == answer.pk


def test_the_migration_links_an_existing_chain_of_copies(planner, reviewer):
    """Copies made before lineages existed: revision 1 in force, revision 2 approved over it,
    revision 3 sent back, revision 4 answering it. The migration links them as the copy
    would have: every copy of A1 and A2 takes revision 1's ids. A lot changed in revision 4
    stays unlinked, and so does an identical layer uploaded a day after its revision
    (revision 5, whose copied layer was removed): a re-import, not a copy."""
    first = make_plan(planner, reviewer, "migrated", LOTS, approve=True)
    second = _approve(planner, reviewer, _answer(planner, first))
    third = _answer(planner, second)
    SubmitRevision(user=planner, revision=third).execute()
    RequestChanges(user=reviewer, revision=third, note="Sửa lại").execute()
    fourth = _answer(planner, third)
    changed = Feature.objects.get(layer__revision=fourth, attributes__code="A2")
    changed.geom = square(HUE_X + 100, HUE_Y, 90)
    changed.save()
    fifth = _answer(planner, second)
    RemoveLayer(user=planner, layer=Layer.objects.get(revision=fifth)).execute()
    later = Layer.objects.create(revision=fifth, kind="landuse", name="Lots", created_by=planner)
    Layer.objects.filter(pk=later.pk).update(created_at=fifth.created_at + timedelta(days=1))
    reimported = Feature.objects.bulk_create(
        Feature(layer=later, geom=geom, attributes=attrs, category=attrs["function"])
        for geom, attrs in LOTS
    )
    by_copy = dict(Feature.objects.values_list("pk", "lineage"))
    Feature.objects.update(lineage=None)  # the data as the old copy left it

    _migration().link_existing_copies(django_apps, None)

    lineages = dict(Feature.objects.values_list("pk", "lineage"))
    assert lineages == {**by_copy, changed.pk: None}
    assert {lineages[f.pk] for f in reimported} == {None}
    linked = [pk for pk, lineage in lineages.items() if lineage is not None]
    assert len(linked) == 5  # A1 and A2 of revisions 2 and 3, A1 of revision 4
    roots = {f.attributes["code"]: f.pk for f in Feature.objects.filter(layer__revision=first)}
    assert {lineages[_a1(r).pk] for r in (second, third, fourth)} == {roots["A1"]}
    assert _a1(second).public_id == roots["A1"]


def test_a_copy_reads_from_the_database_whether_its_source_is_published(planner, reviewer):
    first = make_plan(planner, reviewer, "stale", LOTS, approve=True)
    first.state = "submitted"  # an instance read before the approval
    copy = _a1(_answer(planner, first))
    assert copy.lineage == _a1(first).pk
