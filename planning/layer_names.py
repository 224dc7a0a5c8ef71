"""Layer names as a reader sees them.

The importers name a layer the user did not name "<file> – <kind label>" (and the mapped GIS
import "<layer> – <target label>"), with the label written in the language of the import.
That name is stored data: WFS, OGC API and the feature info give it as it is, and other
systems may refer to it. Pages show it with the kind label in the reader's language instead
("lots – Land-use lots and zones" in English for a layer imported from the Vietnamese UI),
so only the display changes and a name the user chose is shown as typed.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from planning.layer_kinds import KINDS

SEPARATOR = " – "
# The mapping targets that are not kinds of their own (importers.cad.mapping.target_label).
TARGET_LABELS = (_("Building lines"), _("Red lines"))


@cache
def _labels_by_text() -> dict[str, Promise]:
    """Every generated label as written in any language of the site → the lazy label."""
    labels = [kind.label for kind in KINDS.values()] + list(TARGET_LABELS)
    table: dict[str, Promise] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for label in labels:
                table.setdefault(str(label), label)  # type: ignore[arg-type]
    return table


def shown_name(name: str) -> str:
    """`name` with a trailing kind label put into the active language; other names as they
    are. "lots – Lô đất và khu chức năng sử dụng đất" → "lots – Land-use lots and zones"."""
    stem, separator, label = name.rpartition(SEPARATOR)
    if not separator:
        return name
    lazy = _labels_by_text().get(label)
    return f"{stem}{SEPARATOR}{lazy}" if lazy is not None else name
