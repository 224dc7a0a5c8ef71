"""Forms of the web pages. They only check the shape of the input: the rules (permissions,
unique codes, file contents) live in planning.actions and the importers, so the page, the
API and manage.py refuse the same things with the same messages.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, slug_re
from django.utils.functional import lazy
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from importers.sources import supported_formats
from planning import scales
from planning.layer_kinds import KIND_CHOICES
from planning.models import Membership, Project

CODE_EXAMPLE = "khu-do-thi-an-van"


def code_suggestion(text: str) -> str:
    """`text` as a code ("Khu Đô Thị An Vân" → "khu-do-thi-an-van"): đ is a letter of its
    own, which Unicode does not decompose into d, so slugify alone would drop it."""
    plain = unicodedata.normalize("NFC", text).replace("Đ", "D").replace("đ", "d")
    return slugify(plain)


class ProjectCodeField(forms.CharField):
    """A slug, refused with our own message naming a good code (Django's vi catalogue leaves
    its slug message untranslated), derived from what was typed when that gives one."""

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and not slug_re.fullmatch(value):
            example = code_suggestion(value)[: self.max_length or None] or CODE_EXAMPLE
            raise ValidationError(
                gettext(
                    "A code takes only unaccented letters, digits, hyphens and underscores, "
                    "e.g. %(example)s."
                )
                % {"example": example},
                code="invalid",
            )


class ScaleDenominatorField(forms.Field):
    """A whole number from scales.SCALE_MIN to SCALE_MAX, digit grouping allowed in either
    language ("2.000", "2,000", "2 000"); a text box, since a number box drops "2 000"."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 20})

    def to_python(self, value: object) -> int | None:
        text = str(value or "").strip()
        if not text:
            return None
        number = scales.parse_denominator(text)
        if number is None:
            raise ValidationError(scales.malformed_message(), code="invalid")
        return number

    def validate(self, value: int | None) -> None:
        super().validate(value)
        if value is not None and not scales.SCALE_MIN <= value <= scales.SCALE_MAX:
            raise ValidationError(scales.bounds_message(), code="out_of_bounds")


class ProjectForm(forms.Form):
    code = ProjectCodeField(
        label=_("Code"),
        max_length=64,
        help_text=_("Short unique identifier: letters, digits, hyphens, e.g. hue-an-van-duong."),
    )
    name = forms.CharField(label=_("Name"), max_length=300)
    level = forms.ChoiceField(
        label=_("Planning level"), choices=Project.Level.choices, initial=Project.Level.DETAILED
    )
    scale = ScaleDenominatorField(
        label=_("Scale denominator"),
        initial=500,
        help_text=_("500 for a 1/500 detailed plan, 2000 for 1/2000."),
    )
    admin_area = forms.CharField(label=_("Administrative area"), max_length=200, required=False)
    agency = forms.CharField(label=_("Responsible agency"), max_length=200, required=False)


crs_validator = RegexValidator(
    r"^(EPSG|epsg):\d{4,6}$",
    _("Write the CRS as EPSG:<code>, e.g. EPSG:9214."),
)


def _accepted_files() -> str:
    """The file help text, from the same list the "unsupported file type" message names."""
    return f"{capfirst(supported_formats())}."


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=lazy(_accepted_files, str)())
    kind = forms.ChoiceField(label=_("Layer kind"), choices=KIND_CHOICES, initial="landuse")
    name = forms.CharField(
        label=_("Layer name"),
        max_length=200,
        required=False,
        help_text=_("Left empty: the file's name."),
    )
    crs = forms.CharField(
        label=_("Coordinate reference system"),
        max_length=32,
        required=False,
        validators=[crs_validator],
        help_text=_("Only when the file does not say, e.g. EPSG:9214 (VN-2000 Hue)."),
    )
    source_layer = forms.CharField(
        label=_("Source layer"),
        max_length=300,
        required=False,
        help_text=_("Layer of the file to read when it holds several (GeoPackage, DXF)."),
    )
    text_encoding = forms.ChoiceField(
        label=_("Text encoding"),
        choices=[
            ("auto", _("Detect (Unicode, TCVN3, VNI)")),
            ("utf-8", "Unicode (UTF-8)"),
            ("tcvn3", "TCVN3 (.VnTime)"),
            ("vni", "VNI-Windows"),
            ("cp1258", "Windows-1258"),
            ("cp1252", "Windows-1252"),
        ],
        initial="auto",
        required=False,
        help_text=_("For old shapefiles without a .cpg file."),
    )

    def clean_crs(self) -> str | None:
        value = self.cleaned_data["crs"].strip()
        return value.upper() if value else None

    def clean(self) -> dict:
        """An empty layer name is the file's (QA walk: a required name cleared the chosen
        file on the error page, so the planner had to choose it again)."""
        data = super().clean() or self.cleaned_data
        upload = data.get("file")
        if not (data.get("name") or "").strip() and upload is not None:
            data["name"] = unicodedata.normalize("NFC", Path(upload.name).stem)[:200]
        return data

    def clean_source_layer(self) -> str | None:
        return self.cleaned_data["source_layer"].strip() or None


class MemberAddForm(forms.Form):
    """Give an account a role in the project (the members panel of the project page)."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"list": "usernames", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class MemberEditForm(forms.Form):
    """Change the role of one membership, or remove it (which button was pressed: `op`)."""

    membership = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, required=False)
    op = forms.ChoiceField(choices=[("change", "change"), ("remove", "remove")])

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("op") == "change" and not data.get("role"):
            self.add_error("role", _("Choose a role."))
        return data
