"""A shapefile's DBF cuts field names to ten characters: `storeys_min` arrives as
`storeys_mi`. The import reads such a field as the schema's attribute, so QA checks the
storeys and the edit form shows them (QA walk: a lot with minimum 5 over maximum 3
storeys passed the checks, its card showing the raw names)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import shapely

from planning import qa
from planning.models import Feature
from tests.conftest import HUE_X, HUE_Y
from tests.files import upload_as_layer, write_vector

pytestmark = pytest.mark.django_db
LOTS = [
    shapely.box(HUE_X + i * 50, HUE_Y + 600, HUE_X + i * 50 + 40, HUE_Y + 640) for i in range(2)
]


def upload(planner, revision, path: Path):
    return upload_as_layer(planner, revision, path, crs="EPSG:9214")


def shapefile(folder: Path, fields: dict) -> Path:
    folder.mkdir()
    shp = write_vector(folder / "lots.shp", LOTS, fields, driver="ESRI Shapefile")
    archive = folder / "lots.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in folder.glob("lots.*"):
            if part != archive:
                zipped.write(part, part.name)
    assert shp.exists()
    return archive


def test_cut_names_are_read_as_the_schemas_attributes(planner, draft_plan, tmp_path):
    fields = {
        "code": ["D1", "D2"],
        "function": ["ODT", "ODT"],
        "STOREYS_MI": [5, 2],  # any case
        "storeys_ma": [3, 4],
    }

    result = upload(planner, draft_plan, shapefile(tmp_path / "shp", fields))

    names = [field["name"] for field in result.layer.attribute_schema]
    assert "storeys_min" in names
    assert "storeys_max" in names
    d1 = Feature.objects.get(layer=result.layer, attributes__code="D1")
    assert d1.attributes["storeys_min"] == 5
    assert d1.attributes["storeys_max"] == 3
    assert not {"STOREYS_MI", "storeys_ma"} & set(d1.attributes)
    qa.run(draft_plan)
    upside_down = draft_plan.findings.filter(rule="attributes.storeys", feature_id=d1.pk)
    assert upside_down.count() == 1


def test_a_source_with_the_full_name_keeps_its_cut_one_apart(planner, draft_plan, tmp_path):
    path = tmp_path / "lots.geojson"
    write_vector(
        path,
        LOTS,
        {"code": ["D1", "D2"], "storeys_min": [2, 2], "storeys_mi": [9, 9]},
        driver="GeoJSON",
    )

    result = upload(planner, draft_plan, path)

    d1 = Feature.objects.get(layer=result.layer, attributes__code="D1")
    assert (d1.attributes["storeys_min"], d1.attributes["storeys_mi"]) == (2, 9)
