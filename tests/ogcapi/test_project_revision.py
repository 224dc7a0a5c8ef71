"""`project` (the project code) and `revision` (the revision number) of every feature over
OGC API Features, as WMS GetFeatureInfo gives them (tests/revision_plans.py): in the
queryables and the feature schema (a string and an integer), items and single items as
GeoJSON and HTML, the `project=CODE` parameter and CQL2 filters, for OWSLib and GDAL alike.
Uploaded attributes of the same names give way (`project_1`, `Revision_1`), and a draft's
revision reaches nobody but its planners."""

from __future__ import annotations

import json
import subprocess
from urllib.parse import quote

import pytest
from owslib.ogcapi.features import Features
from rest_framework.authtoken.models import Token

from tests.ogcapi.helpers import codes, get, get_json
from tests.ogcapi.test_clients import gdal_env
from tests.ogcapi.test_feature_schema import _validator
from tests.revision_plans import (
    DRAFT_LOT,
    DRAFT_REVISION,
    IN_FORCE,
    UPLOADED_PROJECT,
    UPLOADED_REVISION,
    revision_plans,
)

pytestmark = pytest.mark.django_db
COLLECTION = "/ogcapi/collections/landuse"
ITEMS = f"{COLLECTION}/items"


@pytest.fixture
def plans(plan_in_force, planner, reviewer):
    return revision_plans(plan_in_force, planner, reviewer)


def _by_code(collection: dict) -> dict[str, dict]:
    return {f["properties"]["code"]: f["properties"] for f in collection["features"]}


def _pairs(lots: dict[str, dict]) -> dict[str, tuple[str, int]]:
    return {code: (lot["project"], lot["revision"]) for code, lot in lots.items()}


def _public_id(client, code: str) -> int:
    """The id the service publishes (a lot approved again keeps its first one)."""
    features = get_json(client, ITEMS)["features"]
    return next(f["id"] for f in features if f["properties"]["code"] == code)


@pytest.mark.parametrize("path", ["queryables", "schemas/feature"])
def test_queryables_and_feature_schema_type_them(client, plans, path):
    doc = get_json(client, f"{COLLECTION}/{path}")
    properties = doc["properties"]
    if path == "schemas/feature":
        properties = properties["properties"]["properties"]
    assert (properties["project"]["type"], properties["revision"]["type"]) == (
        "string", "integer"
    )  # fmt: skip
    assert "project" in properties["project"]["description"]
    names = list(properties)
    assert names[names.index("category") :] == [
        "category", "project", "revision", "name", "project_1", "Revision_1"
    ]  # fmt: skip
    assert "Uploaded attribute Revision, renamed" in properties["Revision_1"]["description"]
    _, html = get(client, f"{COLLECTION}/{path}?f=html")
    assert "Code of the planning project the feature belongs to." in html.decode()


def test_items_and_single_items_carry_them(client, plans):
    lots = _by_code(get_json(client, ITEMS))
    assert _pairs(lots) == IN_FORCE
    assert lots["P1"] == {"code": "P1", "function": "CX", "category": "CX", "project": "second",
                          "revision": 2, "project_1": UPLOADED_PROJECT,
                          "Revision_1": UPLOADED_REVISION}  # fmt: skip
    validator = _validator(get_json(client, f"{COLLECTION}/schemas/feature"))
    for feature in get_json(client, ITEMS)["features"]:
        assert not list(validator.iter_errors(feature)), feature["properties"]
    one = get_json(client, f"{ITEMS}/{_public_id(client, 'A1')}")["properties"]
    assert (one["project"], one["revision"]) == ("inforce", 1)
    _, page = get(client, f"{ITEMS}/{_public_id(client, 'P1')}?f=html")
    assert "<th>project</th><td>second</td>" in page.decode()
    assert "<th>revision</th><td>2</td>" in page.decode()
    _, html = get(client, f"{ITEMS}?f=html&project=second", **{"Accept-Language": "en"})
    assert "project = second; revision = 2; project_1 = Dự án &#x27;cũ&#x27;" in html.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("project=second", {"P1"}),
        ("project=inforce", {"A1", "A2"}),
        ("revision=2", {"P1"}),
        ("project=inforce&revision=1", {"A1", "A2"}),
        ("project_1=" + quote(UPLOADED_PROJECT), {"P1"}),
        ("filter=" + quote("project = 'second'"), {"P1"}),
        ("filter=" + quote("revision = 1 AND project = 'inforce'"), {"A1", "A2"}),
        ("filter=" + quote("project IN ('second', 'x') OR revision > 1"), {"P1"}),
        ("filter=" + quote("project LIKE 'in%'"), {"A1", "A2"}),
        ("filter-lang=cql2-json&filter="
         + quote(json.dumps({"op": "=", "args": [{"property": "revision"}, 2]})), {"P1"}),
    ],
)  # fmt: skip
def test_project_parameter_and_cql2_filters(client, plans, query, expected):
    assert codes(get_json(client, f"{ITEMS}?{query}")) == expected


def test_project_values_are_bound_literals(client, plans):
    assert codes(get_json(client, f"{ITEMS}?project=second")) == {"P1"}
    for value in ("nope", "second' OR '1'='1", UPLOADED_PROJECT):
        assert codes(get_json(client, f"{ITEMS}?project={quote(value)}")) == set(), value
    cql = quote("project = 'second OR 1=1; DROP TABLE planning_feature'")
    assert codes(get_json(client, f"{ITEMS}?filter={cql}")) == set()


def test_bad_values_and_unpublished_names_are_client_errors(client, plans):
    def problem(query: str) -> str:
        document = get_json(client, f"{ITEMS}?{query}", status=400)
        assert document["code"] == "InvalidParameterValue"
        return document["description"]

    assert problem("revision=two") == "revision must be an integer."
    cql = "filter=" + quote("revision = 'two'")
    assert problem(cql) == "The query cannot be evaluated on this collection."
    # The columns behind `project` are reached through the allow-list only.
    for name in ("Project", "published_project", "layer__revision__project__code"):
        assert problem(f"{name}=second") == f"Unknown query parameter: {name}."
        assert problem("filter=" + quote(f"{name} = 'second'")) == f"Unknown property: {name}."


def test_the_drafts_revision_never_appears(client, plans, planner):
    for url in (ITEMS, f"{COLLECTION}.inforce/items", f"{ITEMS}?project=inforce"):
        lots = _by_code(get_json(client, url))
        assert DRAFT_LOT not in lots
        revisions = {lot["revision"] for lot in lots.values() if lot["project"] == "inforce"}
        assert DRAFT_REVISION not in revisions
    drafts = get_json(client, f"{ITEMS}?project=inforce&revision={DRAFT_REVISION}")
    assert (drafts["numberMatched"], drafts["features"]) == (0, [])
    _, html = get(client, f"{COLLECTION}.inforce/items?f=html")
    assert f"revision = {DRAFT_REVISION}" not in html.decode()
    # Its planners see the draft's copies, each with its own revision's number.
    headers = {"Authorization": f"Token {Token.objects.create(user=planner).key}"}
    private = get_json(client, f"{COLLECTION}.inforce/items", **headers)["features"]
    pairs = sorted((f["properties"]["code"], f["properties"]["revision"]) for f in private)
    assert pairs == [("A1", 1), ("A1", 2), ("A2", 1), ("A2", 2), (DRAFT_LOT, 2)]


@pytest.mark.django_db(transaction=True)
def test_owslib_queryables_and_project_filter(live_server, plans):
    api = Features(f"{live_server.url}/ogcapi")
    queryables = api.collection_queryables("landuse")["properties"]
    assert queryables["revision"]["type"] == "integer"
    items = api.collection_items("landuse", project="second")
    assert _pairs(_by_code(items)) == {"P1": ("second", 2)}
    items = api.collection_items("landuse", filter="revision=1")
    assert _pairs(_by_code(items)) == {"A1": ("inforce", 1), "A2": ("inforce", 1)}


@pytest.mark.django_db(transaction=True)
def test_gdal_reads_project_and_revision_columns(live_server, plans, tmp_path):
    out = tmp_path / "out.json"
    result = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{live_server.url}/ogcapi", "landuse",
         "-oo", "PAGE_SIZE=1"],
        capture_output=True, text=True, env=gdal_env(), timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lots = _by_code(json.loads(out.read_text(encoding="utf-8")))
    assert _pairs(lots) == IN_FORCE
    assert lots["P1"]["Revision_1"] == UPLOADED_REVISION
    info = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{live_server.url}/ogcapi", "landuse"],
        capture_output=True, text=True, env=gdal_env(), timeout=120, check=False,
    )  # fmt: skip
    assert "revision: Integer" in info.stdout, info.stdout


def test_the_items_etag_names_what_items_hold(client, plans, monkeypatch):
    """Items are streamed, so their ETag is no hash of the body: it names the encoding, and
    a page cached before `project` and `revision` is not revalidated as unchanged."""
    from tiles.ogcapi import views

    etag = client.get(ITEMS)["ETag"]
    monkeypatch.setattr(views, "ITEMS_VARIANT", "items1")
    assert client.get(ITEMS)["ETag"] != etag


@pytest.mark.parametrize("cql", ["revision = 1.5", "revision = 2.9"])
def test_a_fraction_is_refused_for_the_revision_number(client, plans, cql):
    """`revision = 1.5` matched revision 1: the column's integer truncated the literal
    (review finding)."""
    document = get_json(client, f"{ITEMS}?filter={quote(cql)}", status=400)
    assert "whole-number" in document["description"]
