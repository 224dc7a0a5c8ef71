"""XYZ and WMTS tiles from the generation-keyed cache, through real clients."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from owslib.wmts import WebMapTileService

from planning.actions import ApproveRevision, CreateRevision, SubmitRevision
from planning.layer_kinds import KINDS
from planning.models import Feature, Layer
from tests.conftest import HUE_X, HUE_Y, square
from tests.tiles.helpers import DO, GD, colours, fetch, png, rgb_at, to_3857, xyz_tile
from tiles import mount
from tiles.generation import current_generation

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]
Z = 17
TM = (0xD9, 0x6C, 0xA8)  # TMDV, the new function of lot A1


def _tile_of_lot_a1(live_server, layer: str = "plans"):
    """The z17 XYZ tile holding the centre of lot A1, and that centre's pixel in it."""
    x, y = to_3857(HUE_X + 50, HUE_Y + 50)
    col, row, (minx, miny, maxx, maxy) = xyz_tile(x, y, Z)
    px = (x - minx) / (maxx - minx) * 256
    py = (maxy - y) / (maxy - miny) * 256
    status, headers, body = fetch(f"{live_server.url}/tiles/{layer}/{Z}/{col}/{row}.png")
    assert status == 200
    return png(body), (px, py), headers


def test_xyz_tile_shows_the_plan_in_force(live_server, plan_in_force, draft_plan):
    image, (px, py), headers = _tile_of_lot_a1(live_server)
    assert rgb_at(image, px, py) == (*DO, 255)
    assert GD not in colours(image)
    assert headers["Cache-Control"].startswith("public, max-age=")


def test_kind_layer_tile_and_empty_kind(live_server, plan_in_force):
    image, (px, py), _ = _tile_of_lot_a1(live_server, "landuse")
    assert rgb_at(image, px, py) == (*DO, 255)
    image, (px, py), _ = _tile_of_lot_a1(live_server, "roads")
    assert rgb_at(image, px, py)[3] == 0


def test_unknown_xyz_layer_is_404(live_server, plan_in_force):
    from urllib.error import HTTPError

    with pytest.raises(HTTPError) as caught:
        fetch(f"{live_server.url}/tiles/secret/{Z}/1/1.png")
    assert caught.value.code == 404


def _approve_changed_plan(old_revision, planner, reviewer) -> None:
    """A second revision of the plan in force in which lot A1 becomes TMDV."""
    # Prepared on the plan in force (one started empty would undo it), then replaced whole.
    revision = CreateRevision(
        user=planner, project=old_revision.project, based_on=old_revision
    ).execute()
    revision.layers.all().delete()
    layer = Layer.objects.create(
        revision=revision, kind="landuse", name="Lots", created_by=planner, feature_count=1
    )
    Feature.objects.create(
        layer=layer,
        geom=square(HUE_X, HUE_Y, 100),
        attributes={"code": "A1", "function": "TMDV"},
        category="TMDV",
    )
    SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(user=reviewer, revision=revision, decision_number="2/QĐ-UBND").execute()


def test_approving_a_new_revision_shows_the_new_plan(
    live_server, settings, plan_in_force, planner, reviewer
):
    image, (px, py), _ = _tile_of_lot_a1(live_server)
    assert rgb_at(image, px, py) == (*DO, 255)
    cache_root = Path(settings.PLANNING_TILE_CACHE_DIR)
    old_generations = {p.name for p in cache_root.iterdir()}
    assert len(old_generations) == 1
    assert any(cache_root.rglob("*.png"))

    _approve_changed_plan(plan_in_force, planner, reviewer)

    image, (px, py), _ = _tile_of_lot_a1(live_server)
    assert rgb_at(image, px, py) == (*TM, 255)
    assert DO not in colours(image)
    current = {p.name for p in cache_root.iterdir()} - old_generations
    assert len(current) == 1
    # The replaced generation survives a grace period (other workers may still finish
    # requests with it), then the next purge removes it.
    for name in old_generations:
        for path in (cache_root / name, cache_root / name / mount.IN_USE_MARKER):
            if path.exists():
                os.utime(path, (0, 0))
    mount.purge_old_generations(keep=current_generation())
    assert {p.name for p in cache_root.iterdir()} == current


def test_wmts_capabilities_and_tile_with_owslib(live_server, plan_in_force):
    wmts = WebMapTileService(f"{live_server.url}/ows")
    assert {"plans", *KINDS} <= set(wmts.contents)
    assert {"webmercator", "wgs84", "vn2000"} <= set(wmts.tilematrixsets)
    x, y = to_3857(HUE_X + 50, HUE_Y + 50)
    col, row, _ = xyz_tile(x, y, Z)
    response = wmts.gettile(
        layer="plans",
        tilematrixset="webmercator",
        tilematrix=f"{Z:02d}",
        row=row,
        column=col,
        format="image/png",
    )
    assert DO in colours(png(response.read()))


def test_wmts_rest_capabilities_and_tile(live_server, plan_in_force):
    wmts = WebMapTileService(f"{live_server.url}/wmts/1.0.0/WMTSCapabilities.xml")
    assert "plans" in wmts.contents
    x, y = to_3857(HUE_X + 50, HUE_Y + 50)
    col, row, _ = xyz_tile(x, y, Z)
    _, headers, body = fetch(f"{live_server.url}/wmts/plans/webmercator/{Z:02d}/{col}/{row}.png")
    assert DO in colours(png(body))
    assert headers["Cache-Control"].startswith("public")


def test_legend_json(live_server, plan_in_force):
    import json

    _, _, body = fetch(f"{live_server.url}/legend/landuse.json")
    document = json.loads(body)
    assert document["layer"] == "landuse"
    entries = {e["colour"]: e for e in document["entries"]}
    assert set(entries) == {"#FFD37F", "#7FC97F"}  # only categories in force
    _, _, body = fetch(f"{live_server.url}/legend/landuse.json?all=1")
    assert len(json.loads(body)["entries"]) > 10


def test_tiles_outside_viet_nam_are_never_rendered_or_stored(client, settings, plan_in_force):
    cache_root = Path(settings.PLANNING_TILE_CACHE_DIR)
    far = client.get("/tiles/plans/19/262144/262144.png")  # the Gulf of Guinea
    assert far.status_code == 200
    assert far["Content-Type"] == "image/png"
    assert not cache_root.exists() or not any(cache_root.rglob("*.png"))
    assert client.get("/tiles/plans/3/8/0.png").status_code == 404  # x beyond 2**z
    assert client.get("/tiles/plans/25/0/0.png").status_code == 404
    assert client.get("/wmts/plans/webmercator/19/262144/262144.png").content == far.content
