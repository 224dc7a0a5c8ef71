"""Shapefiles whose .cpg is wrong or names Windows-1258, and encodings forced wrongly.

Tools write a .cpg "UTF-8" by default, also over DBF files that hold TCVN3 or VNI bytes:
the bytes decide, the .cpg is reported as wrong. ArcGIS on Vietnamese Windows writes
.cpg "1258", whose text GDAL's iconv cuts by a letter ("Vườn ho", MA_L): the bytes are
decoded here. A forced encoding the text clearly is not in is refused, nothing written.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import shapely
from django.utils import translation

from importers.gis_mapping import import_mapped_dataset, inspect_dataset
from importers.text import vietnamese
from planning.models import Feature
from tests.conftest import HUE_X, HUE_Y
from tests.files import shapefile_parts, upload_as_layer, write_vector, zip_dir
from tests.importers.test_legacy_text import TCVN3, VNI

pytestmark = pytest.mark.django_db

WINDOWS = ["Vườn hoa", "Trường mầm non", "Khu dân cư số 1", "Đường Nguyễn Huệ"]
STREET = "ĐƯỜNG"  # a field name whose cp1258 bytes differ from Latin-1's letters
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Text as Windows-1258 writes it: letters it has whole, tones as combining marks."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out += (base + "".join(c for c in parts if c in _TONES)).encode("cp1258")
    return bytes(out)


def shapefile(tmp_path: Path, raws: list[bytes], cpg: str | None, street=b"") -> Path:
    """A zipped shapefile whose TEN values are `raws` byte for byte, with a .cpg saying
    `cpg` (none for None); `street`: the bytes of one more field's name."""
    lots = [
        shapely.box(HUE_X + i * 50, HUE_Y, HUE_X + i * 50 + 40, HUE_Y + 40)
        for i in range(len(raws))
    ]
    fields = {"MA_LO": [f"A{i}" for i in range(len(raws))]}
    fields["TEN"] = [raw.decode("latin-1") for raw in raws]
    if street:
        fields[street.decode("latin-1")] = fields["TEN"]
    folder = tmp_path / "lots"
    folder.mkdir()
    shp = write_vector(
        folder / "lots.shp", lots, fields, driver="ESRI Shapefile", encoding="latin1"
    )
    for part in shapefile_parts(shp):
        if part.suffix.lower() == ".cpg":
            part.unlink()
    if cpg is not None:
        shp.with_suffix(".cpg").write_text(cpg)
    return zip_dir(shapefile_parts(shp), tmp_path / "lots.zip")


def texts(layer, field="TEN") -> list[str]:
    return [f.attributes[field] for f in Feature.objects.filter(layer=layer).order_by("id")]


def cpg_warnings(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "says the text is UTF-8, but it is not" in w]


ENCODED = [
    (TCVN3, "latin-1", "tcvn3"),
    (VNI, "cp1252", "vni"),
]


@pytest.mark.parametrize(("table", "codec", "encoding"), ENCODED)
def test_a_cpg_utf8_over_legacy_bytes_is_detected_with_a_warning(
    planner, draft_plan, tmp_path, table, codec, encoding
):
    archive = shapefile(tmp_path, [text.encode(codec) for text in table], "UTF-8")
    with translation.override("en"):
        result = upload_as_layer(planner, draft_plan, archive)
    assert texts(result.layer) == list(table.values())
    assert result.report["text_encoding"] == encoding
    assert cpg_warnings(result.report["warnings"]) == [
        "The .cpg file of lots.shp says the text is UTF-8, but it is not: the .cpg was "
        "ignored and the text encoding detected (or taken as chosen)."
    ]


def test_a_cpg_utf8_over_cp1258_bytes_is_read_as_cp1258(planner, draft_plan, tmp_path):
    archive = shapefile(tmp_path, [to_cp1258(text) for text in WINDOWS], "UTF-8")
    result = upload_as_layer(planner, draft_plan, archive)
    assert texts(result.layer) == WINDOWS


def test_a_cpg_utf8_over_tcvn3_takes_the_forced_encoding(planner, draft_plan, tmp_path):
    archive = shapefile(tmp_path, [text.encode("latin-1") for text in TCVN3], "UTF-8")
    result = upload_as_layer(planner, draft_plan, archive, text_encoding="tcvn3")
    assert texts(result.layer) == list(TCVN3.values())


def test_a_cpg_utf8_over_tcvn3_is_inspected_and_imported_on_the_cad_page(
    planner, draft_plan, tmp_path
):
    archive = shapefile(tmp_path, [text.encode("latin-1") for text in TCVN3], "utf8")
    with translation.override("en"):
        inspected = inspect_dataset(archive, archive.name)
        result = import_mapped_dataset(
            user=planner,
            revision=draft_plan,
            path=archive,
            filename=archive.name,
            mapping={"*": "landuse"},
        )
    assert inspected["text_encoding"] == "tcvn3"
    assert len(cpg_warnings(inspected["warnings"])) == 1
    assert texts(result.layers[0]) == list(TCVN3.values())
    assert len(cpg_warnings(result.report["layers"][0]["warnings"])) == 1


def test_a_true_cpg_utf8_is_read_as_utf8_without_warning(planner, draft_plan, tmp_path):
    values = ["Đất ở mới", "Café crème"]
    archive = shapefile(tmp_path, [v.encode() for v in values], "UTF-8", street=STREET.encode())
    result = upload_as_layer(planner, draft_plan, archive)
    assert texts(result.layer) == values
    assert texts(result.layer, STREET) == values
    assert cpg_warnings(result.report["warnings"]) == []


def test_a_utf8_value_cut_inside_a_letter_keeps_the_table_utf8(planner, draft_plan, tmp_path):
    """Review: one value cut by its field's width inside a two-byte letter made the whole
    table read as cp1252 mojibake, the .cpg blamed."""
    values = ["Vườn hoa", "Trường mầm non", "Khu đô thị mới"]
    raws = [v.encode() for v in values]
    raws[2] = raws[2][:-2]  # "mới" cut inside its "ớ" (three bytes)
    result = upload_as_layer(planner, draft_plan, shapefile(tmp_path, raws, "UTF-8"))
    assert texts(result.layer) == ["Vườn hoa", "Trường mầm non", "Khu đô thị m"]
    assert cpg_warnings(result.report["warnings"]) == []
    assert any("half a letter" in w for w in result.report["warnings"])


@pytest.mark.parametrize("forced", ["auto", "cp1258"])
def test_a_cpg_1258_keeps_every_letter_of_values_and_field_names(
    planner, draft_plan, tmp_path, forced
):
    raws = [to_cp1258(text) for text in WINDOWS]
    archive = shapefile(tmp_path, raws, "1258", street=to_cp1258(STREET))
    result = upload_as_layer(planner, draft_plan, archive, text_encoding=forced)
    assert texts(result.layer) == WINDOWS  # GDAL's iconv gave "Vườn ho"
    assert texts(result.layer, STREET) == WINDOWS
    assert [f.attributes["MA_LO"] for f in Feature.objects.filter(layer=result.layer)] == [
        "A0",
        "A1",
        "A2",
        "A3",
    ]


@pytest.mark.parametrize(
    ("raws", "forced", "fitting"),
    [
        ([text.encode("latin-1") for text in TCVN3], "vni", "TCVN3"),
        ([text.encode("cp1252") for text in VNI], "tcvn3", "VNI"),
        ([to_cp1258(text) for text in WINDOWS], "vni", "CP1258"),
    ],
)
def test_a_forced_encoding_the_text_is_not_in_is_warned_of(
    planner, draft_plan, tmp_path, raws, forced, fitting
):
    """A warning, not a refusal (review): forcing is the way out when detection is wrong,
    and symbols such as Ø can make a wrong reading score."""
    archive = shapefile(tmp_path, raws, None)
    with translation.override("en"):
        result = upload_as_layer(planner, draft_plan, archive, text_encoding=forced)
    assert (
        f"Read as {forced.upper()}, the text of the file is not Vietnamese, while read as "
        f"{fitting} it is: check the text, and if it is garbled import again with {fitting} "
        "or auto."
    ) in result.report["warnings"]
    assert result.layer.feature_count == len(raws)


def test_a_forced_tcvn3_on_a_cpg_1258_table_is_warned_of(planner, draft_plan, tmp_path):
    archive = shapefile(tmp_path, [to_cp1258(text) for text in WINDOWS], "1258")
    with translation.override("en"):
        result = upload_as_layer(planner, draft_plan, archive, text_encoding="tcvn3")
    assert any("while read as CP1258 it is" in w for w in result.report["warnings"])


def test_one_short_label_is_no_evidence_against_the_planner():
    assert vietnamese.fitting_instead(["§Êt".encode("latin-1")], "vni") is None
    assert vietnamese.fitting_instead(["§Êt ë míi".encode("latin-1")] * 3, "vni") == "tcvn3"
