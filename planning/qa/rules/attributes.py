"""Required attributes per layer kind, catalogue codes and value ranges of lots.

The findings name the lot as a planner finds it again (planning.qa.lots) and the attribute
by its label (planning.attribute_labels); the stored parameters keep the attribute's key
and the lot's code or "#<id>". Each finding carries its lot's geometry for the map."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from django.db import connection
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

from planning.attribute_labels import attribute_label
from planning.layer_kinds import KINDS
from planning.models import Feature, LandUseCategory
from planning.qa import ERROR, WARNING, Context, Found, lots, rule, substitute

RANGES = {"density": (0.0, 100.0), "far": (0.0, 100.0)}
EXCLUSIVE_LOW = {"far"}  # a FAR of 0 builds nothing: it must be more than its lower bound
# The range finding of storeys given upside down, as stored before attributes.storeys.
STOREYS_ORDER = "storeys_min > storeys_max"


def _features(context: Context):
    return Feature.objects.filter(layer__revision=context.revision).values_list(
        "id", "attributes", "category", "layer__kind", "layer__name", "source_ref"
    )


def _located(found: Iterable[Found]) -> Iterator[Found]:
    """The findings with their lots' geometry, read in one query (the rules above read the
    attributes only: most lots have no finding)."""
    found = list(found)
    ids = sorted({f.feature_id for f in found if f.feature_id is not None})
    if not ids:
        yield from found
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, ST_AsEWKB(geom) FROM planning_feature WHERE id = ANY(%s)", [ids])
        geometry = dict(cursor.fetchall())
    for finding in found:
        finding.geom_ewkb = geometry.get(finding.feature_id)
        yield finding


def _attribute_shown(params: dict) -> dict:
    name = str(params.get("attribute", ""))
    if name == STOREYS_ORDER:
        label = f"{attribute_label('storeys_min')} > {attribute_label('storeys_max')}"
    else:
        label = attribute_label(name)
    params = {key: _whole(params.get(key)) for key in ("value", "low", "high")} | {
        key: value for key, value in params.items() if key not in ("value", "low", "high")
    }
    return {**lots.shown_lots(params, "code"), "attribute": label, "limits": _limits(params)}


def _whole(value):
    """A whole number as such ("100", not "100.0"); other values as they are."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _limits(params: dict) -> str:
    """What the range finding's value should have been, in the reader's language (from the
    stored bounds: a FAR of 0 read "outside 0–100", storeys upside down "outside –")."""
    name = params.get("attribute")
    if name == STOREYS_ORDER:
        return gettext("the minimum is above the maximum")
    if name in EXCLUSIVE_LOW:
        return substitute(gettext("allowed: more than %(low)s, at most %(high)s"), params)
    return substitute(gettext("allowed: %(low)s–%(high)s"), params)


def _number(value) -> float | None:
    try:
        return float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return None


@rule(
    "attributes.required",
    _("%(layer)s: lot %(code)s has no “%(attribute)s”."),
    display=_attribute_shown,
)
def required(context: Context):
    return _located(_missing(context))


def _missing(context: Context) -> Iterator[Found]:
    for fid, attributes, _category, kind, layer, source in _features(context):
        present = {k.lower() for k, v in attributes.items() if v not in (None, "")}
        for spec in KINDS[kind].required if kind in KINDS else ():
            if spec.name not in present:
                lot = lots.stored("code", attributes.get("code"), fid, source)
                yield Found(ERROR, {"layer": layer, **lot, "attribute": spec.name}, None, fid)


@rule(
    "attributes.category",
    _("%(layer)s: lot %(code)s has category %(category)s, not in the catalogue."),
    display=lambda params: lots.shown_lots(params, "code"),
)
def category(context: Context):
    return _located(_unknown_categories(context))


def _unknown_categories(context: Context) -> Iterator[Found]:
    known = set(LandUseCategory.objects.values_list("code", flat=True))
    for fid, attributes, code, kind, layer, source in _features(context):
        if kind == "landuse" and code and code not in known:
            lot = lots.stored("code", attributes.get("code"), fid, source)
            yield Found(WARNING, {"layer": layer, **lot, "category": code}, None, fid)


@rule(
    "attributes.range",
    _("%(layer)s: lot %(code)s has %(attribute)s = %(value)s; %(limits)s."),
    display=_attribute_shown,
)
def ranges(context: Context):
    return _located(_out_of_range(context))


def _out_of_range(context: Context) -> Iterator[Found]:
    for fid, attributes, _category, kind, layer, source in _features(context):
        if kind != "landuse":
            continue
        lot = lots.stored("code", attributes.get("code"), fid, source)
        # any case, as the required rule reads them ("DENSITY" from a MapInfo table)
        attributes = {**{k.lower(): v for k, v in attributes.items()}, **attributes}
        for name, (low, high) in RANGES.items():
            value = _number(attributes.get(name))
            if value is not None and not (
                low < value <= high if name in EXCLUSIVE_LOW else low <= value <= high
            ):
                yield Found(
                    ERROR,
                    {
                        "layer": layer,
                        **lot,
                        "attribute": name,
                        "value": value,
                        "low": low,
                        "high": high,
                    },
                    None,
                    fid,
                )


@rule(
    "attributes.storeys",
    _("%(layer)s: lot %(code)s allows at least %(low)s storeys but at most %(high)s."),
    display=lambda params: lots.shown_lots(params, "code"),
)
def storeys_order(context: Context):
    """Storeys given upside down (QA walk: "Tầng cao tối thiểu > Tầng cao tối đa = 5 > 2"
    read garbled as a range finding)."""
    return _located(_upside_down_storeys(context))


def _upside_down_storeys(context: Context) -> Iterator[Found]:
    for fid, attributes, _category, kind, layer, source in _features(context):
        if kind != "landuse":
            continue
        lowered = {**{k.lower(): v for k, v in attributes.items()}, **attributes}
        low, high = _number(lowered.get("storeys_min")), _number(lowered.get("storeys_max"))
        if low is not None and high is not None and low > high:
            lot = lots.stored("code", attributes.get("code"), fid, source)
            found = {"layer": layer, **lot, "low": _whole(low), "high": _whole(high)}
            yield Found(ERROR, found, None, fid)


AREA_SHARE = 0.05  # of the measured area: rounding in plan tables stays well inside it


@rule(
    "attributes.area",
    _(
        "%(layer)s: lot %(code)s states an area of %(stated).1f m²; its shape measures %(measured).1f m²."
    ),
    display=lambda params: lots.shown_lots(params, "code"),
)
def stated_area(context: Context):
    """A lot's stated area (its `area`, m²) against its polygon's: a table copied from
    another plan, a typing slip or hectares written as m² (QA walk: a lot of 5,600 m² was
    given 1,000 and published so). A warning: the table is the planner's to correct."""
    return _located(_area_mismatches(context))


# An area written with grouped thousands: "5.600" or "84.640,5" (Vietnamese), "5,600.5"
_GROUPED = re.compile(r"^\d{1,3}(?:(?P<mark>[.,])\d{3})+(?:(?!(?P=mark))[.,]\d+)?$")


def _area_number(text: str) -> float | None:
    """A stated area as plan tables write it: grouped thousands ("5.600" is 5,600 m², not
    5.6), else as the other checks read numbers (a decimal comma)."""
    text = text.strip()
    found = _GROUPED.match(text)
    if found is None:
        return _number(text)
    decimal = "," if found.group("mark") == "." else "."
    whole, _, fraction = text.partition(decimal)
    return float(whole.replace(found.group("mark"), "") + ("." + fraction if fraction else ""))


def _area_mismatches(context: Context) -> Iterator[Found]:
    rows = context.rows(
        "SELECT id, layer, source_ref, attributes->>'code', ST_Area(geom),"
        " (SELECT value FROM jsonb_each_text(attributes) WHERE lower(key) = 'area' LIMIT 1)"
        " FROM lots WHERE GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON')"
    )
    for fid, layer, source, code, measured, written in rows:
        stated = _area_number(written) if written is not None else None
        if stated is None:
            continue
        if abs(stated - measured) > max(context.area_tolerance, AREA_SHARE * measured):
            lot = lots.stored("code", code, fid, source)
            params = {"layer": layer, **lot, "stated": stated, "measured": measured}
            yield Found(WARNING, params, None, fid)
