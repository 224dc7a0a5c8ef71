"""The published-name rule of tiles.feature_types.properties_from_schemas, without a
database: standard names first, `category` for kinds with categories, `project` and
`revision` in every kind, declared names in layer order, a clash ignoring case renamed
`<name>_<n>`, unsafe names never published."""

from __future__ import annotations

from tiles.feature_types import (
    CATEGORY_FIELD,
    SERVICE_FIELDS,
    Property,
    properties_from_schemas,
    standard_properties,
)

LANDUSE_STANDARD = [
    "code", "function", "area", "density", "far", "storeys_min", "storeys_max", "height_max",
    "category", "project", "revision",
]  # fmt: skip


def _schema(*names: str, type_: str = "string") -> list[dict[str, str]]:
    return [{"name": name, "type": type_} for name in names]


def _published(kind: str, *schemas: list) -> dict[str, str]:
    """{published name: attribute key} after the standard properties."""
    properties = properties_from_schemas(kind, schemas)
    return {p.name: p.key for p in properties[len(standard_properties(kind)) :]}


def test_landuse_publishes_category_from_the_column():
    properties = properties_from_schemas("landuse", [])
    assert [p.name for p in properties] == LANDUSE_STANDARD
    category = properties[-3]
    assert category == Property("category", "string", "")
    assert category.path == CATEGORY_FIELD
    assert category.value({"category": "raw", "function": "Đất ở"}, "OCT", "p", 1) == "OCT"
    assert category.value({}, "", "p", 1) is None
    assert "category" not in [p.name for p in properties_from_schemas("roads", [])]


def test_standard_names_win_and_clashes_are_numbered():
    published = _published(
        "landuse",
        _schema("code", "function", "AREA", "Zone", "Category", "CODE"),
        _schema("area", "ZONE", "zone", "AREA"),
    )
    assert published == {
        "AREA_1": "AREA",
        "Zone": "Zone",
        "Category_1": "Category",
        "CODE_1": "CODE",
        "ZONE_1": "ZONE",
        "zone_2": "zone",
    }


def test_a_number_never_takes_a_declared_name():
    published = _published("landuse", _schema("AREA", "area_1", "AREA_2"))
    assert published == {"AREA_3": "AREA", "area_1": "area_1", "AREA_2": "AREA_2"}


def test_category_is_taken_in_every_kind():
    assert _published("roads", _schema("Category", "name", "NAME")) == {
        "Category_1": "Category",
        "NAME_1": "NAME",
    }


def test_the_first_layer_keeps_the_name_and_types_follow_the_source():
    first = properties_from_schemas(
        "landuse", [_schema("Zone", type_="integer"), _schema("ZONE"), _schema("Zone")]
    )
    # `Zone` is text in the third layer: the type every declaration honours is text.
    assert first[len(LANDUSE_STANDARD) :] == [
        Property("Zone", "string", "Zone"),
        Property("ZONE_1", "string", "ZONE"),
    ]
    numbers = properties_from_schemas(
        "landuse", [_schema("DT", type_="integer"), _schema("DT", type_="number")]
    )
    assert numbers[len(LANDUSE_STANDARD) :] == [Property("DT", "number", "DT")]
    same = properties_from_schemas("landuse", [_schema("DT", type_="integer")] * 2)
    assert same[len(LANDUSE_STANDARD) :] == [Property("DT", "integer", "DT")]
    standard_type = properties_from_schemas("landuse", [_schema("area")])
    assert [p for p in standard_type if p.name == "area"] == [Property("area", "number", "area")]


def test_unsafe_and_reserved_names_are_never_published():
    hostile = _schema(
        "x'); DROP TABLE planning_feature;--", "a b", "1st", "ő", "geom", "id", "category",
        "gml_id", "boundedBy", "", "x" * 65,
    )  # fmt: skip
    assert _published("landuse", hostile) == {}


def test_a_name_ending_in_an_underscore_gets_no_double_underscore():
    published = _published("roads", _schema("Zone_", "ZONE_"))
    assert published == {"Zone_": "Zone_", "ZONE_1": "ZONE_"}
    assert all("__" not in name for name in published)


def test_renamed_properties_read_their_own_key_and_say_so():
    (prop,) = [p for p in properties_from_schemas("landuse", [_schema("AREA")]) if p.key == "AREA"]
    assert prop.path == "attributes__AREA"
    assert prop.value({"AREA": 12.5, "area": 3}, "DO", "p", 1) == 12.5
    assert "AREA" in (prop.description or "")


def test_a_draft_never_renames_a_name_in_force():
    """An approved CODE is published as CODE_1 (the standard `code` holds its lower case);
    a draft a planner sees declaring `code_1` gives way instead of pushing it to CODE_2."""
    approved = [_schema("CODE")]
    alone = properties_from_schemas("landuse", approved)
    with_draft = properties_from_schemas("landuse", approved, [_schema("code_1", "Zone")])
    names = {p.key: p.name for p in with_draft}
    assert {p.key: p.name for p in alone}["CODE"] == names["CODE"] == "CODE_1"
    assert names["code_1"] == "code_1_1"
    assert names["Zone"] == "Zone"


def test_reserved_names_in_another_case_are_renamed():
    """GDAL and QGIS compare field names ignoring case: `GEOM` beside `geom`, `GML_ID`
    beside GDAL's own `gml_id` would drop a column."""
    published = _published("roads", _schema("GEOM", "Fid", "GML_ID", "ID", "_a_"))
    assert published == {
        "GEOM_1": "GEOM", "Fid_1": "Fid", "GML_ID_1": "GML_ID", "ID_1": "ID", "_a_": "_a_",
    }  # fmt: skip


def test_project_and_revision_come_from_the_revision_in_every_kind():
    """The project code and revision number WMS GetFeatureInfo gives: read from the row's
    revision columns, never from the attributes; uploaded names give way to them."""
    for kind in ("landuse", "roads"):
        project, revision = standard_properties(kind)[-2:]
        assert (project, revision) == (
            Property("project", "string", ""), Property("revision", "integer", "")
        )  # fmt: skip
        assert (project.path, revision.path) == (SERVICE_FIELDS["project"], "published_revision")
        uploaded = {"project": "uploaded", "revision": "v9"}
        assert project.value(uploaded, "DO", "hue-1", 3) == "hue-1"
        assert revision.value(uploaded, "DO", "hue-1", 3) == 3
        assert "project" in (project.description or "")
    published = _published("roads", _schema("project", "Revision", "REVISION"))
    assert published == {"project_1": "project", "Revision_1": "Revision", "REVISION_2": "REVISION"}
