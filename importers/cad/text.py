"""Legacy Vietnamese text in drawings: recover the bytes, pick TCVN3/VNI, decode to NFC.

Up to R2004 ezdxf decodes text with $DWGCODEPAGE (cp1252 for most Vietnamese drawings);
from R2007 text is UTF-8 but legacy bytes arrive as the cp1252 characters AutoCAD made of
them. Either way the original bytes come back character by character (undefined cp1252
positions arrive as surrogate escapes or Latin-1 controls), and importers.text.vietnamese
decodes them. The style's font is the strongest evidence (.VnTime → TCVN3, VNI-Times →
VNI); otherwise all texts of the drawing are scored together.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from ezdxf.document import Drawing

from importers.text import vietnamese

LEGACY = ("tcvn3", "vni")


def codec_of(doc: Drawing) -> str:
    """The codec whose bytes ezdxf's strings stand for."""
    if doc.dxfversion >= "AC1021":
        return "cp1252"
    return doc.encoding or "cp1252"


def raw_bytes(text: str, codec: str) -> bytes | None:
    """The legacy bytes behind a string, None when it holds real Unicode beyond them."""
    try:  # the common case in one call; surrogate escapes are the undecodable bytes
        return text.encode(codec, errors="surrogateescape")
    except UnicodeEncodeError:
        pass
    out = bytearray()
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # surrogate escape of an undecodable byte
            out.append(code - 0xDC00)
            continue
        try:
            out += char.encode(codec)
        except UnicodeEncodeError:
            if code > 0xFF:
                return None
            out.append(code)
    return bytes(out)


def font_encoding(font: str) -> str | None:
    name = font.strip().lower().rsplit("/", 1)[-1]
    if name.startswith(".vn"):
        return "tcvn3"
    if name.startswith("vni"):
        return "vni"
    return None


def style_fonts(doc: Drawing) -> dict[str, str]:
    """Text style name (upper case) -> font file or family name."""
    fonts = {}
    for style in doc.styles:
        font = style.dxf.get("font", "") or ""
        family = (
            style.get_extended_font_data()[0] if hasattr(style, "get_extended_font_data") else ""
        )
        fonts[style.dxf.name.upper()] = font or family or ""
    return fonts


DETECTION_SAMPLES = 2000  # distinct non-ASCII texts scored to choose the encoding


def _legacy_samples(samples: Iterable[str]) -> list[str]:
    """The first distinct non-ASCII texts: ASCII decides nothing, and a drawing is written
    in one encoding, so a few thousand labels decide as well as a hundred thousand."""
    chosen: dict[str, None] = {}
    for text in samples:
        if not text.isascii():
            chosen[text] = None
            if len(chosen) >= DETECTION_SAMPLES:
                break
    return list(chosen)


class TextDecoder:
    """Decodes the texts of one drawing with one consistent choice of encoding."""

    def __init__(self, doc: Drawing, requested: str, samples: Iterable[str]) -> None:
        self.codec = codec_of(doc)
        self.requested = requested
        self.fonts = style_fonts(doc)
        self.used: set[str] = set()
        self.document_choice: str | None = None
        if requested == "auto":
            raws = [r for s in _legacy_samples(samples) if (r := raw_bytes(s, self.codec))]
            detected = vietnamese.detect(raws)
            self.document_choice = detected if detected in LEGACY else None

    def decode(self, text: str, style: str = "") -> str:
        if text.isascii():
            return text
        encoding = self._encoding_for(style)
        raw = raw_bytes(text, self.codec) if encoding else None
        if encoding is None or raw is None:
            return unicodedata.normalize("NFC", text)
        self.used.add(encoding)
        return vietnamese.decode(raw, encoding)

    def _encoding_for(self, style: str) -> str | None:
        if self.requested in LEGACY:
            return self.requested
        if self.requested != "auto":
            return None
        by_font = font_encoding(self.fonts.get(style.upper(), ""))
        return by_font or self.document_choice

    def fix_name(self, name: str) -> str:
        """Layer names: UTF-8 stored under a cp1252 code page (GDAL's utf-8 sample)."""
        raw = raw_bytes(name, self.codec)
        if raw is None or raw.isascii():
            return name
        try:
            return unicodedata.normalize("NFC", raw.decode("utf-8"))
        except UnicodeDecodeError:
            return name
