"""The QA state of a revision: never checked, checked before the last change, or current.

Every path that changes a revision's content (uploads, CAD imports, 3D models, edits, repairs,
layer deletions, plain SQL) outdates its checks through the database triggers of migration
0010; 3D extrusion (derived geom_3d) and bookkeeping columns do not."""

from __future__ import annotations

import json
import threading
import time

import pytest
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from rest_framework.test import APIClient

from importers.service import import_cad, import_upload
from planning import qa
from planning.actions import SubmitRevision
from planning.models import Feature, Layer, Revision
from planning.revision_edits import DeclareBalance, RepairGeometries
from tests.cad.drawings import MAPPING, plan_drawing
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.files import write_vector
from tests.threed.conftest import token_header
from tests.threed.test_models3d import cityjson
from threed.extrude import extrude_revision
from threed.testing import make_3d_plan

pytestmark = pytest.mark.django_db


def status(revision: Revision) -> str:
    return qa.status_of(Revision.objects.get(pk=revision.pk))


def checked(revision: Revision) -> Revision:
    qa.run(revision)
    assert status(revision) == qa.CURRENT
    return revision


def lots_layer(revision: Revision) -> Layer:
    return Layer.objects.get(revision=revision, kind="landuse")


def findings_api(user, revision: Revision, method: str = "get") -> dict:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    response = getattr(client, method)(f"/api/revisions/{revision.pk}/qa/")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_new_draft_is_not_checked_and_the_api_says_so(draft_plan, planner):
    body = findings_api(planner, draft_plan)
    assert (body["status"], body["checked_at"], body["features"]) == ("not_checked", None, [])
    rerun = findings_api(planner, draft_plan, "post")
    assert rerun["status"] == "current"
    assert rerun["checked_at"] is not None
    assert findings_api(planner, draft_plan)["checked_at"] == rerun["checked_at"]


@pytest.mark.parametrize(
    "change",
    [
        "insert feature",
        "update attributes",
        "update geometry",
        "delete feature",
        "add layer",
        "rename layer",
        "delete layer",
        "raw sql",
    ],
)
def test_every_kind_of_content_change_outdates_the_checks(draft_plan, planner, change):
    checked(draft_plan)
    lots = lots_layer(draft_plan)
    lot = Feature.objects.filter(layer=lots).first()
    if change == "insert feature":
        Feature.objects.create(layer=lots, geom=square(HUE_X, HUE_Y + 500, 50), category="GD")
    elif change == "update attributes":
        Feature.objects.filter(pk=lot.pk).update(attributes={"code": "B9", "function": "GD"})
    elif change == "update geometry":
        Feature.objects.filter(pk=lot.pk).update(geom=square(HUE_X, HUE_Y + 300, 90))
    elif change == "delete feature":
        Feature.objects.filter(pk=lot.pk).delete()
    elif change == "add layer":
        Layer.objects.create(revision=draft_plan, kind="roads", name="Roads", created_by=planner)
    elif change == "rename layer":
        Layer.objects.filter(pk=lots.pk).update(name="Lô đất")
    elif change == "delete layer":
        Layer.objects.filter(pk=lots.pk).delete()  # its features go by the cascade trigger
    else:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE planning_feature SET category = 'CX' WHERE id = %s", [lot.pk])
    assert status(draft_plan) == qa.OUTDATED


def test_bookkeeping_updates_leave_the_checks_current(draft_plan):
    checked(draft_plan)
    lots = lots_layer(draft_plan)
    Layer.objects.filter(pk=lots.pk).update(feature_count=99, attribute_schema=[])
    Feature.objects.filter(layer=lots).update(category="GD")  # the same value again
    assert status(draft_plan) == qa.CURRENT


def test_only_the_changed_revision_is_outdated(draft_plan, plan_in_force):
    checked(draft_plan)
    checked(plan_in_force)
    Feature.objects.filter(layer=lots_layer(draft_plan)).update(attributes={"code": "X"})
    assert (status(draft_plan), status(plan_in_force)) == (qa.OUTDATED, qa.CURRENT)


def test_a_statement_updates_the_revision_once_not_per_row(draft_plan, planner):
    """The CAD bulk import stays one COPY: the trigger is per statement, not per row."""
    checked(draft_plan)
    layer = Layer.objects.create(revision=draft_plan, kind="roads", name="R", created_by=planner)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'planning_revision'"
        )
        before = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO planning_feature (layer_id, geom, attributes, category, source_ref) "
            "SELECT %s, ST_Buffer(ST_MakePoint(%s + i, %s), 0.4), '{}', '', '' "
            "FROM generate_series(1, 2000) i",
            [layer.pk, HUE_X, HUE_Y],
        )
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'planning_revision'"
        )
        assert cursor.fetchone()[0] - before == 1
    assert status(draft_plan) == qa.OUTDATED


def test_a_changed_declared_balance_outdates_the_checks(draft_plan, planner):
    checked(draft_plan)
    DeclareBalance(user=planner, revision=draft_plan, table={"GD": 10000}).execute()
    assert status(draft_plan) == qa.OUTDATED
    checked(draft_plan)
    DeclareBalance(user=planner, revision=draft_plan, table={"GD": 10000}).execute()  # same
    assert status(draft_plan) == qa.CURRENT


def test_repair_then_rerun_is_current(draft_plan, planner):
    bow_tie = GEOSGeometry(
        "POLYGON((561714 1821449, 561764 1821499, 561764 1821449, 561714 1821499, 561714 1821449))",
        srid=9214,
    )
    Feature.objects.filter(layer=lots_layer(draft_plan)).update(geom=bow_tie)
    checked(draft_plan)
    assert RepairGeometries(user=planner, revision=draft_plan).execute() == 1
    assert status(draft_plan) == qa.OUTDATED
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    assert client.post(f"/api/revisions/{draft_plan.pk}/qa/repair/").status_code == 200
    assert status(draft_plan) == qa.CURRENT


def test_an_upload_outdates_the_checks(draft_plan, planner, tmp_path):
    checked(draft_plan)
    path = write_vector(
        tmp_path / "lot.gpkg",
        [shapely.box(HUE_X, HUE_Y + 500, HUE_X + 50, HUE_Y + 550)],
        {"code": ["C1"], "function": ["CX"]},
        driver="GPKG",
    )
    import_upload(
        user=planner,
        revision=draft_plan,
        path=path,
        filename=path.name,
        kind="landuse",
        name="Lot C1",
    )
    assert status(draft_plan) == qa.OUTDATED


def test_a_cad_import_outdates_the_checks(draft_plan, planner, tmp_path):
    checked(draft_plan)
    drawing = plan_drawing(tmp_path / "plan.dxf")
    import_cad(
        user=planner,
        revision=draft_plan,
        path=drawing,
        filename=drawing.name,
        mapping=MAPPING,
        crs="EPSG:9214",
    )
    assert status(draft_plan) == qa.OUTDATED


def test_a_3d_model_outdates_the_checks_and_extrusion_does_not(
    planner, reviewer, settings, tmp_path
):
    settings.PLANNING_VAR_DIR = tmp_path / "var"
    draft = make_3d_plan(planner, reviewer, columns=1, rows=1, approve=False)
    checked(draft)
    assert extrude_revision(draft, force=True) > 0  # geom_3d is derived from the attributes
    assert status(draft) == qa.CURRENT
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        f"/api/revisions/{draft.pk}/models/",
        {
            "file": SimpleUploadedFile("house.city.json", json.dumps(cityjson()).encode()),
            "name": "Massing",
        },
        **token_header(planner),
    )
    assert response.status_code == 201, response.content
    assert status(draft) == qa.OUTDATED


def test_submission_checks_and_records_it(draft_plan, planner):
    assert status(draft_plan) == qa.NOT_CHECKED
    SubmitRevision(user=planner, revision=draft_plan).execute()
    draft_plan.refresh_from_db()
    assert (draft_plan.state, qa.status_of(draft_plan)) == ("submitted", qa.CURRENT)


@pytest.mark.django_db(transaction=True)
def test_a_change_during_a_run_waits_and_then_outdates_it(planner, reviewer, catalogue):
    """A QA run holds the revision's row lock: an insert made meanwhile (by a path that takes
    no lock itself) waits for it, then marks the just-stored findings outdated."""
    draft = make_plan(
        planner, reviewer, "race", [(square(HUE_X, HUE_Y, 100), {"code": "A"})], approve=False
    )
    layer = lots_layer(draft)
    run_holds_lock, inserted_at = threading.Event(), []

    def insert():
        try:
            run_holds_lock.wait(10)
            Feature.objects.create(layer=layer, geom=square(HUE_X, HUE_Y + 200, 50))
            inserted_at.append(time.monotonic())
        finally:
            connection.close()

    worker = threading.Thread(target=insert)
    worker.start()
    with transaction.atomic():
        qa.run(draft)
        run_holds_lock.set()
        time.sleep(0.5)
        committed_at = time.monotonic()
    worker.join(10)
    assert inserted_at
    assert inserted_at[0] >= committed_at  # it waited for the run
    assert status(draft) == qa.OUTDATED
