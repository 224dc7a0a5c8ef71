"""The longest attribute value an import accepts (PLANNING_MAX_ATTRIBUTE_CHARS).

One attribute of a GIS file or of a drawing can carry millions of characters; stored, it
travels to every map popup, QA message and dossier (a lot code of 5,000,000 characters made
the dossier's QA table a million points tall, and the QA list 15 MB). Every import checks
its values against the limit after reading and before writing, and refuses the whole file
naming the feature and the attribute: nothing of it is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain

from django.conf import settings
from django.utils.translation import gettext as _

from planning.errors import InvalidInput
from planning.numbers import localized

NAME_SHOWN = 60  # characters of an attribute name a refusal quotes


def max_chars() -> int:
    return int(settings.PLANNING_MAX_ATTRIBUTE_CHARS)


def check_columns(
    file: str, layer: str, fields: Sequence[dict], columns: Sequence[list], fids: Sequence
) -> None:
    """Refuse a GIS layer (fields and column-wise values, importers.ogr.SourceLayer) with a
    value over the limit, naming the first one by its feature number in the file (as QGIS
    shows it). Only text columns can hold one (numbers and dates are short)."""
    limit = max_chars()
    where = {"file": file, "layer": repr(_shown(layer))}
    for field, column in zip(fields, columns, strict=True):
        name = field["name"]
        if len(name) > limit:  # a GeoJSON key is a text like any other
            raise _name_too_long(where, name, limit)
        if field["type"] != "string" or _longest(column) <= limit:
            continue
        row = _first_too_long(column, limit)
        feature = _("%(file)s, layer %(layer)s, feature no. %(number)s") % {
            **where,
            "number": fids[row],
        }
        raise _too_long(feature, name, _length(column[row]), limit)


def check_rows(refs: Sequence[str], rows: Sequence[dict]) -> None:
    """Refuse a drawing's features (attribute dicts, source references "plan.dxf#1A2F")
    with a value over the limit, naming the first one by its entity's handle."""
    limit = max_chars()
    values = list(chain.from_iterable(map(dict.values, rows)))
    if _longest(values) <= limit:  # the usual case, in one pass at C speed (100k entities)
        return
    for ref, attributes in zip(refs, rows, strict=True):
        for name, value in attributes.items():
            if _length(value) > limit:
                raise _too_long(_entity(ref), name, _length(value), limit)


def _entity(ref: str) -> str:
    file, _sep, handle = ref.rpartition("#")
    if not file or not re.fullmatch(r"[0-9A-Fa-f]+", handle):  # a lot polygonised from lines
        return file or ref
    return _("%(file)s, entity with handle %(handle)s") % {"file": file, "handle": handle}


_SHORT_TYPES = (str, int, float, bool, type(None))  # texts measured apart; the rest short


def _longest(column: list) -> int:
    """The longest value's length, fast for the usual column of texts, numbers and empty
    values (anything else, such as a GeoJSON list, is measured as the text it is stored)."""
    texts = [value for value in column if value.__class__ is str]
    others = [value for value in column if value.__class__ not in _SHORT_TYPES]
    return max(max(map(len, texts), default=0), max(map(_length, others), default=0))


def _first_too_long(column: list, limit: int) -> int:
    return next(row for row, value in enumerate(column) if _length(value) > limit)


def _length(value: object) -> int:
    """Characters of the value as stored (importers.loader writes other objects, such as a
    GeoJSON list, as their text); numbers and empty values are short by nature."""
    if value is None or isinstance(value, bool | int | float):
        return 0
    if isinstance(value, str):
        return len(value)
    return len(str(value))


def _too_long(feature: str, attribute: str, length: int, limit: int) -> InvalidInput:
    return InvalidInput(
        _(
            "%(feature)s: the value of the attribute %(attribute)s is %(length)s characters "
            "long; at most %(limit)s are accepted. Shorten it and upload the file again; "
            "nothing was imported."
        )
        % {
            "feature": feature,
            "attribute": repr(_shown(attribute)),
            "length": localized(length, 0),
            "limit": localized(limit, 0),
        }
    )


def _name_too_long(where: dict, name: str, limit: int) -> InvalidInput:
    return InvalidInput(
        _(
            "%(file)s, layer %(layer)s: the name of the attribute %(attribute)s is "
            "%(length)s characters long; at most %(limit)s are accepted. Shorten it and "
            "upload the file again; nothing was imported."
        )
        % {
            **where,
            "attribute": repr(_shown(name)),
            "length": localized(len(name), 0),
            "limit": localized(limit, 0),
        }
    )


def _shown(name: str) -> str:
    """A name as a refusal quotes it: cut with an ellipsis when it is itself a long text."""
    return name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 1] + "…"
