"""`project` (the project code) and `revision` (the revision number) of every feature over
WFS, as WMS GetFeatureInfo gives them (tests/revision_plans.py): in DescribeFeatureType
(a string and an integer), GML 3.2 (valid against the OGC schemas and the described type),
GML 3.1.1 and GeoJSON, FES filters, SORTBY and GetPropertyValue, for OWSLib and GDAL alike.
Uploaded attributes of the same names give way (`project_1`, `Revision_1`), and a draft's
revision reaches nobody but its planners."""

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

from tests.ogc_schemas import needs_schemas, offline_parser, validate
from tests.revision_plans import (
    DRAFT_LOT,
    DRAFT_REVISION,
    IN_FORCE,
    UPLOADED_PROJECT,
    UPLOADED_REVISION,
    revision_plans,
)
from tests.wfs.helpers import NS, WFS20, call, exception_code, gdal_env, xml

pytestmark = [pytest.mark.django_db(transaction=True)]
needs_gdal = pytest.mark.skipif(not shutil.which("ogr2ogr"), reason="GDAL tools missing")
XS = "http://www.w3.org/2001/XMLSchema"
FES = '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0">{}</fes:Filter>'
EQUAL = (
    "<fes:PropertyIsEqualTo><fes:ValueReference>{name}</fes:ValueReference>"
    "<fes:Literal>{value}</fes:Literal></fes:PropertyIsEqualTo>"
)


@pytest.fixture
def plans(plan_in_force, planner, reviewer):
    return revision_plans(plan_in_force, planner, reviewer)


def _wfs(live_server, headers=None, **params: str) -> bytes:
    status, _, body = call(
        f"{live_server.url}/wfs", {"SERVICE": "WFS", "VERSION": "2.0.0", **params}, headers=headers
    )
    assert status == 200, body[:500]
    return body


def _geojson(live_server, headers=None, **params: str) -> dict[str, dict]:
    body = _wfs(
        live_server, headers, REQUEST="GetFeature", OUTPUTFORMAT="application/json", **params
    )
    return {f["properties"]["code"]: f["properties"] for f in json.loads(body)["features"]}


def _gml_lots(body: bytes, element: str = "landuse") -> dict[str, dict[str, str]]:
    lots = {}
    for lot in xml(body).iter(f"{{{NS}}}{element}"):
        values = {etree.QName(e).localname: e.text for e in lot}
        lots[values["code"]] = values
    return lots


def _pairs(lots: dict[str, dict]) -> dict[str, tuple[str, int]]:
    return {code: (lot["project"], int(lot["revision"])) for code, lot in lots.items()}


def test_describe_feature_type_types_and_gives_way(live_server, plans):
    root = xml(_wfs(live_server, REQUEST="DescribeFeatureType", TYPENAMES="landuse"))
    elements = {e.get("name"): e for e in root.find(f".//{{{XS}}}sequence")}
    assert elements["project"].get("type") == "xs:string"
    assert elements["revision"].get("type") == "xs:integer"
    names = list(elements)
    assert names[names.index("category") :] == [
        "category", "project", "revision", "name", "project_1", "Revision_1"
    ]  # fmt: skip
    note = elements["project_1"].findtext(f".//{{{XS}}}documentation")
    assert "Uploaded attribute project, renamed" in note
    assert "project" in elements["project"].findtext(f".//{{{XS}}}documentation")


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
@pytest.mark.parametrize("type_name", ["landuse", "landuse.second"])
def test_owslib_gml32_validates_and_carries_project_and_revision(
    live_server, plans, tmp_path, type_name
):
    schema = _combined(
        _wfs(live_server, REQUEST="DescribeFeatureType", TYPENAMES=type_name), tmp_path
    )
    wfs = WebFeatureService(f"{live_server.url}/wfs", version="2.0.0", timeout=60)
    body = wfs.getfeature(typename=[f"planning:{type_name}"]).read()
    validate(body, schema)
    lots = _gml_lots(body, type_name)
    expected = {c: p for c, p in IN_FORCE.items() if type_name == "landuse" or p[0] == "second"}
    assert _pairs(lots) == expected
    assert (lots["P1"]["project_1"], lots["P1"]["Revision_1"]) == (
        UPLOADED_PROJECT, UPLOADED_REVISION
    )  # fmt: skip


def test_owslib_gml311_carries_them_too(live_server, plans):
    wfs = WebFeatureService(f"{live_server.url}/wfs", version="1.1.0", timeout=60)
    body = wfs.getfeature(typename=["planning:landuse"]).read()
    assert _pairs(_gml_lots(body)) == IN_FORCE


def test_geojson_properties(live_server, plans):
    lots = _geojson(live_server, TYPENAMES="landuse")
    assert lots["A1"] == {"code": "A1", "function": "DO", "category": "DO", "name": "Đất ở mới",
                          "project": "inforce", "revision": 1}  # fmt: skip
    assert lots["P1"] == {"code": "P1", "function": "CX", "category": "CX", "project": "second",
                          "revision": 2, "project_1": UPLOADED_PROJECT,
                          "Revision_1": UPLOADED_REVISION}  # fmt: skip
    chosen = _geojson(live_server, TYPENAMES="landuse", PROPERTYNAME="code,revision")
    assert chosen["P1"] == {"code": "P1", "revision": 2}


@pytest.mark.parametrize("method", ["Get", "Post"])
def test_owslib_filters_by_project_and_revision(live_server, plans, method):
    wfs = WebFeatureService(f"{live_server.url}/wfs", version="2.0.0", timeout=60)

    def codes(name: str, literal: str) -> list[str]:
        fes = etree.tostring(PropertyIsEqualTo(propertyname=name, literal=literal).toXML())
        body = wfs.getfeature(
            typename=["planning:landuse"], filter=FES.format(fes.decode()), method=method
        ).read()
        return sorted(_gml_lots(body))

    assert codes("project", "second") == ["P1"]
    assert codes("planning:project", "inforce") == ["A1", "A2"]
    assert codes("revision", "2") == ["P1"]
    assert codes("revision", "1") == ["A1", "A2"]
    assert codes("project_1", UPLOADED_PROJECT) == ["P1"]
    assert codes("project", UPLOADED_PROJECT) == [], "the uploaded value is not the project"
    # A literal is a bound value, never SQL.
    assert codes("project", "second' OR '1'='1") == []


def test_like_sort_and_get_property_value(live_server, plans):
    like = FES.format(
        '<fes:PropertyIsLike wildCard="*" singleChar="." escapeChar="!">'
        "<fes:ValueReference>project</fes:ValueReference><fes:Literal>in*</fes:Literal>"
        "</fes:PropertyIsLike>"
    )
    assert sorted(_geojson(live_server, TYPENAMES="landuse", FILTER=like)) == ["A1", "A2"]
    body = _wfs(
        live_server, REQUEST="GetFeature", TYPENAMES="landuse", OUTPUTFORMAT="application/json",
        SORTBY="revision DESC,code",
    )  # fmt: skip
    assert [f["properties"]["code"] for f in json.loads(body)["features"]] == ["P1", "A1", "A2"]
    values = _wfs(
        live_server, REQUEST="GetPropertyValue", TYPENAMES="landuse", VALUEREFERENCE="project",
        SORTBY="code",
    )  # fmt: skip
    assert [e.text for e in xml(values).iter(f"{{{WFS20}}}member")] == [
        "inforce", "inforce", "second"
    ]  # fmt: skip


def _refused(live_server, name: str, value: str) -> str:
    """The exception text of a GetFeature filtering `name` = `value`, refused as it must be."""
    status, _, body = call(
        f"{live_server.url}/wfs",
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": "landuse",
         "FILTER": FES.format(EQUAL.format(name=name, value=value))},
    )  # fmt: skip
    assert status == 400
    assert exception_code(body) == ("InvalidParameterValue", "filter")
    return xml(body).findtext(".//{http://www.opengis.net/ows/1.1}ExceptionText")


def test_only_the_published_names_reach_the_revision_columns(live_server, plans):
    assert "'two' is not a valid integer" in _refused(live_server, "revision", "two")
    # The columns behind `project` are reached through the allow-list only: neither an ORM
    # path nor the alias the registry gives them is a property name.
    for name in ("layer__revision__project__code", "published_project", "project.code"):
        assert "Unknown property" in _refused(live_server, name, "second")


def test_the_drafts_revision_never_appears(live_server, plans, planner):
    lots = _geojson(live_server, TYPENAMES="landuse")
    assert DRAFT_LOT not in lots
    assert _pairs(lots) == IN_FORCE
    draft_filter = FES.format(
        "<fes:And>" + EQUAL.format(name="project", value="inforce")
        + EQUAL.format(name="revision", value=DRAFT_REVISION) + "</fes:And>"
    )  # fmt: skip
    assert _geojson(live_server, TYPENAMES="landuse", FILTER=draft_filter) == {}
    gml = _wfs(live_server, REQUEST="GetFeature", TYPENAMES="landuse.inforce")
    assert {lot["revision"] for lot in _gml_lots(gml, "landuse.inforce").values()} == {"1"}
    # Its planners see the draft's copies, each with its own revision's number.
    headers = {"Authorization": f"Token {Token.objects.create(user=planner).key}"}
    private = _wfs(
        live_server, headers, REQUEST="GetFeature", TYPENAMES="landuse.inforce",
        OUTPUTFORMAT="application/json",
    )  # fmt: skip
    pairs = sorted(
        (f["properties"]["code"], f["properties"]["revision"])
        for f in json.loads(private)["features"]
    )
    assert pairs == [("A1", 1), ("A1", 2), ("A2", 1), ("A2", 2), (DRAFT_LOT, 2)]


def _ogr(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(args), capture_output=True, text=True, timeout=120, env=gdal_env(), check=False
    )


@needs_gdal
def test_gdal_reads_project_and_revision_columns(live_server, plans, tmp_path):
    info = _ogr("ogrinfo", "-ro", "-al", "-so", f"WFS:{live_server.url}/wfs", "landuse")
    assert info.returncode == 0, info.stderr
    for field in ("project: String", "revision: Integer", "project_1: String"):
        assert field in info.stdout, info.stdout
    out = tmp_path / "out.json"
    copy = _ogr(
        "ogr2ogr", "-f", "GeoJSON", str(out), f"WFS:{live_server.url}/wfs?VERSION=2.0.0",
        "landuse", "-where", "project = 'second'",
    )  # fmt: skip
    assert copy.returncode == 0, copy.stderr
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert [(f["properties"]["code"], f["properties"]["revision"]) for f in features] == [("P1", 2)]
    assert features[0]["properties"]["project_1"] == UPLOADED_PROJECT


def test_a_fraction_is_refused_for_the_revision_number(live_server, plans):
    """PropertyIsEqualTo revision 1.5 matched revision 1 (review finding)."""
    assert "whole numbers" in _refused(live_server, "revision", "1.5")
