"""A generated plan with lots and buildings → a valid 3D Tiles tileset."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from py3dtiles.tileset.content import B3dm

from planning.models import Feature
from threed.testing import build_in_force, make_3d_plan
from threed.tileset import BATCH_PROPERTIES, Scope, build_tileset, tiles_root

pytestmark = pytest.mark.django_db


def _contains(outer: list[float], inner: list[float]) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and outer[2] >= inner[2]
        and outer[3] >= inner[3]
        and outer[4] <= inner[4]
        and outer[5] >= inner[5]
    )


def _b3dm_header(data: bytes) -> dict:
    magic, version, length, ft_json, ft_bin, bt_json, _bt_bin = struct.unpack("<4s6I", data[:28])
    return {
        "magic": magic,
        "version": version,
        "length": length,
        "ft_json": json.loads(data[28 : 28 + ft_json]),
        "bt_json": json.loads(data[28 + ft_json + ft_bin : 28 + ft_json + ft_bin + bt_json]),
    }


def test_plan_in_force_becomes_a_valid_tileset(planner, reviewer, settings):
    settings.PLANNING_3D_TILE_FEATURES = 5  # 12 buildings → 3 content files
    revision = make_3d_plan(planner, reviewer, columns=4, rows=3)
    buildings = Feature.objects.filter(layer__revision=revision, layer__kind="buildings")
    assert buildings.filter(geom_3d__isnull=True).count() == 0
    built = build_in_force()
    tileset = json.loads(built.tileset_path.read_text())
    assert tileset["asset"]["version"] == "1.0"
    assert tileset["geometricError"] > 0
    root = tileset["root"]
    region = root["boundingVolume"]["region"]
    children = root["children"]
    assert len(children) == 3
    total, ids = 0, set()
    for child in children:
        assert _contains(region, child["boundingVolume"]["region"])
        name = child["content"]["uri"].split("/")[-1]
        data = (built.directory / name).read_bytes()
        header = _b3dm_header(data)
        assert header["magic"] == b"b3dm"
        assert header["version"] == 1
        assert header["length"] == len(data)
        batch_length = header["ft_json"]["BATCH_LENGTH"]
        assert set(BATCH_PROPERTIES) <= set(header["bt_json"])
        assert all(len(v) == batch_length for v in header["bt_json"].values())
        total += batch_length
        ids |= set(header["bt_json"]["id"])
        _check_content(data, header, child["boundingVolume"]["region"])
    assert total == buildings.count() == 12
    assert ids == set(buildings.values_list("id", flat=True))


def _check_content(data: bytes, header: dict, region: list[float]) -> None:
    """Vertices lie inside the tile's region; batch ids address the batch table."""
    from pyproj import Transformer

    content = B3dm.from_bytes(data)
    positions = content.get_vertices().astype(np.float64)
    centre = np.array(header["ft_json"]["RTC_CENTER"])
    ecef = np.column_stack([positions[:, 0], -positions[:, 2], positions[:, 1]]) + centre
    lat, lon, height = Transformer.from_crs("EPSG:4978", "EPSG:4979").transform(
        ecef[:, 0], ecef[:, 1], ecef[:, 2]
    )
    lon_r, lat_r = np.radians(lon), np.radians(lat)
    assert region[0] <= lon_r.min()
    assert lon_r.max() <= region[2]
    assert region[1] <= lat_r.min()
    assert lat_r.max() <= region[3]
    assert region[4] <= height.min()
    assert height.max() <= region[5]
    assert abs(height.min()) < 0.01
    assert 3 < height.max() < 19
    batch_ids = content.get_extra_field("batchid")
    assert batch_ids.max() == header["ft_json"]["BATCH_LENGTH"] - 1


def test_batch_table_carries_the_attributes(planner, reviewer):
    make_3d_plan(planner, reviewer, columns=2, rows=1)
    built = build_in_force()
    data = (built.directory / "0.b3dm").read_bytes()
    table = _b3dm_header(data)["bt_json"]
    assert sorted(table["code"]) == ["B-L000-000", "B-L000-001"]
    assert sorted(table["storeys"]) == [1, 2]
    assert sorted(table["height"]) == pytest.approx([3.6, 7.2])
    assert set(table["kind"]) == {"buildings"}


def test_rebuilt_only_when_something_changed(planner, reviewer):
    revision = make_3d_plan(planner, reviewer, columns=2, rows=1, approve=False)
    scope = Scope.of_revision(revision)
    first = build_tileset(scope)
    again = build_tileset(scope)
    assert again.key == first.key
    assert again.feature_count == -1
    feature = Feature.objects.filter(layer__revision=revision, layer__kind="buildings").first()
    feature.attributes = {**feature.attributes, "storeys": 9}
    feature.save()
    changed = build_tileset(scope)
    assert changed.key != first.key
    assert sorted(p.name for p in (tiles_root() / scope.name).iterdir()) == sorted(
        [first.key, changed.key]
    )


def test_empty_plan_still_gives_a_valid_tileset(db):
    tileset = json.loads(build_in_force().tileset_path.read_text())
    assert "children" not in tileset["root"]  # none rather than an empty array
    assert len(tileset["root"]["boundingVolume"]["region"]) == 6


def test_extrusion_heights_storeys_and_base(planner, reviewer, settings):
    from threed.extrude import extrude_revision

    settings.PLANNING_STOREY_HEIGHT_M = 4.0
    revision = make_3d_plan(planner, reviewer, columns=3, rows=1, approve=False)
    a, b, c = Feature.objects.filter(layer__revision=revision, layer__kind="buildings").order_by(
        "id"
    )
    a.attributes = {"storeys": "2"}  # text from a shapefile
    b.attributes = {"height": 7.5, "storeys": 9, "base_elevation": 2.0}
    c.attributes = {"use": "no height"}
    for feature in (a, b, c):
        feature.geom_3d = None
        feature.save()
    assert extrude_revision(revision) == 2
    a.refresh_from_db(), b.refresh_from_db(), c.refresh_from_db()
    assert c.geom_3d is None
    z = [pt[2] for polygon in a.geom_3d for pt in polygon.exterior_ring]
    assert (min(z), max(z)) == (0.0, 8.0)
    z = [pt[2] for polygon in b.geom_3d for pt in polygon.exterior_ring]
    assert (min(z), max(z)) == (2.0, 9.5)
    assert a.geom_3d.geom_type == "MultiPolygon"
    assert len(a.geom_3d) == 6
