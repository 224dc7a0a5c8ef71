"""PATCH /api/features/{id}/: a planner corrects the planning attributes of a draft's lot
(what QA found missing or out of range) instead of importing the drawing again. Only the
layer kind's schema attributes, checked as QA checks them, in a draft, by its planners;
audited; QA becomes outdated and the draft's envelopes are rebuilt from the new limits."""

from __future__ import annotations

import unicodedata

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import LineString
from rest_framework.test import APIClient

from planning import qa
from planning.actions import SubmitRevision
from planning.models import AuditEvent, Feature, Layer, Membership, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square

pytestmark = pytest.mark.django_db

ANONYMOUS = 401  # the API refuses writes from anonymous callers before any lookup (a challenge)


def api(user: User | None, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_authenticate(user)
    return client


def patch(user: User | None, feature: Feature, attributes: object, language: str = "en"):
    return api(user, language).patch(
        f"/api/features/{feature.pk}/", {"attributes": attributes}, format="json"
    )


def lot_of(revision: Revision) -> Feature:
    return Feature.objects.select_related("layer").get(layer__revision=revision)


@pytest.fixture
def unlabelled_draft(planner, reviewer) -> Revision:
    """A draft whose lot came without a function: QA's required-attribute error."""
    return make_plan(
        planner,
        reviewer,
        "unlabelled",
        [(square(HUE_X, HUE_Y + 600, 100), {"code": "C1", "cad_layer": "QH_LO"})],
        approve=False,
    )


def test_a_planner_fills_in_what_qa_found_missing(planner, unlabelled_draft):
    qa.run(unlabelled_draft)
    assert unlabelled_draft.findings.filter(rule="attributes.required").count() == 1
    lot = lot_of(unlabelled_draft)

    response = patch(planner, lot, {"function": "cx", "density": 40, "storeys_max": 3})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["properties"]["function"] == "CX"
    lot.refresh_from_db()
    assert lot.attributes == {
        "code": "C1",
        "cad_layer": "QH_LO",  # what the import recorded stays
        "function": "CX",  # a catalogue code as the CAD import stores it
        "density": 40,
        "storeys_max": 3,
    }
    assert lot.category == "CX"  # the catalogue code the function names
    unlabelled_draft.refresh_from_db()
    assert qa.status_of(unlabelled_draft) == qa.OUTDATED
    qa.run(unlabelled_draft)
    assert not unlabelled_draft.findings.filter(rule__startswith="attributes.").exists()


def test_the_edit_is_audited_with_the_values_before_and_after(planner, draft_plan):
    lot = lot_of(draft_plan)

    assert patch(planner, lot, {"function": "CX", "far": 2.5}).status_code == 200

    event = AuditEvent.objects.get(action="feature.edit_attributes")
    assert (event.actor, event.revision_id, event.project_id) == (
        planner,
        draft_plan.pk,
        draft_plan.project_id,
    )
    assert event.detail["feature"] == lot.pk
    assert event.detail["changes"] == {"function": ["GD", "CX"], "far": [None, 2.5]}


def test_text_is_stored_as_nfc_with_its_spaces_tidied(planner, draft_plan):
    lot = lot_of(draft_plan)
    decomposed = unicodedata.normalize("NFD", "  Khu phức hợp   Ánh Dương ")

    assert patch(planner, lot, {"function": decomposed}).status_code == 200

    lot.refresh_from_db()
    assert lot.attributes["function"] == "Khu phức hợp Ánh Dương"
    assert unicodedata.is_normalized("NFC", lot.attributes["function"])


def test_a_catalogue_name_is_stored_as_its_code(planner, draft_plan):
    lot = lot_of(draft_plan)
    Feature.objects.filter(pk=lot.pk).update(
        attributes={"code": "B1", "function": "GD", "function_label": "Đất giáo dục"}
    )

    assert patch(planner, lot, {"function": "Đất ở mới"}).status_code == 200

    lot.refresh_from_db()
    assert lot.attributes["function"] == lot.category == "DO"  # the catalogue name's code
    assert "function_label" not in lot.attributes  # the drawing's words for the old one


def test_a_value_outside_the_catalogue_becomes_the_category_in_capitals(planner, draft_plan):
    lot = lot_of(draft_plan)

    assert patch(planner, lot, {"function": "xyz-1"}).status_code == 200

    lot.refresh_from_db()
    assert lot.category == "XYZ-1"


def test_null_or_empty_clears_an_optional_attribute(planner, draft_plan):
    lot = lot_of(draft_plan)
    assert patch(planner, lot, {"density": 50, "area": 1000.5}).status_code == 200

    assert patch(planner, lot, {"density": None, "area": ""}).status_code == 200

    lot.refresh_from_db()
    assert "density" not in lot.attributes
    assert "area" not in lot.attributes
    assert lot.attributes["code"] == "B1"


@pytest.mark.parametrize(
    ("attributes", "field", "words"),
    [
        ({"density": 120}, "density", "0 to 100"),
        ({"density": "60"}, "density", "enter a number"),
        ({"density": True}, "density", "enter a number"),
        ({"far": 0}, "far", "over 0"),
        ({"storeys_max": 2.5}, "storeys_max", "whole number"),
        ({"storeys_min": 5, "storeys_max": 3}, "storeys_min", "more than"),
        ({"function": None}, "function", "required"),
        ({"code": ""}, "code", "required"),
        ({"function": 12}, "function", "enter text"),
        ({"function": "x" * 501}, "function", "at most 500"),
        ({"function": "A\u0000B"}, "function", "control characters"),
        ({"code": "A\u2028B"}, "code", "control characters"),
        ({"area": 10**400}, "area", "from 0 to"),
        ({"storeys_max": 10**400}, "storeys_max", "whole number"),
        ({"height_max": 1e300}, "height_max", "from 0 to 1,000"),
    ],
)
def test_a_refused_value_names_its_attribute_and_changes_nothing(
    planner, draft_plan, attributes, field, words
):
    lot = lot_of(draft_plan)
    before = dict(lot.attributes)

    response = patch(planner, lot, attributes)

    assert response.status_code == 400, response.content
    assert response.json()["attribute"] == field
    assert words in response.json()["detail"]
    lot.refresh_from_db()
    assert lot.attributes == before
    assert not AuditEvent.objects.filter(action="feature.edit_attributes").exists()


@pytest.mark.parametrize("attributes", [{"cad_layer": "X"}, {"geom": "POINT(0 0)"}, {}, [], None])
def test_only_the_kinds_schema_attributes_are_edited(planner, draft_plan, attributes):
    lot = lot_of(draft_plan)

    response = patch(planner, lot, attributes)

    assert response.status_code == 400, response.content
    lot.refresh_from_db()
    assert lot.attributes == {"code": "B1", "function": "GD"}


def test_the_refusal_speaks_vietnamese(planner, draft_plan):
    response = patch(planner, lot_of(draft_plan), {"density": 120}, language="vi")

    assert response.status_code == 400
    assert response.json()["detail"] == "Mật độ xây dựng (%): nhập giá trị từ 0 đến 100."


def test_who_cannot_see_the_draft_is_told_it_does_not_exist(
    planner, reviewer, outsider, draft_plan, unlabelled_draft
):
    lot = lot_of(draft_plan)
    other_planner = User.objects.create_user("planner_b")
    Membership.objects.create(
        project=unlabelled_draft.project, user=other_planner, role=Membership.Role.PLANNER
    )

    assert patch(None, lot, {"function": "CX"}).status_code == ANONYMOUS
    assert patch(outsider, lot, {"function": "CX"}).status_code == 404
    assert patch(reviewer, lot, {"function": "CX"}).status_code == 404  # drafts are the planners'
    assert patch(other_planner, lot, {"function": "CX"}).status_code == 404  # another project's
    lot.refresh_from_db()
    assert lot.attributes["function"] == "GD"


def test_a_submitted_revision_is_frozen(planner, reviewer, draft_plan):
    SubmitRevision(user=planner, revision=draft_plan).execute()
    lot = lot_of(draft_plan)

    assert patch(planner, lot, {"function": "CX"}).status_code == 409
    assert patch(reviewer, lot, {"function": "CX"}).status_code == 403
    lot.refresh_from_db()
    assert lot.attributes["function"] == "GD"


def test_a_lot_in_force_is_not_edited_through_its_public_id(planner, plan_in_force):
    lot = lot_of_code(plan_in_force, "A1")

    response = patch(planner, lot, {"function": "CX"})

    assert response.status_code == 409
    lot.refresh_from_db()
    assert lot.attributes["function"] == "DO"


def lot_of_code(revision: Revision, code: str) -> Feature:
    return Feature.objects.get(layer__revision=revision, attributes__code=code)


def test_buildings_keep_the_heights_their_solids_were_made_from(planner, draft_plan):
    layer = Layer.objects.create(
        revision=draft_plan, kind="buildings", name="Nhà", created_by=planner, feature_count=1
    )
    building = Feature.objects.create(
        layer=layer, geom=square(HUE_X + 10, HUE_Y + 310, 20), attributes={"storeys": 3}
    )

    response = patch(planner, building, {"storeys": 5})

    assert response.status_code == 409
    building.refresh_from_db()
    assert building.attributes == {"storeys": 3}


def test_a_new_height_limit_drops_the_drafts_envelopes_for_a_rebuild(planner, draft_plan):
    from threed.envelopes import build_envelopes
    from threed.models import Envelope

    lot = lot_of(draft_plan)
    assert patch(planner, lot, {"height_max": 12}).status_code == 200
    assert build_envelopes(draft_plan) == 1

    assert Envelope.objects.get(revision=draft_plan).code == "B1"

    assert patch(planner, lot, {"code": "B1a", "height_max": 20}).status_code == 200
    assert not Envelope.objects.filter(revision=draft_plan).exists()
    assert build_envelopes(draft_plan) == 1
    envelope = Envelope.objects.get(revision=draft_plan)
    assert (envelope.code, envelope.height_max) == ("B1a", 20)

    assert patch(planner, lot, {"density": 30}).status_code == 200  # the envelope records it
    assert not Envelope.objects.filter(revision=draft_plan).exists()


def test_infinity_nan_and_lone_surrogates_are_refused(planner, draft_plan):
    """JSON a client may send that Python reads but PostgreSQL's jsonb cannot store."""
    lot = lot_of(draft_plan)
    bodies = (
        '{"attributes": {"area": Infinity}}',
        '{"attributes": {"area": NaN}}',
        '{"attributes": {"code": "A\\ud800"}}',
    )
    for body in bodies:
        response = api(planner).patch(
            f"/api/features/{lot.pk}/", body, content_type="application/json"
        )
        assert response.status_code == 400, body
    lot.refresh_from_db()
    assert lot.attributes == {"code": "B1", "function": "GD"}


def test_a_long_list_of_unknown_names_is_not_echoed_whole(planner, draft_plan):
    names = {f"bogus_{i:04d}": 1 for i in range(1000)}

    response = patch(planner, lot_of(draft_plan), names)

    assert response.status_code == 400
    assert "bogus_0004" in response.json()["detail"]
    assert "bogus_0005" not in response.json()["detail"]
    assert len(response.json()["detail"]) < 300


def test_a_spelling_of_the_source_is_replaced_under_the_schemas_name(planner, draft_plan):
    lot = lot_of(draft_plan)
    Feature.objects.filter(pk=lot.pk).update(
        attributes={"CODE": "G2", "FUNCTION": "DO", "DENSITY": 40.0, "function_label": "Đất ở"},
        category="DO",
    )

    assert patch(planner, lot, {"function": "CX", "density": 60}).status_code == 200

    lot.refresh_from_db()
    assert lot.attributes == {"CODE": "G2", "function": "CX", "density": 60}
    assert lot.category == "CX"
    event = AuditEvent.objects.get(action="feature.edit_attributes")
    assert event.detail["changes"] == {"function": ["DO", "CX"], "density": [40.0, 60]}


def test_a_category_the_import_took_from_another_field_stays(planner, draft_plan):
    """MDSD held the catalogue codes, FUNCTION names (layer_kinds.category_field)."""
    lot = lot_of(draft_plan)
    Feature.objects.filter(pk=lot.pk).update(
        attributes={"code": "G1", "MDSD": "ODT"}, category="ODT"
    )

    assert patch(planner, lot, {"function": "nhà ở liên kế"}).status_code == 200

    lot.refresh_from_db()
    assert lot.category == "ODT"
    assert lot.attributes["function"] == "nhà ở liên kế"


def test_a_value_changed_meanwhile_refuses_the_save(planner, draft_plan):
    lot = lot_of(draft_plan)
    assert patch(planner, lot, {"function": "CX"}).status_code == 200  # another planner

    response = api(planner).patch(
        f"/api/features/{lot.pk}/",
        {"attributes": {"function": "DO"}, "expected": {"function": "GD"}},
        format="json",
    )

    assert response.status_code == 409
    assert "changed meanwhile" in response.json()["detail"]
    lot.refresh_from_db()
    assert lot.attributes["function"] == "CX"
    shown = {"attributes": {"function": "DO"}, "expected": {"function": "CX"}}
    assert api(planner).patch(f"/api/features/{lot.pk}/", shown, format="json").status_code == 200


def test_storeys_out_of_order_name_the_field_that_changed(planner, draft_plan):
    lot = lot_of(draft_plan)
    Feature.objects.filter(pk=lot.pk).update(
        attributes={"code": "B1", "function": "GD", "storeys_min": "5"}
    )

    response = patch(planner, lot, {"storeys_max": 3})  # text "5" is read as QA reads it

    assert response.status_code == 400
    assert response.json()["attribute"] == "storeys_max"


def test_editing_a_red_line_drops_the_envelopes_its_type_shaped(planner, draft_plan):
    from threed.envelopes import build_envelopes
    from threed.models import Envelope

    lot = lot_of(draft_plan)
    assert patch(planner, lot, {"height_max": 12}).status_code == 200
    build_envelopes(draft_plan)
    layer = Layer.objects.create(
        revision=draft_plan, kind="redlines", name="Chỉ giới", created_by=planner, feature_count=1
    )
    line = Feature.objects.create(
        layer=layer,
        geom=LineString((HUE_X, HUE_Y + 300), (HUE_X + 100, HUE_Y + 300)),
        attributes={},
    )
    build_envelopes(draft_plan)
    assert Envelope.objects.filter(revision=draft_plan).exists()

    assert patch(planner, line, {"type": "chỉ giới xây dựng"}).status_code == 200

    assert not Envelope.objects.filter(revision=draft_plan).exists()
