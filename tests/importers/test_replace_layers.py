"""A CAD import into a new revision replaces the layers the revision copied, when asked.

"New revision" copies the plan in force's layers into the draft; the planner then imports
the corrected drawing. With `replace_layers` the draft's earlier layers of the kinds the
import loads go in the import's own transaction (a failed or cancelled import leaves them),
through the layer-removal path (audit `layer.remove`), and the import's audit and report
name them; without it both stay and the report says so. The lots imported anew still take
the published ids of the lots they continue at approval (planning.lineage, by code).
"""

from __future__ import annotations

import json

import pytest
import shapely
from django.contrib.gis.geos import LineString, Polygon
from django.utils import translation
from rest_framework.test import APIClient

from importers import replacing
from importers.gis_mapping import import_mapped_dataset
from importers.service import import_cad
from planning import jobs
from planning.actions import ApproveRevision, CreateRevision, SubmitRevision
from planning.errors import InvalidInput
from planning.models import AuditEvent, Feature, Job, Layer, Revision
from planning.revision_edits import RemoveLayer
from tests.cad.drawings import LOT_H, LOT_W, LOTS, MAPPING, lot_origin, plan_drawing
from tests.conftest import declare_lot_schema, make_plan
from tests.files import write_vector

pytestmark = pytest.mark.django_db(transaction=True)
CODES = [label[0] for label in LOTS if label]  # A1-01 … A1-05, as the drawing labels them


def _in_force(planner, reviewer) -> Revision:
    """The drawing's five labelled lots and two red lines, approved (revision 1)."""
    lots = []
    for index, code in enumerate(CODES):
        x, y = lot_origin(index)
        lots.append(
            (
                Polygon.from_bbox((x, y, x + LOT_W, y + LOT_H)),
                {"code": code, "function": "DO", "name": code},
            )
        )
    draft = make_plan(planner, reviewer, "replace", lots, approve=False)
    red = Layer.objects.create(revision=draft, kind="redlines", name="Red", created_by=planner)
    x, y = lot_origin(0)
    Feature.objects.create(layer=red, geom=LineString((x, y - 5), (x + 90, y - 5)))
    Layer.objects.filter(pk=red.pk).update(feature_count=1)
    return _approve(planner, reviewer, declare_lot_schema(draft))


def _approve(planner, reviewer, revision: Revision) -> Revision:
    SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(user=reviewer, revision=revision, decision_number="9/QĐ-UBND").execute()
    revision.refresh_from_db()
    return revision


@pytest.fixture
def copied_draft(planner, reviewer) -> Revision:
    """Revision 2 of the plan, as "New revision" makes it: the in-force layers copied."""
    plan = _in_force(planner, reviewer)
    draft = CreateRevision(user=planner, project=plan.project, based_on=plan).execute()
    assert sorted(Layer.objects.filter(revision=draft).values_list("kind", flat=True)) == [
        "landuse",
        "redlines",
    ]
    return draft


def _client(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def _post(client, draft, path, endpoint: str = "cad/", **fields):
    with path.open("rb") as handle:
        return client.post(
            f"/api/revisions/{draft.pk}/{endpoint}",
            {"file": handle, "mapping": json.dumps(MAPPING), "crs": "EPSG:9214", **fields},
            format="multipart",
        )


def _start_job(client, draft, path, **fields) -> dict:
    """A replacing CAD import job started (not run)."""
    return _post(client, draft, path, "cad/jobs/", replace_layers="true", **fields).json()


def _kinds(draft) -> list[tuple[str, str]]:
    return list(
        Layer.objects.filter(revision=draft)
        .order_by("kind", "id")
        .values_list("kind", "source_format")
    )


def test_replace_leaves_only_the_new_layers_of_the_imported_kinds(planner, copied_draft, tmp_path):
    copied_lots = Layer.objects.get(revision=copied_draft, kind="landuse")
    copied_lines = Layer.objects.get(revision=copied_draft, kind="redlines")
    answer = _post(
        _client(planner), copied_draft, plan_drawing(tmp_path / "p.dxf"), replace_layers="true"
    )
    assert answer.status_code == 201, answer.content
    report = answer.json()["report"]
    assert _kinds(copied_draft) == [("landuse", "DXF"), ("redlines", "")]  # red lines untouched
    assert Layer.objects.filter(pk=copied_lines.pk).exists()
    assert report["replaced_layers"] == [
        {
            "id": copied_lots.pk,
            "kind": "landuse",
            "name": "Lots",
            "feature_count": 5,
            "copied_from": copied_draft.based_on.number,
        }
    ]
    assert report["same_kind_layers"] == []
    imported = AuditEvent.objects.get(action="layer.import_cad", revision=copied_draft)
    assert [entry["id"] for entry in imported.detail["replaced"]] == [copied_lots.pk]
    removed = AuditEvent.objects.get(action="layer.remove", revision=copied_draft)
    assert removed.detail["layer"] == copied_lots.pk  # through RemoveLayer, as DELETE does


def test_without_replace_both_stay_and_the_report_says_so(planner, copied_draft, tmp_path):
    copied_lots = Layer.objects.get(revision=copied_draft, kind="landuse")
    answer = _post(_client(planner), copied_draft, plan_drawing(tmp_path / "p.dxf"))
    assert answer.status_code == 201, answer.content
    report = answer.json()["report"]
    assert _kinds(copied_draft) == [("landuse", ""), ("landuse", "DXF"), ("redlines", "")]
    assert report["replaced_layers"] == []
    assert [(e["id"], e["copied_from"]) for e in report["same_kind_layers"]] == [
        (copied_lots.pk, copied_draft.based_on.number)
    ]
    assert not AuditEvent.objects.filter(action="layer.remove").exists()
    imported = AuditEvent.objects.get(action="layer.import_cad", revision=copied_draft)
    assert imported.detail["replaced"] is None  # not asked; [] would be "asked, none there"


def test_a_failure_after_the_conversion_keeps_the_copied_layers(planner, copied_draft, tmp_path):
    """The load fails at its last step, after the old layers were removed: all rolls back."""
    before = set(Layer.objects.filter(revision=copied_draft).values_list("pk", flat=True))

    def fail_at_saving(pct, message):
        if pct >= 99:
            raise InvalidInput("injected failure at the end of the load")

    with pytest.raises(InvalidInput):
        import_cad(
            user=planner,
            revision=copied_draft,
            path=plan_drawing(tmp_path / "p.dxf"),
            filename="p.dxf",
            mapping=MAPPING,
            crs="EPSG:9214",
            progress=fail_at_saving,
            replace_layers=True,
        )
    assert set(Layer.objects.filter(revision=copied_draft).values_list("pk", flat=True)) == before
    assert Feature.objects.filter(layer__revision=copied_draft).count() == 6
    assert not AuditEvent.objects.filter(action__in=["layer.remove", "layer.import_cad"]).exists()


def test_a_job_cancelled_after_the_removal_keeps_the_copied_layers(
    planner, copied_draft, tmp_path, monkeypatch
):
    """The cancel arrives once the copies were removed (the job's next step sees it): the
    job's transaction rolls the removal back with the new layers."""
    before = set(Layer.objects.filter(revision=copied_draft).values_list("pk", flat=True))
    client = _client(planner)
    job = _start_job(client, copied_draft, plan_drawing(tmp_path / "p.dxf"))
    removed = []
    original = replacing.replace

    def replace_then_cancel(*args, **kwargs):
        removed.extend(original(*args, **kwargs))
        # as POST /api/jobs/{id}/cancel/ from another request: committed at once (from this
        # thread's Django connection it would wait on the job's own transaction)
        jobs._execute(
            "UPDATE planning_job SET cancel_requested = true WHERE id = %s RETURNING id",
            [job["id"]],
        )
        return removed

    monkeypatch.setattr(replacing, "replace", replace_then_cancel)
    jobs.run_worker_until_idle()
    assert [entry["kind"] for entry in removed] == ["landuse"]  # removed, then rolled back
    assert Job.objects.get(pk=job["id"]).state == "cancelled"
    assert set(Layer.objects.filter(revision=copied_draft).values_list("pk", flat=True)) == before
    assert not AuditEvent.objects.filter(action__in=["layer.remove", "layer.import_cad"]).exists()


def test_a_job_replaces_and_its_result_says_what(planner, copied_draft, tmp_path):
    client = _client(planner)
    job = _start_job(client, copied_draft, plan_drawing(tmp_path / "p.dxf"))
    jobs.run_worker_until_idle()
    done = client.get(f"/api/jobs/{job['id']}/").json()
    assert done["state"] == "succeeded", done
    assert [e["kind"] for e in done["result"]["replaced_layers"]] == ["landuse"]
    assert [e["kind"] for e in done["report"]["replaced_layers"]] == ["landuse"]
    assert _kinds(copied_draft) == [("landuse", "DXF"), ("redlines", "")]
    new = Layer.objects.get(revision=copied_draft, kind="landuse")
    with translation.override("en"):  # the job's request was in English
        shown = replacing.describe([new])[0]["name"]
    assert shown != new.name  # stored in the site's language, shown in the reader's
    assert [entry["name"] for entry in done["result"]["layers"]] == [shown]


def test_replaced_lots_keep_their_published_ids_after_approval(
    planner, reviewer, copied_draft, tmp_path
):
    plan = copied_draft.based_on
    published = {
        f.attributes["code"]: f.pk
        for f in Feature.objects.filter(layer__revision=plan, layer__kind="landuse")
    }
    answer = _post(
        _client(planner), copied_draft, plan_drawing(tmp_path / "p.dxf"), replace_layers="true"
    )
    assert answer.status_code == 201, answer.content
    lots = Feature.objects.filter(layer__revision=copied_draft, layer__kind="landuse")
    assert not lots.filter(lineage__isnull=False).exists()  # fresh rows: no copies left
    unlabelled = lots.exclude(attributes__has_key="code").get()  # the drawing's sixth lot
    unlabelled.attributes = {**unlabelled.attributes, "code": "A1-06", "function": "CX"}
    unlabelled.save(update_fields=["attributes"])  # as the planner completes it before QA
    _approve(planner, reviewer, copied_draft)
    ids = {
        f.attributes.get("code"): f.lineage
        for f in lots.all()
        if f.attributes.get("code") in published
    }
    assert ids == published
    assert lots.get(pk=unlabelled.pk).lineage is None  # a new lot: a new id


def test_a_mapped_gis_file_replaces_too(planner, copied_draft, tmp_path):
    """The page sends TAB/MIF and shapefiles through the same job: the same option."""
    copied_lots = Layer.objects.get(revision=copied_draft, kind="landuse")
    x, y = lot_origin(0)
    lots = [shapely.box(x, y, x + LOT_W, y + LOT_H)]
    fields = {"code": ["A1-01"], "function": ["DO"], "name": ["A1-01"]}
    path = write_vector(tmp_path / "lots.gpkg", lots, fields, driver="GPKG")
    result = import_mapped_dataset(
        user=planner,
        revision=copied_draft,
        path=path,
        filename=path.name,
        mapping={"*": "landuse"},
        replace_layers=True,
    )
    assert [entry["id"] for entry in result.report["replaced_layers"]] == [copied_lots.pk]
    assert _kinds(copied_draft) == [("landuse", "GPKG"), ("redlines", "")]
    event = AuditEvent.objects.get(action="layer.import_replace", revision=copied_draft)
    assert [entry["id"] for entry in event.detail["replaced"]] == [copied_lots.pk]
    assert set(event.detail) >= {"layers", "file", "replaced"}  # as layer.import_cad has them


def _import(planner, revision, path, **options):
    return import_cad(
        user=planner,
        revision=revision,
        path=path,
        filename=path.name,
        mapping=MAPPING,
        crs="EPSG:9214",
        **options,
    )


def test_an_own_import_of_the_file_a_copy_came_from_is_not_a_copy(planner, reviewer, tmp_path):
    """The base revision and the draft both hold "p – lots" from p.dxf: only the layer "New
    revision" copied is "copied from revision 1"; the planner's own import of p.dxf is not,
    so the page does not tick "replace" for it (review finding: matched by name and file)."""
    base = make_plan(planner, reviewer, "own", [], approve=False)
    drawing = plan_drawing(tmp_path / "p.dxf")
    _import(planner, base, drawing)
    draft = CreateRevision(user=planner, project=base.project, based_on=base).execute()
    copy = Layer.objects.get(revision=draft, kind="landuse", source_name="p.dxf")
    own = _import(planner, draft, drawing).layers[0]
    assert (own.kind, own.name, own.source_name) == (copy.kind, copy.name, copy.source_name)
    described = {entry["id"]: entry["copied_from"] for entry in replacing.describe([copy, own])}
    assert described == {copy.pk: base.number, own.pk: None}


def test_a_layer_added_after_the_page_listed_is_kept(planner, copied_draft, tmp_path):
    """The page listed the copied lots (and red lines, of a kind this import does not load);
    a colleague's lots imported meanwhile are not among the ids sent: they stay, reported."""
    copied_lots = Layer.objects.get(revision=copied_draft, kind="landuse")
    copied_lines = Layer.objects.get(revision=copied_draft, kind="redlines")
    colleague = Layer.objects.create(
        revision=copied_draft, kind="landuse", name="Colleague", created_by=planner
    )
    client = _client(planner)
    shown = [copied_lots.pk, copied_lines.pk]
    job = _start_job(
        client, copied_draft, plan_drawing(tmp_path / "p.dxf"), replace_layer_ids=shown
    )
    jobs.run_worker_until_idle()
    done = client.get(f"/api/jobs/{job['id']}/").json()
    assert done["state"] == "succeeded", done
    assert [entry["id"] for entry in done["report"]["replaced_layers"]] == [copied_lots.pk]
    assert [entry["id"] for entry in done["report"]["same_kind_layers"]] == [colleague.pk]
    left = set(Layer.objects.filter(revision=copied_draft).values_list("pk", flat=True))
    assert {colleague.pk, copied_lines.pk} <= left
    assert copied_lots.pk not in left


def test_a_layer_another_draft_copied_can_still_be_removed(planner, reviewer):
    """Layer removal deletes in SQL: the database clears the copy's reference itself."""
    base = make_plan(planner, reviewer, "chain", [], approve=False)
    original = Layer.objects.get(revision=base)
    draft = CreateRevision(user=planner, project=base.project, based_on=base).execute()
    copy = Layer.objects.get(revision=draft)
    assert copy.copied_from_id == original.pk
    RemoveLayer(user=planner, layer=original).execute()  # commits: the check is not deferred
    copy.refresh_from_db()
    assert copy.copied_from_id is None
