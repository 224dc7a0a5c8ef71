"""Each QA rule with a failing and a passing case, on a draft revision in PostGIS."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.db import connection

from planning import qa
from planning.models import Feature, Layer, Project
from tests.conftest import HUE_X, HUE_Y, make_plan, run_twice_overlapping, square

pytestmark = pytest.mark.django_db
GOOD = {
    "code": "G1",
    "function": "DO",
    "density": 60,
    "far": 2.5,
    "storeys_min": 2,
    "storeys_max": 5,
}


@pytest.fixture
def draft(planner, reviewer):
    """A draft whose boundary is exactly its one valid lot: every rule passes."""
    revision = make_plan(planner, reviewer, "qa", [(square(HUE_X, HUE_Y, 100), dict(GOOD))],
                         approve=False)  # fmt: skip
    Project.objects.filter(pk=revision.project_id).update(
        boundary=MultiPolygon(square(HUE_X, HUE_Y, 100), srid=9214)
    )
    return revision


def lots(revision) -> Layer:
    return Layer.objects.get(revision=revision, kind="landuse")


def add(revision, geom, **attributes) -> Feature:
    values = {**GOOD, **attributes}
    return Feature.objects.create(
        layer=lots(revision), geom=geom, attributes=values, category=str(values.get("function", ""))
    )


def found(revision) -> set[str]:
    qa.run(revision)
    return set(revision.findings.values_list("rule", flat=True))


def test_a_clean_plan_passes_every_rule(draft):
    assert found(draft) == set()


def test_invalid_geometry(draft):
    bow_tie = GEOSGeometry(
        "POLYGON((561714 1821449, 561764 1821499, 561764 1821449, 561714 1821499, 561714 1821449))",
        srid=9214,
    )
    Feature.objects.filter(layer=lots(draft)).update(geom=bow_tie)
    assert "geometry.invalid" in found(draft)


def test_degenerate_feature(draft):
    add(draft, square(HUE_X + 10, HUE_Y + 10, 0.05), code="G2")
    assert "geometry.degenerate" in found(draft)


def test_duplicate_feature(draft):
    add(draft, square(HUE_X, HUE_Y, 100), code="G1b")
    assert "geometry.duplicate" in found(draft)


def test_overlapping_lots(draft):
    Feature.objects.filter(layer=lots(draft)).update(geom=square(HUE_X, HUE_Y, 60))
    add(draft, Polygon.from_bbox((HUE_X + 40, HUE_Y, HUE_X + 100, HUE_Y + 100)), code="G2")
    assert "topology.overlap" in found(draft)


def test_gap_inside_the_boundary(draft):
    Feature.objects.filter(layer=lots(draft)).update(geom=square(HUE_X, HUE_Y, 50))
    assert "topology.gap" in found(draft)


def test_feature_outside_the_boundary(draft):
    add(draft, square(HUE_X + 90, HUE_Y, 30), code="G2")
    assert "topology.outside" in found(draft)


@pytest.mark.parametrize(("attributes", "rule"), [
    ({"function": ""}, "attributes.required"),
    ({"function": "XYZ"}, "attributes.category"),
    ({"density": 120}, "attributes.range"),
    ({"far": 0}, "attributes.range"),
    ({"storeys_min": 6, "storeys_max": 3}, "attributes.storeys"),
    ({"area": 1000}, "attributes.area"),  # the lot measures 10,000 m²
    ({"AREA": "1,0"}, "attributes.area"),  # hectares written where m² are asked
])  # fmt: skip
def test_attribute_rules(draft, attributes, rule):
    feature = Feature.objects.get(layer=lots(draft))
    feature.attributes = {**GOOD, **attributes}
    feature.category = feature.attributes["function"]
    feature.save()
    assert rule in found(draft)


def test_balance_against_the_boundary(draft):
    Project.objects.filter(pk=draft.project_id).update(
        boundary=MultiPolygon(square(HUE_X, HUE_Y, 120), srid=9214)
    )
    rules = found(draft)
    assert "balance.total" in rules  # 10,000 m² of lots in a 14,400 m² plan


def test_shifted_coordinates_outside_viet_nam(draft):
    with connection.cursor() as cursor:  # a drawing left in local coordinates near (0, 0)
        cursor.execute(
            "UPDATE planning_feature SET geom = ST_Translate(geom, %s, %s) WHERE layer_id = %s",
            [-HUE_X, -HUE_Y, lots(draft).pk],
        )
    assert "extent.outside_vietnam" in found(draft)


def test_conflict_with_another_plan_in_force(draft, planner, reviewer):
    make_plan(planner, reviewer, "other", [(square(HUE_X + 50, HUE_Y, 100), dict(GOOD))],
              approve=True)  # fmt: skip
    assert "conflicts.in_force" in found(draft)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_runs_replace_the_findings_once(draft):
    """A double-clicked "re-run the checks": the second run waits for the first and replaces
    its findings rather than adding a second copy beside them."""
    add(draft, square(HUE_X + 50, HUE_Y + 50, 100))  # overlaps the lot and leaves the boundary
    expected = qa.run(draft)
    run_twice_overlapping(lambda: qa.run(draft))
    assert expected.errors + expected.warnings > 0
    assert draft.findings.count() == expected.errors + expected.warnings


@pytest.mark.parametrize("stated", [10000, 9600.5, "10250,5", 10400, "10.000", "9.800,5"])
def test_a_stated_area_within_rounding_passes(draft, stated):
    """Within 5 % of the 10,000 m² the lot measures (or the area tolerance): no finding."""
    feature = Feature.objects.get(layer=lots(draft))
    feature.attributes = {**GOOD, "area": stated}
    feature.save()
    assert "attributes.area" not in found(draft)


def test_the_area_finding_names_both_areas_in_the_readers_language(draft):
    from django.utils import translation

    feature = Feature.objects.get(layer=lots(draft))
    feature.attributes = {**GOOD, "area": 1000}
    feature.save()
    qa.run(draft)
    [finding] = draft.findings.filter(rule="attributes.area")
    with translation.override("vi"):
        message = qa.message_of(finding)
    assert "1.000,0 m²" in message
    assert "10.000,0 m²" in message
    assert "G1" in message


def test_ranges_are_read_in_any_case(draft):
    """A MapInfo or GeoPackage table's DENSITY = 150 (review finding: never checked)."""
    feature = Feature.objects.get(layer=lots(draft))
    feature.attributes = {k: v for k, v in GOOD.items() if k != "density"} | {"DENSITY": 150}
    feature.save()
    assert "attributes.range" in found(draft)
