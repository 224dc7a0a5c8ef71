"""Apply legacy Vietnamese text detection to the string columns of a source layer."""

from __future__ import annotations

from django.utils.translation import gettext as _

from importers.text import vietnamese

SAMPLE_LIMIT = 2000  # non-ASCII values examined to decide an encoding


def raw_bytes(value: str, codec: str) -> bytes:
    """The bytes behind a string that was decoded with `codec` (Latin-1 for a byte-for-byte
    read; for text decoded upstream, e.g. by GDAL from a declared charset, that charset)."""
    try:
        return value.encode(codec)
    except UnicodeEncodeError:
        return value.encode("latin-1", errors="replace")


def decode_columns(
    columns: list[list[object]],
    requested: str,
    *,
    raw_latin1: bool,
    declared: str | None = None,
) -> tuple[list[list[object]], str | None]:
    """Columns with their text decoded; the encoding used (None: nothing changed, or the
    text is read as the file declares it).

    `raw_latin1`: the text was read byte for byte as Latin-1. `declared`: the codec the
    file declares (for a raw read, the one to decode with when detection finds nothing
    better); without it, text that was not read raw is taken as cp1252 mojibake."""
    text_columns = [i for i, col in enumerate(columns) if any(isinstance(v, str) for v in col)]
    codec = "latin-1" if raw_latin1 else declared or "cp1252"
    if requested == "auto":
        samples = _samples(columns, text_columns, codec)
        if declared == "utf-8" and not vietnamese.is_utf8(samples):
            declared = None  # a file presumed UTF-8 whose bytes are not: undeclared
        encoding = vietnamese.detect(samples, declared)
        if encoding is None or (encoding == declared and not raw_latin1):
            return columns, None
        if declared is None and encoding == "cp1252" and not raw_latin1:
            return columns, None
    else:
        encoding = requested
    decoded = list(columns)
    for index in text_columns:
        decoded[index] = [
            vietnamese.decode(raw_bytes(v, codec), encoding)
            if isinstance(v, str) and not v.isascii()
            else v
            for v in columns[index]
        ]
    if encoding == declared == "utf-8" and requested == "auto":
        return _undo_mojibake(decoded)
    return decoded, None if encoding == declared else encoding


def fitting_encoding(
    columns: list[list[object]],
    requested: str,
    *,
    raw_latin1: bool,
    declared: str | None = None,
) -> str | None:
    """Another encoding the text clearly reads as Vietnamese in, where the `requested` one
    garbles it (vietnamese.fitting_instead); None when the request is plausible."""
    text_columns = [i for i, col in enumerate(columns) if any(isinstance(v, str) for v in col)]
    codec = "latin-1" if raw_latin1 else declared or "cp1252"
    samples = _samples(columns, text_columns, codec)
    return vietnamese.fitting_instead(samples, requested)


def misread_warning(fitting: str | None, encoding: str) -> str | None:
    """What the report says when a forced encoding garbles text another encoding reads as
    Vietnamese ("§Êt ë" stored as VNI): a warning, not a refusal, since forcing is the way
    out when detection is wrong, and symbols (Ø, ×, µ) can make a wrong reading score.
    For GIS files and drawings alike."""
    if not fitting:
        return None
    return _(
        "Read as %(encoding)s, the text of the file is not Vietnamese, while read as "
        "%(fitting)s it is: check the text, and if it is garbled import again with "
        "%(fitting)s or auto."
    ) % {"encoding": encoding.upper(), "fitting": fitting.upper()}


def _undo_mojibake(columns: list[list[object]]) -> tuple[list[list[object]], str | None]:
    """UTF-8 text whose every character is in cp1252 may be legacy bytes that a tool
    already misread as cp1252 and saved as UTF-8 (a TCVN3 table converted without care):
    check it as cp1252-declared text. Genuine Vietnamese UTF-8 always has letters outside
    cp1252 (ạ, ư, đ...) and is left alone."""
    texts = (v for col in columns for v in col if isinstance(v, str) and not v.isascii())
    try:
        for text in texts:
            text.encode("cp1252")
    except UnicodeEncodeError:
        return columns, None
    return decode_columns(columns, "auto", raw_latin1=False, declared="cp1252")


def _samples(columns: list[list[object]], text_columns: list[int], codec: str) -> list[bytes]:
    found: list[bytes] = []
    for index in text_columns:
        for value in columns[index]:
            if isinstance(value, str) and not value.isascii():
                found.append(raw_bytes(value, codec))
                if len(found) >= SAMPLE_LIMIT:
                    return found
    return found


def lost_values(before: list[list[object]], after: list[list[object]]) -> int:
    """Text values that decoding left with U+FFFD where the value read had none: bytes the
    chosen encoding cannot read (UTF-8 forced on a TCVN3 table)."""
    return sum(
        _lost(old, new)
        for old_column, new_column in zip(before, after, strict=True)
        for old, new in zip(old_column, new_column, strict=True)
    )


def _lost(old: object, new: object) -> bool:
    replaced = isinstance(new, str) and "\ufffd" in new
    return replaced and not (isinstance(old, str) and "\ufffd" in old)
