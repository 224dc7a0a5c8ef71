"""MapInfo text objects label the regions they lie in, as a drawing's texts label its lots.

A Vietnamese land-use table mixes object types: regions are the lots, text objects their
labels ("A1-01", "Đất ở mới", "MĐXD 60%", "TC 3-5"), mostly in a .Vn* (TCVN3) font. Mapped
to the land-use layer, the texts are parsed by the CAD label parser and joined to the region
they lie in; they are no features of the layer and are not rejected; the table's own
columns win over a label that says otherwise (a conflict, reported); a text with a lot code
outside every region is reported where it stands.

Every file is real: MIF/MID as MapInfo writes them, TAB converted by GDAL's ogr2ogr.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from pyproj import Transformer

from importers.gis_mapping import import_mapped_dataset
from importers.service import import_upload
from planning.errors import InvalidInput
from planning.models import Feature, Layer, Revision
from tests.conftest import HUE_X, HUE_Y
from tests.files import zip_dir

pytestmark = pytest.mark.django_db

VNTIME = ".VnTime"
OUTSIDE = (HUE_X + 500.0, HUE_Y + 5.0)  # in no lot
LONLAT = Transformer.from_crs("EPSG:9214", "EPSG:4326", always_xy=True)


def region(index: int, *values):
    """Lot `index`: a 50 x 40 m square, 60 m apart, with its MID values."""
    x, y = HUE_X + 60 * index, HUE_Y
    return ("region", (x, y, x + 50, y + 40), values)


def text(index: int, raw: bytes, font: str = VNTIME, *, dy: float = 0.0, at=None):
    """A text object inside lot `index` (or at `at`), its bytes as the file holds them."""
    x, y = at or (HUE_X + 60 * index + 5, HUE_Y + 5 + dy)
    return ("text", (x, y, font, raw), ())


TM_107 = 'CoordSys Earth Projection 8, 104, "m", 107, 0, 0.9999, 500000, 0'


def mif(
    folder: Path, columns: list[str], objects: list, name: str = "qhsdd", coordsys: str = TM_107
) -> Path:
    """A MIF/MID in VN-2000 (Hue's zone written as MapInfo's TM) with no charset, as
    Vietnamese tables were saved for TCVN3 fonts; a text object's MID row is blank."""
    folder.mkdir(parents=True, exist_ok=True)
    head = (
        'Version 300\nCharset "Neutral"\nDelimiter ","\n'
        f"{coordsys}\n"
        f"Columns {len(columns)}\n" + "".join(f"  {c}\n" for c in columns) + "Data\n\n"
    ).encode()
    body, rows = b"", []
    for kind, shape, values in objects:
        if kind == "region":
            x0, y0, x1, y1 = shape
            ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
            body += b"Region 1\n  5\n" + "".join(f"{a} {b}\n" for a, b in ring).encode()
        else:
            x, y, font, raw = shape
            body += b'Text\n    "' + raw + f'"\n    {x} {y} {x + 10} {y + 3}\n'.encode()
            body += f'    Font ("{font}",0,0,0)\n'.encode()
        cells = list(values) or [None] * len(columns)
        rows.append(",".join(_cell(v) for v in cells))
    path = folder / f"{name}.mif"
    path.write_bytes(head + body)
    (folder / f"{name}.mid").write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    return path


def _cell(value) -> str:
    if value is None:  # a text object's row: no value
        return ""
    return f'"{value}"' if isinstance(value, str) else str(value)


def as_tab(path: Path) -> Path:
    tab = path.parent.parent / "tab" / path.with_suffix(".tab").name
    tab.parent.mkdir(exist_ok=True)
    subprocess.run(["ogr2ogr", "-f", "MapInfo File", tab, path], check=True)
    return tab


def zipped(path: Path) -> Path:
    parts = sorted(p for p in path.parent.iterdir() if p.stem == path.stem)
    return zip_dir(parts, path.parent.parent / f"{path.stem}-{path.suffix[1:]}.zip")


def mapped(user, revision, path: Path, mapping=None, **options):
    upload = zipped(path)
    return import_mapped_dataset(
        user=user,
        revision=revision,
        path=upload,
        filename=upload.name,
        mapping=mapping or {"*": "landuse"},
        crs="EPSG:9214",
        **options,
    )


def lots_of(layer: Layer) -> list[Feature]:
    return sorted(Feature.objects.filter(layer=layer), key=lambda f: f.geom.extent[0])


# A blank land-use table: three lots, their labels as text objects (TCVN3 and Unicode).
BLANK_LOTS = [
    region(0, ""),
    region(1, ""),
    region(2, ""),  # no label
    region(3, ""),
    text(0, b"A1-01"),
    text(0, "§Êt ë míi".encode("latin-1"), dy=5),  # Đất ở mới
    text(0, "M§XD 60% TC 3-5".encode("latin-1"), dy=10),  # MĐXD 60% TC 3-5
    text(1, b"CX-02", "Arial"),
    text(1, b"HSSD\xa7 0,5", dy=5),  # HSSDĐ 0,5 in .VnTime
    text(3, b"C3-01", "Arial"),
    text(3, "Đất cây xanh".encode(), "Arial", dy=5),  # typed in Unicode (UTF-8)
    text(0, b"B9-09", at=OUTSIDE),  # a stray lot code in no lot
    text(0, "§­êng sè 5".encode("latin-1"), at=(OUTSIDE[0], OUTSIDE[1] + 20)),  # Đường số 5
]


@pytest.mark.parametrize("suffix", [".mif", ".tab"])
def test_text_objects_of_a_lot_table_label_the_regions_they_lie_in(
    planner, draft_plan, tmp_path, suffix
):
    path = mif(tmp_path / "mif", ["MA Char(10)"], BLANK_LOTS)
    result = mapped(planner, draft_plan, as_tab(path) if suffix == ".tab" else path)

    (layer,) = result.layers
    first, second, third, fourth = lots_of(layer)
    assert first.attributes["code"] == "A1-01"
    assert first.category == "DO"
    assert first.attributes["function"] == "DO"
    assert first.attributes["function_label"] == "Đất ở mới"
    assert first.attributes["density"] == 60.0
    assert (first.attributes["storeys_min"], first.attributes["storeys_max"]) == (3, 5)
    assert second.attributes["code"] == "CX-02"
    assert second.category == "CX"  # from the code's letters, as in drawings
    assert second.attributes["far"] == 0.5
    assert third.category == ""
    assert third.attributes["code"] is None
    assert fourth.attributes["code"] == "C3-01"
    assert fourth.category == "CX"
    assert fourth.attributes["function_label"] == "Đất cây xanh"
    assert not {"text", "anchor"} & set(first.attributes)  # the texts' columns stay with them

    report = result.report
    (lots,) = report["layers"]
    assert (lots["features_read"], lots["features_loaded"], lots["rejected"]) == (4, 4, [])
    assert lots["lot_labels"] == {"texts": 9, "lots": 4, "labelled": 3}
    assert lots["missing_attributes"] == []
    assert report["notes"] == [
        "9 text objects of layer 'qhsdd' read as lot labels: 3 of 4 lots take attributes from them",
        "1 lots take their land-use function from the letters of their lot code (ODT-01: ODT); "
        "check those whose letters mean something else in this drawing",
    ]
    issues = {issue["problem"]: issue for issue in report["label_issues"]}
    assert set(issues) == {"no label inside the lot", "lot label outside every lot"}
    stray = issues["lot label outside every lot"]
    assert stray["texts"] == ["B9-09"]
    assert stray["location"] == pytest.approx(OUTSIDE)
    assert stray["lonlat"] == pytest.approx(list(LONLAT.transform(*OUTSIDE)), abs=1e-4)
    assert HUE_X + 120 < issues["no label inside the lot"]["location"][0] < HUE_X + 170
    assert report["totals"]["label_issues"] == 2


COLUMNS = ["CODE Char(10)", "CHUCNANG Char(20)", "DENSITY Float"]


def test_the_table_s_columns_win_and_a_label_that_says_otherwise_is_reported(
    planner, draft_plan, tmp_path
):
    objects = [
        region(0, "A1-01", "CX", 40.0),  # the table says CX and 40 %
        region(1, "", "", 0),  # a blank row: the labels fill it
        text(0, b"A1-02"),
        text(0, "§Êt ë míi".encode("latin-1"), dy=5),
        text(0, "M§XD 60%".encode("latin-1"), dy=10),
        text(1, b"B1-01"),
        text(1, "§Êt ë míi M§XD 35%".encode("latin-1"), dy=5),
    ]
    result = mapped(planner, draft_plan, mif(tmp_path / "mif", COLUMNS, objects))

    kept, filled = lots_of(result.layers[0])
    assert kept.attributes["CODE"] == "A1-01"
    assert kept.category == "CX"
    assert kept.attributes["CHUCNANG"] == "CX"
    assert kept.attributes["DENSITY"] == 40.0
    assert kept.attributes["function_label"] is None  # words of a function it does not have
    assert filled.attributes["CODE"] == "B1-01"
    assert filled.attributes["CHUCNANG"] == "DO"
    assert filled.category == "DO"
    assert filled.attributes["function_label"] == "Đất ở mới"
    assert filled.attributes["DENSITY"] == 35.0
    (issue,) = result.report["label_issues"]
    assert issue["problem"] == (  # the table's value first: the one kept
        "conflicting values: function CX / DO; density 40.0 / 60.0; code A1-01 / A1-02"
    )
    assert issue["texts"] == ["A1-02", "Đất ở mới", "MĐXD 60%"]
    assert result.report["layers"][0]["lot_labels"] == {"texts": 5, "lots": 2, "labelled": 2}


def test_a_lot_its_columns_settle_needs_no_label(planner, draft_plan, tmp_path):
    objects = [region(0, "A1-01", "CX", 0), region(1, "", "", 0), text(0, b"TC 2")]
    result = mapped(planner, draft_plan, mif(tmp_path / "mif", COLUMNS, objects))
    settled, _blank = lots_of(result.layers[0])
    assert settled.attributes["storeys_min"] == 2
    (issue,) = result.report["label_issues"]  # only the blank lot lacks its code
    assert issue["problem"] == "no label inside the lot"
    assert issue["location"][0] > HUE_X + 60


def test_a_failed_import_writes_no_lot_and_no_label(planner, draft_plan, tmp_path):
    """The lots and their labels load in one transaction: a region far outside Viet Nam
    (a mistyped coordinate) refuses the whole table; fixed, it loads with its labels."""
    far = ("region", (HUE_X + 9e6, HUE_Y, HUE_X + 9e6 + 50, HUE_Y + 40), ("",))
    path = mif(tmp_path / "bad", ["MA Char(10)"], [*BLANK_LOTS, far])
    before = list(Layer.objects.filter(revision=draft_plan).values_list("pk", flat=True))
    with pytest.raises(InvalidInput, match="outside Viet Nam"):
        mapped(planner, draft_plan, path)
    assert list(Layer.objects.filter(revision=draft_plan).values_list("pk", flat=True)) == before
    assert not Feature.objects.filter(attributes__code="A1-01").exists()

    result = mapped(planner, draft_plan, mif(tmp_path / "good", ["MA Char(10)"], BLANK_LOTS))
    assert lots_of(result.layers[0])[0].attributes["code"] == "A1-01"


def test_the_upload_page_import_labels_the_lots_too(planner, draft_plan, tmp_path):
    upload = zipped(mif(tmp_path / "mif", ["MA Char(10)"], BLANK_LOTS))
    result = import_upload(
        user=planner,
        revision=draft_plan,
        path=upload,
        filename=upload.name,
        kind="landuse",
        name="Lô đất",
        crs="EPSG:9214",
    )
    assert lots_of(result.layer)[0].attributes["code"] == "A1-01"
    assert result.report["rejected"] == []
    assert result.report["lot_labels"] == {"texts": 9, "lots": 4, "labelled": 3}
    assert result.report["totals"] == {"label_issues": 2}
    assert result.report["notes"][0].startswith("9 text objects of layer 'qhsdd'")


def test_import_cad_json_says_how_many_lots_got_labels(planner, draft_plan, tmp_path):
    path = mif(tmp_path / "mif", ["MA Char(10)"], BLANK_LOTS)
    out = io.StringIO()
    call_command(
        "import_cad",
        str(path),
        project=draft_plan.project.code,
        crs="9214",
        json=True,
        no_progress=True,
        stdout=out,
    )
    report = json.loads(out.getvalue())
    assert report["layers"][0]["lot_labels"] == {"texts": 9, "lots": 4, "labelled": 3}
    assert report["notes"][0].startswith("9 text objects of layer 'qhsdd' read as lot labels")
    assert report["totals"]["label_issues"] == len(report["label_issues"]) == 2
    revision = Revision.objects.get(pk=report["revision"])
    (layer,) = Layer.objects.filter(revision=revision)
    assert lots_of(layer)[0].attributes["density"] == 60.0

    text_out = io.StringIO()
    call_command(
        "import_cad",
        str(path),
        project=draft_plan.project.code,
        crs="9214",
        no_progress=True,
        stdout=text_out,
    )
    shown = text_out.getvalue()
    assert "read as lot labels: 3 of 4 lots take attributes from them" in shown
    assert "lot label outside every lot «B9-09»" in shown


def import_zip(user, revision, parts: list[Path], crs: str | None = "EPSG:9214"):
    """The files zipped as one upload, every table mapped to the land-use layer."""
    upload = zip_dir(sorted(parts), parts[0].parent.parent / "plan.zip")
    return import_mapped_dataset(
        user=user, revision=revision, path=upload, filename=upload.name,
        mapping={"*": "landuse"}, crs=crs,
    )  # fmt: skip


def label_tables(folder: Path, suffix: str) -> list[Path]:
    """Two tables of regions without codes and a table of their labels, in one zip, as a
    MapInfo plan often keeps its annotation apart."""
    tables = [
        mif(folder, ["MA Char(10)"], [region(0, ""), region(1, "")], name="lo_a"),
        mif(folder, ["MA Char(10)"], [region(3, "")], name="lo_b"),
        mif(folder, ["GHICHU Char(10)"], [
            text(0, b"A1-01"),
            text(0, "§Êt ë míi".encode("latin-1"), dy=5),  # Đất ở mới
            text(1, b"CX-02", "Arial"),
            text(3, b"DO-03", "Arial"),
            text(0, b"B9-09", at=OUTSIDE),  # in no lot of any table
        ], name="nhan"),
    ]  # fmt: skip
    if suffix == ".tab":
        tables = [as_tab(path) for path in tables]
    return sorted({p for table in tables for p in table.parent.iterdir()})


@pytest.mark.parametrize("suffix", [".mif", ".tab"])
def test_a_table_of_labels_labels_the_regions_of_the_other_tables(
    planner, draft_plan, tmp_path, suffix
):
    result = import_zip(planner, draft_plan, label_tables(tmp_path / "mif", suffix))

    layers = {layer.name.split(" ")[0]: layer for layer in result.layers}
    assert set(layers) == {"lo_a", "lo_b"}  # the labels' table gives no features
    first, second = lots_of(layers["lo_a"])
    (third,) = lots_of(layers["lo_b"])
    assert (first.attributes["code"], first.category) == ("A1-01", "DO")
    assert first.attributes["function_label"] == "Đất ở mới"
    assert (second.attributes["code"], second.category) == ("CX-02", "CX")
    assert (third.attributes["code"], third.category) == ("DO-03", "DO")  # the code's letters

    report = result.report
    counts = {layer["source_layer"]: layer["lot_labels"] for layer in report["layers"]}
    assert counts == {
        "lo_a": {"texts": 0, "lots": 2, "labelled": 2},
        "lo_b": {"texts": 0, "lots": 1, "labelled": 1},
        "nhan": {"texts": 5, "lots": 0, "labelled": 0},
    }
    assert [note for note in report["notes"] if "text objects" in note] == [
        "3 text objects of layers 'nhan' read as labels of the lots of layer 'lo_a': "
        "2 of 2 lots take attributes from them",
        "1 text objects of layers 'nhan' read as labels of the lots of layer 'lo_b': "
        "1 of 1 lots take attributes from them",
    ]
    ((stray),) = report["label_issues"]  # once, not once per table
    assert (stray["problem"], stray["texts"]) == ("lot label outside every lot", ["B9-09"])
    assert stray["location"] == pytest.approx(OUTSIDE)
    assert "No feature could be loaded." not in report["warnings"]


def test_a_table_with_regions_keeps_its_own_texts(planner, draft_plan, tmp_path):
    # A block drawn over its lots, each table with its own labels: the block's label is its
    # own, the lots' labels are theirs (the block does not take a lot's code).
    folder = tmp_path / "mif"
    x, y = HUE_X, HUE_Y
    mif(folder, ["MA Char(10)"], [
        ("region", (x - 5, y - 5, x + 120, y + 50), ("",)),
        text(0, b"OP-A", "Arial", at=(x + 52, y + 44)),
    ], name="o_pho")  # fmt: skip
    mif(folder, ["MA Char(10)"], [
        region(0, ""), region(1, ""), text(0, b"A1-01", "Arial"), text(1, b"CX-02", "Arial"),
    ], name="lo_dat")  # fmt: skip
    result = import_zip(planner, draft_plan, list(folder.iterdir()))
    layers = {layer.name.split(" ")[0]: layer for layer in result.layers}
    (block,) = lots_of(layers["o_pho"])
    assert block.attributes.get("code") in (None, "OP-A")
    assert block.attributes.get("code") != "A1-01"
    assert [lot.attributes["code"] for lot in lots_of(layers["lo_dat"])] == ["A1-01", "CX-02"]
    assert not [i for i in result.report["label_issues"] if "several" in i["problem"]]


def test_a_table_that_receives_no_label_is_left_as_it_is(planner, draft_plan, tmp_path):
    # Lots settled by their columns, beside a table holding a street name off every lot.
    folder = tmp_path / "mif"
    mif(folder, ["KYHIEU Char(10)", "CHUCNANG Char(20)"],
        [region(0, "A1", "DO"), region(1, "A2", "CX")], name="lo")  # fmt: skip
    mif(folder, ["GHICHU Char(10)"], [text(0, "§­êng sè 5".encode("latin-1"), at=OUTSIDE)],
        name="ghichu")  # fmt: skip
    result = import_zip(planner, draft_plan, list(folder.iterdir()))
    assert result.report["label_issues"] == []
    counts = {layer["source_layer"]: layer["lot_labels"] for layer in result.report["layers"]}
    assert counts["lo"] is None


def test_a_label_table_in_another_crs_labels_the_lots(planner, draft_plan, tmp_path):
    # The lots in MapInfo's TM 107 (WGS 84), their labels in longitude / latitude.
    folder = tmp_path / "mif"
    mif(folder, ["MA Char(10)"], [region(0, ""), region(1, "")], name="lo")
    to_lonlat = Transformer.from_crs(
        "+proj=tmerc +lon_0=107 +k=0.9999 +x_0=500000 +datum=WGS84", "EPSG:4326", always_xy=True
    )
    labels_at = [(HUE_X + 5, HUE_Y + 5), (HUE_X + 65, HUE_Y + 5)]
    mif(folder, ["GHICHU Char(10)"], [
        text(0, code, "Arial", at=to_lonlat.transform(*at))
        for code, at in zip([b"DO-01", b"CX-02"], labels_at, strict=True)
    ], name="nhan", coordsys="CoordSys Earth Projection 1, 104")  # fmt: skip
    result = import_zip(planner, draft_plan, list(folder.iterdir()), crs=None)
    (layer,) = result.layers
    assert [lot.attributes["code"] for lot in lots_of(layer)] == ["DO-01", "CX-02"]
    assert result.report["label_issues"] == []
