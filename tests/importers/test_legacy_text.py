"""Legacy Vietnamese text (TCVN3, VNI) in DBF files without a .cpg becomes NFC Unicode."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import shapely

from importers.text import vietnamese
from planning.models import Feature
from tests.conftest import HUE_X, HUE_Y
from tests.files import shapefile_parts, upload_as_layer, write_vector, zip_dir

pytestmark = pytest.mark.django_db

TCVN3 = {
    "§Êt ë míi": "Đất ở mới",
    "§Êt c©y xanh": "Đất cây xanh",
    "Quy ho¹ch chi tiÕt": "Quy hoạch chi tiết",
}
VNI = {
    "Ñaát ôû môùi": "Đất ở mới",
    "Ñaát caây xanh": "Đất cây xanh",
    "Quy hoaïch chi tieát": "Quy hoạch chi tiết",
}


def legacy_shapefile(tmp_path: Path, raw_texts: list[bytes], *, keep_cpg=False) -> Path:
    """A shapefile whose DBF holds `raw_texts` byte for byte and declares no encoding."""
    lots = [
        shapely.box(HUE_X + i * 50, HUE_Y, HUE_X + i * 50 + 40, HUE_Y + 40)
        for i in range(len(raw_texts))
    ]
    fields = {
        "code": [f"A{i}" for i in range(len(raw_texts))],
        "ten": [raw.decode("latin-1") for raw in raw_texts],
    }
    shp = write_vector(
        tmp_path / "lots.shp", lots, fields, driver="ESRI Shapefile", encoding="latin1"
    )
    if not keep_cpg:
        for part in shapefile_parts(shp):
            if part.suffix.lower() == ".cpg":
                part.unlink()
    return zip_dir(shapefile_parts(shp), tmp_path / "legacy.zip")


def names(result) -> list[str]:
    return [f.attributes["ten"] for f in Feature.objects.filter(layer=result.layer).order_by("id")]


def run(planner, revision, path, **kwargs):
    return upload_as_layer(planner, revision, path, **kwargs)


@pytest.mark.parametrize(("table", "encoding"), [(TCVN3, "tcvn3"), (VNI, "vni")])
def test_legacy_dbf_is_detected_and_converted(planner, draft_plan, tmp_path, table, encoding):
    codec = "latin-1" if encoding == "tcvn3" else "cp1252"
    archive = legacy_shapefile(tmp_path, [text.encode(codec) for text in table])
    result = run(planner, draft_plan, archive)
    assert names(result) == list(table.values())
    assert all(unicodedata.is_normalized("NFC", n) for n in names(result))
    assert result.report["text_encoding"] == encoding
    assert any(encoding.upper() in w for w in result.report["warnings"])


def test_western_text_and_ascii_codes_are_left_alone(planner, draft_plan, tmp_path):
    archive = legacy_shapefile(tmp_path, ["Müller Straße".encode("cp1252"), b"A2-19"])
    result = run(planner, draft_plan, archive)
    assert names(result) == ["Müller Straße", "A2-19"]


def test_the_user_can_force_the_encoding(planner, draft_plan, tmp_path):
    # One short label: too little evidence to detect, so the planner says what it is.
    archive = legacy_shapefile(tmp_path, ["§Êt".encode("latin-1")])
    result = run(planner, draft_plan, archive, text_encoding="tcvn3")
    assert names(result) == ["Đất"]


def test_unknown_encoding_is_refused(planner, draft_plan, tmp_path):
    from planning.errors import InvalidInput

    archive = legacy_shapefile(tmp_path, [b"abc"])
    with pytest.raises(InvalidInput, match="Unknown text encoding"):
        run(planner, draft_plan, archive, text_encoding="ebcdic")


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        (["Quy ho¹ch chi tiÕt".encode("latin-1")], "tcvn3"),
        (["hoaïch ñaát ôû".encode("cp1252")], "vni"),
        (["Đất ở mới".encode()], "utf-8"),
        (["\u0110\u00e2\u0301t \u01a1\u0309".encode("cp1258")], "cp1258"),
        (["Café crème".encode("cp1252")], "cp1252"),
        ([b"A2-19", b"CX"], None),
    ],
)
def test_detection(samples, expected):
    assert vietnamese.detect(samples) == expected
