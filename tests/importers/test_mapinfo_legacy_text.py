"""Legacy Vietnamese text (TCVN3, VNI) in MapInfo TAB/MIF files becomes NFC Unicode with
the encoding on "auto"; genuine Western or UTF-8 text stays as the file declares it."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pyogrio
import pytest
import shapely

from importers import ogr
from importers.gis_mapping import import_mapped_dataset
from importers.sources import Dataset, format_of
from planning.models import Feature
from tests.conftest import HUE_X, HUE_Y
from tests.files import upload_as_layer, write_vector, zip_dir
from tests.importers.test_legacy_text import TCVN3, VNI

pytestmark = pytest.mark.django_db

SAMPLE_MIF = Path("/work/shared/samples/mapinfo/small.mif")
FRENCH = ["Zone à urbaniser", "Espaces verts protégés", "Château d'eau", "Îlot B"]


def mapinfo(tmp_path: Path, texts: list[str], *, suffix: str, encoding: str = "CP1252") -> Path:
    """A MapInfo table of lots whose TEN column holds `texts`, written by GDAL with the
    ENCODING creation option (CP1252 → Charset "WindowsLatin1"; "" → "Neutral", UTF-8)."""
    lots = [
        shapely.box(HUE_X + i * 50, HUE_Y, HUE_X + i * 50 + 40, HUE_Y + 40)
        for i in range(len(texts))
    ]
    fields = {"MA_LO": [f"A{i}" for i in range(len(texts))], "TEN": texts}
    folder = tmp_path / "table"
    folder.mkdir(exist_ok=True)
    options = {"FORMAT": "MIF"} if suffix == ".mif" else {}
    return write_vector(
        folder / f"lots{suffix}",
        lots,
        fields,
        driver="MapInfo File",
        dataset_options=options,
        layer_options={"ENCODING": encoding},
    )


def legacy_mapinfo(tmp_path: Path, raws: list[bytes], *, suffix: str, charset: str) -> Path:
    """A table whose TEN bytes are `raws` exactly, under the given Charset: written as
    WindowsLatin1 (cp1252 maps the bytes one to one), then relabelled."""
    path = mapinfo(tmp_path, [raw.decode("cp1252") for raw in raws], suffix=suffix)
    header = path.read_bytes()
    assert b"WindowsLatin1" in header
    path.write_bytes(header.replace(b"WindowsLatin1", charset.encode()))
    return path


def archive(path: Path) -> Path:
    parts = sorted(p for p in path.parent.iterdir() if p.stem == path.stem)
    return zip_dir(parts, path.parent.parent / "table.zip")


def upload(planner, revision, path: Path, **kwargs):
    return upload_as_layer(planner, revision, path, **kwargs)


def names(layer) -> list[str]:
    return [f.attributes["TEN"] for f in Feature.objects.filter(layer=layer).order_by("id")]


def converted_warning(report: dict) -> list[str]:
    return [w for w in report["warnings"] if w.startswith("Text was converted from the legacy")]


@pytest.mark.parametrize("suffix", [".mif", ".tab"])
@pytest.mark.parametrize(
    ("table", "codec", "encoding"), [(TCVN3, "latin-1", "tcvn3"), (VNI, "cp1252", "vni")]
)
def test_legacy_text_under_windows_latin1_is_converted(
    planner, draft_plan, tmp_path, suffix, table, codec, encoding
):
    raws = [text.encode(codec) for text in table]
    path = legacy_mapinfo(tmp_path, raws, suffix=suffix, charset="WindowsLatin1")
    result = upload(planner, draft_plan, archive(path))
    assert names(result.layer) == list(table.values())
    assert all(unicodedata.is_normalized("NFC", n) for n in names(result.layer))
    assert result.report["text_encoding"] == encoding
    assert converted_warning(result.report) == [
        f"Text was converted from the legacy {encoding.upper()} encoding to Unicode."
    ]


@pytest.mark.parametrize("suffix", [".mif", ".tab"])
def test_legacy_bytes_under_neutral_charset_are_converted(planner, draft_plan, tmp_path, suffix):
    raws = [text.encode("latin-1") for text in TCVN3]
    path = legacy_mapinfo(tmp_path, raws, suffix=suffix, charset="Neutral")
    result = upload(planner, draft_plan, archive(path))
    assert names(result.layer) == list(TCVN3.values())
    assert result.report["text_encoding"] == "tcvn3"


def test_tcvn3_already_misread_as_cp1252_and_saved_as_utf8_is_repaired(
    planner, draft_plan, tmp_path
):
    # What a converter makes of a TCVN3 table it read as WindowsLatin1: "§Êt ë" in UTF-8.
    path = mapinfo(tmp_path, list(TCVN3), suffix=".tab", encoding="")
    assert b"Neutral" in path.read_bytes()
    result = upload(planner, draft_plan, archive(path))
    assert names(result.layer) == list(TCVN3.values())
    assert result.report["text_encoding"] == "tcvn3"


@pytest.mark.parametrize("suffix", [".mif", ".tab"])
def test_french_text_under_windows_latin1_stays(planner, draft_plan, tmp_path, suffix):
    path = mapinfo(tmp_path, FRENCH, suffix=suffix)
    result = upload(planner, draft_plan, archive(path))
    assert names(result.layer) == FRENCH
    assert result.report["text_encoding"] == ""
    assert converted_warning(result.report) == []


def test_a_lone_western_word_that_ties_with_tcvn3_stays(planner, draft_plan, tmp_path):
    # "à" reads as a Vietnamese letter both as cp1252 and as TCVN3: a tie keeps the charset.
    path = mapinfo(tmp_path, ["Zone à urbaniser"], suffix=".mif")
    result = upload(planner, draft_plan, archive(path))
    assert names(result.layer) == ["Zone à urbaniser"]
    assert result.report["text_encoding"] == ""


@pytest.mark.parametrize("suffix", [".mif", ".tab"])
def test_utf8_text_under_neutral_charset_stays(planner, draft_plan, tmp_path, suffix):
    texts = [*TCVN3.values(), "Café crème"]
    path = mapinfo(tmp_path, texts, suffix=suffix, encoding="")
    result = upload(planner, draft_plan, archive(path))
    assert names(result.layer) == texts
    assert result.report["text_encoding"] == ""


def test_real_sample_mif_is_read_as_gdal_reads_it():
    # GDAL's own MapInfo sample (WindowsLatin1, no CRS the server could place): read only.
    assert b'Charset "WindowsLatin1"' in SAMPLE_MIF.read_bytes()
    meta, _fids, _wkb, columns = pyogrio.raw.read(SAMPLE_MIF, read_geometry=False)
    source = ogr.read_layer(Dataset(SAMPLE_MIF, format_of(SAMPLE_MIF)), "small")
    assert source.text_encoding is None
    assert [list(c) for c in columns] == source.columns
    assert 'Guarino "Chucky" Sandra' in source.columns[list(meta["fields"]).index("OWNER")]


def test_forcing_tcvn3_still_works(planner, draft_plan, tmp_path):
    raws = ["Quy ho¹ch".encode("latin-1")]
    path = legacy_mapinfo(tmp_path, raws, suffix=".mif", charset="WindowsLatin1")
    forced = upload(planner, draft_plan, archive(path), text_encoding="tcvn3")
    assert names(forced.layer) == ["Quy hoạch"]
    assert forced.report["text_encoding"] == "tcvn3"


def test_mapping_import_converts_and_warns(planner, draft_plan, tmp_path):
    raws = [text.encode("latin-1") for text in TCVN3]
    path = legacy_mapinfo(tmp_path, raws, suffix=".tab", charset="WindowsLatin1")
    zipped = archive(path)
    result = import_mapped_dataset(
        user=planner,
        revision=draft_plan,
        path=zipped,
        filename=zipped.name,
        mapping={"*": "landuse"},
    )
    assert names(result.layers[0]) == list(TCVN3.values())
    layer_report = result.report["layers"][0]
    assert layer_report["text_encoding"] == "tcvn3"
    assert converted_warning(layer_report) == [
        "Text was converted from the legacy TCVN3 encoding to Unicode."
    ]


def test_cad_page_offers_every_encoding_the_api_accepts(planner, draft_plan):
    from django.test import Client

    from importers.text.vietnamese import ENCODINGS

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(planner)
    html = client.get(f"/revisions/{draft_plan.pk}/cad/").content.decode()
    select = re.search(r'<select id="cad-encoding".*?</select>', html, re.S).group(0)
    offered = re.findall(r'<option value="([^"]+)"', select)
    assert offered == ["auto", *ENCODINGS]
    assert 'value="auto" selected' in select
    assert "Windows Vietnamese (cp1258)" in select
