"""MapInfo text objects keep their text, decoded by their font.

Vietnamese MapInfo maps hold street names, lot codes and notes as text objects in legacy
fonts; OGR keeps their text only in the style string. An import must give each one a
`text` attribute in NFC Unicode: a .VnTime text as TCVN3, a .VnTimeH one in capitals, a
VNI-Times one as VNI, and one typed in Arial as written.
"""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import shapely

from importers import mapinfo_text, ogr
from importers.gis_mapping import import_mapped_dataset
from importers.sources import Dataset, format_of
from planning.models import Feature
from tests.conftest import HUE_X, HUE_Y
from tests.files import zip_dir

# (font, the text's bytes in the file, what the planner saw)
TEXTS = [
    (".VnTime", "§Êt ë míi".encode("latin-1"), "Đất ở mới"),
    (".VnTimeH", "quy ho¹ch".encode("latin-1"), "QUY HOẠCH"),
    ("VNI-Times", "Ñöôøng soá 5".encode("latin-1"), "Đường số 5"),
    ("Arial", "Nhà vàn".encode("cp1252"), "Nhà vàn"),
    ("Arial", b'Lo \\"A1\\"', 'Lo "A1"'),  # a quote inside the text
]


def text_table(
    folder: Path, charset: str = "Neutral", with_region: bool = False, texts=TEXTS
) -> Path:
    """A MIF/MID of text objects (and a region) in the given charset, as MapInfo writes."""
    folder.mkdir(exist_ok=True)
    head = (
        f'Version 300\nCharset "{charset}"\nDelimiter ","\n'
        'CoordSys Earth Projection 8, 104, "m", 105, 0, 0.9999, 500000, 0\n'
        "Columns 1\n  MA Char(10)\nData\n\n"
    ).encode()
    body, rows = b"", []
    for index, (font, raw, _) in enumerate(texts):
        x, y = HUE_X + 20 * index, HUE_Y
        body += b'Text\n    "' + raw + f'"\n    {x} {y} {x + 10} {y + 3}\n'.encode()
        body += f'    Font ("{font}",0,0,0)\n'.encode()
        rows.append(f'"T{index}"')
    if with_region:
        x, y = HUE_X, HUE_Y - 50
        ring = [(x, y), (x + 40, y), (x + 40, y + 40), (x, y + 40), (x, y)]
        body += b"Region 1\n  5\n" + "".join(f"{a} {b}\n" for a, b in ring).encode()
        rows.append('"L1"')
    path = folder / "chu.mif"
    path.write_bytes(head + body)
    (folder / "chu.mid").write_text("\n".join(rows) + "\n")
    return path


def read(path: Path, encoding: str = "auto") -> ogr.SourceLayer:
    return ogr.read_layer(Dataset(path, format_of(path)), path.stem, encoding)


def texts_of(layer: ogr.SourceLayer) -> list:
    names = [field["name"] for field in layer.fields]
    return layer.columns[names.index("text")]


@pytest.mark.parametrize("suffix", [".mif", ".tab"])
def test_text_objects_are_decoded_by_their_font(tmp_path, suffix):
    path = text_table(tmp_path / "mif", with_region=True)
    if suffix == ".tab":
        tab = tmp_path / "chu.tab"
        subprocess.run(["ogr2ogr", "-f", "MapInfo File", tab, path], check=True)
        path = tab
    layer = read(path)
    assert texts_of(layer) == [*(seen for *_, seen in TEXTS), None]  # the region has none
    anchors = layer.columns[[field["name"] for field in layer.fields].index("anchor")]
    assert anchors == ["bottom_left"] * len(TEXTS) + [None]  # OGR's point: the box's corner
    assert layer.text_encoding == "tcvn3"


def test_unicode_font_texts_of_a_vietnamese_windows_table_are_read_as_cp1258(tmp_path):
    """MapInfo on Vietnamese Windows stores text typed in Arial in cp1258 (tones as
    combining marks) when the table has no charset: read as the table was written."""
    words = ["Nhà văn hóa", "Đường Lê Lợi", "Trường học"]
    texts = [("Arial", cp1258(word), word) for word in words]
    layer = read(text_table(tmp_path / "mif", texts=[*texts, TEXTS[0]]))
    assert texts_of(layer) == [*words, TEXTS[0][2]]  # the .VnTime text still by its font


def cp1258(text: str) -> bytes:
    """Windows Vietnamese as Windows writes it: a letter the code page holds as one byte,
    else its base letter followed by the tone as a combining mark ("ợ" = "ơ" + U+0323)."""
    out = b""
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", decomposed[:-1])
            out += (base + decomposed[-1]).encode("cp1258")
    return out


def test_a_windows_vietnamese_table_is_read_in_its_code_page(tmp_path):
    """GDAL has no converter for MapInfo's "WindowsVietnamese" and passes the bytes on: the
    attributes and the Unicode-font texts are cp1258, a .VnTime text still TCVN3. Before,
    a Vietnamese attribute value stopped the import with a UnicodeDecodeError."""
    texts = [("Arial", cp1258("Nhà văn hóa"), "Nhà văn hóa"), TEXTS[0]]
    path = text_table(tmp_path / "mif", charset="WindowsVietnamese", texts=texts)
    (path.parent / "chu.mid").write_bytes(cp1258('"Lô đất"\n"Phường"\n'))
    layer = read(path)
    assert layer.columns[0] == ["Lô đất", "Phường"]
    assert texts_of(layer) == ["Nhà văn hóa", TEXTS[0][2]]


def test_a_declared_western_charset_still_lets_the_font_decide(tmp_path):
    layer = read(text_table(tmp_path / "mif", charset="WindowsLatin1"))
    assert texts_of(layer) == [seen for *_, seen in TEXTS]


def test_a_forced_encoding_decodes_every_text(tmp_path):
    layer = read(text_table(tmp_path / "mif"), "tcvn3")
    assert texts_of(layer)[0] == "Đất ở mới"
    assert texts_of(layer)[1] == "QUY HOẠCH"  # the capital font still shows capitals
    assert texts_of(layer)[3] != "Nhà vàn"  # forced: read as TCVN3, as asked


def test_a_table_with_its_own_text_column_keeps_it(tmp_path):
    path = text_table(tmp_path / "mif")
    path.write_bytes(path.read_bytes().replace(b"  MA Char(10)", b"  TEXT Char(10)"))
    layer = read(path)
    assert [field["name"] for field in layer.fields] == ["TEXT"]
    assert layer.columns[0][:2] == ["T0", "T1"]


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ('LABEL(t:"Đất ở",a:0,s:2g,f:".VnTime")', ("Đất ở", ".VnTime")),
        ('LABEL(t:"a,b) \\"c\\"",f:"Arial")', ('a,b) "c"', "Arial")),
        ('SYMBOL(id:"mapinfo-sym-35",c:#ff0000)', None),
        ('LABEL(f:"Arial")', None),
        ('PEN(c:#000000);LABEL(t:"x")', ("x", "")),
        ('LABEL(t:"Khu\\B2 \\n",f:"Arial")', ("Khu\\B2 \\n", "Arial")),  # only \" is escaped
        ('LABEL(t:"",f:"Arial")', None),  # a text object without text
    ],
)
def test_label_of_a_style_string(style, expected):
    assert mapinfo_text.label(style) == expected


@pytest.mark.django_db
def test_mapped_import_gives_annotation_its_texts(planner, draft_plan, tmp_path):
    path = text_table(tmp_path / "mif")
    zipped = zip_dir(sorted(path.parent.iterdir()), tmp_path / "chu.zip")
    result = import_mapped_dataset(
        user=planner,
        revision=draft_plan,
        path=zipped,
        filename=zipped.name,
        mapping={"*": "annotation"},
        crs="EPSG:9214",
    )
    (layer,) = result.layers
    features = Feature.objects.filter(layer=layer).order_by("id")
    assert [f.attributes["text"] for f in features] == [seen for *_, seen in TEXTS]
    assert result.report["layers"][0]["text_encoding"] == "tcvn3"


def test_a_table_of_regions_alone_gets_no_text_column(tmp_path):
    """Text objects are points: a table of regions alone is read as before."""
    path = text_table(tmp_path / "mif", with_region=True)
    content = path.read_bytes()
    path.write_bytes(content[: content.index(b"Text")] + content[content.index(b"Region") :])
    (path.parent / "chu.mid").write_text('"L1"\n')
    layer = read(path)
    assert [field["name"] for field in layer.fields] == ["MA"]
    assert len(layer) == 1


@pytest.mark.parametrize("has_z", [False, True])
def test_points_are_found_in_any_wkb_flavour(has_z):
    point = shapely.Point(1, 2, 3) if has_z else shapely.Point(1, 2)
    region = shapely.box(0, 0, 1, 1)
    for flavor in ("iso", "extended"):
        wkb = np.array([shapely.to_wkb(g, flavor=flavor) for g in (region, point)], dtype=object)
        assert ogr._has_points(wkb)
        assert not ogr._has_points(wkb[:1])


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ('LABEL(t:"Đường số 5",a:30.000000,s:2g,f:"Arial")', 30.0),
        ('LABEL(t:"x",a:270.500000)', -89.5),  # as drawings: (-180, 180]
        ('LABEL(t:"x",a:-180)', 180.0),
        ('LABEL(t:"x",a:0.000000,f:"Arial")', None),  # level
        ('LABEL(t:"x",a:360)', None),
        ('LABEL(t:"lô a:45",f:"Arial")', None),  # "a:" inside the text is no angle
        ('LABEL(t:"x",a:ngang)', None),
        ('SYMBOL(id:"mapinfo-sym-35",a:30)', None),
    ],
)
def test_rotation_of_a_style_string(style, expected):
    assert mapinfo_text.rotation(style) == expected


def angled_table(folder: Path, angles: list[float | None]) -> Path:
    """text_table's MIF with MapInfo's Angle clause after the given texts' fonts."""
    path = text_table(folder, with_region=True, texts=TEXTS[: len(angles)])
    lines, index = [], 0
    for line in path.read_bytes().split(b"\n"):
        lines.append(line)
        if line.startswith(b"    Font"):
            if angles[index] is not None:
                lines.append(f"    Angle {angles[index]}".encode())
            index += 1
    path.write_bytes(b"\n".join(lines))
    return path


def test_text_objects_keep_their_angle(tmp_path):
    """A street name written along a diagonal street keeps its direction: `rotation`,
    degrees counter-clockwise as for drawings' texts (tiles.styles turns it on the map)."""
    layer = read(angled_table(tmp_path / "mif", [30, None, 270.5]))
    rotations = layer.columns[[field["name"] for field in layer.fields].index("rotation")]
    assert rotations == [30.0, None, -89.5, None]  # level: none; the region has none


@pytest.mark.django_db
def test_mapped_import_gives_annotation_its_rotation(planner, draft_plan, tmp_path):
    path = angled_table(tmp_path / "mif", [30, None])
    zipped = zip_dir(sorted(path.parent.iterdir()), tmp_path / "chu.zip")
    result = import_mapped_dataset(
        user=planner,
        revision=draft_plan,
        path=zipped,
        filename=zipped.name,
        mapping={"*": "annotation"},
        crs="EPSG:9214",
    )
    features = Feature.objects.filter(layer__in=result.layers)
    seen = {f.attributes.get("text"): f.attributes.get("rotation") for f in features}
    assert seen == {TEXTS[0][2]: 30.0, TEXTS[1][2]: None, None: None}  # and the region


@pytest.mark.django_db
def test_the_two_point_fix_turns_the_texts_with_the_layer(planner, draft_plan, tmp_path):
    """Control points that turn the table a quarter turn counter-clockwise about its first
    text turn the texts too: 30° becomes 120°, a level text 90°."""
    path = angled_table(tmp_path / "mif", [30, None])
    zipped = zip_dir(sorted(path.parent.iterdir()), tmp_path / "chu.zip")
    turned = [[HUE_X, HUE_Y, HUE_X, HUE_Y], [HUE_X + 100, HUE_Y, HUE_X, HUE_Y + 100]]
    result = import_mapped_dataset(
        user=planner,
        revision=draft_plan,
        path=zipped,
        filename=zipped.name,
        mapping={"*": "annotation"},
        crs="EPSG:9214",
        control_points=turned,
    )
    features = Feature.objects.filter(layer__in=result.layers)
    seen = {f.attributes.get("text"): f.attributes.get("rotation") for f in features}
    assert seen == {TEXTS[0][2]: 120.0, TEXTS[1][2]: 90.0, None: None}  # and the region
