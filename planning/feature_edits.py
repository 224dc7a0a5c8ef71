"""A planner's correction of a feature's planning attributes in a draft.

QA names what a lot lacks ("lot A1 has no “Land-use function”", a density over 100 %);
before this, the only remedy was to fix the drawing and import it again. Here a planner of
the project sets or clears the attributes of the layer kind's schema (planning.layer_kinds)
on one feature of a draft, with the checks QA applies to them, so what is stored is what
QA accepts. Other attributes (the source's own fields, what the CAD import adds) are kept
as imported: they record where the feature came from.

A lot's land-use category follows its function, as the importers derive it. The draft's
QA findings become outdated by the database triggers (migration 0010); its zoning
envelopes, derived from the lots' height limits, are removed when a limit changes and
rebuilt from the lots on the next request for them (threed.tileset.prepare). Buildings are
not edited here: their 3D solids are extruded from their heights, or imported as models.
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
ENVELOPE_LIMITS = {"height_max", "storeys_max"}  # what a lot's zoning envelope is built from
NOT_EDITED = {"buildings"}  # their 3D solids follow their heights (threed.extrude)


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


def _text(name: str, value: object) -> str | None:
    if not isinstance(value, str):
        raise _invalid(name, _("enter text."))
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if len(text) > MAX_TEXT:
        raise _invalid(name, _("at most %(count)d characters.") % {"count": MAX_TEXT})
    return text or None


def _number(name: str, value: object, integer: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(name, _("enter a number."))
    if not math.isfinite(value) or value < 0:
        raise _invalid(name, _("enter a number of zero or more."))
    if integer:
        if value != int(value) or value > MAX_STOREYS:
            raise _invalid(name, _("enter a whole number up to %(max)d.") % {"max": MAX_STOREYS})
        return int(value)
    if name not in RANGES:
        return value
    low, high = RANGES[name]
    bounds = {"low": _shown(low), "high": _shown(high)}
    if name == "far" and not low < value <= high:  # QA's range: a lot with no floor area is none
        raise _invalid(name, _("enter a value over %(low)s, up to %(high)s.") % bounds)
    if not low <= value <= high:
        raise _invalid(name, _("enter a value from %(low)s to %(high)s.") % bounds)
    return value


def _shown(bound: float) -> str:
    return localized(bound, 0 if bound.is_integer() else None)


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
    unknown = sorted(str(name) for name in changes if name not in specs)
    if unknown:
        raise InvalidInput(
            _("These attributes cannot be edited here: %(names)s.") % {"names": ", ".join(unknown)}
        )
    return {name: _cleaned_value(specs[name], value) for name, value in changes.items()}


def _merged(feature: Feature, kind: str, changes: dict[str, object]) -> dict[str, Any]:
    attributes = dict(feature.attributes or {})
    for name, value in changes.items():
        if value is None:
            attributes.pop(name, None)
        else:
            attributes[name] = value
    for spec in KINDS[kind].required:  # one still missing may be filled in later
        if spec.name in changes and changes[spec.name] is None:
            raise _invalid(spec.name, _("required for this layer."))
    low, high = attributes.get("storeys_min"), attributes.get("storeys_max")
    if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
        raise _invalid(
            "storeys_min",
            _("more than “%(high)s”.") % {"high": attribute_label("storeys_max")},
        )
    return attributes


def category_of(function: object) -> str:
    """A lot's land-use category from its function, as the importers read it: the
    catalogue code the value is or names, else the value in capitals."""
    if function in (None, ""):
        return ""
    code = function_of(function, catalogue_functions_once()())
    return (code or str(function).strip().upper())[:32]


@dataclass
class EditFeatureAttributes:
    """Sets or clears planning attributes of one feature of a draft (None clears)."""

    user: Any
    feature: Feature
    changes: object
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
        feature.attributes = _merged(feature, kind, changes)
        if kind == "landuse" and "function" in changes:
            feature.category = category_of(feature.attributes.get("function"))
        feature.save(update_fields=["attributes", "category"])
        self._drop_envelopes(revision, kind, changes)
        audit(
            self.user,
            "feature.edit_attributes",
            project=revision.project,
            revision=revision,
            remote_addr=self.remote_addr,
            feature=feature.pk,
            layer=feature.layer_id,
            changes={name: [before.get(name), feature.attributes.get(name)] for name in changes},
        )
        return feature

    @staticmethod
    def _drop_envelopes(revision: Revision, kind: str, changes: dict) -> None:
        """The draft's envelopes go when a lot's limit changes (table threed_envelope:
        planning does not import threed); the next request for them builds them again."""
        if kind == "landuse" and ENVELOPE_LIMITS & changes.keys():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM threed_envelope WHERE revision_id = %s", [revision.pk])
