"""The published feature schema over WFS: the catalogue code `category` is a standard
property of land-use types, and uploaded attribute names that clash with a published name
(ignoring case) are published under `<name>_<n>` (tests/clashing_plans.py), the same in
DescribeFeatureType, GML, GeoJSON, filters, sorting and property selection, on every page,
for OWSLib and GDAL alike. Drafts' attribute names stay with their planners."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from owslib.fes2 import PropertyIsEqualTo
from owslib.wfs import WebFeatureService
from rest_framework.authtoken.models import Token

from tests.clashing_plans import RENAMED, SHOP, clashing_plans
from tests.ogc_schemas import needs_schemas, offline_parser, validate
from tests.wfs.helpers import NS, WFS20, call, exception_code, gdal_env, xml

pytestmark = [pytest.mark.django_db(transaction=True)]
needs_gdal = pytest.mark.skipif(not shutil.which("ogr2ogr"), reason="GDAL tools missing")
XS = "http://www.w3.org/2001/XMLSchema"
PUBLISHED = [
    "code", "function", "area", "density", "far", "storeys_min", "storeys_max", "height_max",
    "category", "project", "revision", "name", "AREA_1", "Zone", "ZONE_1", "Code_1",
]  # fmt: skip
FES = '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0">{}</fes:Filter>'


@pytest.fixture
def plans(plan_in_force, planner, reviewer):
    return clashing_plans(planner, reviewer)


def _wfs(live_server, headers=None, **params: str) -> bytes:
    status, _, body = call(
        f"{live_server.url}/wfs",
        {"SERVICE": "WFS", "VERSION": "2.0.0", **params},
        headers=headers,
    )
    assert status == 200, body[:500]
    return body


def _described(body: bytes) -> list[str]:
    root = xml(body)
    sequence = root.find(f".//{{{XS}}}sequence")
    return [e.get("name") for e in sequence.iter(f"{{{XS}}}element")][1:]  # after geom


def _geojson(live_server, **params: str) -> dict:
    body = _wfs(live_server, REQUEST="GetFeature", OUTPUTFORMAT="application/json", **params)
    return json.loads(body)


def _by_code(collection: dict) -> dict[str, dict]:
    return {f["properties"]["code"]: f["properties"] for f in collection["features"]}


def test_describe_feature_type_publishes_category_and_no_clashing_names(live_server, plans):
    names = _described(_wfs(live_server, REQUEST="DescribeFeatureType", TYPENAMES="landuse"))
    assert names == PUBLISHED
    assert len({n.casefold() for n in names}) == len(names)
    project = _wfs(live_server, REQUEST="DescribeFeatureType", TYPENAMES="landuse.shp")
    assert _described(project)[8:] == ["category", "project", "revision", "AREA_1", "Zone"]
    again = _described(_wfs(live_server, REQUEST="DescribeFeatureType", TYPENAMES="landuse"))
    assert again == names, "the same schema on every request"


def _combined(xsd: bytes, tmp_path: Path) -> etree.XMLSchema:
    (tmp_path / "features.xsd").write_bytes(xsd)
    wrapper = (
        f'<xs:schema xmlns:xs="{XS}" targetNamespace="urn:wrapper" '
        'elementFormDefault="qualified"><xs:import namespace="http://www.opengis.net/wfs/2.0" '
        'schemaLocation="http://schemas.opengis.net/wfs/2.0/wfs.xsd"/>'
        f'<xs:import namespace="{NS}" schemaLocation="{(tmp_path / "features.xsd").as_uri()}"/>'
        "</xs:schema>"
    )
    (tmp_path / "wrapper.xsd").write_text(wrapper)
    return etree.XMLSchema(etree.parse(str(tmp_path / "wrapper.xsd"), offline_parser()))


@needs_schemas
def test_gml_pages_validate_and_carry_category_and_renamed_values(live_server, plans, tmp_path):
    schema = _combined(
        _wfs(live_server, REQUEST="DescribeFeatureType", TYPENAMES="landuse"), tmp_path
    )
    lots = {}
    for start in range(5):  # one lot per page: every page against the one schema
        body = _wfs(
            live_server, REQUEST="GetFeature", TYPENAMES="landuse", COUNT="1",
            STARTINDEX=str(start), SORTBY="code",
        )  # fmt: skip
        validate(body, schema)
        (lot,) = xml(body).iter(f"{{{NS}}}landuse")
        lots[lot.findtext(f"{{{NS}}}code")] = {etree.QName(e).localname: e.text for e in lot}
    assert set(lots) == {"A1", "A2", "C1", "S1", "S2"}
    assert lots["S1"]["category"] == "TMDV"
    assert lots["S1"]["function"] == SHOP
    assert lots["S1"]["AREA_1"] == "1234.5"
    assert not {"area", "AREA"} & set(lots["S1"])
    assert lots["C1"]["area"] == "500.0"
    assert (lots["C1"]["ZONE_1"], lots["C1"]["Code_1"]) == ("east", "c-1")
    assert lots["A1"]["category"] == "DO"


def test_geojson_properties_use_the_published_names(live_server, plans):
    lots = _by_code(_geojson(live_server, TYPENAMES="landuse"))
    assert lots["S1"] == {"code": "S1", "function": SHOP, "category": "TMDV", "project": "shp",
                          "revision": 1, "AREA_1": 1234.5, "Zone": "north"}  # fmt: skip
    assert lots["C1"] == {"code": "C1", "function": "CX", "category": "CX", "area": 500,
                          "project": "cad", "revision": 1, "ZONE_1": "east",
                          "Code_1": "c-1"}  # fmt: skip
    chosen = _geojson(live_server, TYPENAMES="landuse", PROPERTYNAME="category,AREA_1")
    assert {f["properties"].get("category") for f in chosen["features"]} == {
        "DO", "CX", "TMDV", "OCT"
    }  # fmt: skip
    assert all(set(f["properties"]) <= {"category", "AREA_1"} for f in chosen["features"])


def test_category_filters_sorts_and_has_values(live_server, plans):
    equal = FES.format(
        "<fes:PropertyIsEqualTo><fes:ValueReference>planning:category</fes:ValueReference>"
        "<fes:Literal>TMDV</fes:Literal></fes:PropertyIsEqualTo>"
    )
    assert list(_by_code(_geojson(live_server, TYPENAMES="landuse", FILTER=equal))) == ["S1"]
    descending = _geojson(live_server, TYPENAMES="landuse", SORTBY="category DESC,code")
    assert [f["properties"]["category"] for f in descending["features"]] == [
        "TMDV", "OCT", "DO", "CX", "CX"
    ]  # fmt: skip
    body = _wfs(
        live_server, REQUEST="GetPropertyValue", TYPENAMES="landuse",
        VALUEREFERENCE="category", SORTBY="code",
    )  # fmt: skip
    assert [e.text for e in xml(body).iter(f"{{{WFS20}}}member")] == [
        "DO", "CX", "CX", "TMDV", "OCT"
    ]  # fmt: skip


def test_renamed_attributes_filter_and_sort_by_their_published_names(live_server, plans):
    greater = FES.format(
        "<fes:PropertyIsGreaterThan><fes:ValueReference>AREA_1</fes:ValueReference>"
        "<fes:Literal>1000</fes:Literal></fes:PropertyIsGreaterThan>"
    )
    assert list(_by_code(_geojson(live_server, TYPENAMES="landuse", FILTER=greater))) == ["S1"]
    sorted_ = _geojson(live_server, TYPENAMES="landuse.shp", SORTBY="AREA_1")
    assert [f["properties"]["code"] for f in sorted_["features"]] == ["S2", "S1"]
    status, _, body = call(
        f"{live_server.url}/wfs",
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": "landuse",
         "FILTER": greater.replace("AREA_1", "AREA")},
    )  # fmt: skip
    assert status == 400
    assert exception_code(body) == ("InvalidParameterValue", "filter")


@pytest.mark.parametrize("method", ["Get", "Post"])
def test_owslib_filters_by_category(live_server, plans, method):
    wfs = WebFeatureService(f"{live_server.url}/wfs", version="2.0.0", timeout=60)
    fes = etree.tostring(PropertyIsEqualTo(propertyname="category", literal="OCT").toXML())
    body = wfs.getfeature(
        typename=["planning:landuse"], filter=FES.format(fes.decode()), method=method
    ).read()
    assert [e.text for e in xml(body).iter(f"{{{NS}}}code")] == ["S2"]
    assert [e.text for e in xml(body).iter(f"{{{NS}}}category")] == ["OCT"]


def test_drafts_names_stay_with_their_planners(live_server, plans, draft_plan, planner):
    for request in ("GetCapabilities", "DescribeFeatureType"):
        body = _wfs(live_server, REQUEST=request)
        assert b"Secret_Field" not in body
        assert b"zone_2" not in body
    anonymous = _geojson(live_server, TYPENAMES="landuse")
    assert b"Secret_Field" not in json.dumps(anonymous).encode()
    headers = {"Authorization": f"Token {Token.objects.create(user=planner).key}"}
    private = _described(
        _wfs(live_server, headers, REQUEST="DescribeFeatureType", TYPENAMES="landuse")
    )
    # The draft comes last: it never renames what is in force, its own `zone` gives way.
    assert private == [*PUBLISHED, "Secret_Field", "zone_2"]


def _ogr(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(args), capture_output=True, text=True, timeout=120, env=env or gdal_env(),
        check=False,
    )  # fmt: skip


@needs_gdal
def test_gdal_reads_every_column_without_duplicate_fields(live_server, plans, tmp_path):
    info = _ogr("ogrinfo", "-ro", "-al", "-so", f"WFS:{live_server.url}/wfs", "landuse")
    assert info.returncode == 0, info.stderr
    assert "already exists" not in info.stderr, info.stderr
    for field in ("category: String", "AREA_1: Real", "Zone: String", "ZONE_1: String"):
        assert field in info.stdout, info.stdout
    out = tmp_path / "out.json"
    paged = gdal_env() | {"OGR_WFS_PAGING_ALLOWED": "ON", "OGR_WFS_PAGE_SIZE": "2"}
    copy = _ogr(
        "ogr2ogr", "-f", "GeoJSON", str(out), f"WFS:{live_server.url}/wfs?VERSION=2.0.0",
        "landuse", env=paged,
    )  # fmt: skip
    assert copy.returncode == 0, copy.stderr
    assert "already exists" not in copy.stderr, copy.stderr
    lots = _by_code(json.loads(out.read_text(encoding="utf-8")))
    assert (lots["S1"]["category"], lots["S1"]["AREA_1"], lots["S1"]["Zone"]) == (
        "TMDV", 1234.5, "north"
    )  # fmt: skip
    assert lots["C1"]["ZONE_1"] == "east"
    assert lots["C1"]["Code_1"] == "c-1"
    assert set(RENAMED) & set(lots["S1"]) == set()
