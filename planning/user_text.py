"""Text the planning models store is Unicode NFC, whoever typed it and however.

Vietnamese can be typed precomposed ("ệ") or decomposed ("e" and two combining marks, as
macOS and some input methods send it); both look alike but compare, sort and search
differently. Imported text is normalised where it is read (importers.ogr, importers.cad);
what users type (a project's name, a layer's name, notes, comments, decision numbers,
preset names ...) arrives through the API, the pages and the admin, so it is normalised
once, when a model of this app is saved (a pre_save signal), rather than in each form and
serializer. Bulk writes (QuerySet.update, COPY) bypass it: they carry imported or
computed text.
"""

from __future__ import annotations

import unicodedata

from django.db import models

APP_LABEL = "planning"
# A feature's texts are imported or computed (its source reference must stay the one its
# import wrote, which lineage matches); the values users type into it are normalised by
# planning.feature_edits.
UNTOUCHED = frozenset({"feature"})


def nfc(value: str) -> str:
    """`value` in NFC; the same object when it already is (ASCII always is)."""
    if value.isascii() or unicodedata.is_normalized("NFC", value):
        return value
    return unicodedata.normalize("NFC", value)


def normalise_text_fields(sender, instance, **kwargs) -> None:
    """pre_save: every text field of a model of this app in NFC."""
    if sender._meta.app_label != APP_LABEL or sender._meta.model_name in UNTOUCHED:
        return
    for field in sender._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            value = getattr(instance, field.attname)
            if isinstance(value, str):
                setattr(instance, field.attname, nfc(value))
