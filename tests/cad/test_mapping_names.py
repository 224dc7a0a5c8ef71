"""Layer names in a mapping are read as the importers list them: AutoCAD's \\U+XXXX escapes
decoded and NFC, compared case-insensitively. A preset saved while the readers still listed
escaped names, or a name typed as decomposed letters, keeps naming the same layer."""

from __future__ import annotations

import importlib
import unicodedata
from pathlib import Path

import ezdxf
import numpy as np
import pytest
import shapely
from django.apps import apps

from importers.cad.convert import CadOptions, check_mapping, convert
from importers.cad.mapping import layer_key, parse_mapping
from importers.gis_mapping import _split_by_rules
from importers.ogr import SourceLayer
from planning.errors import InvalidInput
from planning.models import MappingPreset
from tests.cad.drawings import LOT_H, LOT_W, lot_origin

LAYER = "Ranh giới lô đất"  # AutoCAD R2000 writes "Ranh gi\U+1EDBi l\U+00F4 \U+0111\U+1EA5t"
ESCAPED = "Ranh gi\\U+1EDBi l\\U+00F4 \\U+0111\\U+1EA5t"
DECOMPOSED = unicodedata.normalize("NFD", LAYER)


def lots_drawing(path: Path) -> Path:
    """Three closed lots on a layer whose name R2000 can only write as escapes."""
    doc = ezdxf.new("R2000")
    doc.header["$DWGCODEPAGE"] = "ANSI_1252"
    doc.layers.add(LAYER)
    for index in range(3):
        x, y = lot_origin(index)
        corners = [(x, y), (x + LOT_W, y), (x + LOT_W, y + LOT_H), (x, y + LOT_H)]
        doc.modelspace().add_lwpolyline(corners, close=True, dxfattribs={"layer": LAYER})
    doc.saveas(path)
    return path


def test_mapping_names_are_decoded_and_composed():
    parsed = parse_mapping({ESCAPED: "landuse", "cây XANH": "greenery", "*": "ignore"})
    assert parsed == {LAYER: "landuse", "cây XANH": "greenery", "*": "ignore"}
    assert parse_mapping({DECOMPOSED: "landuse"}) == {LAYER: "landuse"}
    assert layer_key(ESCAPED) == layer_key(DECOMPOSED) == layer_key(LAYER.upper())
    assert layer_key("cây xanh") == unicodedata.normalize("NFC", "CÂY XANH")


def test_two_spellings_of_one_layer_must_agree():
    assert parse_mapping({LAYER: "landuse", ESCAPED: "landuse"}) == {LAYER: "landuse"}
    with pytest.raises(InvalidInput, match="twice"):
        parse_mapping({LAYER: "landuse", DECOMPOSED.upper(): "roads"})


@pytest.mark.parametrize(
    "key", [ESCAPED, DECOMPOSED, LAYER.upper()], ids=["escaped", "nfd", "upper"]
)
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "ezdxf"])
def test_every_spelling_maps_the_drawings_layer(key, fast, tmp_path):
    path = lots_drawing(tmp_path / "lots.dxf")
    assert "\\U+1EDB" in path.read_text("cp1252").upper()  # the file holds the escaped name
    options = CadOptions(mapping={key: "landuse", "*": "ignore"}, fast_reader=fast)
    converted = convert(path, path.name, options, tmp_path)
    assert len(converted.outputs["landuse"]) == 3
    assert [layer["name"] for layer in converted.report.cad_layers if layer["total"]] == [LAYER]


def test_check_mapping_keys_by_layer_key():
    assert check_mapping({DECOMPOSED: "landuse"}) == {layer_key(LAYER): "landuse"}


def test_field_rules_compare_composed_values():
    """A `FIELD=VALUE` rule typed in decomposed letters picks the features whose value the
    importer stored composed."""
    boxes = [shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)]
    source = SourceLayer(
        "lots",
        None,
        "",
        np.arange(2),
        np.asarray(shapely.to_wkb(boxes), dtype=object),
        [{"name": "ten", "type": "str"}],
        [["Đất ở", "Đất cây xanh"]],
    )
    rule = layer_key(unicodedata.normalize("NFD", "TEN=Đất ở"))
    groups = dict(_split_by_rules(source, "ignore", {rule: "landuse"}))
    assert list(groups) == ["landuse"]
    assert groups["landuse"].columns[0] == ["Đất ở"]


@pytest.mark.django_db
def test_migration_renames_presets_saved_with_escaped_names():
    migration = importlib.import_module("planning.migrations.0012_preset_layer_names")
    kept = MappingPreset.objects.create(name="kept", mapping={"LOTS": "landuse"})
    old = MappingPreset.objects.create(
        name="old", mapping={ESCAPED: "landuse", DECOMPOSED.upper() + " 2": "roads"}
    )
    migration.rename_layers(apps, None)
    old.refresh_from_db()
    kept.refresh_from_db()
    assert old.mapping == {LAYER: "landuse", LAYER.upper() + " 2": "roads"}
    assert kept.mapping == {"LOTS": "landuse"}
