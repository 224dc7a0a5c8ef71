"""Conflicts with the plans in force of other projects under or next to the revision."""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

from planning.qa import WARNING, Context, Found, lots, rule


@rule(
    "conflicts.in_force",
    _("Lot %(code)s overlaps %(area).1f m² of lot %(other)s of the plan in force %(project)s."),
    display=lambda params: lots.shown_lots(params, "code", "other"),
)
def in_force(context: Context):
    for fid, code, source, other_id, other, other_source, project, area, ewkb in context.rows(
        "SELECT m.id, m.attributes->>'code', m.source_ref, o.id, o.attributes->>'code', "
        "(SELECT s.source_ref FROM planning_feature s WHERE s.id = o.id), o.project_code, "
        "ST_Area(ST_Intersection(m.geom, o.geom)), ST_AsEWKB(ST_Intersection(m.geom, o.geom)) "
        "FROM lots m JOIN planning_feature_in_force o ON o.kind = 'landuse' AND m.geom && o.geom "
        "AND ST_IsValid(o.geom) AND ST_Relate(m.geom, o.geom, '2********') "
        "JOIN planning_revision r ON r.id = %(revision)s "
        "WHERE o.project_id <> r.project_id AND ST_Area(ST_Intersection(m.geom, o.geom)) > %(tolerance)s"
    ):
        named = {
            **lots.stored("code", code, fid, source),
            **lots.stored("other", other, other_id, other_source),
        }
        yield Found(WARNING, {**named, "project": project, "area": area}, ewkb, fid)
