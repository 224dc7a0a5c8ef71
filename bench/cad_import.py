"""Benchmark: a generated 100,000-entity Vietnamese plan drawing (DXF) into PostGIS.

The drawing looks like what planning institutes send: blocks of lots drawn either as
closed polylines or as loose LINEs whose ends miss by 2 cm, one hatch per lot by land use,
TCVN3 MTEXT labels in a `.VnTime` style (code, function, MĐXD, HSSDĐ, TC, sometimes
several facts on one line with decimal commas), road centre lines, and junk layers (title
notes, trees, dimensions) in VN-2000 / TM-3 107-00 coordinates around Hue. It is generated
once with ezdxf and cached under var/bench/.

In the same run, on the same file and database:
  - ours: importers.service.import_cad into a throwaway draft revision (reading, block
    expansion, text decoding, snapping and polygonising the linework, label joining,
    COPY into planning_feature), in a child process whose peak RSS is measured;
  - theirs: `ogr2ogr -f PostgreSQL` with GDAL's DXF driver and PG_USE_COPY=YES into a
    scratch table (GDAL loads the raw linework; it builds no lots and joins no labels).
Prints both times, the ratio and the peak RSS; writes bench/results/cad_import.json.
Aim: ours <= 2 x ogr2ogr, peak RSS < 1.5 GB.
With --autocad the drawing is as AutoCAD exports usually are (tree symbols as block
references with attributes, a title block, XDATA on the road centre lines); results go to
bench/results/cad_import_autocad.json. With --r12 it is saved as DXF R12, as legacy
drawings and "export to R12" come: every polyline a POLYLINE with VERTEX entities, labels
as one TEXT per line, no hatches (R12 has none); results in bench/results/cad_import_r12.json.
Usage: .venv/bin/python bench/cad_import.py [--entities N] [--repeat R] [--profile FILE]
       [--autocad | --r12]
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planning.settings")

CODE = "bench-cad"
OGR_TABLE = "bench_ogr2ogr_cad"
E0, N0 = 558000.0, 1819000.0  # south-west corner, Hue (EPSG:9214)
LOT_W, LOT_H, GAP = 30.0, 20.0, 0.02
COLUMNS, ROWS, ROAD = 4, 2, 12.0  # lots per block, road width between blocks
MAPPING = {
    "QH_RANHGIOI_LO": "landuse",
    "QH_HATCH": "landuse",
    "QH_KYHIEU_LO": "landuse",
    "QH_TIMDUONG": "roads",
    "*": "ignore",
}
# (code prefix, Vietnamese function, hatch colour)
FUNCTIONS = [
    ("OD", "Đất ở mới", 30),
    ("HH", "Đất hỗn hợp", 6),
    ("CX", "Đất cây xanh", 3),
    ("GD", "Đất giáo dục", 5),
    ("YT", "Đất y tế", 1),
    ("CC", "Đất công cộng", 4),
]


@functools.cache
def _tcvn3_bytes() -> dict[str, int]:
    from importers.text.tcvn3_table import TCVN3_TABLE

    return {unicodedata.normalize("NFC", char): byte for byte, char in TCVN3_TABLE.items()}


def tcvn3(text: str) -> str:
    """Unicode -> TCVN3 bytes, as the Latin-1 string ezdxf writes back byte for byte."""
    table = _tcvn3_bytes()
    raw = bytes(table.get(c, ord(c)) if ord(c) > 127 else ord(c) for c in text)
    return raw.decode("latin-1")


def label(block: int, lot: int) -> str:
    """The lot's label, in one of three ways planners write it."""
    prefix, function, _ = FUNCTIONS[(block + lot) % len(FUNCTIONS)]
    code = f"{prefix}{block % 1000:03d}-{lot + 1:02d}"
    density, far, low = 40 + (block + lot) % 45, 1 + (lot % 5) * 0.25, 2 + lot % 4
    far_text = f"{far:.2f}".replace(".", ",")
    style = (block + lot) % 3
    if style == 0:  # one fact per line
        lines = [code, function, f"MĐXD {density}%", f"HSSDĐ {far_text}", f"TC {low}-{low + 3}"]
    elif style == 1:  # several facts on one line
        lines = [code, function, f"MĐXD {density}% HSSDĐ {far_text} TC {low}-{low + 3}"]
    else:
        area = f"{LOT_W * LOT_H:,.1f}".replace(",", "X").replace(".", ",").replace("X", ".")
        lines = [code, function, f"MĐXD={density}%; TC: {low}-{low + 3} tầng; S={area} m2"]
    return tcvn3("\\P".join(lines))


def _lot_corners(x: float, y: float) -> list[tuple[float, float]]:
    return [(x, y), (x + LOT_W, y), (x + LOT_W, y + LOT_H), (x, y + LOT_H)]


def _loose_grid(msp, x0: float, y0: float) -> None:
    """Every edge of the block's lot grid once, as a LINE stopping GAP short of its end."""
    attribs = {"layer": "QH_RANHGIOI_LO"}
    for row in range(ROWS + 1):
        for col in range(COLUMNS):
            x, y = x0 + col * LOT_W, y0 + row * LOT_H
            msp.add_line((x, y), (x + LOT_W - GAP, y), dxfattribs=attribs)
    for col in range(COLUMNS + 1):
        for row in range(ROWS):
            x, y = x0 + col * LOT_W, y0 + row * LOT_H
            msp.add_line((x, y + GAP), (x, y + LOT_H), dxfattribs=attribs)


def _block(msp, index: int, x0: float, y0: float, variant: str = "plain") -> None:
    autocad, r12 = variant == "autocad", variant == "r12"
    if index % 2:
        _loose_grid(msp, x0, y0)
    for row in range(ROWS):
        for col in range(COLUMNS):
            lot = row * COLUMNS + col
            x, y = x0 + col * LOT_W, y0 + row * LOT_H
            if not index % 2:
                add_polyline = msp.add_polyline2d if r12 else msp.add_lwpolyline
                add_polyline(_lot_corners(x, y), close=True, dxfattribs={"layer": "QH_RANHGIOI_LO"})
            if r12:  # no hatch, and a TEXT per label line
                _text_lines(msp, label(index, lot), x + 2, y + LOT_H - 2)
                continue
            colour = FUNCTIONS[(index + lot) % len(FUNCTIONS)][2]
            hatch = msp.add_hatch(color=colour, dxfattribs={"layer": "QH_HATCH"})
            hatch.paths.add_polyline_path(_lot_corners(x, y), is_closed=True)
            mtext = msp.add_mtext(
                label(index, lot),
                dxfattribs={"layer": "QH_KYHIEU_LO", "style": "VNTIME", "char_height": 1.2},
            )
            mtext.dxf.insert = (x + 2, y + LOT_H - 2)
    width, height = COLUMNS * LOT_W, ROWS * LOT_H
    road_y = y0 - ROAD / 2
    road_x = x0 - ROAD / 2
    roads = [
        msp.add_line(
            (x0 - ROAD, road_y), (x0 + width, road_y), dxfattribs={"layer": "QH_TIMDUONG"}
        ),
        msp.add_line((road_x, y0), (road_x, y0 + height), dxfattribs={"layer": "QH_TIMDUONG"}),
    ]
    if autocad:  # road data of a civil-engineering add-on, as XDATA
        for road in roads:
            road.set_xdata("QHXD", [(1000, "TIM DUONG"), (1040, ROAD)])
    msp.add_text(
        tcvn3("Ghi chú lô"), dxfattribs={"layer": "GHICHU", "style": "VNTIME"}
    ).dxf.insert = (
        x0 + 5,
        y0 - 3,
    )
    for tree_y in (y0 + 3, y0 + height - 3):
        if autocad:  # a tree symbol block with its species as an attribute
            tree = msp.add_blockref("CAY", (x0 - 3, tree_y), dxfattribs={"layer": "CAY_XANH"})
            tree.add_auto_attribs({"LOAI": tcvn3("Sao đen")})
        else:
            msp.add_circle((x0 - 3, tree_y), 1.5, dxfattribs={"layer": "CAY_XANH"})
    msp.add_line((x0, y0 - 9), (x0 + width, y0 - 9), dxfattribs={"layer": "DIM"})


def _text_lines(msp, text: str, x: float, y: float) -> None:
    for number, line in enumerate(text.split("\\P")):
        msp.add_text(
            line,
            dxfattribs={"layer": "QH_KYHIEU_LO", "style": "VNTIME", "height": 1.2},
        ).dxf.insert = (x, y - 1.5 * number)


def make_drawing(path: Path, entities: int, variant: str = "plain") -> int:
    """The plan drawing of about `entities` entities; returns the exact count. "autocad":
    as AutoCAD drawings usually are, with block references (tree symbols with attributes, a
    title block) and XDATA on the road centre lines; "r12": saved as DXF R12."""
    import ezdxf

    autocad = variant == "autocad"
    doc = ezdxf.new("R12" if variant == "r12" else "R2000")
    doc.header["$DWGCODEPAGE"] = "ANSI_1252"
    if variant != "r12":
        doc.header["$INSUNITS"] = 6
    doc.styles.new("VNTIME", dxfattribs={"font": ".VnTime.ttf"})
    for name in ("QH_RANHGIOI_LO", "QH_HATCH", "QH_KYHIEU_LO", "QH_TIMDUONG"):
        doc.layers.add(name)
    for name in ("GHICHU", "CAY_XANH", "DIM", "KHUNG_TEN"):
        doc.layers.add(name)
    msp = doc.modelspace()
    if autocad:
        _symbols(doc)
        title = msp.add_blockref("KHUNG", (E0 - 50, N0 - 50), dxfattribs={"layer": "KHUNG_TEN"})
        title.add_auto_attribs({"TEN": tcvn3("Quy hoạch chi tiết 1/500"), "TYLE": "1/500"})
    per_row = 50
    index = 0
    while len(msp) < entities:
        x0 = E0 + (index % per_row) * (COLUMNS * LOT_W + ROAD)
        y0 = N0 + (index // per_row) * (ROWS * LOT_H + ROAD)
        _block(msp, index, x0, y0, variant)
        index += 1
    (msp.add_polyline2d if variant == "r12" else msp.add_lwpolyline)(
        [(E0 - 50, N0 - 50), (E0 + 7000, N0 - 50), (E0 + 7000, N0 + 3500)],
        dxfattribs={"layer": "KHUNG_TEN"},
    )
    stream = io.StringIO()
    doc.write(stream)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(stream.getvalue().encode("latin-1"))
    return len(msp)


def _symbols(doc) -> None:
    """The blocks of the AutoCAD variant: a tree symbol and a title block."""
    doc.appids.new("QHXD")
    tree = doc.blocks.new("CAY")
    tree.add_circle((0, 0), 1.5)
    tree.add_point((0, 0))
    tree.add_attdef("LOAI", (0, 2), dxfattribs={"height": 0.5})
    frame = doc.blocks.new("KHUNG")
    frame.add_lwpolyline([(0, 0), (420, 0), (420, 297), (0, 297)], close=True)
    frame.add_attdef("TEN", (10, 280), dxfattribs={"height": 5})
    frame.add_attdef("TYLE", (10, 270), dxfattribs={"height": 3})


def _drawing_path(entities: int, variant: str) -> Path:
    suffix = "" if variant == "plain" else f"_{variant}"
    return ROOT / "var" / "bench" / f"cad_plan{suffix}_{entities}.dxf"


def cached_drawing(entities: int, variant: str = "plain") -> Path:
    path = _drawing_path(entities, variant)
    if not path.exists():  # in a child, so that ezdxf's memory stays out of this process
        start = time.perf_counter()
        command = [sys.executable, __file__, "--generate", str(entities)]
        flags = [] if variant == "plain" else [f"--{variant}"]
        subprocess.run(command + flags, check=True, cwd=ROOT)
        print(f"generated {path.name} in {time.perf_counter() - start:.1f} s")
    return path


def generate(entities: int, variant: str) -> None:
    path = _drawing_path(entities, variant)
    count = make_drawing(path.with_suffix(".tmp"), entities, variant)
    path.with_suffix(".tmp").rename(path)
    print(f"{count} entities")


# --- ours, in a child process -------------------------------------------------------------


def child(path: Path, profile: str | None) -> None:
    """Runs in the child: one import_cad into a fresh draft revision, JSON on stdout."""
    import django

    django.setup()
    from django.contrib.auth.models import User

    from importers.service import import_cad
    from planning.actions import CreateRevision
    from planning.models import Feature, Membership, Project, Revision, RevisionState

    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True})
    project, _ = Project.objects.get_or_create(
        code=CODE,
        defaults={"name": "CAD benchmark", "level": "detailed", "scale": 500, "created_by": user},
    )
    Membership.objects.get_or_create(project=project, user=user, role="planner")
    revision = (
        Revision.objects.filter(project=project, state=RevisionState.DRAFT).first()
        or CreateRevision(user=user, project=project).execute()
    )
    _empty(revision)
    before = _rss_mb()

    def run():
        return import_cad(
            user=user,
            revision=revision,
            path=path,
            filename=path.name,
            mapping=MAPPING,
            crs="EPSG:9214",
        )

    start = time.perf_counter()
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(run)
        profiler.dump_stats(profile)
    else:
        result = run()
    elapsed = time.perf_counter() - start
    report = result.report
    labelled = sum(
        1
        for layer in result.layers
        if layer.kind == "landuse"
        for attrs in Feature.objects.filter(layer=layer).values_list("attributes", flat=True)
        if attrs.get("code") and attrs.get("function") and attrs.get("density") is not None
    )
    _empty(revision)
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "features": report["features"],
                "labelled_lots": labelled,
                "label_issues": len(report["label_issues"]),
                "unclosed": len(report["unclosed"]),
                "rss_before_mb": before,
            }
        )
    )


def _empty(revision) -> None:
    """Removes the layers of the bench's draft revision (the revision itself is reused)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM planning_feature WHERE layer_id IN "
            "(SELECT id FROM planning_layer WHERE revision_id = %s)",
            [revision.pk],
        )
        cursor.execute("DELETE FROM planning_layer WHERE revision_id = %s", [revision.pk])


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_measured(command: list[str], env: dict) -> tuple[float, float, str]:
    """Wall time, peak RSS (MB) and stdout of a child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, cwd=ROOT)
    out = process.stdout.read().decode() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"{command[0]} failed with exit code {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024, out


def time_ours(path: Path, profile: str | None) -> tuple[dict, float]:
    command = [sys.executable, __file__, "--child", str(path)]
    if profile:
        command += ["--profile", profile]
    _, peak, out = run_measured(command, os.environ.copy())
    return json.loads(out.strip().splitlines()[-1]), peak


def conninfo() -> str:
    """libpq connection string of the server's database (from a child, to keep this process
    free of Django: a child's peak RSS starts at its parent's)."""
    out = subprocess.run(
        [sys.executable, __file__, "--conninfo"], check=True, capture_output=True, cwd=ROOT
    )
    return out.stdout.decode().strip().splitlines()[-1]


def print_conninfo() -> None:
    import django

    django.setup()
    from django.db import connection

    db = connection.settings_dict
    print(f"dbname={db['NAME']} host={db['HOST']} port={db['PORT']} user={db['USER']}")


def time_ogr2ogr(path: Path, database: str) -> tuple[float, float, int]:
    command = [
        "ogr2ogr",
        "-f",
        "PostgreSQL",
        f"PG:{database}",
        str(path),
        "entities",
        "-nln",
        OGR_TABLE,
        "-overwrite",
        "-a_srs",
        "EPSG:9214",
        "-lco",
        "SPATIAL_INDEX=GIST",
        "-lco",
        "GEOMETRY_NAME=geom",
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("PROJ_DATA", "PROJ_LIB", "GDAL_DATA")}
    elapsed, peak, _ = run_measured(command, {**env, "PG_USE_COPY": "YES"})
    import psycopg

    with psycopg.connect(database, autocommit=True) as db, db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_ogr2ogr_cad")  # the OGR_TABLE constant
        row = cursor.fetchone()
        cursor.execute("DROP TABLE IF EXISTS bench_ogr2ogr_cad")
    return elapsed, peak, int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--profile", help="write cProfile stats of our import to this file")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--conninfo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    drawing = parser.add_mutually_exclusive_group()
    drawing.add_argument(
        "--autocad",
        action="store_true",
        help="the drawing as AutoCAD exports usually are: blocks with attributes, XDATA",
    )
    drawing.add_argument(
        "--r12", action="store_true", help="the drawing saved as DXF R12 (legacy drawings)"
    )
    args = parser.parse_args()
    variant = "autocad" if args.autocad else "r12" if args.r12 else "plain"
    if args.generate:
        generate(args.generate, variant)
        return
    if args.conninfo:
        print_conninfo()
        return
    if args.child:
        child(args.child, args.profile)
        return
    if not shutil.which("ogr2ogr"):
        sys.exit("ogr2ogr not found: apt-get install gdal-bin")
    path = cached_drawing(args.entities, variant)
    database = conninfo()
    ours, theirs = [], []
    for _ in range(args.repeat):  # interleaved so both see the same machine state
        theirs.append(time_ogr2ogr(path, database))
        ours.append(time_ours(path, args.profile))
    report(args.entities, path, ours, theirs, variant)


DRAWINGS = {"plain": "plain", "autocad": "autocad (blocks, XDATA)", "r12": "R12 (POLYLINE, TEXT)"}


def report(entities: int, path: Path, ours: list, theirs: list, variant: str) -> None:
    ours_s = min(run["seconds"] for run, _ in ours)
    theirs_s = min(t for t, _, _ in theirs)
    details, _ = ours[-1]
    paired = [
        round(run["seconds"] / t, 2) for (run, _), (t, _, _) in zip(ours, theirs, strict=True)
    ]
    result = {
        "drawing": DRAWINGS[variant],
        "entities": entities,
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "ours_s": round(ours_s, 2),
        "ogr2ogr_s": round(theirs_s, 2),
        "ratio": round(ours_s / theirs_s, 2),
        "ours_peak_rss_mb": round(max(peak for _, peak in ours), 1),
        "ogr2ogr_peak_rss_mb": round(max(peak for _, peak, _ in theirs), 1),
        "ours_features": details["features"],
        "labelled_lots": details["labelled_lots"],
        "label_issues": details["label_issues"],
        "unclosed": details["unclosed"],
        "ogr2ogr_rows": theirs[-1][2],
        "runs": {
            "ours": [round(run["seconds"], 2) for run, _ in ours],
            "ogr2ogr": [round(t, 2) for t, _, _ in theirs],
        },
        # Each run against the ogr2ogr run just before it: this machine's speed drifts by a
        # third within minutes, and the best of each side may come from different moments.
        "paired_ratios": paired,
        "median_paired_ratio": round(statistics.median(paired), 2),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    name = "cad_import.json" if variant == "plain" else f"cad_import_{variant}.json"
    (out / name).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(
        f"{entities} entities ({result['file_mb']} MB DXF): import_cad {result['ours_s']} s "
        f"(peak RSS {result['ours_peak_rss_mb']} MB), ogr2ogr {result['ogr2ogr_s']} s "
        f"(peak RSS {result['ogr2ogr_peak_rss_mb']} MB), ratio {result['ratio']} "
        f"(median of paired runs {result['median_paired_ratio']}; aim <= 2, peak < 1536 MB); "
        f"{details['features']} features, "
        f"{details['labelled_lots']} fully labelled lots, {details['label_issues']} label issues, "
        f"{details['unclosed']} unclosed"
    )


if __name__ == "__main__":
    main()
