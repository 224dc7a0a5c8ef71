"""MapInfo text objects: their text and font, which OGR keeps only in the feature's style.

Vietnamese MapInfo maps hold their street names, lot codes and notes as text objects,
mostly in legacy fonts (.VnTime, VNI-Times). OGR reads such an object as a point whose
style string is `LABEL(t:"§Êt ë",...,f:".VnTime")`; without this module the import kept
the point and lost the text. `read` gives each feature's text and font (None for the other
objects), read the way the attribute columns are (byte for byte when the table declares
no charset), so that the file's detection decides their encoding with the attributes; a
legacy font then decides its own text, as in drawings (importers.cad.text).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pyogrio
import pyogrio.errors

from importers.cad.geometry import map_rotation
from importers.cad.text import font_encoding, is_capital_font
from importers.legacy_text import raw_bytes
from importers.text import vietnamese

logger = logging.getLogger(__name__)
TEXT_FIELD = "text"  # the attribute a text object's text goes to (as a drawing's texts)
ANCHOR_FIELD = "anchor"  # where the text stands on its point, as for drawings (tiles.styles)
TEXT_ANCHOR = "bottom_left"  # OGR's point is the text box's first corner, its lower left
ROTATION_FIELD = "rotation"  # the text's direction, as for drawings (tiles.styles)
_PARAM = re.compile(r'\s*(\w+)\s*:\s*("(?:[^"\\]|\\.)*"|[^,)]*)\s*([,)])')
_ESCAPE = re.compile(r'\\(")')  # OGR escapes only the quote in a style string's text


@dataclass
class TextObjects:
    texts: list[str | None]  # per feature, as read (None: not a text object)
    fonts: list[str]
    rotations: list[float | None]  # degrees counter-clockwise (None: level, or no text)


def read(path: Path, layer: str, encoding: str | None) -> TextObjects | None:
    """The text objects of a MapInfo layer, None when it has none (or it is not one of the
    file's own layers, whose name OGR SQL then quotes, or its styles cannot be read)."""
    if '"' in layer or layer not in _layers(path):  # the SQL names only the file's own
        return None
    try:
        _, _, _, (styles,) = pyogrio.raw.read(
            path,
            sql=f'SELECT OGR_STYLE FROM "{layer}"',  # noqa: S608 - an identifier, quoted
            sql_dialect="OGRSQL",
            read_geometry=False,
            encoding=encoding,
        )
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError):
        logger.warning("the text objects of MapInfo layer %r could not be read", layer)
        return None
    strings = [style if isinstance(style, str) else "" for style in styles.tolist()]
    labels = [label(style) for style in strings]
    if not any(labels):
        return None
    return TextObjects(
        [found[0] if found else None for found in labels],
        [found[1] if found else "" for found in labels],
        [rotation(style) if found else None for style, found in zip(strings, labels, strict=True)],
    )


def _layers(path: Path) -> set[str]:
    try:
        return {str(name) for name, _ in pyogrio.list_layers(path)}
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return set()


def label(style: str) -> tuple[str, str] | None:
    """(text, font) of an OGR style string's LABEL tool, None without one."""
    params = _label_params(style)
    if not params.get("t"):
        return None  # no text object, or one without text
    return params["t"], params.get("f", "")


def rotation(style: str) -> float | None:
    """The direction of an OGR style string's LABEL (its angle a:, degrees counter-clockwise,
    as geometry.map_rotation gives a drawing's), None when level or unreadable."""
    try:
        angle = float(_label_params(style).get("a", "0"))
    except ValueError:
        return None
    return map_rotation(angle) or None


def _label_params(style: str) -> dict[str, str]:
    """The parameters of an OGR style string's LABEL tool (none without one)."""
    start = style.find("LABEL(")
    params: dict[str, str] = {}
    if start < 0:
        return params
    index = start + len("LABEL(")
    while (found := _PARAM.match(style, index)) is not None:
        key, value, end = found.groups()
        if value.startswith('"'):
            value = _ESCAPE.sub(r"\1", value[1:-1])
        params[key] = value.strip()
        index = found.end()
        if end == ")":
            break
    return params


def anchors(objects: TextObjects) -> list[object]:
    return [TEXT_ANCHOR if text is not None else None for text in objects.texts]


def rotations(objects: TextObjects) -> list[object]:
    return list(objects.rotations)


def evidence(objects: TextObjects) -> list[object]:
    """The texts in a legacy font, for the file's encoding detection; the others (in Arial,
    Times New Roman ...) say nothing about the bytes of the attributes."""
    return [
        text if font_encoding(font) else None
        for text, font in zip(objects.texts, objects.fonts, strict=True)
    ]


def decode(
    objects: TextObjects, requested: str, codec: str, detect: bool, declared: str | None = None
) -> tuple[list[object], str | None]:
    """Each text in NFC Unicode, and the legacy encoding a font decided, if any: a forced
    encoding decodes every text; on "auto" a legacy font decides its text (a capital font's
    in capitals), and any other font shows the text as written (MapInfo would have shown
    TCVN3 bytes in Arial as "§Êt ë"). `codec`: how the texts were read; `detect`: whether
    the table's charset left its bytes open to detection (else GDAL's reading stands);
    `declared`: the code page the table declares (for a raw read, its texts' as written)."""
    out: list[object] = []
    used = None
    written = None
    if codec == "latin-1":  # read byte for byte: the table's own code page, or detected
        written = declared if declared not in (None, "utf-8") else _written_codec(objects)
    for text, font in zip(objects.texts, objects.fonts, strict=True):
        if text is None:
            out.append(None)
            continue
        if text.isascii() or (requested == "auto" and not detect):
            capital = is_capital_font(font) and requested in ("auto", "tcvn3")
            as_read = unicodedata.normalize("NFC", text)
            out.append(as_read.upper() if capital else as_read)
            continue
        encoding = requested if requested != "auto" else font_encoding(font)
        raw = raw_bytes(text, codec)
        if encoding is None:  # as written: in the table's own code page when read raw
            as_written = _decoded_keeping(raw, written) if written else text
            out.append(unicodedata.normalize("NFC", as_written))
            continue
        value = vietnamese.decode(raw, encoding)
        out.append(value.upper() if encoding == "tcvn3" and is_capital_font(font) else value)
        used = used or (encoding if requested == "auto" else None)
    return out, used


def _written_codec(objects: TextObjects) -> str:
    """The code page a table without a charset was written in, read from its texts in
    Unicode fonts: UTF-8 when they all are; else Windows Vietnamese (cp1258: "văn", "đường")
    when it reads them as more Vietnamese than Windows Western (cp1252, also on a tie)."""
    raws = [
        raw_bytes(text, "latin-1")
        for text, font in zip(objects.texts, objects.fonts, strict=True)
        if text is not None and not text.isascii() and not font_encoding(font)
    ]
    if raws and vietnamese.is_utf8(raws):
        return "utf-8"
    western, vietnamese_windows = (
        sum(vietnamese.score(vietnamese.decode(raw, codec)) for raw in raws)
        for codec in ("cp1252", "cp1258")
    )
    return "cp1258" if vietnamese_windows > western else "cp1252"


def _decoded_keeping(raw: bytes, codec: str) -> str:
    """The bytes in the code page, a byte it leaves undefined kept as its Latin-1 letter
    (nothing replaced by U+FFFD)."""
    text = raw.decode(codec, errors="surrogateescape")
    return "".join(chr(ord(c) - 0xDC00) if "\udc80" <= c <= "\udcff" else c for c in text)
