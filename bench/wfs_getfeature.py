"""Benchmark: WFS GetFeature of 100,000 lots as GeoJSON, against ogr2ogr from PostGIS.

Same rows, same run, interleaved:
  - the server: gunicorn (1 worker) started here on a free port, GET /wfs GetFeature
    OUTPUTFORMAT=application/json of the bench project's type, body read to the end;
    the worker's peak RSS (VmHWM) is read from /proc;
  - `ogr2ogr -f GeoJSON` exporting the same rows (planning_feature_in_force filtered to
    the bench project, transformed to EPSG:4326 by PostGIS) to a file.
The bench project is created (planning actions + bulk COPY, put in force without the QA run)
and deleted afterwards.
Prints both times, the ratio and the peak RSS; writes bench/results/wfs_getfeature.json.
Usage: .venv/bin/python bench/wfs_getfeature.py [--features N] [--repeat R]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planning.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.contrib.gis.geos import MultiPolygon, Polygon  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from planning.actions import CreateProject, CreateRevision  # noqa: E402
from planning.audit import audit_purge  # noqa: E402
from planning.models import Layer, Project, Revision, RevisionState  # noqa: E402

CODE = "bench-wfs"
FUNCTIONS = ["DO", "HH", "CC", "CX", "GD", "YT", "TMDV", "HTKT"]


def create_project(count: int) -> Project:
    """A project in force with `count` 20 m lots (COPY), approved through the actions."""
    user, _ = User.objects.get_or_create(
        username="bench-wfs", defaults={"is_staff": True, "is_superuser": True}
    )
    with audit_purge():  # the benchmark's own project and its audit events
        Project.objects.filter(code=CODE).delete()
    boundary = MultiPolygon(Polygon.from_bbox((540000, 1800000, 560000, 1820000)))
    project = CreateProject(
        user=user, code=CODE, name="Bench WFS", level="detailed", scale=500, boundary=boundary
    ).execute()
    revision = CreateRevision(user=user, project=project).execute()
    layer = Layer.objects.create(
        revision=revision,
        kind="landuse",
        name="lots",
        created_by=user,
        feature_count=count,
        attribute_schema=[{"name": "name", "type": "string"}],
    )
    _copy_lots(layer.pk, count)
    # In force without SubmitRevision's QA run (minutes on 100,000 lots, not what is measured).
    Revision.objects.filter(pk=revision.pk).update(
        state=RevisionState.APPROVED, approved_at=timezone.now()
    )
    return project


def _copy_lots(layer_id: int, count: int) -> None:
    side = int(np.ceil(np.sqrt(count)))
    index = np.arange(count)
    x = 540000.0 + (index % side) * 22.0
    y = 1800000.0 + (index // side) * 22.0
    wkb = shapely.to_wkb(shapely.box(x, y, x + 20.0, y + 20.0), hex=True, include_srid=False)
    buffer = io.StringIO()
    for i in range(count):
        function = FUNCTIONS[i % len(FUNCTIONS)]
        attrs = json.dumps(
            {
                "code": f"L{i:06d}",
                "function": function,
                "name": "Lô đất quy hoạch",
                "area": 400.0,
                "storeys_max": int(4 + i % 20),
            },
            ensure_ascii=False,
        )
        buffer.write(
            f"{layer_id}\tSRID=9214;{wkb[i]}\t{attrs.replace(chr(92), chr(92) * 2)}\t{function}\t\n"
        )
    buffer.seek(0)
    with (
        connection.cursor() as cursor,
        cursor.copy(
            "COPY planning_feature (layer_id, geom, attributes, category, source_ref) FROM STDIN"
        ) as copy,
    ):
        copy.write(buffer.read())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "planning.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        "1",
        "--timeout",
        "600",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
    for _ in range(100):
        try:
            urllib.request.urlopen(
                f"http://127.0.0.1:{port}/wfs?REQUEST=GetCapabilities", timeout=30
            )
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("gunicorn did not start")


def workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def peak_rss_mb(pids: list[int], field: str = "VmHWM") -> float:
    """The largest `field` (VmHWM: peak RSS, VmRSS: current) of the processes, in MB."""
    peak = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def time_wfs(port: int, count: int) -> tuple[float, int]:
    url = (
        f"http://127.0.0.1:{port}/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature"
        f"&TYPENAMES=landuse.{CODE}&OUTPUTFORMAT=application/json"
    )
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = response.read()
    elapsed = time.perf_counter() - start
    data = json.loads(body)
    assert len(data["features"]) == count, (len(data["features"]), count)
    return elapsed, len(body)


def time_ogr2ogr(workdir: Path, count: int) -> float:
    db = connection.settings_dict
    conninfo = f"PG:dbname={db['NAME']} host={db['HOST']} port={db['PORT']} user={db['USER']}"
    out = workdir / "ogr.json"
    out.unlink(missing_ok=True)
    sql = (
        "SELECT id, attributes::text AS attributes, ST_Transform(geom, 4326) AS geom "
        f"FROM planning_feature_in_force WHERE project_code = '{CODE}'"
    )  # a constant
    env = {k: v for k, v in os.environ.items() if k not in ("PROJ_DATA", "PROJ_LIB", "GDAL_DATA")}
    start = time.perf_counter()
    subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", str(out), conninfo, "-sql", sql], check=True, env=env
    )
    elapsed = time.perf_counter() - start
    assert json.loads(out.read_text())["features"][count - 1]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("ogr2ogr"):
        sys.exit("ogr2ogr not found: apt-get install gdal-bin")
    project = create_project(args.features)
    print(f"{args.features} lots in force in project {CODE}", flush=True)
    port = free_port()
    server = start_gunicorn(port)
    ours, theirs, size = [], [], 0
    baseline = peak_rss_mb(workers(server.pid), "VmRSS")  # the app loaded, one request served
    try:
        with tempfile.TemporaryDirectory() as workdir:
            for _ in range(args.repeat):
                theirs.append(time_ogr2ogr(Path(workdir), args.features))
                elapsed, size = time_wfs(port, args.features)
                ours.append(elapsed)
        rss = peak_rss_mb(workers(server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)
        with audit_purge():
            Project.objects.filter(pk=project.pk).delete()
    report(args.features, ours, theirs, rss, baseline, size)


def report(
    count: int, ours: list[float], theirs: list[float], rss: float, baseline: float, size: int
) -> None:
    result = {
        "features": count,
        "wfs_geojson_s": round(min(ours), 3),
        "ogr2ogr_s": round(min(theirs), 3),
        "ratio": round(min(ours) / min(theirs), 3),
        "worker_peak_rss_mb": round(rss, 1),
        "worker_rss_before_mb": round(baseline, 1),
        "response_bytes": size,
        "runs": {"wfs": [round(t, 3) for t in ours], "ogr2ogr": [round(t, 3) for t in theirs]},
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "wfs_getfeature.json").write_text(json.dumps(result, indent=2))
    print(
        f"{count} lots as GeoJSON: WFS {result['wfs_geojson_s']} s, ogr2ogr "
        f"{result['ogr2ogr_s']} s, ratio {result['ratio']} (aim <= 1.0); worker peak RSS "
        f"{result['worker_peak_rss_mb']} MB (aim < 300; {result['worker_rss_before_mb']} MB before)"
    )


if __name__ == "__main__":
    main()
