"""Building heights and storeys are read one way (threed.extrude) by the extrusion, the 3D
Tiles batch table and QA.

The QA walkthrough (F6, F7): a footprint with `so_tang: 4` was extruded to 14.4 m but its
batch table said `storeys: null` (the viewer painted it grey); `height: "7,5"` (decimal
comma) and `chieu_cao: -5` were silently never extruded. Now the batch table shows what
the extrusion used, "7,5" is 7.5 m, and the QA rule heights.unusable names what is ignored.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation

from planning import qa
from planning.models import Feature, QAFinding
from tests.threed.conftest import token_header
from threed.extrude import BASE_KEYS, extrude_revision, height_sql, number_sql, storeys_sql
from threed.testing import HUE_X, HUE_Y, add_layer, box, make_3d_plan

pytestmark = pytest.mark.django_db
STOREY = 3.6  # PLANNING_STOREY_HEIGHT_M's default, set by the fixture below

# The walkthrough's file (/tmp/qa2/files/fp.geojson): three footprints in EPSG:9214.
WALKTHROUGH = {
    "type": "FeatureCollection",
    "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::9214"}},
    "features": [
        {
            "type": "Feature",
            "properties": properties,
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x, 1821550], [x + 10, 1821550], [x + 10, 1821560],
                                 [x, 1821560], [x, 1821550]]],
            },
        }
        for x, properties in (
            (561760, {"code": "FP-1", "so_tang": 4}),
            (561780, {"code": "FP-2", "height": "7,5"}),
            (561800, {"code": "FP-3", "chieu_cao": -5}),
        )
    ],
}  # fmt: skip

# code -> (attributes, batch table height, storeys); height None: not extruded.
FOOTPRINTS = {
    "S-SO-TANG": ({"so_tang": 4}, 14.4, 4),
    "S-FLOORS": ({"floors": "5"}, 18.0, 5),
    "S-TANG-CAO": ({"tang_cao": " 2 "}, 7.2, 2),
    "S-HALF": ({"storeys": "2,5"}, 9.0, 2.5),  # a mezzanine: not truncated to 2 storeys
    "H-CHIEU-CAO": ({"chieu_cao": 12.5}, 12.5, None),
    "H-COMMA": ({"height": "7,5"}, 7.5, None),
    "H-COMMA-STOREYS": ({"chieucao": "10,8", "sotang": 3}, 10.8, 3),
    "H-ZERO-STOREYS": ({"height": 0, "storeys": 3}, 10.8, 3),  # 0 m means none: storeys
    "H-TEXT-STOREYS": ({"height": "cao", "so_tang": 2}, 7.2, 2),
    "H-NEGATIVE": ({"chieu_cao": -5}, None, None),
    "H-UNIT": ({"height": "12m"}, None, None),
    "S-WORD": ({"so_tang": "bốn"}, None, None),
    "NOTHING": ({"use": "nhà ở"}, None, None),
    "EMPTY": ({"height": "", "storeys": None}, None, None),
}
FLAGGED = {
    "H-ZERO-STOREYS": "height = “0”",
    "H-TEXT-STOREYS": "height = “cao”",
    "H-NEGATIVE": "chieu_cao = “-5”",
    "H-UNIT": "height = “12m”",
    "S-WORD": "so_tang = “bốn”",
}


@pytest.fixture(autouse=True)
def _storey_height(settings):
    settings.PLANNING_STOREY_HEIGHT_M = STOREY


@pytest.fixture
def draft(planner, reviewer):
    """A private draft (one lot, one building) plus a layer with the footprints above."""
    revision = make_3d_plan(planner, reviewer, columns=1, rows=1, approve=False)
    footprints = [
        (box(HUE_X + 60 + 20 * n, HUE_Y, 10, 10), {"code": code, **attributes})
        for n, (code, (attributes, _, _)) in enumerate(FOOTPRINTS.items())
    ]
    add_layer(revision, planner, "buildings", "Footprints", footprints)
    extrude_revision(revision)
    return revision


def _tileset_rows(client, revision, user) -> dict[str, dict]:
    """The batch table rows of a revision's tileset, by code, as a client reads them."""
    base = f"/3dtiles/revisions/{revision.pk}/"
    response = client.get(base + "tileset.json", **token_header(user))
    assert response.status_code == 200, response.content
    rows: dict[str, dict] = {}
    for child in json.loads(response.content)["root"]["children"]:
        content = client.get(base + child["content"]["uri"], **token_header(user))
        table = _batch_table(b"".join(content.streaming_content))
        for number, code in enumerate(table["code"]):
            rows[code] = {name: column[number] for name, column in table.items()}
    return rows


def _batch_table(data: bytes) -> dict:
    assert data[:4] == b"b3dm"
    ft_json, ft_bin, bt_json = (int.from_bytes(data[i : i + 4], "little") for i in (12, 16, 20))
    start = 28 + ft_json + ft_bin
    return json.loads(data[start : start + bt_json])


def _extruded_height(revision, code: str) -> float | None:
    feature = Feature.objects.get(layer__revision=revision, attributes__code=code)
    if feature.geom_3d is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_ZMax(geom_3d) - ST_ZMin(geom_3d) FROM planning_feature WHERE id = %s",
            [feature.pk],
        )
        return cursor.fetchone()[0]


def test_batch_table_shows_the_height_and_storeys_the_extrusion_used(client, planner, draft):
    rows = _tileset_rows(client, draft, planner)
    for code, (_, height, storeys) in FOOTPRINTS.items():
        extruded = _extruded_height(draft, code)
        if height is None:
            assert extruded is None, code
            assert code not in rows, code
            continue
        assert extruded == pytest.approx(height), code
        assert rows[code]["height"] == pytest.approx(height), code
        assert rows[code]["storeys"] == storeys, code


def test_the_walkthrough_file_through_the_upload(client, planner, reviewer):
    """F6/F7 as the walkthrough met them: so_tang is in the batch table, "7,5" is 7.5 m,
    -5 stays 2D and QA says why."""
    revision = make_3d_plan(planner, reviewer, "walk", columns=1, rows=1, approve=False)
    upload = client.post(
        f"/api/revisions/{revision.pk}/uploads/",
        {
            "file": SimpleUploadedFile("fp.geojson", json.dumps(WALKTHROUGH).encode()),
            "kind": "buildings",
            "name": "Footprints",
        },
        **token_header(planner),
    )
    assert upload.status_code == 201, upload.content
    rows = _tileset_rows(client, revision, planner)
    assert (rows["FP-1"]["storeys"], rows["FP-1"]["height"]) == (4, pytest.approx(14.4))
    assert (rows["FP-2"]["storeys"], rows["FP-2"]["height"]) == (None, pytest.approx(7.5))
    assert _extruded_height(revision, "FP-2") == pytest.approx(7.5)
    assert "FP-3" not in rows
    qa.run(revision)
    [finding] = QAFinding.objects.filter(revision=revision, rule="heights.unusable")
    stored = Feature.objects.get(pk=finding.feature_id).attributes["chieu_cao"]  # -5.0 (GDAL)
    assert finding.params == {"code": "FP-3", "attributes": f"chieu_cao = “{stored}”"}


def test_qa_names_the_heights_that_are_ignored(draft):
    qa.run(draft)
    findings = {
        f.params["code"]: f
        for f in QAFinding.objects.filter(revision=draft, rule="heights.unusable")
    }
    assert {code: f.params["attributes"] for code, f in findings.items()} == FLAGGED
    negative = findings["H-NEGATIVE"]
    footprint = Feature.objects.get(pk=negative.feature_id)
    assert footprint.attributes["code"] == "H-NEGATIVE"
    assert negative.severity == "warning"
    assert negative.geom.equals(footprint.geom)  # located at the footprint itself
    with translation.override("en"):
        assert qa.message_of(negative) == (
            "Building H-NEGATIVE: chieu_cao = “-5” is not a positive number and is ignored in 3D."
        )


def test_qa_is_quiet_about_usable_heights(planner, reviewer):
    revision = make_3d_plan(planner, reviewer, "quiet", columns=2, rows=1, approve=False)
    qa.run(revision)
    assert not QAFinding.objects.filter(revision=revision, rule="heights.unusable").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7,5", 7.5),
        ("7.5", 7.5),
        (7.5, 7.5),
        (" 12 ", 12.0),
        ("+3", 3.0),
        ("0,25", 0.25),
        ("-5", None),
        (-5, None),
        (0, None),
        ("0,0", None),
        ("cao", None),
        ("12m", None),
        ("7,5,1", None),
        ("1.250,5", None),  # thousands separators: refused, as ambiguous
        ("1" + "0" * 400, None),  # would overflow float8: refused, no SQL error
        (True, None),
        ({"m": 3}, None),
    ],
)
def test_number_forms(text, expected):
    assert _evaluate(height_sql(), {"height": text}) == expected
    assert _evaluate(storeys_sql(), {"so_tang": text}) == expected


def test_capital_field_names_as_shapefiles_write_them():
    assert _evaluate(height_sql(), {"HEIGHT": "12,5"}) == 12.5
    assert _evaluate(storeys_sql(), {"SO_TANG": 4}) == 4.0
    assert _evaluate(storeys_sql(), {"So_Tang": 4}) is None  # mixed case: not a known name
    assert _evaluate(height_sql(), {"height": 3, "HEIGHT": 9}) == 3.0  # as written here first


def test_base_elevation_may_be_negative():
    assert _evaluate(number_sql(BASE_KEYS), {"cao_do_nen": "-1,5"}) == -1.5
    assert _evaluate(number_sql(BASE_KEYS), {"cao_do_nen": "x", "elevation": 2}) == 2.0


def _evaluate(sql: str, attributes: dict):
    with connection.cursor() as cursor:
        query = f"SELECT {sql} FROM (SELECT %s::jsonb AS attributes) f"
        cursor.execute(query, [json.dumps(attributes)])
        return cursor.fetchone()[0]


def test_envelope_check_reads_the_decimal_comma(planner, reviewer):
    """The envelope QA reads heights through the same SQL: 25,2 m on a 19.5 m lot."""
    revision = make_3d_plan(planner, reviewer, "comma", columns=1, rows=1, approve=False)
    building = Feature.objects.get(layer__revision=revision, layer__kind="buildings")
    building.attributes = {"code": building.attributes["code"], "height": "25,2"}
    building.save()
    qa.run(revision)
    [finding] = QAFinding.objects.filter(revision=revision, rule="envelope.height")
    assert finding.params["height"] == pytest.approx(25.2)


def test_envelope_check_skips_a_height_the_extrusion_ignores(planner, reviewer):
    """A negative height with 7 storeys: the 3D view extrudes 7 x 3.6 m, and the envelope
    check judges that height (25.2 m on a 19.5 m lot), not the ignored -5 m."""
    revision = make_3d_plan(planner, reviewer, "negative", columns=1, rows=1, approve=False)
    building = Feature.objects.get(layer__revision=revision, layer__kind="buildings")
    building.attributes = {"code": building.attributes["code"], "chieu_cao": -5, "so_tang": 7}
    building.save()
    qa.run(revision)
    [finding] = QAFinding.objects.filter(revision=revision, rule="envelope.height")
    assert finding.params["height"] == pytest.approx(7 * 3.6)
