"""Edits a planner makes to a draft besides importing layers: the declared balance table and
the repair of invalid geometries that QA offers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from planning import visibility
from planning.audit import audit, require_user
from planning.errors import Conflict, Forbidden, InvalidInput
from planning.models import Revision

MAX_CATEGORIES = 500


def _lock_draft(user, revision: Revision) -> Revision:
    require_user(user)
    locked = Revision.objects.select_for_update().select_related("project").get(pk=revision.pk)
    if not locked.is_editable:
        raise Conflict(
            _("This cannot be done to a revision that is %(state)s.")
            % {"state": locked.get_state_display()}
        )
    if not visibility.can_edit(user, locked):
        raise Forbidden(_("Only the project's planners may change this revision."))
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
        revision = _lock_draft(self.user, self.revision)
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
        revision = _lock_draft(self.user, self.revision)
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
