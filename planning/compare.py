"""The change layer between two revisions: features added, removed, changed in geometry,
attributes or both. Lots are matched by layer kind and lot code; features without a code by
geometry equal within GEOMETRY_TOLERANCE_M. Computed in PostGIS; geometries come out in
EPSG:4326 for the map.

A baseline feature another project's approval superseded (planning.supersession) and the
new revision lacks is `superseded`, not `removed`: a revision copied from the plan in force
leaves it out (planning.actions.COPY_FEATURES), so this revision did not remove it (QA walk:
the changes view blamed the amendment for the other project's removals)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection

from planning import visibility
from planning.models import PUBLISHED_STATES, Revision, RevisionState

# Shifts up to this many metres (storage units) are not geometry changes: a re-export through
# 7-decimal lon/lat (GeoJSON, OGC API) rounds each vertex by up to 8 mm, and 1 cm is below any
# plan's drawing precision (CAD snapping closes 5 cm gaps, docs/settings.md).
GEOMETRY_TOLERANCE_M = 0.01

# Lots are hash-joined on (kind, code); features without a code (code NULL or "") share the key
# (kind, '') and are paired when each lies within the tolerance of the other (Hausdorff
# distance, after a bounding-box test), so only those are compared pairwise.
# ST_HausdorffDistance alone measures from vertices only: a lot reshaped over the same
# vertices (a notch moved to another side) would read as unchanged. The densified distance
# also samples each segment at quarters; the plain one first decides most pairs cheaply.
SQL = """
WITH a AS (
  SELECT f.id, l.kind, f.attributes, f.geom, nullif(f.attributes->>'code', '') AS code
  FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id WHERE l.revision_id = %(old)s
), b AS (
  SELECT f.id, l.kind, f.attributes, f.geom, nullif(f.attributes->>'code', '') AS code
  FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id WHERE l.revision_id = %(new)s
), pairs AS (
  SELECT a.id AS old_id, b.id AS new_id, coalesce(a.kind, b.kind) AS kind,
         coalesce(b.code, a.code) AS code, a.geom AS old_geom, b.geom AS new_geom,
         a.attributes AS old_attrs, b.attributes AS new_attrs
  FROM a FULL OUTER JOIN b ON a.kind = b.kind AND coalesce(a.code, '') = coalesce(b.code, '')
    AND (a.code IS NOT NULL OR (
      a.geom && ST_Expand(b.geom, %(tolerance)s)
      AND ST_HausdorffDistance(a.geom, b.geom) <= %(tolerance)s
      AND ST_HausdorffDistance(a.geom, b.geom, 0.25) <= %(tolerance)s))
), compared AS (
  SELECT *,
    old_id IS NOT NULL AND new_id IS NOT NULL AND NOT ST_OrderingEquals(old_geom, new_geom)
      AND (ST_HausdorffDistance(old_geom, new_geom) > %(tolerance)s
           OR ST_HausdorffDistance(old_geom, new_geom, 0.25) > %(tolerance)s) AS geometry_changed,
    old_attrs IS DISTINCT FROM new_attrs AS attributes_changed
  FROM pairs
)
SELECT old_id, new_id, kind, compared.code,
  CASE WHEN old_id IS NULL THEN 'added'
       WHEN new_id IS NULL AND s.feature_id IS NOT NULL THEN 'superseded'
       WHEN new_id IS NULL THEN 'removed'
       WHEN geometry_changed AND attributes_changed THEN 'geometry_attributes'
       WHEN geometry_changed THEN 'geometry'
       WHEN attributes_changed THEN 'attributes' ELSE 'same' END AS change,
  ST_AsGeoJSON(ST_Transform(coalesce(new_geom, old_geom), 4326), 7),
  old_attrs, new_attrs, s.by_revision_id, superseding.code, sr.decision_number
FROM compared
LEFT JOIN planning_supersededfeature s
  ON compared.new_id IS NULL AND s.feature_id = compared.old_id
LEFT JOIN planning_revision sr ON sr.id = s.by_revision_id
LEFT JOIN planning_project superseding ON superseding.id = sr.project_id
"""


# What `Change.change` says, in the order the review page's legend lists them. A pair whose
# geometry moved by at most GEOMETRY_TOLERANCE_M and whose attributes are equal is not a change.
# `superseded` is no change of this revision's (see the module's docstring): listed apart.
CHANGE_TYPES = ("added", "removed", "geometry", "attributes", "geometry_attributes", "superseded")


@dataclass(frozen=True)
class SupersededBy:
    """The approval that took a baseline feature out of force: its revision, project code
    and decision number (approved revisions are public, like these)."""

    revision: int
    project: str
    decision_number: str

    def as_dict(self) -> dict:
        return {
            "revision": self.revision,
            "project": self.project,
            "decision_number": self.decision_number,
        }


@dataclass
class Change:
    change: str  # one of CHANGE_TYPES
    kind: str
    code: str | None
    old_id: int | None
    new_id: int | None
    geometry: dict
    attributes_before: dict | None
    attributes_after: dict | None
    superseded_by: SupersededBy | None = None


def baseline_of(revision: Revision, user) -> Revision | None:
    """What `user` compares a revision with by default: the revision it answers, else the
    plan its approval replaces (replaced_plan_of). An answered revision the user may not see
    (a change request answered by a plan now in force, a planner's draft) is never a
    baseline: its features would show through the diff, so the replaced plan stands in, as
    for a first revision."""
    return answered_of(revision, user) or replaced_plan_of(revision)


def baselines_of(revision: Revision, user) -> list[Revision]:
    """What the review page offers to compare a revision with, its default first: the plan
    its approval replaces (what the decision changes, although an answer's
    own default, baseline_of, is the revision it answers), then the revision it answers
    (what changed since the change request) when `user` sees it and it is another."""
    found = [replaced_plan_of(revision), answered_of(revision, user)]
    unique = {r.pk: r for r in found if r is not None}
    return list(unique.values())


def answered_of(revision: Revision, user) -> Revision | None:
    """The revision this one answers, if `user` may see it."""
    if not revision.based_on_id:
        return None
    return visibility.visible_revisions(user).filter(pk=revision.based_on_id).first()


def replaced_plan_of(revision: Revision) -> Revision | None:
    """The plan the approval of `revision` replaces: for a revision not yet published, the
    project's plan in force; for a published one, the plan in force just before it was
    approved (None for a first plan). Never a later plan: an older plan compared with the
    one that replaced it would show that amendment reversed as its own changes."""
    published = Revision.objects.filter(
        project_id=revision.project_id, state__in=PUBLISHED_STATES
    ).exclude(pk=revision.pk)
    if revision.approved_at is None:
        return published.filter(state=RevisionState.APPROVED).first()
    # The approval closed the plan it replaced at its own instant (ApproveRevision writes
    # one `now` into both), which also settles two approvals within one clock tick.
    closed = published.filter(superseded_at=revision.approved_at).order_by("-approved_at", "-pk")
    earlier = published.filter(approved_at__lt=revision.approved_at)
    return closed.first() or earlier.order_by("-approved_at", "-pk").first()


def changes(old: Revision, new: Revision) -> list[Change]:
    with connection.cursor() as cursor:
        cursor.execute(SQL, {"old": old.pk, "new": new.pk, "tolerance": GEOMETRY_TOLERANCE_M})
        rows = cursor.fetchall()
    return [_change(*row) for row in rows if row[4] != "same"]


def _change(
    old_id, new_id, kind, code, change, geometry, before, after, by_revision, project, decision
) -> Change:
    """One row of SQL as a Change."""
    superseded_by = SupersededBy(by_revision, project, decision or "") if by_revision else None
    return Change(
        change,
        kind,
        code,
        old_id,
        new_id,
        json.loads(geometry),
        _as_dict(before),
        _as_dict(after),
        superseded_by,
    )


def _as_dict(value) -> dict | None:
    if value is None:
        return None
    return value if isinstance(value, dict) else json.loads(value)
