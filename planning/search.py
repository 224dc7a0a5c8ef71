"""Search that ignores Vietnamese diacritics: office staff type "nguyen" for "Nguyễn".

`fold` takes text to its bare lower-case letters in Python; `Folded` does the same in SQL
with translate() over the letters that carry marks (no unaccent extension needed), so both
sides of a comparison fold alike.
"""

from __future__ import annotations

import unicodedata

from django.db.models import F, Func, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.utils.text import smart_split, unescape_string_literal


def fold(text: str) -> str:
    """Lower case without tone marks or vowel marks, đ as d ("Nguyễn Đức" -> "nguyen duc")."""
    bare = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in bare if not unicodedata.combining(c)).lower()


def _marked_letters() -> str:
    """The NFC letters fold changes beyond case: Vietnamese vowels with their marks, đ."""
    vowels = "aăâeêioôơuưy"
    marks = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    letters = {unicodedata.normalize("NFC", v + m) for v in vowels for m in marks} | {"đ"}
    letters |= {letter.upper() for letter in letters}
    return "".join(sorted(c for c in letters if fold(c) != c.lower()))


MARKED = _marked_letters()
BARE = "".join(fold(c) for c in MARKED)


class Folded(Func):
    """fold() in SQL: lower(translate(expression, MARKED, BARE)), values bound."""

    function = "TRANSLATE"

    def __init__(self, expression, **extra):
        super().__init__(expression, Value(MARKED), Value(BARE), **extra)


def folded_matches(queryset: QuerySet, fields: list[str], search: str) -> QuerySet:
    """The rows where every word of `search` is in one of `fields`, diacritics ignored (the
    admin's search rule: words, or "quoted phrases", each in some field)."""
    words = [fold(_unquoted(word)) for word in smart_split(search)]
    names = {field: f"_folded_{index}" for index, field in enumerate(fields)}
    annotated = queryset.annotate(**{name: Lower(Folded(F(f))) for f, name in names.items()})
    for word in filter(None, words):
        any_field = Q()
        for name in names.values():
            any_field |= Q(**{f"{name}__contains": word})
        annotated = annotated.filter(any_field)
    return annotated


def _unquoted(word: str) -> str:
    if word[:1] in "\"'" and word[-1:] == word[:1] and len(word) > 1:
        return unescape_string_literal(word)
    return word
