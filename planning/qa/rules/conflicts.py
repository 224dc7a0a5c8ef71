"""Conflicts with the plans in force of other projects under or next to the revision."""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

from planning.qa import WARNING, Context, Found, rule


@rule(
    "conflicts.in_force",
    _("Lot %(code)s overlaps %(area).1f m² of lot %(other)s of the plan in force %(project)s."),
)
def in_force(context: Context):
    for fid, code, other, project, area, ewkb in context.rows(
        "SELECT m.id, coalesce(m.attributes->>'code', m.id::text), "
        "coalesce(o.attributes->>'code', o.id::text), o.project_code, "
        "ST_Area(ST_Intersection(m.geom, o.geom)), ST_AsEWKB(ST_Intersection(m.geom, o.geom)) "
        "FROM lots m JOIN planning_feature_in_force o ON o.kind = 'landuse' AND m.geom && o.geom "
        "AND ST_IsValid(o.geom) AND ST_Relate(m.geom, o.geom, '2********') "
        "JOIN planning_revision r ON r.id = %(revision)s "
        "WHERE o.project_id <> r.project_id AND ST_Area(ST_Intersection(m.geom, o.geom)) > %(tolerance)s"
    ):
        yield Found(
            WARNING, {"code": code, "other": other, "project": project, "area": area}, ewkb, fid
        )
