"""Forms of the web pages. They only check the shape of the input: the rules (permissions,
unique codes, file contents) live in planning.actions and the importers, so the page, the
API and manage.py refuse the same things with the same messages.
"""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from importers.sources import supported_formats
from planning.layer_kinds import KIND_CHOICES
from planning.models import Membership, Project


class ProjectForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=64,
        help_text=_("Short unique identifier: letters, digits, hyphens, e.g. hue-an-van-duong."),
    )
    name = forms.CharField(label=_("Name"), max_length=300)
    level = forms.ChoiceField(
        label=_("Planning level"), choices=Project.Level.choices, initial=Project.Level.DETAILED
    )
    scale = forms.IntegerField(
        label=_("Scale denominator"),
        min_value=1,
        max_value=1_000_000,
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
    name = forms.CharField(label=_("Layer name"), max_length=200)
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
