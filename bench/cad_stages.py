"""Where the time of bench/cad_import.py's import goes: wall-clock seconds per stage.

Runs the same import as cad_import.py (same drawing, mapping and CRS, a throwaway draft
revision) once in this process, with timers around its stages, and prints them beside the
whole import and, for scale, one ogr2ogr run of the same file:
  - read: importers.cad.fastdxf.read (tokens, entity layout and checks, CadItems);
  - build: building the planning features (snapping and polygonising the lots, reading and
    joining the labels; importers.cad.build.build_features, all layers);
  - load: COPY into planning_feature and the layer rows (importers.service._load_cad);
  - other: the rest of importers.service.import_cad (text decoding set-up, CRS, report,
    revision bookkeeping).
"without read" is what the import would take with a reader that cost nothing: the floor
any faster reader alone can reach (decision 0005).
Usage: .venv/bin/python bench/cad_stages.py [--entities N]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planning.settings")

import cad_import  # noqa: E402  (the benchmark's drawing, import and ogr2ogr run)

STAGES = {  # stage -> (module, function) timed
    "read": ("importers.cad.fastdxf", "read"),
    "build": ("importers.cad.convert", "build_features"),
    "load": ("importers.service", "_load_cad"),
}


def timed(spent: dict, stage: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[stage] += time.perf_counter() - start

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=100_000)
    args = parser.parse_args()
    path = cad_import.cached_drawing(args.entities)
    ogr_seconds, _, _ = cad_import.time_ogr2ogr(path, cad_import.conninfo())
    import importlib

    import django

    django.setup()
    spent: dict[str, float] = defaultdict(float)
    for stage, (module_name, name) in STAGES.items():
        module = importlib.import_module(module_name)
        setattr(module, name, timed(spent, stage, getattr(module, name)))
    service = importlib.import_module("importers.service")
    service.import_cad = timed(spent, "import", service.import_cad)
    cad_import.child(path, None)  # prints the import's own JSON line
    total = spent.pop("import")
    spent["other"] = total - sum(spent.values())
    for stage in (*STAGES, "other"):
        print(f"{stage:6s} {spent[stage]:6.2f} s")
    print(f"import {total:6.2f} s, without read {total - spent['read']:.2f} s")
    print(
        f"ogr2ogr {ogr_seconds:.2f} s: import / ogr2ogr {total / ogr_seconds:.2f}, "
        f"without read / ogr2ogr {(total - spent['read']) / ogr_seconds:.2f}"
    )


if __name__ == "__main__":
    main()
