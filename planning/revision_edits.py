"""Edits a planner makes to a draft besides importing layers: the declared balance table,
the repair of invalid geometries that QA offers, and the removal of a wrong layer."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from planning import visibility
from planning.audit import audit, require_user
from planning.errors import Conflict, Forbidden, InvalidInput, NotFound
from planning.models import Layer, Revision

MAX_CATEGORIES = 500


def check_draft_edit(user, revision: Revision) -> None:
    """Who before what: 403 for all but the project's planners (and staff) whatever the
    state, as the workflow actions answer, and only then 409 for one that left the draft."""
    require_user(user)
    if not visibility.edits_drafts(user, revision.project):
        raise Forbidden(_("Only the project's planners may change this revision."))
    if not revision.is_editable:
        raise Conflict(
            _("This cannot be done to a revision that is %(state)s.")
            % {"state": revision.get_state_display()}
        )


def lock_draft(user, revision: Revision) -> Revision:
    require_user(user)  # before the lock: an anonymous caller holds no row
    locked = (  # the revision's row only, as the workflow transitions lock it
        Revision.objects.select_for_update(of=("self",))
        .select_related("project")
        .get(pk=revision.pk)
    )
    check_draft_edit(user, locked)
    return locked


def clean_balance(table: object) -> dict[str, float]:
    """{code: area m²}: codes as in the catalogue (upper case), areas finite and >= 0."""
    if not isinstance(table, dict) or len(table) > MAX_CATEGORIES:
        raise InvalidInput(_("The declared balance must map category codes to areas in m²."))
    cleaned: dict[str, float] = {}
    for code, area in table.items():
        try:
            value = float(area)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(_("Areas of the declared balance must be numbers.")) from exc
        key = str(code).strip().upper()[:32]
        if not key or not math.isfinite(value) or value < 0:
            raise InvalidInput(_("Areas of the declared balance must be numbers."))
        cleaned[key] = value
    return cleaned


@dataclass
class DeclareBalance:
    user: Any
    revision: Revision
    table: object
    remote_addr: str | None = None

    @transaction.atomic
    def execute(self) -> Revision:
        revision = lock_draft(self.user, self.revision)
        revision.declared_balance = clean_balance(self.table)
        revision.save(update_fields=["declared_balance"])
        audit(
            self.user,
            "revision.declare_balance",
            project=revision.project,
            revision=revision,
            remote_addr=self.remote_addr,
            categories=len(revision.declared_balance),
        )
        return revision


REPAIR_SQL = """
UPDATE planning_feature f SET geom = ST_CollectionExtract(ST_MakeValid(f.geom),
    CASE WHEN GeometryType(f.geom) LIKE '%%POLYGON' THEN 3
         WHEN GeometryType(f.geom) LIKE '%%LINESTRING' THEN 2 ELSE 1 END)
FROM planning_layer l
WHERE l.id = f.layer_id AND l.revision_id = %s AND NOT ST_IsValid(f.geom)
"""


@dataclass
class RepairGeometries:
    """ST_MakeValid on the draft's invalid features, keeping each feature's dimension."""

    user: Any
    revision: Revision
    remote_addr: str | None = None

    @transaction.atomic
    def execute(self) -> int:
        revision = lock_draft(self.user, self.revision)
        with connection.cursor() as cursor:
            cursor.execute(REPAIR_SQL, [revision.pk])
            repaired = cursor.rowcount
        audit(
            self.user,
            "revision.repair_geometries",
            project=revision.project,
            revision=revision,
            remote_addr=self.remote_addr,
            repaired=repaired,
        )
        return repaired


# What refers to the features of a layer without a foreign key (statement triggers cascade
# the features themselves, migration 0004): QA findings about them go, comments pinned to
# them keep their place on the map, and the draft's 3D envelopes of those lots go (they
# are rebuilt from the remaining lots on request).
REMOVE_LAYER_SQL = (
    "DELETE FROM planning_qafinding WHERE feature_id IN"
    " (SELECT id FROM planning_feature WHERE layer_id = %(layer)s)",
    "UPDATE planning_comment SET feature_id = NULL WHERE feature_id IN"
    " (SELECT id FROM planning_feature WHERE layer_id = %(layer)s)",
    "DELETE FROM threed_envelope WHERE lot_id IN"
    " (SELECT id FROM planning_feature WHERE layer_id = %(layer)s)",
    "DELETE FROM planning_layer WHERE id = %(layer)s",
)


@dataclass
class RemoveLayer:
    """Removes a layer (a wrong or duplicate import) with its features from a draft.

    Only the project's planners (and staff) may, and only while the revision is a draft;
    callers check that the layer is visible to the user first (404 otherwise)."""

    user: Any
    layer: Layer
    remote_addr: str | None = None

    @transaction.atomic
    def execute(self) -> None:
        require_user(self.user)
        revision = (
            Revision.objects.select_for_update(of=("self",))
            .select_related("project")
            .get(pk=self.layer.revision_id)
        )
        if not visibility.edits_drafts(self.user, revision.project):
            raise Forbidden(_("Only the project's planners may remove layers."))
        if not revision.is_editable:
            raise Conflict(
                _("Layers can be removed only from a draft; this revision is %(state)s.")
                % {"state": revision.get_state_display()}
            )
        layer = Layer.objects.filter(pk=self.layer.pk, revision=revision).first()
        if layer is None:  # removed meanwhile by someone else
            raise NotFound(_("No such layer."))
        with connection.cursor() as cursor:
            for statement in REMOVE_LAYER_SQL:
                cursor.execute(statement, {"layer": layer.pk})
        audit(
            self.user,
            "layer.remove",
            project=revision.project,
            revision=revision,
            remote_addr=self.remote_addr,
            layer=layer.pk,
            name=layer.name,
            kind=layer.kind,
            features=layer.feature_count,
            source=layer.source_name,
        )
