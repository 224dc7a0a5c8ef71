"""Benchmark: vector tiles through the Django view against the raw ST_AsMVT SQL it wraps.

A bench project with ~50,000 lots in force (20 m lots on a 22 m grid in Hue, EPSG:9214)
is created once and reused. The same random z14–z16 tiles over it are fetched:
  - through the view /vtiles/plans/{z}/{x}/{y}.pbf with Django's test Client, anonymous,
    with the disk cache emptied before each request (so every tile is built), and again
    from the warm disk cache;
  - as the raw statement tiles.vector_tiles.tile_query builds, run with psycopg on a
    separate connection (client-side binding, as Django does).
Both sides return the same bytes (checked). Prints the times and the ratio and writes
bench/results/mvt_tiles.json.
Usage: .venv/bin/python bench/mvt_tiles.py [--lots N] [--tiles N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planning.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from planning.audit import audit_purge  # noqa: E402
from planning.models import Feature, Layer, Project, Revision, RevisionState  # noqa: E402
from tiles import vector_tiles  # noqa: E402

CODE = "bench-mvt"
ORIGIN = (575000.0, 1830000.0)  # EPSG:9214, a few km from the demo data
SPACING, SIZE = 22.0, 20.0
FUNCTIONS = ["DO", "HH", "CC", "CX", "GD", "YT", "TMDV", "HTKT"]
_LOTS_SQL = """
INSERT INTO planning_feature (layer_id, geom, attributes, category, source_ref)
SELECT %(layer)s,
       ST_SetSRID(ST_MakeEnvelope(x, y, x + %(size)s, y + %(size)s), %(srid)s),
       jsonb_build_object('code', 'L' || lpad(i::text, 6, '0'), 'function', fn,
                          'name', 'Lô đất quy hoạch', 'area', 400.0,
                          'storeys_min', 1 + i %% 3, 'storeys_max', 4 + i %% 20),
       fn, 'bench#' || i
FROM (
    SELECT i, %(x0)s + (i %% %(side)s) * %(spacing)s AS x,
           %(y0)s + (i / %(side)s) * %(spacing)s AS y,
           (%(functions)s::text[])[1 + i %% %(nfunctions)s] AS fn
    FROM generate_series(0, %(count)s - 1) AS i
) AS grid
"""


def bench_plan(count: int) -> Revision:
    """The bench project's revision in force with `count` lots (created once)."""
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True})
    project, _ = Project.objects.get_or_create(
        code=CODE,
        defaults={"name": "MVT benchmark", "level": "detailed", "scale": 500, "created_by": user},
    )
    revision = project.revisions.filter(state=RevisionState.APPROVED).first()
    if revision and Feature.objects.filter(layer__revision=revision).count() == count:
        return revision
    with audit_purge():  # the benchmark's own revisions and their audit events
        project.revisions.all().delete()
    revision = Revision.objects.create(
        project=project, number=1, author=user, state=RevisionState.APPROVED,
        approved_at=timezone.now(), decision_number="bench",
    )  # fmt: skip
    layer = Layer.objects.create(
        revision=revision, kind="landuse", name="Lots", created_by=user, feature_count=count
    )
    side = math.ceil(math.sqrt(count))
    params = {
        "layer": layer.pk, "size": SIZE, "srid": settings.PLANNING_STORAGE_SRID,
        "x0": ORIGIN[0], "y0": ORIGIN[1], "side": side, "spacing": SPACING,
        "functions": FUNCTIONS, "nfunctions": len(FUNCTIONS), "count": count,
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_LOTS_SQL, params)
        cursor.execute("ANALYZE planning_feature")
    return revision


def mercator_bounds(count: int) -> tuple[float, float, float, float]:
    side = math.ceil(math.sqrt(count)) * SPACING
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM ST_Transform("
            "ST_MakeEnvelope(%s, %s, %s, %s, %s), 3857) AS b",
            [*ORIGIN, ORIGIN[0] + side, ORIGIN[1] + side, settings.PLANNING_STORAGE_SRID],
        )
        return cursor.fetchone()


def random_tiles(bounds, n: int, seed: int = 7) -> list[tuple[int, int, int]]:
    """Tiles at z14–z16 whose centre lies inside the bench plan."""
    rng, shift, tiles = random.Random(seed), 20037508.342789244, []
    for _ in range(n):
        z = rng.choice((14, 15, 16))
        mx, my = rng.uniform(bounds[0], bounds[2]), rng.uniform(bounds[1], bounds[3])
        size = 2 * shift / (1 << z)
        tiles.append((z, int((mx + shift) // size), int((shift - my) // size)))
    return tiles


def raw_connection() -> psycopg.Connection:
    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"], user=params["USER"], host=params["HOST"], port=params["PORT"],
        password=params.get("PASSWORD") or None, cursor_factory=psycopg.ClientCursor,
        autocommit=True,
    )  # fmt: skip


def view_tile(client: Client, tile, cache_dir: Path, *, cold: bool) -> tuple[float, bytes]:
    z, x, y = tile
    if cold:
        shutil.rmtree(cache_dir / "vtiles", ignore_errors=True)
    start = time.perf_counter()
    response = client.get(f"/vtiles/plans/{z}/{x}/{y}.pbf")
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.content[:200]
    return elapsed, response.content


def raw_tile(conn: psycopg.Connection, source, tile) -> tuple[float, bytes]:
    sql, params = vector_tiles.tile_query(source, *tile)
    start = time.perf_counter()
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        (data,) = cursor.fetchone()
    return time.perf_counter() - start, bytes(data)


def measure(client: Client, conn, tiles, cache_dir: Path, repeat: int) -> dict[str, list]:
    """Per tile, raw and view alternate `repeat` times; the best of each is kept, so load
    from other processes on the machine does not land on one side only."""
    source = vector_tiles.vector_source("plans", None)
    best: dict[str, list] = {"raw": [], "view": [], "cached": [], "bytes": []}
    for tile in tiles:
        raw_times, view_times, cached_times = [], [], []
        for _ in range(repeat):
            raw_time, raw_body = raw_tile(conn, source, tile)
            view_time, view_body = view_tile(client, tile, cache_dir, cold=True)
            cached_times.append(view_tile(client, tile, cache_dir, cold=False)[0])
            assert view_body == raw_body, f"view and raw SQL differ for tile {tile}"
            raw_times.append(raw_time)
            view_times.append(view_time)
        best["raw"].append(min(raw_times))
        best["view"].append(min(view_times))
        best["cached"].append(min(cached_times))
        best["bytes"].append(len(raw_body))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lots", type=int, default=50_000)
    parser.add_argument("--tiles", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cache_dir = Path(tempfile.mkdtemp(prefix="bench-vtiles-"))
    settings.PLANNING_TILE_CACHE_DIR = str(cache_dir)
    try:
        result = run(args, cache_dir)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    out = ROOT / "bench" / "results" / "mvt_tiles.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def run(args: argparse.Namespace, cache_dir: Path) -> dict:
    started = time.perf_counter()
    bench_plan(args.lots)
    setup = time.perf_counter() - started
    tiles = random_tiles(mercator_bounds(args.lots), args.tiles)
    client = Client(HTTP_HOST="127.0.0.1")
    conn = raw_connection()
    measure(client, conn, tiles[:3], cache_dir, 1)  # warm up both sides
    best = measure(client, conn, tiles, cache_dir, args.repeat)
    conn.close()
    raw, view, cached = sum(best["raw"]), sum(best["view"]), sum(best["cached"])
    per_tile = [v / r for v, r in zip(best["view"], best["raw"], strict=True)]
    return {
        "lots": args.lots,
        "tiles": len(tiles),
        "zooms": "14-16",
        "repeat": args.repeat,
        "setup_s": round(setup, 2),
        "mean_tile_bytes": round(statistics.mean(best["bytes"])),
        "raw_sql_ms_per_tile": round(raw / len(tiles) * 1000, 2),
        "view_uncached_ms_per_tile": round(view / len(tiles) * 1000, 2),
        "view_disk_cached_ms_per_tile": round(cached / len(tiles) * 1000, 2),
        "ratio_view_uncached_vs_raw": round(view / raw, 3),
        "median_tile_ratio": round(statistics.median(per_tile), 3),
    }


if __name__ == "__main__":
    main()
