"""3D Tiles conformance: the rules the official CesiumGS validator (`3d-tiles-validator`)
applies to what this server publishes, checked on every kind of tileset it serves.

The 3D Tiles validator itself is not on the npm registry this project can reach, so these
tests check its rules for 3D Tiles 1.0 and b3dm (its TileValidator, BoundingVolumeValidator,
TilesetTraversingValidator and B3dmValidator) on the tilesets as a client reads them:
tileset.json, then every content URI of every tile, through the Django test client. The GLB
inside each b3dm goes through what that validator runs on it: the Khronos glTF validator
(npm `gltf-validator`, a devDependency of the front end that `make setup` installs).
"""

from __future__ import annotations

import json
import math
import struct
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import HUE_X, HUE_Y
from tests.threed.conftest import token_header
from tests.threed.test_models3d import cityjson, glb_cube, upload
from threed.testing import make_3d_plan, replace_3d_plan

pytestmark = pytest.mark.django_db

IN_FORCE = "/3dtiles/in-force/tileset.json"
ENVELOPES = "/3dtiles/in-force/envelopes/tileset.json"
B3DM_HEADER = 28
FRONTEND = Path(__file__).resolve().parents[2] / "webmap" / "frontend"
GLTF_VALIDATE = Path(__file__).with_name("gltf_validate.cjs")
APPROVED, REPLACED = datetime(2020, 1, 1, tzinfo=UTC), datetime(2022, 1, 1, tzinfo=UTC)


def served(client, url: str, **headers) -> tuple[dict, dict[str, bytes]]:
    """A tileset and its contents by URI, fetched as a client would: every tile's content
    resolved against the tileset's URL (its query dropped)."""
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content[:300]
    tileset = json.loads(response.content)
    base = url.split("?")[0].removesuffix("tileset.json")
    contents = {}
    for tile in tiles(tileset["root"]):
        if "content" in tile:
            uri = tile["content"]["uri"]
            content = client.get(base + uri, **headers)
            assert content.status_code == 200, uri
            contents[uri] = b"".join(content.streaming_content)
    return tileset, contents


def tiles(tile: dict) -> Iterator[dict]:
    yield tile
    for child in tile.get("children", []):
        yield from tiles(child)


def tileset_issues(tileset: dict) -> list[str]:
    """The validator's errors on tileset.json (3D Tiles 1.0)."""
    issues = []
    if tileset.get("asset", {}).get("version") not in ("1.0", "1.1"):
        issues.append("asset.version must be 1.0 or 1.1")
    for name, bounds in tileset.get("properties", {}).items():
        if not {"minimum", "maximum"} <= set(bounds):
            issues.append(f"properties.{name} needs minimum and maximum")
    issues += tile_issues(tileset["root"], tileset["geometricError"])
    return issues


def tile_issues(tile: dict, parent_error: float) -> list[str]:
    issues = []
    error = tile["geometricError"]
    if not 0 <= error <= parent_error:
        issues.append(f"geometricError {error} not in [0, parent's {parent_error}]")
    if tile.get("refine", "ADD") not in ("ADD", "REPLACE"):
        issues.append(f"refine {tile['refine']!r}")
    west, south, east, north, low, high = tile["boundingVolume"]["region"]
    if not (-math.pi <= west <= math.pi and -math.pi <= east <= math.pi):
        issues.append("region west/east outside [-pi, pi]")
    if not (-math.pi / 2 <= south <= north <= math.pi / 2) or low > high:
        issues.append("region south > north, or minimum height > maximum height")
    if "children" in tile and not tile["children"]:
        issues.append("children must hold at least one tile")
    for child in tile.get("children", []):
        issues += tile_issues(child, error)
    return issues


def b3dm_issues(data: bytes) -> list[str]:
    """The validator's B3dmValidator: header, 8-byte alignment, tables' lengths."""
    magic, version, length, ft_json, ft_bin, bt_json, bt_bin = struct.unpack_from("<4s6I", data)
    if (magic, version, length) != (b"b3dm", 1, len(data)):
        return [f"header {magic!r} v{version}, byteLength {length} of {len(data)}"]
    ft_bin_at = B3DM_HEADER + ft_json
    bt_at = ft_bin_at + ft_bin
    glb_at = bt_at + bt_json + bt_bin
    if ft_bin_at % 8 or (bt_at + bt_json) % 8 or glb_at % 8:
        return ["feature table binary, batch table binary and GLB must start 8-byte aligned"]
    features = json.loads(data[B3DM_HEADER:ft_bin_at])
    batch = json.loads(data[bt_at : bt_at + bt_json])
    issues = [] if "BATCH_LENGTH" in features else ["feature table without BATCH_LENGTH"]
    for name, column in batch.items():
        if not isinstance(column, list) or len(column) != features.get("BATCH_LENGTH"):
            issues.append(f"batch table {name!r}: not one value per feature")
    glb_magic, glb_version, glb_length = struct.unpack_from("<4sII", data, glb_at)
    if (glb_magic, glb_version) != (b"glTF", 2) or glb_at + glb_length > len(data):
        issues.append("content is not a GLB 2.0 inside the b3dm")
    return issues


def glb_of(data: bytes) -> bytes:
    """The GLB a b3dm carries (after its header and tables)."""
    _, _, _, ft_json, ft_bin, bt_json, bt_bin = struct.unpack_from("<4s6I", data)
    return data[B3DM_HEADER + ft_json + ft_bin + bt_json + bt_bin :]


def gltf_issues(contents: dict[str, bytes], work: Path) -> list[str]:
    """The Khronos glTF validator's errors and warnings on every content's GLB."""
    files = {}
    for number, (uri, data) in enumerate(sorted(contents.items())):
        files[str(work / f"{number}.glb")] = uri
        (work / f"{number}.glb").write_bytes(glb_of(data))
    if not files:
        return []
    run = subprocess.run(
        ["node", str(GLTF_VALIDATE), str(FRONTEND), *files],
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    issues = []
    for report in json.loads(run.stdout):
        if report["errors"] or report["warnings"]:
            found = [m for m in report["messages"] if m.split()[0] in ("0", "1")]
            issues += [f"{files[report['file']]}: glTF {message}" for message in found]
    return issues


def assert_conforms(tileset: dict, contents: dict[str, bytes], work: Path) -> None:
    issues = tileset_issues(tileset)
    for uri, data in contents.items():
        issues += [f"{uri}: {issue}" for issue in b3dm_issues(data)]
    issues += gltf_issues(contents, work)
    assert issues == [], "\n".join(issues)


def test_every_kind_of_tileset_conforms(client, planner, reviewer, tmp_path):
    """In force now and at an earlier date, envelopes, and a draft for its planner holding
    extruded footprints and models imported from CityJSON and glTF."""
    plan = make_3d_plan(planner, reviewer, "plan", columns=2, rows=1)
    replace_3d_plan(
        plan, planner, reviewer, dropped="B-L000-001", approved=APPROVED, replaced=REPLACED
    )
    draft = make_3d_plan(
        planner, reviewer, "models", columns=1, rows=1, approve=False, origin=(HUE_X + 400, HUE_Y)
    )
    for name, data, origin in (
        ("city.json", json.dumps(cityjson()).encode(), {}),
        ("tower.glb", glb_cube(), {"origin_x": HUE_X + 420, "origin_y": HUE_Y + 20}),
    ):
        assert upload(client, draft, planner, name, data, **origin).status_code == 201
    planners = token_header(planner)
    for url, headers in (
        (IN_FORCE, {}),
        (f"{IN_FORCE}?datetime=2021-06-01", {}),
        (ENVELOPES, {}),
        (f"/3dtiles/revisions/{draft.pk}/tileset.json", planners),
        (f"/3dtiles/revisions/{draft.pk}/envelopes/tileset.json", planners),
    ):
        tileset, contents = served(client, url, **headers)
        assert contents, url
        assert_conforms(tileset, contents, tmp_path)
    _, imported = served(client, f"/3dtiles/revisions/{draft.pk}/tileset.json", **planners)
    assert b'"tower"' in b"".join(imported.values())  # the models are in what was checked


def test_empty_tilesets_have_no_empty_children(client, db, tmp_path):
    """Nothing in force: the root has neither content nor an empty `children` array
    (3D Tiles' tile schema: minItems 1; the validator reports an error)."""
    for url in (IN_FORCE, ENVELOPES, f"{IN_FORCE}?datetime=2019-12-31"):
        tileset, contents = served(client, url)
        assert contents == {}
        assert "children" not in tileset["root"]
        assert_conforms(tileset, contents, tmp_path)


def test_the_gltf_validator_reports_a_broken_model(client, planner, reviewer, tmp_path):
    """The harness can fail: a GLB claiming an unknown glTF version is an error of the
    Khronos validator."""
    make_3d_plan(planner, reviewer, "broken", columns=1, rows=1)
    _, contents = served(client, IN_FORCE)
    uri, data = next(iter(contents.items()))
    assert b'"version":"2.0"' in data
    broken = data.replace(b'"version":"2.0"', b'"version":"9.9"', 1)
    issues = gltf_issues({uri: broken}, tmp_path)
    assert issues
    assert all(issue.startswith(f"{uri}: glTF 0 ") for issue in issues), issues
