"""What the QA findings say to a planner (QA walk in Vietnamese and English).

"poly – Lô đất…: lô #141 thiếu code." named the attribute by its key and the lot by its
database id, which nobody can look up. The findings now name attributes by their labels
("Ký hiệu lô"), a lot without a code by its place in the source file (a GIS feature number,
a drawing entity's handle) and carry the lot's geometry for the map; the stored parameters
keep the key and "#<id>". A plan without any boundary gets a warning saying which checks
could not run, and a generated layer name shows its kind label in the reader's language.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from planning import qa
from planning.models import Feature, Layer, Project
from planning.qa import lots
from tests.conftest import HUE_X, HUE_Y, make_plan, square

pytestmark = pytest.mark.django_db

VI_LAYER = (
    "poly – Lô đất và khu chức năng sử dụng đất"  # as an import from the Vietnamese UI names it
)
LOT = {"code": "A1", "function": "ODT"}


@pytest.fixture
def draft(planner, reviewer):
    """A draft whose project boundary holds its one complete lot."""
    revision = make_plan(planner, reviewer, "wording", [(square(HUE_X, HUE_Y, 50), dict(LOT))],
                         approve=False)  # fmt: skip
    Layer.objects.filter(revision=revision).update(name=VI_LAYER)
    return revision


def add_lot(revision, x: float, attributes: dict, source_ref: str) -> Feature:
    return Feature.objects.create(
        layer=Layer.objects.get(revision=revision),
        geom=square(HUE_X + x, HUE_Y, 40),
        attributes=attributes,
        category=attributes.get("function", ""),
        source_ref=source_ref,
    )


def messages(revision, rule: str, language: str) -> list[str]:
    qa.run(revision)
    with translation.override(language):
        return [qa.message_of(f) for f in revision.findings.filter(rule=rule).order_by("id")]


def test_a_lot_without_code_is_named_by_its_feature_number_and_the_attribute_by_its_label(draft):
    lot = add_lot(draft, 60, {"function": "ODT"}, "lots.shp#lots:12")
    [vi] = messages(draft, "attributes.required", "vi")
    [en] = messages(draft, "attributes.required", "en")
    assert vi == f"{VI_LAYER}: lô số 12 trong lots.shp thiếu “Ký hiệu lô”."
    assert en == ("poly – Land-use lots and zones: lot no. 12 in lots.shp has no “Lot code”.")
    assert f"#{lot.pk}" not in vi + en
    finding = draft.findings.get(rule="attributes.required")
    # Stored as before (the key, "#<id>"), plus the source reference; located on the lot.
    assert finding.params["attribute"] == "code"
    assert finding.params["code"] == f"#{lot.pk}"
    assert finding.params["code_source"] == "lots.shp#lots:12"
    assert finding.feature_id == lot.pk
    assert finding.geom is not None
    assert finding.geom.equals(lot.geom)


def test_a_lot_from_a_drawing_is_named_by_its_handle_and_a_coded_lot_by_its_code(draft):
    add_lot(draft, 60, {"code": "B7"}, "plan.dxf#1A2F")  # no function
    add_lot(draft, 110, {}, "plan.dxf#2B")
    found = messages(draft, "attributes.required", "vi")
    assert f"{VI_LAYER}: lô B7 thiếu “Chức năng sử dụng đất”." in found
    assert f"{VI_LAYER}: lô có handle 2B trong plan.dxf thiếu “Ký hiệu lô”." in found
    assert not any(re.search(r"#\d", message) for message in found)


def test_a_lot_without_code_nor_source_is_pointed_to_on_the_map(draft):
    add_lot(draft, 60, {"function": "ODT"}, "")
    [en] = messages(draft, "attributes.required", "en")
    assert "lot without a code (see the map) has no “Lot code”" in en
    assert draft.findings.get(rule="attributes.required").geom is not None


def test_range_findings_name_the_attribute_by_its_label(draft):
    add_lot(draft, 60, {**LOT, "code": "A2", "density": 120}, "lots.shp#lots:3")
    [vi] = messages(draft, "attributes.range", "vi")
    assert "lô A2 có Mật độ xây dựng (%) = 120" in vi


@pytest.mark.parametrize(
    ("attributes", "en", "vi"),
    [
        ({"far": 0}, "Land-use coefficient (FAR) = 0; allowed: more than 0, at most 100.",
         "Hệ số sử dụng đất = 0; cho phép: lớn hơn 0, tối đa 100."),
        ({"density": 120.5}, "Building density (%) = 120.5; allowed: 0–100.",
         "Mật độ xây dựng (%) = 120,5; cho phép: 0–100."),
    ],
)  # fmt: skip
def test_range_findings_say_what_is_allowed(draft, attributes, en, vi):
    """A FAR of 0 read "outside 0.0–100.0", storeys upside down "outside –" (QA walk)."""
    add_lot(draft, 60, {**LOT, "code": "A2", **attributes}, "lots.shp#lots:3")
    [english] = messages(draft, "attributes.range", "en")
    [vietnamese] = messages(draft, "attributes.range", "vi")
    assert english.endswith(en)
    assert vietnamese.endswith(vi)


def test_overlapping_lots_without_codes_are_named_by_their_source(draft):
    add_lot(draft, 20, {"function": "ODT"}, "lots.shp#lots:4")  # overlaps A1 by 30 × 40 m
    [en] = messages(draft, "topology.overlap", "en")
    assert en == "Overlap of 1,200.0 m² between lot A1 and the lot no. 4 in lots.shp."


# --- several lots in one message ("Các lô B3-01 và có handle 3B", QA walk) ----------------


def test_two_coded_lots_share_one_noun(draft):
    add_lot(draft, 20, {"code": "A2", "function": "ODT"}, "lots.shp#lots:4")
    assert messages(draft, "topology.overlap", "en") == [
        "Overlap of 1,200.0 m² between lots A1 and A2."
    ]
    assert messages(draft, "topology.overlap", "vi") == ["Chồng lấn 1.200,0 m² giữa lô A1 và A2."]


def test_a_coded_lot_and_a_lot_known_by_its_handle_are_each_a_lot(draft):
    add_lot(draft, 20, {"function": "ODT"}, "plan.dxf#3B")
    assert messages(draft, "topology.overlap", "en") == [
        "Overlap of 1,200.0 m² between lot A1 and the lot with handle 3B in plan.dxf."
    ]
    assert messages(draft, "topology.overlap", "vi") == [
        "Chồng lấn 1.200,0 m² giữa lô A1 và lô có handle 3B trong plan.dxf."
    ]


def test_two_lots_known_by_their_handles(draft):
    add_lot(draft, 200, {"function": "ODT"}, "plan.dxf#3A")  # far from A1
    add_lot(draft, 220, {"function": "ODT"}, "plan.dxf#3B")  # overlaps 3A by 20 × 40 m
    assert messages(draft, "topology.overlap", "en") == [
        "Overlap of 800.0 m² between the lot with handle 3A in plan.dxf "
        "and the lot with handle 3B in plan.dxf."
    ]
    assert messages(draft, "topology.overlap", "vi") == [
        "Chồng lấn 800,0 m² giữa lô có handle 3A trong plan.dxf và lô có handle 3B trong plan.dxf."
    ]


@pytest.mark.parametrize(
    ("language", "codes", "mixed"),
    [
        (
            "en",
            "lots A1, A2 and A3",
            "lots A1, A2, the lot with handle 3B in plan.dxf and the lot no. 4 in lots.shp",
        ),
        (
            "vi",
            "lô A1, A2 và A3",
            "lô A1, A2, lô có handle 3B trong plan.dxf và lô số 4 trong lots.shp",
        ),
    ],
)
def test_many_lots_make_one_list(language, codes, mixed):
    three = {"a": "A1", "b": "A2", "c": "A3"}
    four = {
        "a": "A1",
        "b": "#7",
        "b_source": "plan.dxf#3B",
        "c": "A2",
        "d": "#8",
        "d_source": "lots.shp#lots:4",
    }
    with translation.override(language):
        assert lots.listed(three, "a", "b", "c") == codes
        assert lots.listed(four, "a", "b", "c", "d") == mixed
        assert lots.listed({"a": "A1"}, "a", "b") == ("lot A1" if language == "en" else "lô A1")


def test_stored_overlaps_of_before_still_render(draft):
    """An overlap stored with the parameters of before (a, b) reads in the new wording."""
    qa.run(draft)
    finding = draft.findings.create(
        rule="topology.overlap", severity="error", params={"a": "A1", "b": "A2", "area": 12.5}
    )
    with translation.override("en"):
        assert qa.message_of(finding) == "Overlap of 12.5 m² between lots A1 and A2."


def test_stored_findings_of_before_still_render(draft):
    """Findings stored before the source references (no "code_source") keep rendering."""
    qa.run(draft)
    draft.findings.create(
        rule="attributes.required",
        severity="error",
        params={"layer": "Lots", "code": "#141", "attribute": "function"},
    )
    finding = draft.findings.get(params__code="#141")
    with translation.override("en"):
        assert qa.message_of(finding) == (
            "Lots: lot without a code (see the map) has no “Land-use function”."
        )


# --- a plan without boundary ------------------------------------------------------------


def boundary_findings(revision) -> list[str]:
    qa.run(revision)
    with translation.override("en"):
        return [qa.message_of(f) for f in revision.findings.filter(rule="boundary.missing")]


def test_lots_without_any_boundary_get_a_warning_naming_the_checks_that_could_not_run(draft):
    Project.objects.filter(pk=draft.project_id).update(boundary=None)
    [message] = boundary_findings(draft)
    assert message.startswith("The plan has no boundary")
    for check in ("outside", "gaps", "balance"):
        assert check in message
    finding = draft.findings.get(rule="boundary.missing")
    assert finding.severity == "warning"  # not blocking: the rules do not require a boundary
    with translation.override("vi"):
        assert qa.message_of(finding).startswith("Quy hoạch chưa có ranh giới")


def test_a_boundary_layer_or_the_projects_boundary_is_enough(draft, planner):
    assert boundary_findings(draft) == []  # the project's boundary
    Project.objects.filter(pk=draft.project_id).update(boundary=None)
    layer = Layer.objects.create(
        revision=draft, kind="boundary", name="Ranh giới", created_by=planner
    )
    Feature.objects.create(layer=layer, geom=square(HUE_X - 10, HUE_Y - 10, 300))
    assert boundary_findings(draft) == []


def test_an_empty_draft_has_nothing_to_check_against_a_boundary(draft):
    Project.objects.filter(pk=draft.project_id).update(boundary=None)
    Feature.objects.filter(layer__revision=draft).delete()
    assert boundary_findings(draft) == []


def test_storeys_upside_down_read_as_a_sentence(draft):
    """ "Tầng cao tối thiểu > Tầng cao tối đa = 5 > 2" read garbled (QA walk)."""
    add_lot(draft, 60, {**LOT, "code": "A2", "storeys_min": 5, "STOREYS_MAX": 2.0}, "")
    [english] = messages(draft, "attributes.storeys", "en")
    [vietnamese] = messages(draft, "attributes.storeys", "vi")
    assert english.endswith("lot A2 allows at least 5 storeys but at most 2.")
    assert vietnamese.endswith("lô A2 cho phép tầng cao tối thiểu 5 nhưng tối đa chỉ 2.")


def test_a_feature_over_the_boundary_is_named(draft):
    """QA walk: "80.0 m² of a feature in … lie outside" named no lot."""
    add_lot(draft, 1980, {**LOT, "code": "A9"}, "lots.shp#lots:9")  # 20 m over the edge
    houses = Layer.objects.create(
        revision=draft, kind="buildings", name="Houses", created_by=draft.project.created_by
    )
    Feature.objects.create(
        layer=houses, geom=square(HUE_X + 1995, HUE_Y + 100, 10), source_ref="plan.dxf#2C"
    )
    found = messages(draft, "topology.outside", "en")
    assert "800.0 m² of lot A9 in poly – Land-use lots and zones lie outside the plan" in found[0]
    assert "50.0 m² of the feature with handle 2C in plan.dxf in Houses lie outside" in found[1]
