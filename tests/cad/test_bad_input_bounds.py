"""Bad drawings end in a clear error within bounded time and memory, with nothing written:
a 50 MB MTEXT (in chunks or in one line), recursive blocks, truncated or oversized binary
DXF, malformed tag streams, and the peak memory of refusing a million-vertex polyline."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import ezdxf
import pytest
from django.utils import translation

from importers.service import import_cad
from planning.errors import InvalidInput, PlanningError
from planning.models import Feature, Layer
from tests.cad.drawings import MAPPING, plan_drawing

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT.parent / "shared" / "samples" / "dxf"
FIFTY_MB = 50 * 1024 * 1024


def refused(planner, revision, path: Path, mapping=None, seconds: float = 60) -> InvalidInput:
    """The import's error, after checking that it came in time and wrote nothing."""
    counts = (Layer.objects.count(), Feature.objects.count())
    start = time.monotonic()
    with pytest.raises(PlanningError) as caught:
        import_cad(
            user=planner,
            revision=revision,
            path=path,
            filename=path.name,
            mapping=mapping or {"*": "landuse"},
        )
    assert time.monotonic() - start < seconds
    assert (Layer.objects.count(), Feature.objects.count()) == counts
    assert isinstance(caught.value, InvalidInput)
    return caught.value


def peak_rss_mb_of_opening(path: Path) -> tuple[float, str]:
    """Peak RSS of a fresh process that opens the drawing (the import's reading step),
    and the error it ends in. Django's own footprint is measured the same way."""
    script = (
        "import json, resource, sys, tempfile\n"
        "from pathlib import Path\n"
        "import django\n"
        "django.setup()\n"
        "from importers.cad.limits import limits\n"
        "from importers.cad.reader import open_drawing\n"
        "from planning.errors import PlanningError\n"
        "message = ''\n"
        "if sys.argv[1] != '-':\n"
        "    path = Path(sys.argv[1])\n"
        "    try:\n"
        "        with tempfile.TemporaryDirectory() as work:\n"
        "            open_drawing(path, path.name, Path(work), limits())\n"
        "    except PlanningError as exc:\n"
        "        message = exc.message\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'peak': peak, 'message': str(message)}))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "planning.settings", "PLANNING_LANGUAGE": "en"}
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )
    result = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return result["peak"], result["message"]


def _mtext_file(path: Path, chars: int, one_line: bool) -> Path:
    """An MTEXT of `chars` characters, streamed to disk: in 250-character group 3 chunks
    as AutoCAD writes it, or as one group 1 line."""
    with path.open("w") as out:
        out.write("0\nSECTION\n2\nENTITIES\n0\nMTEXT\n8\nNOTES\n10\n0\n20\n0\n")
        if one_line:
            out.write("1\n")
            for _ in range(-(-chars // 1_000_000)):
                out.write("x" * 1_000_000)
            out.write("\n")
        else:
            chunk = "3\n" + "x" * 250 + "\n"
            block = chunk * 4000
            for _ in range(chars // (250 * 4000)):
                out.write(block)
            out.write("1\nend\n")
        out.write("0\nENDSEC\n0\nEOF\n")
    return path


@pytest.mark.parametrize("one_line", [False, True])
def test_fifty_megabyte_mtext_is_refused(planner, draft_plan, tmp_path, one_line):
    path = _mtext_file(tmp_path / "note.dxf", FIFTY_MB, one_line)
    assert path.stat().st_size > FIFTY_MB
    error = refused(planner, draft_plan, path)
    assert "characters of text" in error.message


def test_refusing_big_drawings_takes_bounded_memory(tmp_path):
    baseline, _ = peak_rss_mb_of_opening(Path("-"))
    text = _mtext_file(tmp_path / "note.dxf", FIFTY_MB, one_line=False)
    peak, message = peak_rss_mb_of_opening(text)
    assert "characters of text" in message
    assert peak - baseline < 100  # streamed: not the 50 MB text, let alone ezdxf's objects
    line = tmp_path / "polyline.dxf"
    with line.open("w") as out:
        out.write("0\nSECTION\n2\nENTITIES\n0\nLWPOLYLINE\n8\nLOTS\n90\n1100000\n70\n0\n")
        for i in range(1_100_000):
            out.write(f"10\n{561714 + i * 0.001:.3f}\n20\n1821449.0\n")
        out.write("0\nENDSEC\n0\nEOF\n")
    peak, message = peak_rss_mb_of_opening(line)
    assert "more than 1000000 vertices" in message
    assert peak - baseline < 100


def test_recursive_blocks_write_nothing(planner, draft_plan):
    error = refused(planner, draft_plan, SAMPLES / "gdal_insert-recursive-pair.dxf")
    assert "Blocks insert each other" in error.message


def test_a_block_inserting_itself_writes_nothing(planner, draft_plan, tmp_path):
    doc = ezdxf.new("R2000")
    block = doc.blocks.new("LOOP")
    block.add_line((0, 0), (1, 1))
    doc.modelspace().add_blockref("LOOP", (0, 0))
    block.add_blockref("LOOP", (2, 2))  # after the model-space INSERT: LOOP → LOOP
    doc.saveas(tmp_path / "loop.dxf")
    error = refused(planner, draft_plan, tmp_path / "loop.dxf")
    assert "LOOP → LOOP" in error.message


def test_truncated_binary_dxf_is_a_clear_error(planner, draft_plan, tmp_path):
    doc = ezdxf.readfile(plan_drawing(tmp_path / "plan.dxf"))
    doc.saveas(tmp_path / "binary.dxf", fmt="bin")
    data = (tmp_path / "binary.dxf").read_bytes()
    cut = tmp_path / "cut.dxf"
    cut.write_bytes(data[: len(data) // 2])
    error = refused(planner, draft_plan, cut, mapping=MAPPING)
    assert "binary DXF" in error.message


def test_binary_dxf_is_held_to_the_same_limits(planner, draft_plan, tmp_path):
    doc = ezdxf.new("R2000")
    doc.blocks.new("TREE").add_circle((0, 0), 1)
    doc.modelspace().add_blockref("TREE", (0, 0)).grid(size=(1000, 1000), spacing=(2, 2))
    doc.saveas(tmp_path / "array.dxf", fmt="bin")
    error = refused(planner, draft_plan, tmp_path / "array.dxf")
    assert "MINSERT" in error.message
    assert "an array of 1,000,000 copies" in error.message  # grouped, in the language's way
    with translation.override("vi"):
        error = refused(planner, draft_plan, tmp_path / "array.dxf")
    assert "một mảng 1.000.000 bản sao" in error.message


def test_whole_binary_dxf_still_imports(planner, draft_plan, tmp_path):
    doc = ezdxf.readfile(plan_drawing(tmp_path / "plan.dxf"))
    doc.saveas(tmp_path / "binary.dxf", fmt="bin")
    result = import_cad(
        user=planner,
        revision=draft_plan,
        path=tmp_path / "binary.dxf",
        filename="binary.dxf",
        mapping=MAPPING,
        crs="EPSG:9214",
    )
    assert result.report["features"]["landuse"] == 6


def test_garbage_in_the_middle_of_the_tag_stream(planner, draft_plan, tmp_path):
    stream = io.StringIO()
    ezdxf.readfile(plan_drawing(tmp_path / "plan.dxf")).write(stream)
    lines = stream.getvalue().split("\n")
    middle = len(lines) // 2 & ~1  # a group code line
    lines[middle] = "not a group code"
    broken = tmp_path / "broken.dxf"
    broken.write_bytes("\n".join(lines).encode("latin-1"))
    error = refused(planner, draft_plan, broken, mapping=MAPPING)
    assert f"line {middle + 1} holds no group code" in error.message
