"""Planning layer kinds and the attribute schema each one carries.

The schema says which attributes a planning layer of that kind must and may have; the
importer reports what is missing, QA (and later issues) enforce it. `category_keys`
lists attribute names, in order of preference, whose value is the land-use category
used for styling and the land-use balance; when a layer has several of them, the one whose
values are catalogue codes is chosen for the whole layer (category_field).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from planning.catalogue import function_key, function_names, function_of


@dataclass(frozen=True)
class AttributeSpec:
    name: str
    type: str  # "string" | "number" | "integer"
    label: str
    # Source columns that hold the attribute under a Vietnamese name, as column_key()
    # writes them (MA_LO, "Mã lô" -> "malo"): an import reads the first one present into
    # the attribute when the file has no column of the attribute's own name.
    aliases: tuple[str, ...] = ()


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


_CODE = AttributeSpec(
    "code", "string", "lot code", ("malo", "khlo", "kyhieulo", "sohieulo", "kyhieu")
)
_FUNCTION = AttributeSpec(
    "function", "string", "land-use function", ("chucnang", "loaidat", "madat", "mdsd")
)
# "kyhieu" holds a lot code in some files and a land-use code (ODT) in others: it is a
# category key too, and category_field() decides by its values which it is.
_CATEGORY_KEYS = ("function", "category", "landuse", *_FUNCTION.aliases, "kyhieu")
_NAME = ("ten",)

KINDS: dict[str, LayerKind] = {
    kind.code: kind
    for kind in (
        LayerKind(
            "boundary",
            _("Plan boundary"),
            "polygon",
            optional=(AttributeSpec("name", "string", "name", _NAME),),
            draw_order=90,
        ),
        LayerKind(
            "landuse",
            _("Land-use lots and zones"),
            "polygon",
            required=(_CODE, _FUNCTION),
            optional=(
                AttributeSpec("area", "number", "area (m²)", ("dientich", "dientichlo")),
                AttributeSpec(
                    "density",
                    "number",
                    "building density (%)",
                    ("mdxd", "matdo", "matdoxd", "matdoxaydung"),
                ),
                AttributeSpec("far", "number", "land-use coefficient", ("hssdd", "hesosdd")),
                AttributeSpec("storeys_min", "integer", "minimum storeys", ("tangcaomin", "tcmin")),
                AttributeSpec("storeys_max", "integer", "maximum storeys", ("tangcaomax", "tcmax")),
                AttributeSpec(
                    "height_max", "number", "maximum height (m)", ("chieucaomax", "hmax")
                ),
            ),
            category_keys=_CATEGORY_KEYS,
            draw_order=10,
        ),
        LayerKind(
            "roads",
            _("Roads"),
            "any",
            optional=(
                AttributeSpec("name", "string", "road name", (*_NAME, "tenduong")),
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
                AttributeSpec("storeys", "integer", "storeys", ("tangcao", "sotang")),
                AttributeSpec("height", "number", "height (m)", ("chieucao",)),
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


def column_key(name: str) -> str:
    """A column name as aliases are written: without case, diacritics, spaces or
    underscores ("CHỨC_NĂNG", "Chuc nang", "CHUCNANG" -> "chucnang")."""
    bare = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in bare.casefold() if c.isalnum() and not unicodedata.combining(c))


def _by_key(field_names: list[str]) -> dict[str, str]:
    """Each column key -> the first field that has it."""
    keyed: dict[str, str] = {}
    for name in field_names:
        keyed.setdefault(column_key(name), name)
    return keyed


def category_candidates(kind: LayerKind, field_names: list[str]) -> list[str]:
    """The source fields that may hold the land-use category, in the kind's preference order
    (any case, with or without diacritics and underscores: CHUC_NANG, "Chức năng")."""
    by_key = _by_key(field_names)
    return [by_key[key] for key in kind.category_keys if key in by_key]


def standard_columns(
    kind: LayerKind,
    field_names: list[str],
    columns: list[list],
    catalogue: Functions | None = None,
) -> dict[str, str]:
    """{attribute: source field} for the kind's attributes the file names in Vietnamese
    only (MA_LO -> code, CHUCNANG -> function): those without a field of their own name
    (any case), each read from its first alias present. The function comes from the field
    category_field() chooses, the lot code from an alias field other than that one (KYHIEU
    is either)."""
    own = {name.lower() for name in field_names}
    by_key = _by_key(field_names)
    found: dict[str, str] = {}
    function_field = None
    if kind.category_keys:
        function_field = category_field(kind, field_names, columns, catalogue)
    if function_field is not None and _holds_no_function(
        kind, function_field, columns[field_names.index(function_field)], catalogue
    ):
        function_field = None  # KYHIEU of lot codes ("A1"): the code's, not the function's
    for spec in (*kind.required, *kind.optional):
        if spec.name in own:
            continue
        if spec.name == "function":
            if function_field is not None and function_field.lower() != spec.name:
                found[spec.name] = function_field
            continue
        present = [by_key[key] for key in spec.aliases if key in by_key]
        present = [name for name in present if name != function_field]
        if present:
            found[spec.name] = present[0]
    return found


Functions = Callable[[], dict[str, str]]  # planning.catalogue.function_names, read lazily


def _holds_no_function(
    kind: LayerKind, field: str, column: list, catalogue: Functions | None
) -> bool:
    """Whether a field that may name the lot code as well as the function (KYHIEU) holds no
    catalogue code or name at all: then it is the lot code (review: lots got function "A1")."""
    spec = next((s for s in (*kind.required, *kind.optional) if s.name == "code"), None)
    if spec is None or column_key(field) not in spec.aliases or catalogue is None:
        return False
    return not any(_catalogue_hits(column, catalogue()))


def catalogue_functions_once() -> Functions:
    """The catalogue's code and name table, read on first call only: one query per import
    at most, and none when no layer has a category field."""

    @cache
    def functions() -> dict[str, str]:
        from planning.models import LandUseCategory  # planning.models imports this module

        return function_names(LandUseCategory.objects.values_list("code", "name_vi"))

    return functions


def category_field(
    kind: LayerKind,
    field_names: list[str],
    columns: list[list] | None = None,
    catalogue: Functions | None = None,
) -> str | None:
    """The source field holding the land-use category of a whole layer.

    With several candidates (CHUCNANG with names like "Đất ở", MDSD with codes like "ODT")
    the one with the most values that are catalogue codes wins, then the one with the most
    catalogue names ("Đất ở" is only the residential group), the earlier on a tie; when none
    has any (or no columns/catalogue are given) the preference order decides."""
    candidates = category_candidates(kind, field_names)
    if len(candidates) < 2 or columns is None or catalogue is None:
        return candidates[0] if candidates else None
    functions = catalogue()
    hits = [_catalogue_hits(columns[field_names.index(name)], functions) for name in candidates]
    best = max(hits)
    return candidates[hits.index(best)] if any(best) else candidates[0]


def category_column(
    kind: LayerKind,
    field_names: list[str],
    columns: list[list],
    keep,
    catalogue: Functions | None = None,
) -> list[str]:
    """The category of each kept feature, from the one field category_field() chooses: the
    catalogue code its value is (any case) or names ("Đất ở" -> OCT, as in drawing labels),
    else the value in capitals."""
    field = category_field(kind, field_names, columns, catalogue)
    if field is None:
        return [""] * len(keep)
    functions = catalogue() if catalogue is not None else {}
    column = columns[field_names.index(field)]
    read: dict[str, str] = {"": ""}  # 10^5 lots carry a few dozen categories
    categories = []
    for i in keep:
        text = "" if column[i] is None else str(column[i])
        if text not in read:
            read[text] = function_of(text, functions) or _as_category(text)
        categories.append(read[text])
    return categories


def _as_category(value: object) -> str:
    return str(value).strip().upper()[:32]


def _catalogue_hits(column: list, functions: dict[str, str]) -> tuple[int, int]:
    """How many values of the column are catalogue codes, and how many catalogue names.
    Distinct values are counted first: 10^5 lots carry a few dozen categories."""
    try:
        counts = Counter(column)
    except TypeError:  # a list-valued field holds no category
        return 0, 0
    codes = names = 0
    for value, n in counts.items():
        code = function_of(value, functions) if value not in (None, "") else None
        if code is None:
            continue
        if function_key(str(value)) == function_key(code):
            codes += n
        else:
            names += n
    return codes, names
