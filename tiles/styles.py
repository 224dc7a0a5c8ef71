"""One style model per planning layer kind, turned into Mapnik XML and legends.

The model is the single source of truth for how a plan looks: the renderer (Mapnik
XML), the JSON legend and, later, SLD or web-map styles are all derived from it, so a
colour changed in the land-use catalogue changes every output at once.

Category codes come from user data (imports, the catalogue admin). Only codes matching
CATEGORY_CODE_RE ever reach a Mapnik filter, and the XML is built with lxml, so no
value can break out of an attribute or a filter expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from lxml import etree

from planning.catalogue import CODE_PATTERN
from planning.layer_kinds import KINDS

CATEGORY_CODE_RE = re.compile(CODE_PATTERN)
COLOUR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
UNKNOWN_COLOUR = "#BDBDBD"
FONT_FACE = "DejaVu Sans Book"
# Mapnik's geometry_type values used to split kinds whose geometry is "any".
_GEOMETRY_FILTERS = {
    "polygon": "[mapnik::geometry_type] = polygon",
    "line": "[mapnik::geometry_type] = linestring",
    "point": "[mapnik::geometry_type] = point",
}


@dataclass(frozen=True)
class Symbol:
    """How one rule paints: fill and/or stroke, markers for points, labels for text."""

    fill: str | None = None
    fill_opacity: float = 1.0
    stroke: str | None = None
    stroke_width: float = 1.0
    dash: str | None = None
    marker: bool = False
    label_field: str | None = None


@dataclass(frozen=True)
class Rule:
    """A legend entry and the symbol it draws; `category` None is the catch-all rule."""

    label: str
    symbol: Symbol
    category: str | None = None
    geometry: str | None = None  # "polygon" | "line" | "point" | None (every geometry)
    otherwise: bool = False  # Mapnik ElseFilter: features no other rule matched


@dataclass(frozen=True)
class KindStyle:
    """The style of one layer kind: its rules in drawing order."""

    kind: str
    title: str
    draw_order: int
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    @property
    def colour(self) -> str:
        first = self.rules[0].symbol
        return first.fill or first.stroke or UNKNOWN_COLOUR


@dataclass(frozen=True)
class Category:
    """A land-use category as the styles need it (decoupled from the ORM model)."""

    code: str
    colour: str
    name_vi: str
    name_en: str


def _fixed_rules(kind: str) -> tuple[Rule, ...]:
    """Rules of the kinds whose look does not depend on data."""
    title = str(KINDS[kind].label)
    fixed: dict[str, tuple[Rule, ...]] = {
        "boundary": (Rule(title, Symbol(stroke="#6A3D9A", stroke_width=2.0, dash="8,4")),),
        "roads": (
            Rule(
                title,
                Symbol(fill="#FFFFFF", stroke="#8C8C8C", stroke_width=0.8),
                geometry="polygon",
            ),
            Rule(title, Symbol(stroke="#8C8C8C", stroke_width=2.0), geometry="line"),
        ),
        "redlines": (Rule(title, Symbol(stroke="#E31A1C", stroke_width=1.5)),),
        "infrastructure": (
            Rule(title, Symbol(stroke="#1F78B4", stroke_width=1.2), geometry="line"),
            Rule(
                title,
                Symbol(fill="#A6CEE3", stroke="#1F78B4", stroke_width=0.8),
                geometry="polygon",
            ),
            Rule(title, Symbol(fill="#1F78B4", marker=True), geometry="point"),
        ),
        "buildings": (
            Rule(
                title, Symbol(fill="#B0A89E", fill_opacity=0.85, stroke="#555555", stroke_width=0.6)
            ),
        ),
        "annotation": (Rule(title, Symbol(fill="#333333", label_field="label"), geometry="point"),),
    }
    return fixed[kind]


def _landuse_rules(categories: Iterable[Category], language: str) -> tuple[Rule, ...]:
    """One rule per catalogue category with a safe code and colour, then 'other' in grey."""
    rules = []
    for cat in categories:
        if not (CATEGORY_CODE_RE.match(cat.code) and COLOUR_RE.match(cat.colour)):
            continue
        name = cat.name_en if language.startswith("en") else cat.name_vi
        symbol = Symbol(fill=cat.colour.upper(), stroke="#666666", stroke_width=0.5)
        rules.append(Rule(f"{cat.code} – {name}", symbol, category=cat.code))
    other = "Other" if language.startswith("en") else "Khác"
    rules.append(
        Rule(other, Symbol(fill=UNKNOWN_COLOUR, stroke="#666666", stroke_width=0.5), otherwise=True)
    )
    return tuple(rules)


def build_styles(categories: Iterable[Category], language: str = "vi") -> dict[str, KindStyle]:
    """The style model of every kind, keyed by kind code, in drawing order."""
    styles = []
    for code, kind in KINDS.items():
        rules = _landuse_rules(categories, language) if code == "landuse" else _fixed_rules(code)
        styles.append(KindStyle(code, str(kind.label), kind.draw_order, rules))
    styles.sort(key=lambda s: s.draw_order)
    return {s.kind: s for s in styles}


def load_styles(language: str = "vi") -> dict[str, KindStyle]:
    """The style model with the current land-use catalogue from the database."""
    from planning.models import LandUseCategory

    rows = LandUseCategory.objects.order_by("system", "sort_order", "code")
    cats = [Category(r.code, r.colour, r.name_vi, r.name_en) for r in rows]
    # A code in both catalogues keeps its first (land-law) colour, as Mapnik would.
    unique = list({c.code: c for c in reversed(cats)}.values())[::-1]
    return build_styles(unique, language)


# --- legend -----------------------------------------------------------------------------


def legend(
    styles: Mapping[str, KindStyle], kinds: Iterable[str], used_categories: set[str] | None = None
) -> list[dict[str, str]]:
    """Legend entries (label, colour, kind) of the given kinds.

    With `used_categories` the land-use part lists only the categories that occur in the
    data (plus 'other' when some code is not in the catalogue), which keeps the legend of
    a real plan short; without it every catalogue category is listed.
    """
    entries: list[dict[str, str]] = []
    for kind in kinds:
        style = styles[kind]
        seen: set[str] = set()
        known = {r.category for r in style.rules if r.category is not None}
        for rule in style.rules:
            if not _in_legend(rule, known, used_categories):
                continue
            if rule.label in seen:
                continue
            seen.add(rule.label)
            colour = rule.symbol.fill or rule.symbol.stroke or UNKNOWN_COLOUR
            entries.append({"label": rule.label, "colour": colour, "kind": kind})
    return entries


def _in_legend(rule: Rule, known: set[str], used: set[str] | None) -> bool:
    """Whether a rule belongs in a legend limited to the categories in use."""
    if used is None:
        return True
    if rule.category is not None:
        return rule.category in used
    if rule.otherwise:
        return bool(used - known)
    return True  # kinds without categories always show their entry


# --- Mapnik XML ---------------------------------------------------------------------------

DatasourceParams = Callable[[str], Mapping[str, str]]


def mapnik_xml(
    styles: Mapping[str, KindStyle],
    kinds: Iterable[str],
    *,
    map_srs: str,
    layer_srs: str,
    datasource: DatasourceParams,
) -> str:
    """A Mapnik map document drawing `kinds` (in the model's draw order).

    `datasource(kind)` gives the Mapnik datasource parameters of a kind; they are written
    as <Parameter> elements by lxml, so connection values need no escaping by the caller.
    """
    root = etree.Element("Map", srs=map_srs)
    wanted = set(kinds)
    ordered = [s for s in styles.values() if s.kind in wanted]
    for style in ordered:
        root.append(_style_element(style))
    for style in ordered:
        root.append(_layer_element(style.kind, layer_srs, datasource(style.kind)))
    return etree.tostring(root, encoding="unicode")


def _style_element(style: KindStyle) -> etree._Element:
    element = etree.Element("Style", name=style.kind)
    for rule in style.rules:
        if rule.symbol.label_field:
            element.extend(_anchored_text_rules(rule))
        else:
            element.append(_rule_element(rule))
    return element


# Where a text stands on its point ([anchor], tiles.datasource) -> Mapnik's alignment of a
# label around its point: a text whose top left is on the point lies right of and below it.
TEXT_ALIGNMENTS = {
    f"{vertical}_{horizontal}": (across, down)
    for vertical, down in (("top", "bottom"), ("middle", "middle"), ("bottom", "top"))
    for horizontal, across in (("left", "right"), ("center", "middle"), ("right", "left"))
}
TEXT_ANCHORS = tuple(TEXT_ALIGNMENTS)  # what a datasource's [anchor] holds
DEFAULT_ANCHOR = "middle_center"  # a text without a known anchor: centred on its point
ROTATION_FIELD = "rotation"  # a datasource's text direction: degrees counter-clockwise


def _anchored_text_rules(rule: Rule) -> list[etree._Element]:
    """One Mapnik rule per anchor, each aligning the label as the drawing placed it."""
    rules = []
    for anchor, (horizontal, vertical) in TEXT_ALIGNMENTS.items():
        element = _rule_element(replace(rule, otherwise=False))
        condition = f"([anchor] = '{anchor}')"
        found = element.find("Filter")
        if found is None:
            found = etree.Element("Filter")
            element.insert(0, found)
        found.text = f"{found.text} and {condition}" if found.text else condition
        text = element.find("TextSymbolizer")
        if text is not None:
            text.set("horizontal-alignment", horizontal)
            text.set("vertical-alignment", vertical)
            # turned as drawn about its point ([rotation]: degrees counter-clockwise, as
            # Mapnik's orientation turns it on the map); the alignment turns with the text
            text.set("orientation", f"[{ROTATION_FIELD}]")
            text.set("rotate-displacement", "true")
        rules.append(element)
    return rules


def _rule_filter(rule: Rule) -> str | None:
    parts = []
    if rule.category is not None:
        if not CATEGORY_CODE_RE.match(rule.category):
            raise ValueError(f"unsafe category code {rule.category!r}")
        parts.append(f"[category] = '{rule.category}'")
    if rule.geometry is not None:
        parts.append(_GEOMETRY_FILTERS[rule.geometry])
    return " and ".join(f"({p})" for p in parts) or None


def _rule_element(rule: Rule) -> etree._Element:
    element = etree.Element("Rule")
    expression = _rule_filter(rule)
    if expression is not None:
        etree.SubElement(element, "Filter").text = expression
    elif rule.otherwise:
        etree.SubElement(element, "ElseFilter")
    for symbolizer in _symbolizers(rule.symbol):
        element.append(symbolizer)
    return element


def _symbolizers(symbol: Symbol) -> list[etree._Element]:
    out = []
    if symbol.marker:
        out.append(
            etree.Element(
                "MarkersSymbolizer",
                fill=symbol.fill or "#000000",
                width="6",
                height="6",
                **{"allow-overlap": "true"},
            )
        )
        return out
    if symbol.label_field:
        text = etree.Element(
            "TextSymbolizer",
            **{
                "face-name": FONT_FACE,
                "size": "11",
                "fill": symbol.fill or "#000000",
                "halo-fill": "#FFFFFF",
                "halo-radius": "1",
                "placement": "point",
            },
        )
        text.text = f"[{symbol.label_field}]"
        out.append(text)
        return out
    if symbol.fill:
        out.append(
            etree.Element(
                "PolygonSymbolizer",
                fill=symbol.fill,
                **{"fill-opacity": f"{symbol.fill_opacity:g}"},
            )
        )
    if symbol.stroke:
        attrs = {"stroke": symbol.stroke, "stroke-width": f"{symbol.stroke_width:g}"}
        if symbol.dash:
            attrs["stroke-dasharray"] = symbol.dash
        out.append(etree.Element("LineSymbolizer", **attrs))
    return out


def _layer_element(kind: str, srs: str, params: Mapping[str, str]) -> etree._Element:
    layer = etree.Element("Layer", name=kind, srs=srs)
    etree.SubElement(layer, "StyleName").text = kind
    source = etree.SubElement(layer, "Datasource")
    for name, value in params.items():
        etree.SubElement(source, "Parameter", name=name).text = value
    return layer


# Named styles offered by WMS: the default look, and outlines only (to lay a plan over
# a scan or an orthophoto): the fill colour of every area becomes its outline.
STYLE_NAMES = ("default", "outline")
STYLE_TITLES = {"default": "Land use by category", "outline": "Outlines only"}


def styled(model: dict[str, KindStyle], name: str) -> dict[str, KindStyle]:
    """The style model under a named style (STYLE_NAMES)."""
    if name != "outline":
        return model
    return {
        kind: replace(
            style, rules=tuple(replace(r, symbol=_outline(r.symbol)) for r in style.rules)
        )
        for kind, style in model.items()
    }


def _outline(symbol: Symbol) -> Symbol:
    if symbol.fill is None or symbol.marker or symbol.label_field:
        return symbol
    return replace(
        symbol, fill=None, stroke=symbol.fill, stroke_width=max(symbol.stroke_width, 2.0)
    )
