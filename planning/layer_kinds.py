"""Planning layer kinds and the attribute schema each one carries.

The schema says which attributes a planning layer of that kind must and may have; the
importer reports what is missing, QA (and later issues) enforce it. `category_keys`
lists attribute names, in order of preference, whose value is the land-use category
used for styling and the land-use balance.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class AttributeSpec:
    name: str
    type: str  # "string" | "number" | "integer"
    label: str


@dataclass(frozen=True)
class LayerKind:
    code: str
    label: str | Promise  # lazily translated
    geometry: str  # "polygon" | "line" | "point" | "any"
    required: tuple[AttributeSpec, ...] = ()
    optional: tuple[AttributeSpec, ...] = ()
    category_keys: tuple[str, ...] = ()
    draw_order: int = 0

    def attribute_names(self) -> list[str]:
        return [a.name for a in (*self.required, *self.optional)]


_CODE = AttributeSpec("code", "string", "lot code")
_FUNCTION = AttributeSpec("function", "string", "land-use function")
_CATEGORY_KEYS = (
    "function",
    "category",
    "landuse",
    "land_use",
    "chuc_nang",
    "chucnang",
    "loai_dat",
    "loaidat",
    "ma_dat",
    "kyhieu",
    "ky_hieu",
    "mdsd",
)

KINDS: dict[str, LayerKind] = {
    kind.code: kind
    for kind in (
        LayerKind(
            "boundary",
            _("Plan boundary"),
            "polygon",
            optional=(AttributeSpec("name", "string", "name"),),
            draw_order=90,
        ),
        LayerKind(
            "landuse",
            _("Land-use lots and zones"),
            "polygon",
            required=(_CODE, _FUNCTION),
            optional=(
                AttributeSpec("area", "number", "area (m²)"),
                AttributeSpec("density", "number", "building density (%)"),
                AttributeSpec("far", "number", "land-use coefficient"),
                AttributeSpec("storeys_min", "integer", "minimum storeys"),
                AttributeSpec("storeys_max", "integer", "maximum storeys"),
                AttributeSpec("height_max", "number", "maximum height (m)"),
            ),
            category_keys=_CATEGORY_KEYS,
            draw_order=10,
        ),
        LayerKind(
            "roads",
            _("Roads"),
            "any",
            optional=(
                AttributeSpec("name", "string", "road name"),
                AttributeSpec("width", "number", "right of way (m)"),
                AttributeSpec("section", "string", "cross-section"),
            ),
            draw_order=20,
        ),
        LayerKind(
            "redlines",
            _("Red lines and building lines"),
            "line",
            optional=(AttributeSpec("type", "string", "red line or building line"),),
            draw_order=70,
        ),
        LayerKind(
            "infrastructure",
            _("Technical infrastructure"),
            "any",
            optional=(AttributeSpec("network", "string", "network"),),
            draw_order=60,
        ),
        LayerKind(
            "buildings",
            _("Buildings"),
            "polygon",
            optional=(
                AttributeSpec("storeys", "integer", "storeys"),
                AttributeSpec("height", "number", "height (m)"),
                AttributeSpec("use", "string", "use"),
            ),
            draw_order=50,
        ),
        LayerKind(
            "annotation",
            _("Annotation"),
            "any",
            optional=(AttributeSpec("text", "string", "text"),),
            draw_order=95,
        ),
    )
}

KIND_CHOICES = [(k.code, k.label) for k in KINDS.values()]


def get_kind(code: str) -> LayerKind:
    try:
        return KINDS[code]
    except KeyError:
        raise ValueError(
            f"unknown layer kind {code!r}; expected one of {', '.join(KINDS)}"
        ) from None


def category_of(kind: LayerKind, attributes: dict[str, object]) -> str:
    """The land-use category code of a feature, '' when the kind has none or none is set."""
    if not kind.category_keys:
        return ""
    lowered = {k.lower(): v for k, v in attributes.items()}
    for key in kind.category_keys:
        value = lowered.get(key)
        if value not in (None, ""):
            return str(value).strip().upper()[:32]
    return ""


def category_field(kind: LayerKind, field_names: list[str]) -> str | None:
    """The source field holding the land-use category, by the kind's preference order."""
    by_lower = {name.lower(): name for name in field_names}
    return next((by_lower[key] for key in kind.category_keys if key in by_lower), None)


def category_column(
    kind: LayerKind, field_names: list[str], columns: list[list], keep
) -> list[str]:
    """category_of() for a whole column at once (imports of 10^5 features)."""
    field = category_field(kind, field_names)
    if field is None:
        return [""] * len(keep)
    column = columns[field_names.index(field)]
    return [
        str(column[i]).strip().upper()[:32] if column[i] not in (None, "") else "" for i in keep
    ]
