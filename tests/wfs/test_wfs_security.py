"""Visibility (drafts only for their planners, private caching) and hostile input:
every bad request is an OGC exception report with a 4xx status, never a 500."""

from __future__ import annotations

import json

import pytest
from rest_framework.authtoken.models import Token

from tests.wfs.helpers import call, exception_code

pytestmark = [pytest.mark.django_db(transaction=True)]
EQ = (
    '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo>'
    "<fes:ValueReference>{name}</fes:ValueReference><fes:Literal>{value}</fes:Literal>"
    "</fes:PropertyIsEqualTo></fes:Filter>"
)


def _get(live_server, headers=None, **params: str):
    return call(
        f"{live_server.url}/wfs", {"SERVICE": "WFS", "VERSION": "2.0.0", **params}, headers=headers
    )


def _codes_json(body: bytes) -> list[str]:
    return sorted(f["properties"]["code"] for f in json.loads(body)["features"])


def test_anonymous_never_sees_the_draft(live_server, plan_in_force, draft_plan):
    for request in ("GetCapabilities", "DescribeFeatureType"):
        _, _, body = _get(live_server, REQUEST=request)
        assert b"landuse.draft" not in body
        assert b"B1" not in body
    _, _, body = _get(
        live_server, REQUEST="GetFeature", TYPENAMES="landuse", OUTPUTFORMAT="application/json"
    )
    assert _codes_json(body) == ["A1", "A2"]
    status, _, body = _get(live_server, REQUEST="GetFeature", TYPENAMES="landuse.draft")
    unknown_status, _, unknown = _get(live_server, REQUEST="GetFeature", TYPENAMES="landuse.nope")
    assert status == unknown_status == 400
    assert exception_code(body) == exception_code(unknown) == ("InvalidParameterValue", "typeNames")


def test_planner_token_sees_the_draft_privately(live_server, plan_in_force, draft_plan, planner):
    token = Token.objects.create(user=planner)
    headers = {"Authorization": f"Token {token.key}"}
    status, response_headers, body = _get(
        live_server,
        headers,
        REQUEST="GetFeature",
        TYPENAMES="landuse",
        OUTPUTFORMAT="application/json",
    )
    assert status == 200
    assert _codes_json(body) == ["A1", "A2", "B1"]
    assert response_headers["Cache-Control"] == "private, no-store"
    _, _, caps = _get(live_server, headers, REQUEST="GetCapabilities")
    assert b"planning:landuse.draft" in caps


def test_wrong_token_is_401(live_server, plan_in_force):
    status, _, body = _get(live_server, {"Authorization": "Token nope"}, REQUEST="GetCapabilities")
    assert status == 401
    assert exception_code(body)[0] == "NotAuthenticated"


@pytest.mark.parametrize(
    ("params", "code", "locator"),
    [
        ({"REQUEST": "Transaction"}, "OperationNotSupported", "request"),
        ({"REQUEST": "GetFeature"}, "MissingParameterValue", "typeNames"),
        (
            {"REQUEST": "GetFeature", "TYPENAMES": "landuse", "BBOX": "10,10,0,0"},
            "InvalidParameterValue",
            "bbox",
        ),
        (
            {"REQUEST": "GetFeature", "TYPENAMES": "landuse", "BBOX": "1,2,3"},
            "InvalidParameterValue",
            "bbox",
        ),
        (
            {"REQUEST": "GetFeature", "TYPENAMES": "landuse", "SRSNAME": "EPSG:999999"},
            "InvalidParameterValue",
            "srsName",
        ),
        (
            {"REQUEST": "GetFeature", "TYPENAMES": "landuse", "COUNT": "-5"},
            "InvalidParameterValue",
            "count",
        ),
        (
            {"REQUEST": "GetFeature", "TYPENAMES": "landuse", "PROPERTYNAME": "exec(1)"},
            "InvalidParameterValue",
            "propertyName",
        ),
        (
            {"REQUEST": "GetFeature", "TYPENAMES": "landuse", "PROPERTYNAME": "__class__"},
            "InvalidParameterValue",
            "propertyName",
        ),
        (
            {"REQUEST": "GetFeature", "TYPENAMES": "landuse", "SORTBY": "attributes__code"},
            "InvalidParameterValue",
            "sortBy",
        ),
        (
            {"REQUEST": "GetFeature", "TYPENAMES": "landuse", "OUTPUTFORMAT": "text/csv"},
            "InvalidParameterValue",
            "outputFormat",
        ),
        (
            {"REQUEST": "GetFeature", "TYPENAMES": "landuse", "RESOURCEID": "x;drop"},
            "InvalidParameterValue",
            "resourceId",
        ),
        (
            {"REQUEST": "GetFeature", "TYPENAMES": "landuse", "FILTER": "<not-xml"},
            "InvalidParameterValue",
            "filter",
        ),
        (
            {"REQUEST": "GetPropertyValue", "TYPENAMES": "landuse", "VALUEREFERENCE": "geom__x"},
            "InvalidParameterValue",
            "propertyName",
        ),
        (
            {"REQUEST": "GetCapabilities", "VERSION": "", "ACCEPTVERSIONS": "9.9.9"},
            "VersionNegotiationFailed",
            None,
        ),
    ],
)
def test_bad_parameters_are_reported(live_server, plan_in_force, params, code, locator):
    status, _, body = _get(live_server, **params)
    assert status == 400
    assert exception_code(body) == (code, locator)


@pytest.mark.parametrize(
    "name", ["exec(open('/etc/passwd'))", "__class__", "attributes__code", "code__gt", "geom__x"]
)
def test_expression_like_property_names_in_filters(live_server, plan_in_force, name):
    status, _, body = _get(
        live_server,
        REQUEST="GetFeature",
        TYPENAMES="landuse",
        FILTER=EQ.format(name=name, value="A1"),
    )
    assert status == 400
    assert exception_code(body) == ("InvalidParameterValue", "filter")


def test_sql_in_a_filter_value_is_a_literal(live_server, plan_in_force):
    value = "A1' OR '1'='1"
    status, _, body = _get(
        live_server,
        REQUEST="GetFeature",
        TYPENAMES="landuse",
        OUTPUTFORMAT="application/json",
        FILTER=EQ.format(name="code", value=value),
    )
    assert status == 200
    assert json.loads(body)["features"] == []


@pytest.mark.parametrize(
    "document",
    [
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
        '"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><fes:Filter '
        'xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo><fes:ValueReference>'
        "code</fes:ValueReference><fes:Literal>&lol2;</fes:Literal></fes:PropertyIsEqualTo>"
        "</fes:Filter>",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo>'
        "<fes:ValueReference>code</fes:ValueReference><fes:Literal>&xxe;</fes:Literal>"
        "</fes:PropertyIsEqualTo></fes:Filter>",
    ],
)
def test_entities_are_refused(live_server, plan_in_force, document):
    status, _, body = _get(live_server, REQUEST="GetFeature", TYPENAMES="landuse", FILTER=document)
    assert status == 400
    assert b"root:" not in body
    assert exception_code(body) == ("InvalidParameterValue", "filter")
    post = document.replace(
        "<fes:Filter",
        '<wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs/2.0" '
        'service="WFS" version="2.0.0"><wfs:Query typeNames="landuse">'
        "<fes:Filter",
        1,
    ).replace("</fes:Filter>", "</fes:Filter></wfs:Query></wfs:GetFeature>")
    status, _, body = call(
        f"{live_server.url}/wfs", data=post.encode(), headers={"Content-Type": "application/xml"}
    )
    assert status == 400
    assert b"root:" not in body


def test_absurd_count_is_capped(live_server, plan_in_force):
    status, _, body = _get(
        live_server,
        REQUEST="GetFeature",
        TYPENAMES="landuse",
        COUNT="99999999999999999999",
        OUTPUTFORMAT="application/json",
    )
    assert status == 200
    assert json.loads(body)["numberReturned"] == 2


def test_unsupported_operator_and_bad_literal(live_server, plan_in_force):
    during = (
        '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsGreaterThan>'
        "<fes:ValueReference>area</fes:ValueReference><fes:Literal>lots</fes:Literal>"
        "</fes:PropertyIsGreaterThan></fes:Filter>"
    )
    status, _, body = _get(live_server, REQUEST="GetFeature", TYPENAMES="landuse", FILTER=during)
    assert status == 400
    assert exception_code(body) == ("InvalidParameterValue", "filter")


def _billion_laughs() -> str:
    entities = "".join(
        f'<!ENTITY lol{depth} "{f"&lol{depth - 1};" * 10}">' for depth in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'
        '<wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS" '
        'version="2.0.0"><wfs:Query typeNames="landuse"/>&lol9;</wfs:GetFeature>'
    )


def test_an_entity_bomb_is_refused_as_a_dtd(live_server, plan_in_force):
    """libxml2 stops a deep entity bomb as a syntax error; the caller still hears why, in
    UTF-16 too (tiles.wfs.xmlsafe is what the WFS POST and FILTER parse with)."""
    from planning.errors import InvalidInput
    from tiles.wfs.xmlsafe import parse_xml

    utf16 = _billion_laughs().replace('version="1.0"?>', 'version="1.0" encoding="UTF-16"?>')
    with pytest.raises(InvalidInput, match="must not declare a DTD or entities"):
        parse_xml(utf16.encode("utf-16"))
    status, _, body = call(
        f"{live_server.url}/wfs",
        data=_billion_laughs().encode(),
        headers={"Content-Type": "application/xml"},
    )
    assert status == 400
    assert b"must not declare a DTD or entities" in body
