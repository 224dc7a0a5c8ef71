"""An approval that supersedes other projects' overlapping lots takes what those plans
placed on them out of force too: buildings, red lines, notes lying mostly on the lots
(QA walk: the buildings stayed on the public map, drawn over the new plan's lots). The
other plan's boundary and what lies elsewhere stay; history keeps everything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.gis.geos import LineString, Point
from django.db import connection
from django.utils import timezone

from planning.models import AuditEvent, Feature, Layer, Revision
from planning.visibility import in_force_features
from tests.conftest import HUE_X, HUE_Y, make_plan, square

pytestmark = pytest.mark.django_db


def add(revision: Revision, kind: str, features: dict) -> None:
    layer = Layer.objects.create(
        revision=revision, kind=kind, name=kind, created_by=revision.project.created_by
    )
    for name, geom in features.items():
        Feature.objects.create(layer=layer, geom=geom, attributes={"name": name})


def in_force_names(project_code: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(attributes->>'code', attributes->>'name')"
            " FROM planning_feature_in_force WHERE project_code = %s",
            [project_code],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def neighbour(planner, reviewer) -> Revision:
    """Lots N1 and N2 in force, with a building, a red line and a note on each, and the
    plan's boundary around both."""
    plan = make_plan(planner, reviewer, "neighbour", [
        (square(HUE_X, HUE_Y, 100), {"code": "N1", "function": "HH"}),
        (square(HUE_X + 300, HUE_Y, 100), {"code": "N2", "function": "HH"}),
    ], approve=True)  # fmt: skip
    add(plan, "buildings", {
        "house on N1": square(HUE_X + 20, HUE_Y + 20, 30),
        "house on N2": square(HUE_X + 320, HUE_Y + 20, 30),
        "shed across N1's edge, mostly outside": square(HUE_X + 90, HUE_Y + 20, 40),
    })  # fmt: skip
    add(plan, "redlines", {
        "red line of N1": LineString((HUE_X, HUE_Y + 100), (HUE_X + 100, HUE_Y + 100)),
        "red line of N2": LineString((HUE_X + 300, HUE_Y + 100), (HUE_X + 400, HUE_Y + 100)),
    })  # fmt: skip
    add(plan, "annotation", {"note on N1": Point(HUE_X + 50, HUE_Y + 50)})
    add(plan, "boundary", {"boundary": square(HUE_X - 10, HUE_Y - 10, 420)})
    return plan


def test_what_stood_on_a_superseded_lot_leaves_with_it(planner, reviewer, neighbour):
    before = timezone.now()
    Revision.objects.filter(pk=neighbour.pk).update(approved_at=before - timedelta(days=1))
    new = make_plan(planner, reviewer, "newplan", [
        (square(HUE_X + 10, HUE_Y + 10, 80), {"code": "M1", "function": "ODT"}),
    ], approve=True)  # fmt: skip

    assert in_force_names("neighbour") == {
        "N2",
        "house on N2",
        "red line of N2",
        "shed across N1's edge, mostly outside",
        "boundary",  # the rest of that plan is still in force
    }
    left = Feature.objects.filter(
        attributes__name__in=["house on N1", "red line of N1", "note on N1"]
    )
    event = AuditEvent.objects.get(action="revision.approve", revision=new)
    assert sorted(event.detail["superseded_features"]) == sorted(left.values_list("pk", flat=True))
    then = in_force_features(before - timedelta(hours=1)).filter(layer__revision=neighbour)
    assert set(left.values_list("pk", flat=True)) <= set(then.values_list("pk", flat=True))


def test_a_plan_overlapping_nothing_supersedes_nothing_else(planner, reviewer, neighbour):
    make_plan(planner, reviewer, "apart", [
        (square(HUE_X + 1000, HUE_Y, 100), {"code": "F1", "function": "ODT"}),
    ], approve=True)  # fmt: skip

    assert "house on N1" in in_force_names("neighbour")
    assert "red line of N1" in in_force_names("neighbour")


def test_a_building_on_land_superseded_in_two_steps_leaves_at_the_second(planner, reviewer):
    """40 % on a lot one approval superseded, 40 % on one a later approval superseded:
    80 % of it stands on land out of force (review finding)."""
    y = HUE_Y + 1000
    plan = make_plan(planner, reviewer, "twostep", [
        (square(HUE_X, y, 100), {"code": "P1", "function": "HH"}),
        (square(HUE_X + 120, y, 100), {"code": "P2", "function": "HH"}),
    ], approve=True)  # fmt: skip
    add(plan, "buildings", {"hall across both": square(HUE_X + 60, y + 20, 100)})
    make_plan(planner, reviewer, "first", [
        (square(HUE_X + 10, y + 10, 50), {"code": "A1", "function": "ODT"}),
    ], approve=True)  # fmt: skip
    assert "hall across both" in in_force_names("twostep")  # 40 %: stays

    make_plan(planner, reviewer, "second", [
        (square(HUE_X + 150, y + 10, 50), {"code": "B1", "function": "ODT"}),
    ], approve=True)  # fmt: skip

    assert in_force_names("twostep") == set()


def test_a_line_on_an_edge_shared_with_a_kept_lot_stays(planner, reviewer):
    y = HUE_Y + 1500
    plan = make_plan(planner, reviewer, "edges", [
        (square(HUE_X, y, 100), {"code": "Q1", "function": "HH"}),
        (square(HUE_X + 100, y, 100), {"code": "Q2", "function": "HH"}),
    ], approve=True)  # fmt: skip
    add(plan, "redlines", {
        "between Q1 and Q2": LineString((HUE_X + 100, y), (HUE_X + 100, y + 100)),
        "west edge of Q1": LineString((HUE_X, y), (HUE_X, y + 100)),
    })  # fmt: skip
    add(plan, "annotation", {"corner of Q1 and Q2": Point(HUE_X + 100, y)})

    make_plan(planner, reviewer, "westside", [
        (square(HUE_X + 10, y + 10, 60), {"code": "W1", "function": "ODT"}),
    ], approve=True)  # fmt: skip

    assert in_force_names("edges") == {"Q2", "between Q1 and Q2", "corner of Q1 and Q2"}


def test_a_new_draft_does_not_copy_what_another_approval_superseded(planner, reviewer, neighbour):
    """Approving the copy would put the house back in force unasked (review finding)."""
    from planning.actions import CreateRevision

    make_plan(planner, reviewer, "newplan", [
        (square(HUE_X + 10, HUE_Y + 10, 80), {"code": "M1", "function": "ODT"}),
    ], approve=True)  # fmt: skip
    draft = CreateRevision(user=planner, project=neighbour.project, based_on=neighbour).execute()

    names = {
        f.attributes.get("code") or f.attributes.get("name")
        for f in Feature.objects.filter(layer__revision=draft)
    }
    assert names == in_force_names("neighbour")
    lots = draft.layers.get(kind="landuse")
    assert lots.feature_count == 1  # N2 only


def amended(planner, reviewer, revision: Revision) -> Revision:
    """The plan in force copied into a new revision and approved unchanged: its features
    are published under the ids of their first publication (lineage), not their rows."""
    from planning.actions import CreateRevision
    from planning.workflow import ApproveRevision, SubmitRevision

    copy = CreateRevision(user=planner, project=revision.project, based_on=revision).execute()
    SubmitRevision(user=planner, revision=copy).execute()
    ApproveRevision(user=reviewer, revision=copy, decision_number="2/QĐ-UBND").execute()
    return copy


def newplan_over_n1(planner, reviewer, *, approve: bool = True) -> Revision:
    return make_plan(planner, reviewer, "newplan", [
        (square(HUE_X + 10, HUE_Y + 10, 80), {"code": "M1", "function": "ODT"}),
    ], approve=approve)  # fmt: skip


def test_the_approval_records_what_left_force_by_the_ids_the_services_published(
    planner, reviewer, neighbour
):
    """The audit named rows, which the services never showed: an amended plan's lots are
    published under their first publication's ids (review finding)."""
    copy = amended(planner, reviewer, neighbour)
    new = newplan_over_n1(planner, reviewer)

    event = AuditEvent.objects.get(action="revision.approve", revision=new)
    n1 = Feature.objects.get(layer__revision=copy, attributes__code="N1")
    assert n1.lineage is not None
    assert n1.lineage != n1.pk
    assert [lot["feature"] for lot in event.detail["superseded_lots"]] == [n1.public_id]
    left = Feature.objects.filter(
        layer__revision=copy, attributes__name__in=["house on N1", "red line of N1", "note on N1"]
    )
    assert sorted(event.detail["superseded_features"]) == sorted(f.public_id for f in left)
    assert not set(event.detail["superseded_features"]) & set(left.values_list("pk", flat=True))


def test_an_unconfirmed_approval_counts_what_would_leave_with_the_lots(
    planner, reviewer, neighbour
):
    from planning.errors import Conflict
    from planning.workflow import ApproveRevision, SubmitRevision

    draft = newplan_over_n1(planner, reviewer, approve=False)
    SubmitRevision(user=planner, revision=draft).execute()
    with pytest.raises(Conflict) as refused:
        ApproveRevision(user=reviewer, revision=draft, decision_number="3/QĐ-UBND").execute()

    assert refused.value.details["placed"] == 3  # the house, the red line, the note on N1
    assert refused.value.details["placed_text"] in refused.value.message
    assert [lot["lot"] for lot in refused.value.details["overlaps"]] == ["N1"]
    assert str(refused.value.message) == (
        "This plan overlaps 1 lot of other projects' plans in force; confirm that it "
        "supersedes it. 3 features those plans placed on them leave force with them "
        "(Buildings: 1; Red lines and building lines: 1; Annotation: 1)."
    )
    assert "house on N1" in in_force_names("neighbour")  # nothing left force


def test_the_migration_supersedes_what_earlier_approvals_left_on_their_lots(
    planner, reviewer, neighbour
):
    """Lots superseded before the dependents rule left their buildings in force: the data
    migration applies the rule to them, as of that approval, and the maps' caches move on."""
    from planning.models import SupersededFeature
    from tiles.generation import current_generation

    new = newplan_over_n1(planner, reviewer)
    lot = SupersededFeature.objects.get(feature__attributes__code="N1")
    SupersededFeature.objects.exclude(pk=lot.pk).delete()  # as the old approval left it
    assert "house on N1" in in_force_names("neighbour")
    before = current_generation()

    migration = __import__("planning.migrations.0015_supersede_placed_features", fromlist=["_"])
    migration.supersede_placed_features(None, None)

    assert in_force_names("neighbour") == {
        "N2",
        "house on N2",
        "red line of N2",
        "shed across N1's edge, mostly outside",
        "boundary",
    }
    placed = SupersededFeature.objects.exclude(pk=lot.pk)
    assert placed.count() == 3
    assert {(s.by_revision_id, s.superseded_at) for s in placed} == {(new.pk, lot.superseded_at)}
    assert current_generation() != before
    migration.supersede_placed_features(None, None)  # a second run finds nothing to add
    assert SupersededFeature.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_two_approvals_over_one_lot_take_turns(planner, reviewer):
    """Two boards approving plans of two projects over the same lot at once: each read it
    in force, and both audits said they superseded it (review finding). Approvals now take
    turns, so the second reads the first's outcome."""
    from planning.workflow import ApproveRevision, SubmitRevision
    from tests.conftest import run_twice_overlapping

    make_plan(planner, reviewer, "bigone", [
        (square(HUE_X, HUE_Y, 200), {"code": "L1", "function": "HH"}),
    ], approve=True)  # fmt: skip
    drafts = [
        make_plan(
            planner,
            reviewer,
            code,
            [
                (square(HUE_X + dx, HUE_Y + 10, 50), {"code": code.upper(), "function": "ODT"}),
            ],
            approve=False,
        )
        for code, dx in (("west", 10), ("east", 140))
    ]
    for draft in drafts:
        SubmitRevision(user=planner, revision=draft).execute()
    turns = iter(drafts)

    def approve_the_next() -> None:
        revision = Revision.objects.get(pk=next(turns).pk)
        ApproveRevision(
            user=reviewer, revision=revision, decision_number="5/QĐ-UBND", supersede_overlaps=True
        ).execute()

    run_twice_overlapping(approve_the_next)
    listed = [
        lot["lot"]
        for event in AuditEvent.objects.filter(action="revision.approve", revision__in=drafts)
        for lot in event.detail["superseded_lots"]
    ]
    assert listed == ["L1"]  # by the first approval only


def test_a_lot_without_code_is_named_by_its_published_id(planner, reviewer, neighbour):
    """It was named by its row id, which no service ever showed (review finding)."""
    from planning import supersession

    copy = amended(planner, reviewer, neighbour)
    n1 = Feature.objects.get(layer__revision=copy, attributes__code="N1")
    Feature.objects.filter(pk=n1.pk).update(attributes={"code": " ", "function": "HH"})
    draft = newplan_over_n1(planner, reviewer, approve=False)

    [overlap] = supersession.overlapping_lots(draft)
    assert overlap.lot == str(n1.lineage)
    assert overlap.as_dict()["feature"] == n1.lineage


def test_the_migration_covers_history_and_the_amendments_made_since(planner, reviewer, neighbour):
    """An amendment prepared after the old supersession copied the house but not the lot
    under it, and the replaced plan kept the house in force in history (review finding)."""
    from planning.models import SupersededFeature

    newplan_over_n1(planner, reviewer)
    lot = SupersededFeature.objects.get(feature__attributes__code="N1")
    SupersededFeature.objects.exclude(pk=lot.pk).delete()  # as the old approval left it
    amended(planner, reviewer, neighbour)  # copies the house, not N1; neighbour superseded
    houses_then = in_force_features(lot.superseded_at).filter(attributes__name="house on N1")
    assert "house on N1" in in_force_names("neighbour")
    assert houses_then.exists()

    migration = __import__("planning.migrations.0015_supersede_placed_features", fromlist=["_"])
    migration.supersede_placed_features(None, None)

    assert in_force_names("neighbour") == {
        "N2",
        "house on N2",
        "red line of N2",
        "shed across N1's edge, mostly outside",
        "boundary",
    }
    assert not houses_then.exists()


def test_the_migration_dates_each_revisions_feature_by_what_it_lost_while_in_force(
    planner, reviewer
):
    """A lot of a later revision, superseded after the first left force, dated the first's
    hall (review finding): each revision's copy leaves force with its own loss."""
    from planning.models import SupersededFeature

    y = HUE_Y + 1700
    first = make_plan(planner, reviewer, "pp", [
        (square(HUE_X, y, 100), {"code": "A", "function": "HH"}),
        (square(HUE_X + 100, y, 100), {"code": "B", "function": "HH"}),
    ], approve=True)  # fmt: skip
    add(first, "buildings", {"hall": square(HUE_X + 40, y + 10, 80)})  # 60 % on A
    make_plan(planner, reviewer, "qq", [
        (square(HUE_X + 5, y + 5, 90), {"code": "Q", "function": "ODT"}),
    ], approve=True)  # fmt: skip
    a = SupersededFeature.objects.get(feature__attributes__code="A")
    SupersededFeature.objects.exclude(pk=a.pk).delete()  # as the old approval left it
    second = amended(planner, reviewer, first)  # copies the hall, not A
    first.refresh_from_db()
    second.refresh_from_db()
    make_plan(planner, reviewer, "rr", [
        (square(HUE_X + 105, y + 5, 90), {"code": "R", "function": "ODT"}),
    ], approve=True)  # fmt: skip
    b = SupersededFeature.objects.get(
        feature__attributes__code="B", feature__layer__revision=second
    )
    SupersededFeature.objects.exclude(pk__in=[a.pk, b.pk]).delete()

    migration = __import__("planning.migrations.0015_supersede_placed_features", fromlist=["_"])
    migration.supersede_placed_features(None, None)

    halls = {
        s.feature.layer.revision_id: s
        for s in SupersededFeature.objects.filter(feature__attributes__name="hall")
    }
    assert (halls[first.pk].superseded_at, halls[first.pk].by_revision_id) == (
        a.superseded_at,
        a.by_revision_id,
    )
    assert halls[second.pk].superseded_at == second.approved_at  # its land was gone already
    between = a.superseded_at + (first.superseded_at - a.superseded_at) / 2
    assert not in_force_features(between).filter(attributes__name="hall").exists()
