"""Apply legacy Vietnamese text detection to the string columns of a source layer."""

from __future__ import annotations

from importers.text import vietnamese

SAMPLE_LIMIT = 2000  # non-ASCII values examined to decide an encoding


def _raw(value: str, raw_latin1: bool) -> bytes:
    """The bytes behind a string: exact for a Latin-1 read; for text that was already
    decoded as cp1252 somewhere upstream (mojibake), the cp1252 bytes where possible."""
    if raw_latin1:
        return value.encode("latin-1")
    try:
        return value.encode("cp1252")
    except UnicodeEncodeError:
        return value.encode("latin-1", errors="replace")


def decode_columns(
    columns: list[list[object]], requested: str, *, raw_latin1: bool
) -> tuple[list[list[object]], str | None]:
    """Columns with their text decoded; the encoding used (None: nothing changed)."""
    text_columns = [i for i, col in enumerate(columns) if any(isinstance(v, str) for v in col)]
    if requested == "auto":
        samples = _samples(columns, text_columns, raw_latin1)
        encoding = vietnamese.detect(samples)
        if encoding is None or (encoding == "cp1252" and not raw_latin1):
            return columns, None
    else:
        encoding = requested
    decoded = list(columns)
    for index in text_columns:
        decoded[index] = [
            vietnamese.decode(_raw(v, raw_latin1), encoding)
            if isinstance(v, str) and not v.isascii()
            else v
            for v in columns[index]
        ]
    return decoded, encoding


def _samples(columns: list[list[object]], text_columns: list[int], raw_latin1: bool) -> list[bytes]:
    found: list[bytes] = []
    for index in text_columns:
        for value in columns[index]:
            if isinstance(value, str) and not value.isascii():
                found.append(_raw(value, raw_latin1))
                if len(found) >= SAMPLE_LIMIT:
                    return found
    return found
