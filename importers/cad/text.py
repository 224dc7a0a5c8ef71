"""Legacy Vietnamese text in drawings: recover the bytes, pick TCVN3/VNI, decode to NFC.

Up to R2004 ezdxf decodes text with $DWGCODEPAGE (cp1252 for most Vietnamese drawings);
from R2007 text is UTF-8 but legacy bytes arrive as the cp1252 characters AutoCAD made of
them. Either way the original bytes come back character by character (undefined cp1252
positions arrive as surrogate escapes or Latin-1 controls), and importers.text.vietnamese
decodes them. The style's font is the strongest evidence (.VnTime → TCVN3, VNI-Times →
VNI); otherwise all texts of the drawing are scored together.

Up to R2004, AutoCAD and ezdxf write a character outside the code page as \\U+XXXX: such
escapes are decoded first (as ezdxf's recovering loader and AutoCAD read them), and a text
that then holds letters no legacy font byte could be is Unicode, never decoded again. A
drawing with such Unicode texts whose other texts use only Vietnamese letters of the code
page is a Unicode drawing: without a legacy font its texts that fit the code page ("Cây
xanh") are kept as written. Any sign or foreign letter among them (TCVN3's "§Êt") makes it
a legacy drawing as before, whose fitting texts are all decoded.

MTEXT may switch fonts inside its text (\\f.VnTime|b0;, \\Ftxt.shx;, scoped by {groups}):
each run is decoded by its own font. A legacy font decides its run; any other TrueType font
named inline is a Unicode run (AutoCAD would show TCVN3 bytes in Arial as "§Êt ë", so what
the planner saw is what is written); runs in the style's font, or in a shape font that
names no encoding, follow the style, then the drawing. TCVN3's capital fonts (.VnTimeH,
.VnArialH ...) show every letter as a capital: their runs are decoded and upper-cased, as
the planner saw them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator

from ezdxf.document import Drawing
from ezdxf.lldxf.encoding import decode_dxf_unicode, decode_mif_to_unicode

from importers import legacy_text
from importers.text import vietnamese

# decoded from the code page's bytes; cp1258 only when forced or when it reads the drawing
# strictly better than its own code page (Vietnamese Windows text under an ANSI_1252 header)
LEGACY = ("tcvn3", "vni", "cp1258")


def codec_of(doc: Drawing) -> str:
    """The codec whose bytes ezdxf's strings stand for."""
    return codec_for(doc.dxfversion, doc.encoding)


def codec_for(dxfversion: str, encoding: str | None) -> str:
    if dxfversion >= "AC1021":
        return "cp1252"
    return encoding or "cp1252"


def unescape(text: str) -> str:
    """The text with AutoCAD's \\U+XXXX (and \\M+cXXXX) escapes decoded, as ezdxf's
    recovering loader decodes them (its fast loader leaves them)."""
    if "\\U+" in text:
        text = decode_dxf_unicode(text)
    if "\\M+" in text:
        text = decode_mif_to_unicode(text)
    return text


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


def _font_name(font: str) -> str:
    """The font's name in lower case, without folders or a font file's extension."""
    name = font.strip().lower().replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, extension = name.rpartition(".")
    return stem if dot and stem and extension in _FONT_EXTENSIONS else name


_FONT_EXTENSIONS = {"ttf", "ttc", "otf", "shx", "pfb"}


def font_encoding(font: str) -> str | None:
    name = _font_name(font)
    if name.startswith(".vn"):
        return "tcvn3"
    if name.startswith("vni"):
        return "vni"
    return None


def is_capital_font(font: str) -> bool:
    """A TCVN3 capital font (.VnTimeH, .VnArial NarrowH): lower-case codes show as capitals."""
    name = _font_name(font)
    return name.startswith(".vn") and name.endswith("h")


def style_fonts(doc: Drawing) -> dict[str, str]:
    """Text style name (upper case) -> font file or family name (the one that names a
    legacy font when only one does: a style may give "vntime.ttf" and ".VnTime")."""
    fonts = {}
    for style in doc.styles:
        font = style.dxf.get("font", "") or ""
        family = (
            style.get_extended_font_data()[0] if hasattr(style, "get_extended_font_data") else ""
        )
        legacy = family if font_encoding(family or "") and not font_encoding(font) else ""
        fonts[style.dxf.name.upper()] = legacy or font or family or ""
    return fonts


# --- fonts switched inside MTEXT ---------------------------------------------------------
# Font changes are marked with private-use characters before ezdxf removes the formatting
# codes, and read back from the plain text: offsets then count the plain text's characters.
FontChanges = tuple[tuple[int, str], ...]  # (offset in the plain text, font; "" = the style's)
_FIRST_MARK, _MARKS = 0xE000, 0x1900  # the Basic Multilingual Plane's private-use area
_MARK = re.compile("([\ue000-\uf8ff])")


# what mark_fonts looks at: a font code (to its ";"), any other escape pair, a group brace
_FONT_TOKENS = re.compile(r"\\([fF])([^;]*);|\\.|[{}]", re.S)


def mark_fonts(raw: str) -> tuple[str, list[str]]:
    """MTEXT content with every inline font change (\\f and \\F codes, and the end of a
    {group} that changed the font) replaced by a mark, and the fonts the marks stand for
    (a shape font named by \\F as its file, "name.shx"). Content without font codes (or
    with private-use characters of its own) is returned as it is, with no fonts."""
    if ("\\f" not in raw and "\\F" not in raw) or _MARK.search(raw):
        return raw, []
    fonts: dict[str, int] = {"": 0}
    out: list[str] = []
    current, outer, copied = "", list[str](), 0
    for token in _FONT_TOKENS.finditer(raw):
        code, spec = token.groups()
        if code is None and token.group() not in "{}":
            continue  # \{ \} \\ and the other codes stay as they are
        out.append(raw[copied : token.start()])
        copied = token.end()
        if code is not None:  # a font code: replaced by its mark
            current = _font_of(code, spec)
            out.append(_mark(fonts, current))
            continue
        out.append(token.group())
        if token.group() == "{":
            outer.append(current)
        elif outer:
            restored = outer.pop()
            if restored != current:
                current = restored
                out.append(_mark(fonts, current))
    out.append(raw[copied:])
    if len(fonts) > _MARKS:
        return raw, []
    return "".join(out), list(fonts)


def _font_of(code: str, spec: str) -> str:
    """A font code's font: \\f names a TrueType family, \\F a shape (SHX) font file."""
    name = spec.split("|", 1)[0].strip()
    if code == "F" and name and "." not in name.rsplit("/", 1)[-1]:
        name += ".shx"
    return name


def _mark(fonts: dict[str, int], font: str) -> str:
    return chr(_FIRST_MARK + fonts.setdefault(font, len(fonts)))


def unmark_fonts(text: str, fonts: list[str]) -> tuple[str, FontChanges]:
    """The plain text without the marks of mark_fonts, and where its font changes."""
    if not fonts:
        return text, ()
    pieces: list[str] = []
    changes: list[tuple[int, str]] = []
    length, current = 0, ""
    for piece in _MARK.split(text):
        if _MARK.fullmatch(piece):
            font = fonts[ord(piece) - _FIRST_MARK]
            if changes and changes[-1][0] == length:
                changes.pop()  # nothing was written in the font it replaces
                current = changes[-1][1] if changes else ""
            if font != current:
                changes.append((length, font))
                current = font
        elif piece:
            pieces.append(piece)
            length += len(piece)
    return "".join(pieces), tuple(changes)


def runs(text: str, fonts: FontChanges) -> Iterator[tuple[str, str]]:
    """(part of the text, its inline font; "" = the style's) in order."""
    start, font = 0, ""
    for offset, changed in fonts:
        if offset > start:
            yield text[start:offset], font
        start, font = offset, changed
    if start < len(text) or not fonts:
        yield text[start:], font


def _run_font(font: str, style_font: str) -> tuple[str, bool]:
    """(the font that decides a run, whether it was named in the text): a legacy font or a
    TrueType family named inline decides; a shape font that names no encoding (txt.shx)
    leaves the run to the style and the drawing, as text outside any font code."""
    if font and (font_encoding(font) or _as_written(font)):
        return font, True
    return style_font, False


def _as_written(font: str) -> bool:
    """A TrueType family named inline that names no legacy encoding: its run is Unicode."""
    return bool(font) and not font_encoding(font) and not _is_shape_font(font)


def _is_shape_font(font: str) -> bool:
    return font.strip().lower().endswith(".shx")


def detection_samples(texts: Iterable[tuple[str, FontChanges]]) -> Iterator[str]:
    """The texts (or their runs) whose encoding the drawing's detection may decide: not
    those in a non-legacy font named inline, which are read as written."""
    for text, fonts in texts:
        if not fonts:
            yield text
            continue
        yield from (run for run, font in runs(text, fonts) if not _as_written(font))


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


# The Vietnamese letters a single-byte Western code page holds: a Unicode text that fits the
# code page uses only these beyond ASCII, while TCVN3 or VNI bytes shown in it also give
# signs and foreign letters ("§Êt ë míi" is TCVN3 for "Đất ở mới").
_VIETNAMESE_LATIN1 = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")


def _reads_as_vietnamese(text: str) -> bool:
    return all(char.isascii() or char in _VIETNAMESE_LATIN1 for char in text)


class TextDecoder:
    """Decodes the texts of one drawing with one consistent choice of encoding."""

    def __init__(self, doc: Drawing, requested: str, samples: Iterable[str]) -> None:
        self.codec = codec_of(doc)
        self.requested = requested
        self.fonts = style_fonts(doc)
        self.used: set[str] = set()
        self.document_choice: str | None = None
        self.warnings: list[str] = []  # for the report
        if requested == "auto":
            self._detect(samples)
        elif requested in LEGACY:  # a choice the texts clearly contradict is warned of
            raws = self._raws(_legacy_samples(unescape(s) for s in samples))
            fitting = vietnamese.fitting_instead(raws, requested, LEGACY)
            if misread := legacy_text.misread_warning(fitting, requested):
                self.warnings.append(misread)

    def _raws(self, texts: list[str]) -> list[bytes]:
        return [raw for text in texts if (raw := raw_bytes(text, self.codec)) is not None]

    def _detect(self, samples: Iterable[str]) -> None:
        texts = _legacy_samples(unescape(s) for s in samples)
        fitting = [text for text in texts if raw_bytes(text, self.codec) is not None]
        if len(fitting) < len(texts) and all(map(_reads_as_vietnamese, fitting)):
            return  # a Unicode drawing: "Cây xanh" is as written; only legacy fonts decode
        raws = self._raws(fitting)
        detected = vietnamese.detect(raws)
        if detected == "cp1258" and not self._beats_code_page(raws):
            detected = None
        self.document_choice = detected if detected in LEGACY else None

    def _beats_code_page(self, raws: list[bytes]) -> bool:
        """cp1258 reads most letters as cp1252 does: it is chosen only where it reads the
        texts strictly better than the drawing's own code page (ý õ Ì → ư ơ ̀)."""
        return vietnamese.total(raws, "cp1258") > vietnamese.total(raws, self.codec)

    def decode(self, text: str, style: str = "", fonts: FontChanges = ()) -> str:
        """The text in NFC Unicode; `fonts`: where MTEXT switched fonts inside it."""
        style_font = self.fonts.get(style.upper(), "")
        if not fonts:
            return self._decode_run(text, style_font, named_inline=False)
        return "".join(
            self._decode_run(run, *_run_font(font, style_font)) for run, font in runs(text, fonts)
        )

    def _decode_run(self, text: str, font: str, named_inline: bool) -> str:
        text = unescape(text)
        encoding = self._encoding_for(font, named_inline)
        capitals = encoding == "tcvn3" and is_capital_font(font)
        if text.isascii():
            return text.upper() if capitals else text
        raw = raw_bytes(text, self.codec) if encoding else None
        if encoding is None or raw is None:
            return unicodedata.normalize("NFC", text)
        self.used.add(encoding)
        decoded = vietnamese.decode(raw, encoding)
        return decoded.upper() if capitals else decoded

    def _encoding_for(self, font: str, named_inline: bool) -> str | None:
        if self.requested in LEGACY:
            return self.requested
        if self.requested != "auto":
            return None
        by_font = font_encoding(font)
        if by_font or named_inline:  # another TrueType font named in the text: as written
            return by_font
        return self.document_choice

    def fix_name(self, name: str) -> str:
        return fix_name(name, self.codec)


@functools.lru_cache(maxsize=4096)  # a drawing has a few hundred layer names
def fix_name(name: str, codec: str) -> str:
    """A layer name as written: \\U+XXXX escapes decoded, and UTF-8 stored under a cp1252
    code page (GDAL's utf-8 sample) read as UTF-8. Applying it twice changes nothing."""
    name = unescape(name)
    raw = raw_bytes(name, codec)
    if raw is None or raw.isascii():
        return unicodedata.normalize("NFC", name)
    try:
        return unicodedata.normalize("NFC", raw.decode("utf-8"))
    except UnicodeDecodeError:
        return name


def name_fixer(dxfversion: str, encoding: str | None) -> Callable[[str], str]:
    codec = codec_for(dxfversion, encoding)
    return lambda name: fix_name(name, codec)


def fix_layer_names(doc: Drawing) -> None:
    """Every layer name of the document (layer table, entities in model space and blocks)
    as fix_name reads it, so that the layer list, the mapping and the features agree."""
    fix = name_fixer(doc.dxfversion, doc.encoding)
    for layer in doc.layers:
        _rename(layer, "name", fix)
    for entity in doc.entitydb.values():
        if entity.dxf.hasattr("layer"):
            _rename(entity, "layer", fix)


def _rename(entity, key: str, fix: Callable[[str], str]) -> None:
    name = entity.dxf.get(key)
    if isinstance(name, str) and (fixed := fix(name)) != name:
        entity.dxf.unprotected_set(key, fixed)  # a fixed name drops the escapes' backslashes
