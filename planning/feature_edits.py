"""A planner's correction of a feature's planning attributes in a draft.

QA names what a lot lacks ("lot A1 has no “Land-use function”", a density over 100 %);
before this, the only remedy was to fix the drawing and import it again. Here a planner of
the project sets or clears the attributes of the layer kind's schema (planning.layer_kinds)
on one feature of a draft, with the checks QA applies to them, so what is stored is what
QA accepts. Other attributes (the source's own fields, what the CAD import adds) are kept
as imported: they record where the feature came from. A schema attribute the source spelt
otherwise ("FUNCTION") is replaced under the schema's name, as QA reads it.

A function naming a catalogue entry ("Đất ở tại đô thị", "odt") is stored as its code, as
the CAD import stores it; the text a drawing wrote for the old function
(`function_label`) goes with it. A lot's land-use category follows its function when it
came from it. The draft's QA findings
become outdated by the database triggers (migration 0010); its zoning envelopes, derived
from the lots and the red lines, are removed and rebuilt from them on the next request
(threed.tileset.prepare). Buildings are not edited here: their 3D solids are extruded from
their heights, or imported as models.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from planning.attribute_labels import attribute_label
from planning.audit import audit
from planning.catalogue import function_of
from planning.errors import Conflict, InvalidInput, NotFound
from planning.layer_kinds import KINDS, AttributeSpec, catalogue_functions_once
from planning.models import Feature, Revision
from planning.numbers import localized
from planning.qa.rules.attributes import RANGES
from planning.revision_edits import lock_draft

MAX_TEXT = 500  # characters of a text attribute: a name or code, not a document
MAX_STOREYS = 300  # above the tallest building there is
MAX_NUMBER = 1e9  # m² of a zone, metres of a height or width: far beyond any plan
MAXIMA = {"height_max": 1000.0, "width": 1000.0}  # metres
PERCENTAGES = {"density"}  # written "60 %" by planners: the form reads the sign
NOT_EDITED = {"buildings"}  # their 3D solids follow their heights (threed.extrude)
ENVELOPE_SOURCES = {"landuse", "redlines"}  # what threed.envelopes reads (lots, setbacks)
SHOWN_UNKNOWN = 5  # names of refused attributes quoted back


def editable_specs(kind: str) -> tuple[AttributeSpec, ...]:
    """The attributes a planner may set on a feature of this layer kind, required first."""
    found = KINDS.get(kind)
    if found is None or kind in NOT_EDITED:
        return ()
    return (*found.required, *found.optional)


def _invalid(name: str, message: str) -> InvalidInput:
    """The refusal of one attribute, named by its label; `attribute` tells a form which."""
    text = _("%(attribute)s: %(problem)s") % {
        "attribute": attribute_label(name),
        "problem": message,
    }
    return InvalidInput(text, details={"attribute": name})


def _unprintable(char: str) -> bool:
    """Controls (NUL included), separators of lines, lone surrogates: nothing a name holds,
    and NUL or a surrogate PostgreSQL's text and jsonb refuse."""
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")


def _text(name: str, value: object) -> str | None:
    if not isinstance(value, str):
        raise _invalid(name, _("enter text."))
    if any(_unprintable(char) for char in value):
        raise _invalid(name, _("enter text without control characters."))
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if len(text) > MAX_TEXT:
        raise _invalid(name, _("at most %(count)d characters.") % {"count": MAX_TEXT})
    return text or None


def _shown(bound: float) -> str:
    return localized(bound, 0 if float(bound).is_integer() else None)


def _number(name: str, value: object, integer: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(name, _("enter a number."))
    if isinstance(value, float) and not math.isfinite(value):
        raise _invalid(name, _("enter a number."))
    if value < 0:
        raise _invalid(name, _("enter a number of zero or more."))
    if integer:
        if value != int(value) or value > MAX_STOREYS:
            raise _invalid(name, _("enter a whole number up to %(max)d.") % {"max": MAX_STOREYS})
        return int(value)
    low, high = RANGES.get(name, (0.0, MAXIMA.get(name, MAX_NUMBER)))
    bounds = {"low": _shown(low), "high": _shown(high)}
    if name == "far" and not low < value <= high:  # QA's range: a lot with no floor area is none
        raise _invalid(name, _("enter a value over %(low)s, up to %(high)s.") % bounds)
    if not low <= value <= high:
        raise _invalid(name, _("enter a value from %(low)s to %(high)s.") % bounds)
    return value


def _cleaned_value(spec: AttributeSpec, value: object) -> object:
    """The value to store, None to remove the attribute (null or empty text)."""
    if value is None or value == "":
        return None
    if spec.type == "string":
        return _text(spec.name, value)
    return _number(spec.name, value, integer=spec.type == "integer")


def clean_changes(kind: str, changes: object) -> dict[str, object]:
    """{name: value or None}: names of the kind's schema only, values checked by type and
    range; InvalidInput naming the field otherwise."""
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput(_("Send the attributes to change, by name."))
    specs = {spec.name: spec for spec in editable_specs(kind)}
    unknown = sorted(str(name)[:50] for name in changes if name not in specs)
    if unknown:
        shown = ", ".join(unknown[:SHOWN_UNKNOWN]) + (" …" if len(unknown) > SHOWN_UNKNOWN else "")
        raise InvalidInput(
            _("These attributes cannot be edited here: %(names)s.") % {"names": shown}
        )
    return {name: _cleaned_value(specs[name], value) for name, value in changes.items()}


def stored_key(attributes: dict, name: str) -> str | None:
    """The key holding the schema attribute `name`: its own, else a spelling in another
    case ("FUNCTION"), as QA reads attributes."""
    if name in attributes:
        return name
    return next((key for key in attributes if key.lower() == name), None)


def current_value(attributes: dict, name: str) -> object:
    key = stored_key(attributes, name)
    return None if key is None else attributes[key]


def _as_number(value: object) -> float | None:
    """A stored value read as QA reads it (text with a decimal comma included)."""
    try:
        return float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return None


def _check_storeys(attributes: dict, changes: dict) -> None:
    low = _as_number(current_value(attributes, "storeys_min"))
    high = _as_number(current_value(attributes, "storeys_max"))
    if low is None or high is None or low <= high:
        return
    if "storeys_min" in changes:
        raise _invalid(
            "storeys_min", _("more than “%(high)s”.") % {"high": attribute_label("storeys_max")}
        )
    raise _invalid(
        "storeys_max", _("less than “%(low)s”.") % {"low": attribute_label("storeys_min")}
    )


def _function_fields(value: str) -> dict[str, str]:
    """`function` for a typed function: a catalogue entry's code when the text is one's
    code or name (its name stays the catalogue's; `function_label` says what a drawing
    wrote, which a typed name is not)."""
    code = function_of(value, catalogue_functions_once()())
    return {"function": code or value}


def _merged(attributes: dict, kind: str, changes: dict[str, object]) -> dict[str, Any]:
    merged = dict(attributes)
    for name, value in changes.items():
        for key in [k for k in merged if k.lower() == name]:  # one spelling stays
            del merged[key]
        if name == "function":
            merged.pop("function_label", None)  # what was written is no longer the function
            if isinstance(value, str):
                merged.update(_function_fields(value))
        elif value is not None:
            merged[name] = value
    for spec in KINDS[kind].required:  # one still missing may be filled in later
        if spec.name in changes and changes[spec.name] is None:
            raise _invalid(spec.name, _("required for this layer."))
    _check_storeys(merged, changes)
    return merged


def category_of(function: object) -> str:
    """A lot's land-use category from its function, as the importers read it: the
    catalogue code the value is or names, else the value in capitals."""
    if function in (None, ""):
        return ""
    code = function_of(function, catalogue_functions_once()())
    return (code or str(function).strip().upper())[:32]


def _check_expected(attributes: dict, expected: object) -> None:
    """Conflict when a value differs from what the editor was shown (another planner saved
    meanwhile): {name: value shown}; names not given are not compared."""
    if expected is None:
        return
    if not isinstance(expected, dict):
        raise InvalidInput(_("Send the values you were shown, by name."))
    for name, shown in expected.items():
        if current_value(attributes, str(name)) != shown:
            raise Conflict(
                _("“%(name)s” was changed meanwhile; close the form and open it again.")
                % {"name": attribute_label(str(name))}
            )


@dataclass
class EditFeatureAttributes:
    """Sets or clears planning attributes of one feature of a draft (None clears);
    `expected`, when given, the values the editor showed ({name: value})."""

    user: Any
    feature: Feature
    changes: object
    expected: object = None
    remote_addr: str | None = None

    @transaction.atomic
    def execute(self) -> Feature:
        revision = lock_draft(self.user, Revision(pk=self.feature.layer.revision_id))
        feature = (
            Feature.objects.select_for_update(of=("self",))
            .select_related("layer")
            .filter(pk=self.feature.pk, layer__revision=revision)
            .first()
        )
        if feature is None:  # its layer was removed meanwhile
            raise NotFound(_("No such feature."))
        kind = feature.layer.kind
        if not editable_specs(kind):
            raise Conflict(
                _("The attributes of this layer cannot be edited here; import it again.")
            )
        changes = clean_changes(kind, self.changes)
        before = dict(feature.attributes or {})
        _check_expected(before, self.expected)
        feature.attributes = _merged(before, kind, changes)
        if kind == "landuse" and "function" in changes:
            feature.category = self._category(feature, before)
        feature.save(update_fields=["attributes", "category"])
        if kind in ENVELOPE_SOURCES:
            _drop_envelopes(revision)
        audit(
            self.user,
            "feature.edit_attributes",
            project=revision.project,
            revision=revision,
            remote_addr=self.remote_addr,
            feature=feature.pk,
            layer=feature.layer_id,
            changes={
                name: [current_value(before, name), feature.attributes.get(name)]
                for name in changes
            },
        )
        return feature

    @staticmethod
    def _category(feature: Feature, before: dict) -> str:
        """The new function's category when the lot's came from its function (or it had
        none); else the field the import chose (MDSD codes beside FUNCTION names) keeps it."""
        if feature.category and feature.category != category_of(current_value(before, "function")):
            return feature.category
        return category_of(feature.attributes.get("function"))


def _drop_envelopes(revision: Revision) -> None:
    """The draft's envelopes go (table threed_envelope: planning does not import threed):
    they read the lots' codes and limits and the red lines' types; the next request for
    them builds them again."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM threed_envelope WHERE revision_id = %s", [revision.pk])
