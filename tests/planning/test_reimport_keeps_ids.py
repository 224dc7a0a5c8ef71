"""A layer deleted and imported again keeps the public ids of the features it continues.

The CAD workflow re-imports the whole plan: an amendment's copied layers are removed and
the drawing is imported anew, so no feature is a copy. At approval each one continues the
feature of the plan in force it replaces (planning.lineage): a lot the lot of the same
code, anything else the feature with an equal geometry. WFS and OGC API clients keep
finding the lots under the ids they saved; a new lot starts a new id.
"""

from __future__ import annotations

import json

import pytest
import shapely
from django.contrib.gis.geos import LineString

from importers.service import import_upload
from planning import lineage
from planning.actions import ApproveRevision, RequestChanges, SubmitRevision
from planning.models import Feature, Layer, Revision
from planning.revision_edits import RemoveLayer
from tests.conftest import HUE_X, HUE_Y, declare_lot_schema, make_plan, square
from tests.files import write_vector
from tests.planning.test_stable_feature_ids import (
    _answer,
    _approve,
    _found_by_id,
    _get,
    _gml_ids,
    _wfs,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalogue", "private_tile_cache"),
]


def _lot(code: str, column: int, size: float = 100, **attributes: str) -> tuple:
    attrs = {"code": code, "function": "DO", "name": f"Lô {code}", **attributes}
    return square(HUE_X + 100 * column, HUE_Y, size), attrs


IN_FORCE = [_lot("A1", 0), _lot("A2", 1, function="CX"), _lot("A3", 2)]
# A1 unchanged, A2's function changed, A3 dropped, A4 new (a trailing blank on A1's code,
# as CAD text often has: codes are compared trimmed).
AMENDED = [_lot("A1 ", 0), _lot("A2", 1, function="TMD"), _lot("A4", 4)]
RED_LINES = [
    LineString((HUE_X, HUE_Y - 10), (HUE_X + 300, HUE_Y - 10)),
    LineString((HUE_X, HUE_Y + 110), (HUE_X + 300, HUE_Y + 110)),
]


def _plan(planner, reviewer, code: str, lots: list[tuple], lines=()) -> Revision:
    """A plan in force: its lots, and red lines when given."""
    draft = make_plan(planner, reviewer, code, lots, approve=False)
    if lines:
        layer = Layer.objects.create(
            revision=draft, kind="redlines", name="Red lines", created_by=planner
        )
        Feature.objects.bulk_create(Feature(layer=layer, geom=line) for line in lines)
        Layer.objects.filter(pk=layer.pk).update(feature_count=len(lines))
    return _approve(planner, reviewer, declare_lot_schema(draft))


def _reimport(planner, plan: Revision, tmp_path, lots: list[tuple], lines=()) -> Revision:
    """An amendment of `plan` whose copied layers are removed and imported again."""
    draft = _answer(planner, plan)
    for layer in Layer.objects.filter(revision=draft):
        RemoveLayer(user=planner, layer=layer).execute()
    _import_lots(planner, draft, tmp_path, lots)
    if lines:
        _import_lines(planner, draft, tmp_path / "lines.gpkg", lines)
    assert not Feature.objects.filter(layer__revision=draft, lineage__isnull=False).exists()
    return draft


def _import_lots(planner, draft: Revision, tmp_path, lots: list[tuple]) -> None:
    polygons = [shapely.from_wkt(geom.wkt) for geom, _ in lots]
    fields = {key: [attrs[key] for _, attrs in lots] for key in ("code", "function", "name")}
    path = write_vector(tmp_path / "lots.gpkg", polygons, fields, driver="GPKG")
    _import(planner, draft, path, "landuse")


def _import_lines(planner, draft: Revision, path, lines) -> None:
    shapes = [shapely.from_wkt(line.wkt) for line in lines]
    write_vector(path, shapes, {"type": ["red"] * len(lines)}, driver="GPKG")
    _import(planner, draft, path, "redlines")


def _import(planner, draft: Revision, path, kind: str) -> None:
    import_upload(user=planner, revision=draft, path=path, filename=path.name, kind=kind, name=kind)


def _ogc_ids(base: str, collection: str = "landuse") -> dict[str, list]:
    """OGC API item ids in force, by lot code (by "" for features without one)."""
    items = json.loads(_get(f"{base}/ogcapi/collections/{collection}/items"))["features"]
    ids: dict[str, list] = {}
    for item in items:
        ids.setdefault(item["properties"].get("code", ""), []).append(item["id"])
    return ids


def _wfs_ids(base: str) -> dict[str, list[int]]:
    """WFS gml:id numbers in force, by lot code (trimmed)."""
    by_code = _gml_ids(_wfs(base, TYPENAMES="landuse"))
    return {
        code.strip(): [int(i.removeprefix("landuse.")) for i in ids]
        for code, ids in by_code.items()
    }


def _row_ids(revision: Revision) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {}
    for feature in Feature.objects.filter(layer__revision=revision, layer__kind="landuse"):
        ids.setdefault(feature.attributes["code"].strip(), []).append(feature.pk)
    return {code: sorted(pks) for code, pks in ids.items()}


def _line_ids(revision: Revision) -> set[int]:
    return set(
        Feature.objects.filter(layer__revision=revision, layer__kind="redlines").values_list(
            "pk", flat=True
        )
    )


def test_reimported_lots_and_red_lines_keep_their_ids(live_server, planner, reviewer, tmp_path):
    base = live_server.url
    first = _plan(planner, reviewer, "reimport", IN_FORCE, RED_LINES)
    old = _row_ids(first)
    old_lines = _line_ids(first)
    assert _wfs_ids(base) == old
    # The second red line comes back drawn the other way: the same line (ST_Equals).
    lines = [RED_LINES[0], LineString(*reversed(RED_LINES[1].coords))]
    amended = _approve(planner, reviewer, _reimport(planner, first, tmp_path, AMENDED, lines))

    new = _row_ids(amended)
    expected = {"A1": old["A1"], "A2": old["A2"], "A4": new["A4"]}
    assert _wfs_ids(base) == expected
    assert _ogc_ids(base) == {"A1 ": old["A1"], "A2": old["A2"], "A4": new["A4"]}
    assert new["A4"][0] not in {pk for pks in old.values() for pk in pks}
    for code in ("A1", "A2"):
        found = _found_by_id(base, old[code][0])
        assert {key: str(value).strip() for key, value in found.items()} == {
            "ogcapi": code,
            "api": code,
            "wfs resourceid": code,
            "wfs by id": code,
        }
    dropped = _found_by_id(base, old["A3"][0])
    assert (dropped["ogcapi"], dropped["wfs by id"]) == (404, 404)
    assert set(_ogc_ids(base, "redlines")[""]) == old_lines
    assert not _line_ids(amended) & old_lines  # new rows, published under the old ids


def test_a_reimport_in_a_sent_back_revision_keeps_its_ids_once_answered(
    live_server, planner, reviewer, tmp_path
):
    """The re-imported lots are copied, unpublished, into the answer to a change request:
    the answer's approval links them to the plan in force."""
    first = _plan(planner, reviewer, "sentback", IN_FORCE)
    old = _row_ids(first)
    draft = _reimport(planner, first, tmp_path, AMENDED)
    SubmitRevision(user=planner, revision=draft).execute()
    RequestChanges(user=reviewer, revision=draft, note="Sửa lại").execute()
    answer = _approve(planner, reviewer, _answer(planner, draft))
    assert _wfs_ids(live_server.url) == {
        "A1": old["A1"],
        "A2": old["A2"],
        "A4": _row_ids(answer)["A4"],
    }


def test_duplicate_codes_are_not_linked_by_code(live_server, planner, reviewer, tmp_path):
    """B1 names two lots on each side and C1 two lots of the amendment: no code decides.
    The lot that kept its geometry keeps its id (equal geometry); the moved ones start new
    ids, never their namesake's. D1 replaces the dropped D0 on its very place: a new code
    is a new lot."""
    lots = [_lot("A1", 0), _lot("B1", 1), _lot("B1", 2), _lot("C1", 3), _lot("D0", 4)]
    first = _plan(planner, reviewer, "duplicates", lots)
    old = _row_ids(first)
    amended_lots = [
        _lot("A1", 0),
        _lot("B1", 1),  # unchanged
        _lot("B1", 2, size=90),  # redrawn
        _lot("C1", 3, size=90),  # redrawn
        _lot("C1", 6),  # a second C1
        _lot("D1", 4),  # recoded in place
    ]
    amended = _approve(planner, reviewer, _reimport(planner, first, tmp_path, amended_lots))
    new = _row_ids(amended)
    unchanged_b1, redrawn_b1 = (Feature.objects.get(pk=pk) for pk in new["B1"])
    assert unchanged_b1.lineage == old["B1"][0]
    assert redrawn_b1.lineage is None
    assert {f.lineage for f in Feature.objects.filter(pk__in=new["C1"])} == {None}
    assert sorted(_wfs_ids(live_server.url)["B1"]) == sorted([old["B1"][0], redrawn_b1.pk])
    assert _wfs_ids(live_server.url)["C1"] == new["C1"]
    assert _wfs_ids(live_server.url)["D1"] == new["D1"]
    assert _wfs_ids(live_server.url)["A1"] == old["A1"]


def test_a_lot_of_another_project_with_the_same_code_is_never_linked(
    live_server, planner, reviewer, tmp_path
):
    """Z9 is in force in another project; the amendment brings a lot Z9 of its own, and
    even a link asked against the other project's plan takes nothing from it."""
    other = _plan(
        planner,
        reviewer,
        "neighbour",
        [(square(HUE_X, HUE_Y + 500, 100), {"code": "Z9", "function": "DO", "name": "Lô Z9"})],
    )
    theirs = _row_ids(other)["Z9"]
    first = _plan(planner, reviewer, "ours", IN_FORCE)
    old = _row_ids(first)
    draft = _reimport(planner, first, tmp_path, [*AMENDED, _lot("Z9", 5)])
    assert lineage.link_continued_features(draft, replaced=[other.pk]) == 0
    amended = _approve(planner, reviewer, draft)
    ours = _row_ids(amended)["Z9"]
    assert Feature.objects.get(pk=ours[0]).lineage is None
    ids = _wfs_ids(live_server.url)
    assert sorted(ids["Z9"]) == sorted([*theirs, *ours])
    assert ids["A1"] == old["A1"]


def test_copies_keep_their_ids_and_a_second_import_of_them_takes_none(
    live_server, planner, reviewer, tmp_path
):
    """The amendment re-imports its lots but keeps its copied red lines, moving one, and
    imports the red lines once more as another layer. The copies keep their lineage; the
    imported lines take none: the moved copy already carries the id of the line equal to
    the first, and the second is equal to a copy too."""
    first = _plan(planner, reviewer, "copies", IN_FORCE, RED_LINES)
    old = _row_ids(first)
    draft = _answer(planner, first)
    RemoveLayer(user=planner, layer=Layer.objects.get(revision=draft, kind="landuse")).execute()
    _import_lots(planner, draft, tmp_path, IN_FORCE)
    copied_layer = Layer.objects.get(revision=draft, kind="redlines")
    moved = Feature.objects.filter(layer=copied_layer).order_by("pk").first()
    moved.geom = LineString((HUE_X, HUE_Y - 15), (HUE_X + 300, HUE_Y - 15))
    moved.save()
    copies = dict(Feature.objects.filter(layer=copied_layer).values_list("pk", "lineage"))
    _import_lines(planner, draft, tmp_path / "again.gpkg", RED_LINES)
    amended = _approve(planner, reviewer, draft)

    assert dict(Feature.objects.filter(pk__in=copies).values_list("pk", "lineage")) == copies
    again = Feature.objects.filter(layer__revision=amended, layer__kind="redlines").exclude(
        pk__in=copies
    )
    assert [f.lineage for f in again] == [None, None]
    assert _wfs_ids(live_server.url) == old
    line_ids = _ogc_ids(live_server.url, "redlines")[""]
    assert sorted(line_ids) == sorted([*copies.values(), *(f.pk for f in again)])


def test_a_lot_another_project_superseded_comes_back_under_a_new_id(
    live_server, planner, reviewer, tmp_path
):
    """Another project's approval superseded A3; the re-import brings it back. It left
    force (a copy would have skipped it), so it returns as a new lot, with a new id."""
    first = _plan(planner, reviewer, "ours", IN_FORCE)
    old = _row_ids(first)
    make_plan(
        planner,
        reviewer,
        "taker",
        [(IN_FORCE[2][0], {"code": "T1", "function": "DO"})],
        approve=True,
    )
    draft = _reimport(planner, first, tmp_path, IN_FORCE)
    SubmitRevision(user=planner, revision=draft).execute()
    ApproveRevision(
        user=reviewer, revision=draft, decision_number="3/QĐ-UBND", supersede_overlaps=True
    ).execute()
    new = _row_ids(draft)
    assert _wfs_ids(live_server.url) == {"A1": old["A1"], "A2": old["A2"], "A3": new["A3"]}
