"""Benchmark: 3D Tiles for 20,000 extruded buildings.

A private draft revision (project `bench-3d`, never in force) gets a buildings layer of
N footprints around Hue (EPSG:9214): rectangles and L-shaped (concave) outlines with 1 to
25 storeys. Then, each step timed:
  - extrusion: threed.extrude.extrude_revision (SFCGAL ST_Extrude → geom_3d) in SQL;
  - tileset: threed.tileset.build_tileset of that revision (faces out of PostGIS in
    EPSG:4978, triangulation, b3dm with batch tables, tileset.json), in a child process
    whose peak RSS is measured.
Prints times, peak RSS, content files and bytes; writes bench/results/tiles3d_build.json.
Usage: .venv/bin/python bench/tiles3d_build.py [--buildings N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planning.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402

from planning.models import Feature, Layer, Project, Revision, RevisionState  # noqa: E402
from threed.extrude import extrude_revision  # noqa: E402
from threed.tileset import Scope, build_tileset  # noqa: E402

CODE = "bench-3d"
ORIGIN = (552000.0, 1812000.0)  # EPSG:9214, south-west of Hue, away from other bench data
SPACING = 30.0
_BUILDINGS_SQL = """
INSERT INTO planning_feature (layer_id, geom, attributes, category, source_ref)
SELECT %(layer)s,
       CASE WHEN i %% 2 = 0
            THEN ST_SetSRID(ST_MakeEnvelope(x, y, x + 16, y + 22), %(srid)s)
            ELSE ST_Difference(ST_SetSRID(ST_MakeEnvelope(x, y, x + 20, y + 20), %(srid)s),
                               ST_SetSRID(ST_MakeEnvelope(x + 10, y + 10, x + 21, y + 21),
                                          %(srid)s)) END,
       jsonb_build_object('code', 'B' || lpad(i::text, 6, '0'), 'storeys', 1 + i %% 25,
                          'use', 'nhà ở', 'lot', 'L' || lpad(i::text, 6, '0')),
       '', 'bench#' || i
FROM (
    SELECT i, %(x0)s + (i %% %(side)s) * %(spacing)s AS x,
           %(y0)s + (i / %(side)s) * %(spacing)s AS y
    FROM generate_series(0, %(count)s - 1) AS i
) AS grid
"""


def bench_revision(count: int) -> Revision:
    """The bench project's draft with `count` building footprints (created once)."""
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True})
    project, _ = Project.objects.get_or_create(
        code=CODE,
        defaults={"name": "3D Tiles benchmark", "level": "detailed", "scale": 500,
                  "created_by": user},
    )  # fmt: skip
    revision = project.revisions.filter(state=RevisionState.DRAFT).first()
    if revision is None:
        revision = Revision.objects.create(
            project=project, number=1, author=user, state=RevisionState.DRAFT
        )
    layer, _ = Layer.objects.get_or_create(
        revision=revision, kind="buildings", name="Buildings", defaults={"created_by": user}
    )
    if Feature.objects.filter(layer=layer).count() == count:
        return revision
    with connection.cursor() as cursor:  # raw: no ORM cascade collection over 20,000 rows
        cursor.execute("DELETE FROM planning_feature WHERE layer_id = %s", [layer.pk])
    Layer.objects.filter(pk=layer.pk).update(feature_count=count)
    params = {
        "layer": layer.pk, "srid": settings.PLANNING_STORAGE_SRID, "x0": ORIGIN[0],
        "y0": ORIGIN[1], "side": math.ceil(math.sqrt(count)), "spacing": SPACING,
        "count": count,
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_BUILDINGS_SQL, params)
        cursor.execute("ANALYZE planning_feature")
    return revision


def child_build(revision_id: int, var_dir: str) -> None:
    """In a child process: build the tileset, print the figures as JSON."""
    settings.PLANNING_VAR_DIR = Path(var_dir)
    start = time.perf_counter()
    built = build_tileset(Scope.of_revision(Revision.objects.get(pk=revision_id)))
    elapsed = time.perf_counter() - start
    files = list(built.directory.glob("*.b3dm"))
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "features": built.feature_count,
                "content_files": len(files),
                "bytes": sum(f.stat().st_size for f in files),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buildings", type=int, default=20_000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_build(args.child, args.var_dir)
        return
    revision = bench_revision(args.buildings)
    start = time.perf_counter()
    extruded = extrude_revision(revision, force=True)
    extrusion = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="bench-3dtiles-") as var_dir:
        output = subprocess.run(
            [sys.executable, __file__, "--child", str(revision.pk), "--var-dir", var_dir],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    build = json.loads(output.strip().splitlines()[-1])
    result = {
        "buildings": args.buildings,
        "extruded": extruded,
        "extrusion_seconds": round(extrusion, 2),
        "tileset_seconds": round(build["seconds"], 2),
        "tileset_peak_rss_mb": round(build["peak_rss_mb"], 1),
        "content_files": build["content_files"],
        "content_mb": round(build["bytes"] / 1e6, 1),
        "features_per_file": settings.PLANNING_3D_TILE_FEATURES,
    }
    print(
        f"{args.buildings} buildings: extrusion {result['extrusion_seconds']} s, "
        f"3D Tiles {result['tileset_seconds']} s, peak RSS {result['tileset_peak_rss_mb']} MB, "
        f"{result['content_files']} b3dm ({result['content_mb']} MB)"
    )
    out = ROOT / "bench" / "results" / "tiles3d_build.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
