"""Benchmark: uncached WMS GetMap throughput, this server against MapServer 8.

Both read the same PostGIS view (planning_feature_in_force) of a bench project of N lots
(created here, deleted at the end) and draw the same land-use style (fill per catalogue
colour, grey outline); both get the same seeded sequence of random 256×256 and 1024×768
EPSG:3857 views, from the same bounded client pool (threads with http.client):
  - ours: gunicorn, 2 workers, /wms → MapProxy → Mapnik (no tile cache on the WMS path);
  - MapServer: `mapserv` run as CGI, one process per request, at most 2 at once, behind a
    tiny threaded HTTP front (no FastCGI manager is installed here). Each request therefore
    pays MapServer's start-up, mapfile parse and PostgreSQL connection, which a FastCGI
    deployment would not: the ratio flatters us by that much and the output says so.
Prints requests/s for both and the ratio; writes bench/results/wms_getmap.json.
Usage: .venv/bin/python bench/wms_getmap.py [--lots N] [--requests R] [--budget S]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planning.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from pyproj import Transformer  # noqa: E402

from planning.audit import audit_purge  # noqa: E402
from planning.crs import proj4_for  # noqa: E402
from planning.models import Layer, Project, Revision, RevisionState  # noqa: E402
from tiles import styles  # noqa: E402
from tiles.datasource import IN_FORCE_VIEW  # noqa: E402

PROJECT_CODE = "bench-wms"
FUNCTIONS = ["DO", "HH", "CC", "CX", "GD", "YT", "TMDV", "HTKT"]
ORIGIN = (540000.0, 1800000.0)  # EPSG:9214, Hue
LOT, STEP = 20.0, 22.0
SIZES = ((256, 256), (1024, 768))
CLIENTS = 4


# --- data ---------------------------------------------------------------------------------


@transaction.atomic
def create_lots(count: int) -> int:
    """An approved bench project with `count` 20 m lots on a grid; returns its revision id."""
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True})
    project = Project.objects.create(
        code=PROJECT_CODE, name="Benchmark WMS", level="detailed", scale=500, created_by=user
    )
    revision = Revision.objects.create(
        project=project,
        number=1,
        author=user,
        state=RevisionState.APPROVED,
        approved_at=timezone.now(),
    )
    layer = Layer.objects.create(
        revision=revision, kind="landuse", name="lots", created_by=user, feature_count=count
    )
    side = int(count**0.5) + 1
    sql = """
        INSERT INTO planning_feature (layer_id, geom, attributes, category, source_ref)
        SELECT %s, ST_MakeEnvelope(x, y, x + %s, y + %s, %s),
               jsonb_build_object('code', 'L' || i), (%s::text[])[1 + i %% %s], ''
        FROM (SELECT i, %s + (i %% %s) * %s AS x, %s + (i / %s) * %s AS y
              FROM generate_series(0, %s - 1) AS i) AS grid
    """
    from django.conf import settings

    params = [layer.id, LOT, LOT, settings.PLANNING_STORAGE_SRID, FUNCTIONS, len(FUNCTIONS)]
    params += [ORIGIN[0], side, STEP, ORIGIN[1], side, STEP, count]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return revision.id


def delete_lots() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM planning_feature WHERE layer_id IN (SELECT l.id FROM planning_layer l "
            "JOIN planning_revision r ON r.id = l.revision_id JOIN planning_project p "
            "ON p.id = r.project_id WHERE p.code = %s)",
            [PROJECT_CODE],
        )
    with audit_purge():  # the benchmark's own project and its audit events
        Project.objects.filter(code=PROJECT_CODE).delete()


def extent_3857(count: int) -> tuple[float, float, float, float]:
    side = int(count**0.5) + 1
    maxx, maxy = ORIGIN[0] + side * STEP, ORIGIN[1] + side * STEP
    to_3857 = Transformer.from_crs(proj4_for(9214), "EPSG:3857", always_xy=True)
    return to_3857.transform_bounds(ORIGIN[0], ORIGIN[1], maxx, maxy)


def views(extent: tuple[float, float, float, float], count: int, seed: int = 7) -> list[dict]:
    """Random GetMap views inside the data, half 256×256 and half 1024×768."""
    rng = random.Random(seed)
    out = []
    for index in range(count):
        width, height = SIZES[index % 2]
        resolution = rng.uniform(0.5, 6.0)  # m/px: from a few lots to ~a quarter of the data
        w, h = width * resolution, height * resolution
        x = rng.uniform(extent[0], max(extent[0], extent[2] - w))
        y = rng.uniform(extent[1], max(extent[1], extent[3] - h))
        out.append({"WIDTH": width, "HEIGHT": height, "BBOX": f"{x},{y},{x + w},{y + h}"})
    return out


# --- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, cache_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PLANNING_ALLOWED_HOSTS": "127.0.0.1",
        "PLANNING_TILE_CACHE_DIR": str(cache_dir),
    }
    command = [sys.executable, "-m", "gunicorn", "planning.wsgi", "-w", "2"]
    command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def mapfile(path: Path) -> None:
    """A mapfile drawing the in-force view like tiles.styles draws land use."""
    db = connection.settings_dict
    conn = f"host={db['HOST']} port={db['PORT']} dbname={db['NAME']} user={db['USER']}"
    rules = styles.load_styles()["landuse"].rules
    classes = []
    for rule in rules:
        expression = f'  EXPRESSION "{rule.category}"\n' if rule.category else ""
        r, g, b = (int(rule.symbol.fill[i : i + 2], 16) for i in (1, 3, 5))
        classes.append(
            f"CLASS\n{expression}  STYLE COLOR {r} {g} {b} END\n"
            f"  STYLE OUTLINECOLOR 102 102 102 WIDTH 0.5 END\nEND"
        )
    data = (
        f"geom from (select id, geom, category from {IN_FORCE_VIEW} where kind = 'landuse') "
        "as f using unique id using srid=9214"
    )
    projection = " ".join(f'"{p.lstrip("+")}"' for p in proj4_for(9214).split())  # type: ignore[union-attr]
    path.write_text(
        f"""MAP
  NAME "bench"
  EXTENT -20037508 -20037508 20037508 20037508
  SIZE 256 256
  PROJECTION "init=epsg:3857" END
  OUTPUTFORMAT NAME "png" DRIVER AGG/PNG MIMETYPE "image/png" IMAGEMODE RGBA
    EXTENSION "png" TRANSPARENT ON FORMATOPTION "COMPRESSION=1" END
  WEB METADATA "wms_title" "bench" "wms_srs" "EPSG:3857" "wms_enable_request" "*"
    "wms_onlineresource" "http://127.0.0.1/" END END
  LAYER
    NAME "plans" TYPE POLYGON STATUS ON
    CONNECTIONTYPE POSTGIS CONNECTION "{conn}"
    DATA "{data}"
    PROJECTION {projection} END
    CLASSITEM "category"
    METADATA "wms_title" "plans" END
{chr(10).join(classes)}
  END
END
""",
        encoding="utf-8",
    )


class MapservCgi(BaseHTTPRequestHandler):
    """GET → one `mapserv` CGI process (at most `slots` at once), CGI headers parsed."""

    config = ""  # MapServer 8 reads the mapfile location from its config file only
    slots = threading.Semaphore(2)

    def do_GET(self) -> None:
        query = self.path.split("?", 1)[1] if "?" in self.path else ""
        env = {"PATH": os.environ["PATH"], "REQUEST_METHOD": "GET", "QUERY_STRING": query}
        env["MAPSERVER_CONFIG_FILE"] = self.config
        with self.slots:
            output = subprocess.run(["mapserv"], env=env, capture_output=True, check=False).stdout
        head, _, body = output.partition(b"\r\n\r\n")
        content_type = "application/octet-stream"
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-type:"):
                content_type = line.split(b":", 1)[1].strip().decode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


# --- client -------------------------------------------------------------------------------


def query_string(view: dict, path: str) -> str:
    params = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "plans"}
    params |= {"STYLES": "", "CRS": "EPSG:3857", "FORMAT": "image/png", "TRANSPARENT": "TRUE"}
    return f"{path}?{urlencode(params | view)}"


def run_load(port: int, path: str, sequence: list[dict], budget: float) -> dict:
    """Requests/s over the sequence (or until the time budget ends), CLIENTS at once."""
    deadline = time.monotonic() + budget
    lock, counters = threading.Lock(), {"ok": 0, "bad": 0, "bytes": 0}
    queue = iter(sequence)

    def worker() -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=120)
        while time.monotonic() < deadline:
            with lock:
                view = next(queue, None)
            if view is None:
                break
            conn.request("GET", query_string(view, path))
            response = conn.getresponse()
            body = response.read()
            good = response.status == 200 and body[:4] == b"\x89PNG"
            with lock:
                counters["ok" if good else "bad"] += 1
                counters["bytes"] += len(body)
        conn.close()

    start = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        for future in [pool.submit(worker) for _ in range(CLIENTS)]:
            future.result()
    elapsed = time.monotonic() - start
    return {**counters, "seconds": round(elapsed, 2), "rps": round(counters["ok"] / elapsed, 2)}


def wait_for(port: int, path: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", f"{path}?SERVICE=WMS&REQUEST=GetCapabilities")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not start")


def measure(args: argparse.Namespace, workdir: Path) -> dict:
    sequence = views(extent_3857(args.lots), args.requests)
    warmup = views(extent_3857(args.lots), 8, seed=99)
    mapfile(workdir / "bench.map")
    config = workdir / "mapserver.conf"
    config.write_text(f'CONFIG\n  ENV\n    MS_MAPFILE "{workdir / "bench.map"}"\n  END\nEND\n')
    MapservCgi.config = str(config)
    ms_server = ThreadingHTTPServer(("127.0.0.1", free_port()), MapservCgi)
    threading.Thread(target=ms_server.serve_forever, daemon=True).start()
    port = free_port()
    gunicorn = start_gunicorn(port, workdir / "tiles")
    try:
        wait_for(port, "/wms")
        ms_port = ms_server.server_address[1]
        run_load(port, "/wms", warmup, args.budget)
        run_load(ms_port, "/", warmup, args.budget)
        ours = run_load(port, "/wms", sequence, args.budget)
        theirs = run_load(ms_port, "/", sequence, args.budget)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        ms_server.shutdown()
    return {"ours": ours, "mapserver_cgi": theirs}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lots", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--budget", type=float, default=90.0, help="seconds per server at most")
    args = parser.parse_args()
    if not shutil.which("mapserv"):
        sys.exit("mapserv not found: WITH_BENCH_PACKAGES=1 scripts/system-packages.sh")
    delete_lots()
    create_lots(args.lots)
    try:
        with tempfile.TemporaryDirectory() as workdir:
            result = measure(args, Path(workdir))
    finally:
        delete_lots()
    ours, theirs = result["ours"], result["mapserver_cgi"]
    ratio = round(ours["rps"] / theirs["rps"], 3) if theirs["rps"] else None
    summary = {"lots": args.lots, "clients": CLIENTS, "sizes": SIZES, **result, "ratio": ratio}
    summary["note"] = (
        "MapServer runs as CGI (a process, mapfile parse and PostgreSQL connection per "
        "request); under FastCGI it would be faster and the ratio lower."
    )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "wms_getmap.json").write_text(json.dumps(summary, indent=2))
    print(
        f"{args.lots} lots, {CLIENTS} clients, 256x256 + 1024x768 EPSG:3857 GetMap:\n"
        f"  ours (gunicorn 2 workers, MapProxy+Mapnik, uncached): {ours['rps']} req/s "
        f"({ours['ok']} ok, {ours['bad']} failed)\n"
        f"  MapServer 8 as CGI (2 at once): {theirs['rps']} req/s "
        f"({theirs['ok']} ok, {theirs['bad']} failed)\n"
        f"  ratio {ratio} (aim >= 0.8). {summary['note']}"
    )


if __name__ == "__main__":
    main()
