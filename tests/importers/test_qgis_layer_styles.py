"""A GeoPackage saved by QGIS with its style (code review): QGIS keeps the style in a
`layer_styles` table whose styleQML and styleSLD texts are often longer than the attribute
limit (PLANNING_MAX_ATTRIBUTE_CHARS, 10,000 characters). The mapping page lists every
layer, tables of attributes too, and refused the file naming 'styleQML'; a mapping with
FIELD=VALUE rules read the table it ignores and refused it for having no geometry. A
table that is never imported is now neither held to the limit nor refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from importers.gis_mapping import import_mapped_dataset
from planning.errors import InvalidInput
from planning.models import Feature, Layer
from tests.files import write_vector
from tests.importers.test_tables_without_geometry import LOTS

pytestmark = pytest.mark.django_db
CATEGORY = '<category symbol="{n}" value="{code}" label="{label}" render="true" type="string"/>\n'
LABELS = ["Đất ở đô thị", "Đất cây xanh", "Đất giao thông", "Đất công cộng", "Mặt nước"]


def qml(length: int) -> str:
    """A QGIS style document of about `length` characters: one category a land-use code."""
    head = (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.34.4-Prizren" styleCategories="AllStyleCategories">\n'
        '<renderer-v2 type="categorizedSymbol" attr="code">\n<categories>\n'
    )
    rows = []
    while len(head) + sum(map(len, rows)) < length:
        n = len(rows)
        rows.append(CATEGORY.format(n=n, code=f"A{n}", label=LABELS[n % len(LABELS)]))
    return head + "".join(rows) + "</categories>\n</renderer-v2>\n</qgis>\n"


def qgis_geopackage(path: Path, style_chars: int = 30_000) -> Path:
    """lots.gpkg with the lots and, as QGIS's "Save style in database" writes it, a
    layer_styles table (no geometry) holding their style."""
    write_vector(path, LOTS, {"code": ["A1", "A2"]}, driver="GPKG", layer="lots")
    style = qml(style_chars)
    texts = {
        "f_table_catalog": "",
        "f_table_schema": "",
        "f_table_name": "lots",
        "f_geometry_column": "geom",
        "styleName": "lots",
        "styleQML": style,
        "styleSLD": "<StyledLayerDescriptor>" + style + "</StyledLayerDescriptor>",
        "description": "Thứ hai 6 tháng 5 2024",
        "owner": "",
        "ui": "",
    }
    names = [*texts, "useAsDefault"]
    values = [np.array([v], dtype=object) for v in texts.values()] + [np.array([True])]
    pyogrio.raw.write(
        path,
        None,
        values,
        names,
        driver="GPKG",
        layer="layer_styles",
        geometry_type=None,
        append=True,
    )
    return path


def inspect(planner, path: Path):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    return client.post(
        "/api/cad/inspect/",
        {"file": SimpleUploadedFile(path.name, path.read_bytes()), "crs": "EPSG:9214"},
    )


def mapped(planner, revision, path: Path, mapping: dict[str, str]):
    return import_mapped_dataset(
        user=planner,
        revision=revision,
        path=path,
        filename=path.name,
        mapping=mapping,
        crs="EPSG:9214",
    )


def test_the_mapping_page_lists_and_imports_a_geopackage_saved_with_its_style(
    planner, draft_plan, tmp_path
):
    path = qgis_geopackage(tmp_path / "lots.gpkg")
    response = inspect(planner, path)
    assert response.status_code == 200, response.content[:2000]
    layers = {layer["name"]: layer for layer in response.json()["layers"]}
    assert {name: layer["total"] for name, layer in layers.items()} == {
        "lots": 2,
        "layer_styles": 0,  # listed, to be mapped to "ignore"
    }
    assert "styleQML" in [field["name"] for field in layers["layer_styles"]["fields"]]
    result = mapped(planner, draft_plan, path, {"lots": "landuse", "layer_styles": "ignore"})
    assert result.report["features"] == {"landuse": 2}
    # The lots themselves are held to the limit as before.
    write_vector(path, LOTS, {"code": ["A1", "x" * 10_001]}, driver="GPKG", layer="lots")
    response = inspect(planner, path)
    assert response.status_code == 400
    assert (
        "layer 'lots', feature no. 2: the value of the attribute 'code'"
        in (response.json()["detail"])
    )


def test_rules_of_the_mapping_leave_the_ignored_style_table_alone(planner, draft_plan, tmp_path):
    """FIELD=VALUE rules read the layers the mapping ignores, to pick features from them:
    the style table has none to give, and is not refused for it."""
    path = qgis_geopackage(tmp_path / "lots.gpkg")
    result = mapped(planner, draft_plan, path, {"code=A2": "buildings", "*": "ignore"})
    assert result.report["features"] == {"buildings": 1}
    codes = Feature.objects.filter(layer__in=result.layers).values_list(
        "attributes__code", flat=True
    )
    assert list(codes) == ["A2"]
    mapping = {"lots": "landuse", "layer_styles": "ignore", "code=A2": "buildings"}
    result = mapped(planner, draft_plan, path, mapping)
    assert result.report["features"] == {"landuse": 1, "buildings": 1}
    # Mapped to a kind, the table is refused for its lack of geometry, as before.
    layers = Layer.objects.count()
    with pytest.raises(InvalidInput, match=r"'layer_styles' of lots\.gpkg has no geometry"):
        mapped(planner, draft_plan, path, {**mapping, "layer_styles": "landuse"})
    assert Layer.objects.count() == layers
