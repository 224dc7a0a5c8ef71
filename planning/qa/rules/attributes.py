"""Required attributes per layer kind, catalogue codes and value ranges of lots."""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

from planning.layer_kinds import KINDS
from planning.models import Feature, LandUseCategory
from planning.qa import ERROR, WARNING, Context, Found, rule

RANGES = {"density": (0.0, 100.0), "far": (0.0, 100.0)}


def _features(context: Context):
    return Feature.objects.filter(layer__revision=context.revision).values_list(
        "id", "attributes", "category", "layer__kind", "layer__name"
    )


def _number(value) -> float | None:
    try:
        return float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return None


@rule("attributes.required", _("%(layer)s: lot %(code)s has no %(attribute)s."))
def required(context: Context):
    for fid, attributes, _category, kind, layer in _features(context):
        present = {k.lower() for k, v in attributes.items() if v not in (None, "")}
        for spec in KINDS[kind].required if kind in KINDS else ():
            if spec.name not in present:
                code = attributes.get("code") or f"#{fid}"
                yield Found(
                    ERROR, {"layer": layer, "code": code, "attribute": spec.name}, None, fid
                )


@rule(
    "attributes.category",
    _("%(layer)s: lot %(code)s has category %(category)s, not in the catalogue."),
)
def category(context: Context):
    known = set(LandUseCategory.objects.values_list("code", flat=True))
    for fid, attributes, code, kind, layer in _features(context):
        if kind == "landuse" and code and code not in known:
            lot = attributes.get("code") or f"#{fid}"
            yield Found(WARNING, {"layer": layer, "code": lot, "category": code}, None, fid)


@rule(
    "attributes.range",
    _("%(layer)s: lot %(code)s has %(attribute)s = %(value)s, outside %(low)s–%(high)s."),
)
def ranges(context: Context):
    for fid, attributes, _category, kind, layer in _features(context):
        if kind != "landuse":
            continue
        lot = attributes.get("code") or f"#{fid}"
        for name, (low, high) in RANGES.items():
            value = _number(attributes.get(name))
            if value is not None and not (
                low < value <= high if name == "far" else low <= value <= high
            ):
                yield Found(
                    ERROR,
                    {
                        "layer": layer,
                        "code": lot,
                        "attribute": name,
                        "value": value,
                        "low": low,
                        "high": high,
                    },
                    None,
                    fid,
                )
        storeys = _number(attributes.get("storeys_min")), _number(attributes.get("storeys_max"))
        if None not in storeys and storeys[0] > storeys[1]:  # type: ignore[operator]
            yield Found(
                ERROR,
                {
                    "layer": layer,
                    "code": lot,
                    "attribute": "storeys_min > storeys_max",
                    "value": f"{storeys[0]:g} > {storeys[1]:g}",
                    "low": "",
                    "high": "",
                },
                None,
                fid,
            )
