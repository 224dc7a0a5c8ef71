"""Benchmark: stream a 10,000-feature page of OGC API items, against buffering it.

Same data, same run, inside one transaction that is rolled back (the dev database keeps
nothing): N approved lots in Hue, then GET /ogcapi/collections/landuse.<code>/items with
limit=10000 through the Django test client,
  - streamed (the server's view: values() iterator, PostGIS AsGeoJSON(Transform(...)));
  - buffered (the same rows list()ed and json.dumps()ed as one document, the naive way).
Prints time and peak Python memory of both and their ratios, writes
bench/results/ogcapi_items.json.
Usage: .venv/bin/python bench/ogcapi_items.py [--features N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planning.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.contrib.gis.geos import MultiPolygon, Polygon  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from planning.actions import CreateProject, CreateRevision  # noqa: E402
from planning.models import Feature, Layer, Project, Revision, RevisionState  # noqa: E402
from tiles.feature_types import feature_type  # noqa: E402
from tiles.ogcapi import geojson  # noqa: E402
from tiles.ogcapi.items import CRS84_CRS  # noqa: E402

CODE = "bench-ogcapi"


class Rollback(Exception):
    """Raised to undo the benchmark's data."""


def _lot(i: int, side: int) -> tuple[float, float, float, float]:
    x, y = 540000.0 + (i % side) * 22.0, 1800000.0 + (i // side) * 22.0
    return x, y, x + 20.0, y + 20.0


def load(count: int) -> None:
    user = User.objects.create_superuser("bench_ogcapi", password="x")
    box = Polygon.from_bbox((540000, 1800000, 560000, 1820000))
    project = CreateProject(user=user, code=CODE, name="Bench", level=Project.Level.DETAILED,
                            scale=500, boundary=MultiPolygon(box)).execute()  # fmt: skip
    revision = CreateRevision(user=user, project=project).execute()
    layer = Layer.objects.create(revision=revision, kind="landuse", name="lots",
                                 created_by=user, feature_count=count,
                                 attribute_schema=[{"name": "name", "type": "string"}])  # fmt: skip
    side = int(count**0.5) + 1
    Feature.objects.bulk_create(
        (
            Feature(
                layer=layer,
                geom=Polygon.from_bbox(_lot(i, side)),
                attributes={"code": f"L{i:06d}", "function": "DO", "name": "Lô đất quy hoạch"},
                category="DO",
            )
            for i in range(count)
        ),
        batch_size=5000,
    )  # fmt: skip
    Revision.objects.filter(pk=revision.pk).update(
        state=RevisionState.APPROVED, approved_at=timezone.now()
    )


def measure(run) -> tuple[float, int, int]:
    tracemalloc.start()
    started = time.perf_counter()
    size = run()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak, size


def streamed(limit: int) -> int:
    response = Client(HTTP_HOST="localhost").get(
        f"/ogcapi/collections/landuse.{CODE}/items?limit={limit}"
    )
    assert response.status_code == 200, response.status_code
    return sum(len(chunk) for chunk in response.streaming_content)


def buffered(limit: int) -> int:
    ftype = feature_type(f"landuse.{CODE}", None)
    assert ftype is not None
    from tiles.feature_types import features_of, properties_of

    rows = list(geojson.rows(features_of(ftype, None).order_by("id"), CRS84_CRS)[:limit])
    properties = properties_of(ftype, None)
    features = [
        {"type": "Feature", "id": r["fid"], "geometry": json.loads(r["geojson"]),
         "properties": geojson.public_properties(r, properties)}
        for r in rows
    ]  # fmt: skip
    return len(json.dumps({"type": "FeatureCollection", "features": features}).encode())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--features", type=int, default=20000)
    args = parser.parse_args()
    limit = min(args.features, 10000)
    result: dict[str, object] = {}
    try:
        with transaction.atomic():
            load(args.features)
            streamed(10)  # warm-up: templates, URL resolver, PostGIS plan
            s_time, s_peak, s_size = measure(lambda: streamed(limit))
            b_time, b_peak, b_size = measure(lambda: buffered(limit))
            result = {
                "features_in_collection": args.features,
                "page": limit,
                "streamed": {"seconds": round(s_time, 3), "peak_bytes": s_peak, "bytes": s_size},
                "buffered": {"seconds": round(b_time, 3), "peak_bytes": b_peak, "bytes": b_size},
                "time_ratio_streamed_over_buffered": round(s_time / b_time, 2),
                "memory_ratio_streamed_over_buffered": round(s_peak / b_peak, 3),
            }
            raise Rollback
    except Rollback:
        pass
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results" / "ogcapi_items.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
