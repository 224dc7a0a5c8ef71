"""Legacy Vietnamese text: TCVN3 and VNI-Windows decoding, and detection.

Drawings and DBF files from before Unicode store Vietnamese in font-specific 8-bit
encodings, and most declare none (or a wrong one). Readers hand us the raw bytes (or text
that was decoded byte-for-byte as Latin-1/cp1252, which round-trips); `detect` scores each
candidate decoding by how many words become valid Vietnamese syllables, so Western text
and short ASCII lot codes are left alone.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from importers.text.tcvn3_table import TCVN3_TABLE

ENCODINGS = ("utf-8", "tcvn3", "vni", "cp1258", "cp1252")

# --- TCVN3 -------------------------------------------------------------------------------
_TCVN3_DECODE = {byte: TCVN3_TABLE.get(byte, chr(byte)) for byte in range(256)}
for _byte in range(0x80, 0x100):  # unassigned positions keep their Latin-1 meaning
    _TCVN3_DECODE.setdefault(_byte, chr(_byte))


_TCVN3_TRANSLATE = {byte: char for byte, char in _TCVN3_DECODE.items() if char != chr(byte)}


def decode_tcvn3(raw: bytes) -> str:
    # Latin-1 maps each byte to the code point of the same number; translate then swaps
    # in the TCVN3 letters.
    return unicodedata.normalize("NFC", raw.decode("latin-1").translate(_TCVN3_TRANSLATE))


# --- VNI-Windows -------------------------------------------------------------------------
# VNI writes a base letter followed by mark characters (in cp1252 code points).
_TONES = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_HAT = {"â": "", "á": "\u0301", "à": "\u0300", "å": "\u0309", "ã": "\u0303", "ä": "\u0323"}
_BREVE = {"ê": "", "é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}
_STANDALONE = {  # characters that are whole letters by themselves
    "ô": "ơ",
    "ö": "ư",
    "ñ": "đ",
    "í": "í",
    "ì": "ì",
    "æ": "ỉ",
    "ó": "ĩ",
    "ò": "ị",
    "î": "ỵ",
}


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(sequence: str, letter: str) -> None:
        table[sequence] = unicodedata.normalize("NFC", letter)
        table[sequence.upper()] = unicodedata.normalize("NFC", letter.upper())

    for base in "aeouy":
        for mark, tone in _TONES.items():
            add(base + mark, base + tone)
    for base in "aeo":
        for mark, tone in _HAT.items():
            add(base + mark, base + "\u0302" + tone)
    for mark, tone in _BREVE.items():
        add("a" + mark, "a\u0306" + tone)
    for horn_mark, letter in (("ô", "ơ"), ("ö", "ư")):
        for mark, tone in _TONES.items():
            add(("o" if letter == "ơ" else "u") + horn_mark + mark, letter + tone)
            add(horn_mark + mark, letter + tone)
        add(("o" if letter == "ơ" else "u") + horn_mark, letter)
    for char, letter in _STANDALONE.items():
        add(char, letter)
    return table


_VNI = _vni_table()
_VNI_PATTERN = re.compile("|".join(sorted(map(re.escape, _VNI), key=len, reverse=True)))


def decode_vni(raw: bytes) -> str:
    text = raw.decode("cp1252", errors="replace")
    return unicodedata.normalize("NFC", _VNI_PATTERN.sub(lambda m: _VNI[m.group(0)], text))


# --- detection ---------------------------------------------------------------------------
def decode(raw: bytes, encoding: str) -> str:
    """Decode with one of ENCODINGS; undecodable bytes become U+FFFD (scored down)."""
    if encoding == "tcvn3":
        return decode_tcvn3(raw)
    if encoding == "vni":
        return decode_vni(raw)
    return unicodedata.normalize("NFC", raw.decode(encoding, errors="replace"))


_INITIAL = "(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
_NUCLEUS = "[aăâeêioôơuưy]{1,3}"
_FINAL = "(?:ch|ng|nh|[cmnpt])?"
_SYLLABLE = re.compile(f"^{_INITIAL}{_NUCLEUS}{_FINAL}$")
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_WORD = re.compile(r"[^\W\d_]+")


@functools.lru_cache(maxsize=1 << 16)  # a plan's labels repeat the same few hundred words
def _is_syllable(word: str) -> bool:
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(1 for c in decomposed if c in _TONE_MARKS)
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    return tones <= 1 and bool(_SYLLABLE.match(bare))


def score(text: str) -> float:
    """Valid Vietnamese syllables among the non-ASCII words, minus junk characters."""
    words = [w for w in _WORD.findall(text) if not w.isascii()]
    junk = sum(1 for c in text if not c.isascii() and not c.isalpha())
    if not words:
        return -float(junk)
    return sum(1 for w in words if _is_syllable(w)) - len(words) * 0.5 - junk


def detect(samples: Iterable[bytes], declared: str | None = None) -> str | None:
    """The encoding that reads the samples as the most Vietnamese, or None when the
    samples are plain ASCII (nothing to decide: codes like "A2-19" are left alone).

    `declared` is the encoding the file claims (a Python codec name), if any: it stays the
    answer unless another reading scores strictly higher, so Western text under a Western
    charset keeps it even where a legacy reading happens to tie ("à" is a letter in both)."""
    legacy = [raw for raw in samples if raw and not raw.isascii()]
    if not legacy:
        return None
    best, best_score = "cp1252", 0.0
    if declared:
        best, best_score = declared, max(0.0, total(legacy, declared))
    for encoding in ENCODINGS:
        if encoding == declared:
            continue
        if encoding == "utf-8" and not is_utf8(legacy):
            continue
        reading = total(legacy, encoding)
        if reading > best_score:
            best, best_score = encoding, reading
    return best


CLEAR_EVIDENCE = 2.0  # a reading's total score that says the text is Vietnamese in it
CLEARLY_WORSE = 0.25  # a forced reading at most this share of a clear one's score is wrong


def fitting_instead(
    samples: Iterable[bytes], forced: str, candidates: Iterable[str] = ENCODINGS
) -> str | None:
    """The encoding that clearly reads the samples as Vietnamese where the `forced` one
    does not (it scores 0 or less, or a small share of that encoding's score), or None:
    the evidence against a planner's choice ("§Êt ë" read as VNI) must be clear, and one
    short label never is."""
    legacy = [raw for raw in samples if raw and not raw.isascii()]
    if not legacy:
        return None
    best, best_score = None, CLEAR_EVIDENCE
    for encoding in candidates:
        if encoding == forced or (encoding == "utf-8" and not is_utf8(legacy)):
            continue
        reading = total(legacy, encoding)
        if reading >= best_score:
            best, best_score = encoding, reading
    if best is None or total(legacy, forced) > best_score * CLEARLY_WORSE:
        return None
    return best


def is_utf8(samples: Iterable[bytes]) -> bool:
    try:
        for raw in samples:
            raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def total(samples: list[bytes], encoding: str) -> float:
    """The samples' summed score read in `encoding`."""
    return sum(score(decode(raw, encoding)) for raw in samples)
