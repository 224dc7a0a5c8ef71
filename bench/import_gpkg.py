"""Benchmark: import 200,000 lot polygons from a GeoPackage, against ogr2ogr.

Both load the same file into the same database in the same run:
  - the server's importer (pyogrio read, geometry policy, COPY into planning_feature);
  - `ogr2ogr -f PostgreSQL` with PG_USE_COPY=YES and a GIST index, into a scratch table.
Prints both times and the ratio, and writes bench/results/import_gpkg.json.
Usage: .venv/bin/python bench/import_gpkg.py [--features N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planning.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402

from importers.service import import_upload  # noqa: E402
from planning.actions import CreateRevision  # noqa: E402
from planning.audit import audit_purge  # noqa: E402
from planning.models import Membership, Project  # noqa: E402

FUNCTIONS = np.array(["DO", "HH", "CC", "CX", "GD", "YT", "TMDV", "HTKT"], dtype=object)
OGR_TABLE = "bench_ogr2ogr_lots"


def make_geopackage(path: Path, count: int) -> None:
    """A grid of 20 m lots in Hue with 8 attributes each (EPSG:9214)."""
    side = int(np.ceil(np.sqrt(count)))
    index = np.arange(count)
    x = 540000.0 + (index % side) * 22.0
    y = 1800000.0 + (index // side) * 22.0
    lots = shapely.box(x, y, x + 20.0, y + 20.0)
    rng = np.random.default_rng(42)
    fields = {
        "code": np.array([f"L{i:06d}" for i in index], dtype=object),
        "function": FUNCTIONS[index % len(FUNCTIONS)],
        "name": np.array(["Lô đất quy hoạch"] * count, dtype=object),
        "area": np.full(count, 400.0),
        "density": rng.integers(20, 90, count).astype(np.float64),
        "far": np.round(rng.uniform(0.5, 6.0, count), 2),
        "storeys_min": rng.integers(1, 4, count).astype(np.int32),
        "storeys_max": rng.integers(4, 25, count).astype(np.int32),
    }
    pyogrio.raw.write(
        path,
        shapely.to_wkb(lots),
        list(fields.values()),
        list(fields),
        driver="GPKG",
        layer="lots",
        crs="EPSG:9214",
        geometry_type="Polygon",
    )


def bench_project() -> tuple[User, object]:
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True})
    project, _ = Project.objects.get_or_create(
        code="bench-import",
        defaults={"name": "Benchmark", "level": "detailed", "scale": 500, "created_by": user},
    )
    Membership.objects.get_or_create(project=project, user=user, role="planner")
    return user, project


def time_importer(gpkg: Path) -> float:
    user, project = bench_project()
    revision = CreateRevision(user=user, project=project).execute()
    start = time.perf_counter()
    result = import_upload(
        user=user, revision=revision, path=gpkg, filename=gpkg.name, kind="landuse", name="bench"
    )
    elapsed = time.perf_counter() - start
    assert result.report["features_loaded"] > 0
    with audit_purge():  # the benchmark's own revision and its audit events
        revision.delete()
    return elapsed


def time_ogr2ogr(gpkg: Path) -> float:
    db = connection.settings_dict
    conninfo = f"PG:dbname={db['NAME']} host={db['HOST']} port={db['PORT']} user={db['USER']}"
    command = [
        "ogr2ogr",
        "-f",
        "PostgreSQL",
        conninfo,
        str(gpkg),
        "lots",
        "-nln",
        OGR_TABLE,
        "-overwrite",
        "-lco",
        "SPATIAL_INDEX=GIST",
        "-lco",
        "GEOMETRY_NAME=geom",
    ]
    # the system GDAL's own PROJ data: the server's settings point PROJ at the mapnik wheel's
    # proj.db, which the system PROJ cannot open (an "ERROR 1 ... Cannot find proj.db" line)
    own = {k: v for k, v in os.environ.items() if k not in ("PROJ_DATA", "PROJ_LIB", "GDAL_DATA")}
    start = time.perf_counter()
    subprocess.run(command, check=True, env={**own, "PG_USE_COPY": "YES"})
    elapsed = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_ogr2ogr_lots")  # the OGR_TABLE constant
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--features", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("ogr2ogr"):
        sys.exit("ogr2ogr not found: apt-get install gdal-bin")
    with tempfile.TemporaryDirectory() as workdir:
        gpkg = Path(workdir) / "lots.gpkg"
        make_geopackage(gpkg, args.features)
        ours, theirs = [], []
        for _ in range(args.repeat):  # interleaved so both see the same machine state
            theirs.append(time_ogr2ogr(gpkg))
            ours.append(time_importer(gpkg))
    result = {
        "features": args.features,
        "importer_s": round(min(ours), 3),
        "ogr2ogr_s": round(min(theirs), 3),
        "ratio": round(min(ours) / min(theirs), 3),
        "runs": {"importer": [round(t, 3) for t in ours], "ogr2ogr": [round(t, 3) for t in theirs]},
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "import_gpkg.json").write_text(json.dumps(result, indent=2))
    print(
        f"{args.features} lots: importer {result['importer_s']} s, ogr2ogr {result['ogr2ogr_s']} s, "
        f"ratio {result['ratio']} (aim <= 1.3)"
    )


if __name__ == "__main__":
    main()
