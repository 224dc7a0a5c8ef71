"""The 3D model page of a draft revision: the web form of POST /api/revisions/{id}/models/.

Same rules as the API, and from the same places: who may open it is the GIS and CAD upload
pages' answer (webmap.upload_access: role before state, the API's 409 message), and what a
model may be is threed.models3d's (its PlanningError messages are shown in the form). The
form only reads the shape of the input: numbers as the page's language writes them.
"""

from __future__ import annotations

import math
import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from planning import visibility
from planning.errors import PlanningError
from planning.models import Layer, Revision
from planning.numbers import localized
from threed.models3d import HEIGHT_RANGE, ROTATION_RANGE, Placement, import_model_upload
from webmap.upload_access import refuse_upload

# What the file input offers; threed.readers decides what it reads and says so otherwise.
ACCEPT = ".json,.cityjson,.gltf,.glb,.obj"
_SPACES = re.compile(r"[ \u00a0\u2009\u202f]")


def parse_number(text: str) -> float | None:
    """The number `text` writes in the active language ("561.714,5" in Vietnamese,
    "561,714.5" in English, both may group with spaces); None when it is empty. As the CAD
    page reads its control points (src/numbers.js): "561.5" on the Vietnamese page is
    refused rather than guessed, since "561.500" there is 561500."""
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return None
    decimal = formats.get_format("DECIMAL_SEPARATOR")
    group = formats.get_format("THOUSAND_SEPARATOR")
    sign = "-" if text[:1] in ("-", "\u2212") else ""
    unsigned = text[1:] if text[:1] in ("+", "-", "\u2212") else text
    whole, mark, fraction = unsigned.partition(decimal)
    marks = "|".join(re.escape(each) for each in {group, " "})
    grouped = re.fullmatch(rf"\d+|\d{{1,3}}(?:(?:{marks})\d{{3}})+", whole, re.ASCII)
    if not grouped or (mark and not re.fullmatch(r"\d+", fraction, re.ASCII)):
        raise ValueError(text)
    return float(f"{sign}{re.sub(r'[^0-9]', '', whole)}.{fraction or 0}")


class LocalNumberField(forms.Field):
    """A decimal number typed in the page's language; a text box, as a number box drops
    the other language's separators without a word."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "maxlength": 40})

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: object) -> float | None:
        text = str(value or "")
        try:
            number = parse_number(text)
        except ValueError:
            raise ValidationError(self._malformed(text.strip()), code="invalid") from None
        if number is not None and not math.isfinite(number):
            raise ValidationError(self._malformed(text.strip()), code="invalid")
        return number

    def _malformed(self, text: str) -> str:
        # The CAD page's message for its control points: one wording, already translated.
        return gettext(
            "%(field)s: “%(text)s” is not a number. Write it like %(example)s: “%(group)s” "
            "between the thousands, “%(decimal)s” before the decimals."
        ) % {
            "field": self.label,
            "text": text,
            "example": localized(1821300.25),
            "group": formats.get_format("THOUSAND_SEPARATOR"),
            "decimal": formats.get_format("DECIMAL_SEPARATOR"),
        }


class ModelUploadForm(forms.Form):
    file = forms.FileField(
        label=_("3D model file"),
        help_text=_("CityJSON (.json), glTF (.glb, or .gltf with embedded data) or OBJ (.obj)."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    name = forms.CharField(label=_("Layer name"), max_length=200)
    crs = forms.CharField(
        label=_("Coordinate reference system"),
        max_length=32,
        required=False,
        help_text=_(
            "An EPSG code, e.g. EPSG:9214 (VN-2000 Hue). A CityJSON file names its own; give "
            "one only to override it. For glTF and OBJ it is the CRS of the origin point "
            "(default: the storage CRS)."
        ),
    )
    origin_x = LocalNumberField(
        label=_("Origin x (easting)"),
        help_text=_(
            "glTF and OBJ models are in local metres: give where their point (0, 0, 0) lies "
            "on the map. Not needed for CityJSON, which carries its own coordinates."
        ),
    )
    origin_y = LocalNumberField(label=_("Origin y (northing)"))
    origin_z = LocalNumberField(
        label=_("Origin z (m)"),
        help_text=_("Height of the origin above the VN-2000 datum; default 0."),
    )
    rotation = LocalNumberField(
        label=_("Rotation (degrees)"),
        help_text=_("Counter-clockwise seen from above, about the origin; default 0."),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        self._check_range("rotation", ROTATION_RANGE)
        self._check_range("origin_z", HEIGHT_RANGE)
        if "origin_x" in self.errors or "origin_y" in self.errors:
            return data  # each says already what is wrong with it
        given = [data.get(key) is not None for key in ("origin_x", "origin_y")]
        if any(given) and not all(given):
            missing = "origin_y" if given[0] else "origin_x"
            self.add_error(missing, gettext("Give both origin x and origin y, or neither."))
        return data

    def _check_range(self, field: str, bounds: tuple[float, float]) -> None:
        """Refuse a number outside `bounds`: "12.500" typed for 12.5 on the Vietnamese page
        is 12500, which must not be read as a turn of 260 degrees or a 12 km high origin."""
        value = self.cleaned_data.get(field)
        if value is not None and not bounds[0] <= value <= bounds[1]:
            low, high = (localized(bound, 0) for bound in bounds)
            message = gettext("%(field)s must be between %(low)s and %(high)s.")
            self.add_error(
                field, message % {"field": self.fields[field].label, "low": low, "high": high}
            )

    def placement(self) -> Placement | None:
        data = self.cleaned_data
        if data["origin_x"] is None:
            return None
        return Placement(
            data["origin_x"], data["origin_y"], data["origin_z"] or 0.0, data["rotation"] or 0.0
        )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def model_upload(request: HttpRequest, revision_id: int) -> HttpResponse:
    """404 when the revision is not visible; 403 for all but its planners, 409 for them
    once it left the draft (before the form is validated); else the form, then the
    import and its report, or the form again with the refusal."""
    revisions = visibility.visible_revisions(request.user).select_related("project")
    revision = get_object_or_404(revisions, pk=revision_id)
    if refused := refuse_upload(request, revision):
        return refused
    form = ModelUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "revision": revision, "project": revision.project}
    if request.method != "POST":
        return render(request, "threed/model_upload.html", context)
    if not form.is_valid():
        return render(request, "threed/model_upload.html", context, status=400)
    try:
        return _import_and_report(request, revision, form, context)
    except PlanningError as exc:
        form.add_error(None, exc.message)
        context["warnings"] = _warnings(exc.details)  # why no object was usable
        return render(request, "threed/model_upload.html", context, status=exc.status)


@transaction.atomic
def _import_and_report(
    request: HttpRequest, revision: Revision, form: ModelUploadForm, context: dict
) -> HttpResponse:
    """The import and its report in one transaction, as the GIS upload page does: if the
    page cannot be rendered the layer is undone too, so a retry does not add a copy."""
    data = form.cleaned_data
    result = import_model_upload(
        user=request.user,
        revision=revision,
        upload=data["file"],
        name=data["name"],
        crs=data["crs"].strip() or None,
        placement=form.placement(),
    )
    context.update(
        layer=Layer.objects.get(pk=result["layer"]["id"]),
        features=result["features"],
        triangles=result["triangles"],
        warnings=result["warnings"],
    )
    return render(request, "threed/model_result.html", context)


def _warnings(details: object) -> list[dict]:
    if isinstance(details, dict) and isinstance(details.get("warnings"), list):
        return details["warnings"]
    return []
