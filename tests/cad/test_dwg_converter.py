"""The external DWG converter is boxed: hostile stand-in converters (programs named dwg2dxf
or ODAFileConverter on PATH) that hang with a helper, allocate or write without bound,
spew messages, crash or read the environment end in a clear error within seconds, with
nothing written, no process left and the work dir gone; a well-behaved one gives the same
features as the DXF it produced, read under the same limits as an uploaded DXF."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from importers.cad import dwg
from importers.cad.limits import CadLimits
from importers.service import inspect_drawing
from planning.errors import InvalidInput, UnsupportedFormat
from planning.models import Feature
from tests.cad.test_import_cad import _nothing_written, run

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "samples" / "dxf"
SAMPLE = SAMPLES / "ezdxf_POLI-ALL210_12.DXF"  # 30 POLYLINEs on layer T-2DPLINE-ALL
SAMPLE_MAPPING = {"T-2DPLINE-ALL": "roads"}
E0, N0 = 561714.0, 1821449.0  # VN-2000 (EPSG:9214) metres in Hue
PLACED = {"crs": "EPSG:9214", "control_points": [[0, 0, E0, N0], [100, 0, E0 + 100, N0]]}
MB = 1024 * 1024
PYTHON = f"#!{sys.executable}\n"
# The converters' arguments: dwg2dxf -y -o OUT IN; ODAFileConverter INDIR OUTDIR VER DXF 0 0 NAME
DWG2DXF_OUT = '"$3"'
ODA_OUT = '"$2/$(basename "$7" .dwg).dxf"'


@pytest.fixture
def bin_dir(tmp_path, monkeypatch) -> Path:
    """A directory first on PATH for the stand-in converters."""
    directory = tmp_path / "bin"
    directory.mkdir()
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ['PATH']}")
    return directory


@pytest.fixture
def var_dir(tmp_path, settings) -> Path:
    """The var dir of this test alone, so that its work dirs can be counted."""
    settings.PLANNING_VAR_DIR = str(tmp_path / "var")
    return tmp_path / "var"


@pytest.fixture
def drawing(tmp_path) -> Path:
    path = tmp_path / "plan.dwg"
    path.write_bytes(b"AC1032" + os.urandom(2000))
    return path


def converter(bin_dir: Path, script: str, name: str = "dwg2dxf") -> Path:
    path = bin_dir / name
    path.write_text(script)
    path.chmod(0o755)
    return path


def limited(settings, **changes) -> CadLimits:
    settings.PLANNING_CAD_LIMITS = CadLimits(**changes)
    return settings.PLANNING_CAD_LIMITS


def refused(planner, revision, path: Path, var_dir: Path) -> InvalidInput:
    """The import's error, after checking that it wrote nothing and left no work dir."""
    started = time.monotonic()
    error = _nothing_written(revision, lambda: run(planner, revision, path))
    assert time.monotonic() - started < 10
    assert isinstance(error, InvalidInput)
    assert list((var_dir / "tmp").iterdir()) == []
    assert "Save the drawing as DXF in AutoCAD" in error.message
    return error


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for a reaper counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def gone(pids: list[int], within: float = 2.0) -> bool:
    deadline = time.monotonic() + within
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def pids_in(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()]


@pytest.mark.parametrize("name", ["dwg2dxf", "ODAFileConverter"])
def test_a_hanging_converter_and_its_helpers_are_killed_at_the_timeout(
    name, planner, draft_plan, drawing, bin_dir, var_dir, tmp_path, settings
):
    pids = tmp_path / "pids"
    script = f"#!/bin/sh\necho $$ > {pids}\nsleep 300 &\necho $! >> {pids}\n"
    script += f"sleep 300 &\necho $! >> {pids}\nwait\n"
    converter(bin_dir, script, name)
    limited(settings, converter_timeout=1)
    error = refused(planner, draft_plan, drawing, var_dir)
    assert "took longer than 1 s" in error.message
    assert len(pids_in(pids)) == 3
    assert gone(pids_in(pids))  # the shell and both helpers


SERVER = """import sys
from pathlib import Path
from importers.cad import dwg
from importers.cad.limits import CadLimits
dwg.to_dxf(Path(sys.argv[1]), Path(sys.argv[2]), CadLimits(converter_timeout=60))
"""


def test_a_converter_outliving_its_server_is_killed(drawing, bin_dir, tmp_path):
    pid, work = tmp_path / "pid", tmp_path / "work"
    work.mkdir()
    converter(bin_dir, f"#!/bin/sh\necho $$ > {pid}.new\nmv {pid}.new {pid}\nexec sleep 300\n")
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(drawing), str(work)], cwd=REPO)
    deadline = time.monotonic() + 5
    while not pid.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(pids_in(pid)[0])
    server.kill()  # as a crashed or SIGKILLed worker: no finally clause runs
    server.wait()
    assert gone(pids_in(pid))


def test_unbounded_memory_ends_in_a_memory_error(
    planner, draft_plan, drawing, bin_dir, var_dir, tmp_path, settings
):
    pid, escaped = tmp_path / "pid", tmp_path / "escaped"
    script = PYTHON + f"import os\nopen('{pid}', 'w').write(str(os.getpid()))\nblocks = []\n"
    script += "while len(blocks) < 64:\n    blocks.append(bytearray(32 * 1024 * 1024))\n"
    script += f"open('{escaped}', 'w').write('2 GB allocated')\n"  # stops short of harm
    converter(bin_dir, script)
    limited(settings, converter_memory=256 * MB)
    error = refused(planner, draft_plan, drawing, var_dir)
    assert "needed more than 256 MB of memory" in error.message
    assert not escaped.exists()
    assert gone(pids_in(pid))


@pytest.mark.parametrize(
    "script",
    [
        f"#!/bin/sh\ncat /dev/zero > {DWG2DXF_OUT}\n",  # killed by SIGXFSZ
        PYTHON  # Python ignores SIGXFSZ: its writes fail instead
        + "import os, sys\nchunk = bytes(1024 * 1024)\nout = os.open(sys.argv[3], os.O_WRONLY | os.O_CREAT)\n"
        + "try:\n    while True:\n        os.write(out, chunk)\nexcept OSError:\n    pass\n"
        + "print(os.fstat(out).st_size, file=open(sys.argv[3] + '.size', 'w'))\n",
    ],
    ids=["shell", "python"],
)
def test_endless_output_stops_at_the_dxf_size_limit(
    script, planner, draft_plan, drawing, bin_dir, var_dir, tmp_path, settings
):
    converter(bin_dir, script)
    limits = limited(settings, max_bytes=2 * MB)
    error = refused(planner, draft_plan, drawing, var_dir)
    assert "it wrote more than 2 MB" in error.message
    work = tmp_path / "work"  # the same conversion in a work dir that outlives it
    work.mkdir()
    with pytest.raises(InvalidInput, match="it wrote more than 2 MB"):
        dwg.to_dxf(drawing, work, limits)
    assert not (work / "converted.dxf").exists()  # the partial output is never read
    assert all(f.stat().st_size <= 2 * MB + 1 for f in work.rglob("*"))
    if "python" in script:
        assert int((work / "converted.dxf.size").read_text()) == 2 * MB + 1


def test_messages_spewed_by_the_converter_stay_on_disk(
    planner, draft_plan, drawing, bin_dir, var_dir, settings, caplog
):
    script = PYTHON + "import sys\nline = b'x' * 1023 + b'\\n'\n"
    script += "for _ in range(64 * 1024):\n    sys.stderr.buffer.write(line)\n"
    script += "sys.stderr.buffer.write(b'the last words')\nsys.exit(3)\n"
    converter(bin_dir, script)
    tracemalloc.start()
    try:
        with caplog.at_level(logging.WARNING, logger="importers.cad.dwg"):
            error = refused(planner, draft_plan, drawing, var_dir)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MB  # 64 MB of messages were never read into memory
    assert "could not read this drawing" in error.message
    assert len(error.message) < 300
    logged = [r.getMessage() for r in caplog.records if r.name == "importers.cad.dwg"]
    assert len(logged) == 1
    assert "code 3" in logged[0]
    assert logged[0].endswith("the last words")
    assert len(logged[0]) < dwg.LOG_TAIL + 200


def test_a_crashing_converter_is_reported_as_a_crash(
    planner, draft_plan, drawing, bin_dir, var_dir
):
    converter(bin_dir, "#!/bin/sh\nkill -SEGV $$\n")
    error = refused(planner, draft_plan, drawing, var_dir)
    assert "crashed on this drawing" in error.message


@pytest.mark.parametrize("fault", ["a broken interpreter line", "no interpreter for the box"])
def test_a_converter_the_server_cannot_start_is_a_set_up_fault_not_the_drawings(
    fault, planner, draft_plan, drawing, bin_dir, var_dir, monkeypatch, caplog
):
    """The planner is told the server's converter could not start (and to send DXF), the
    log says why at ERROR; never "could not read this drawing", never a 500."""
    if fault == "a broken interpreter line":
        converter(bin_dir, "#!/nonexistent/interpreter\n")
    else:
        converter(bin_dir, "#!/bin/sh\nexit 0\n")
        monkeypatch.setattr(sys, "executable", str(bin_dir / "no-such-python"))
    with caplog.at_level(logging.ERROR, logger="importers.cad.dwg"):
        error = _nothing_written(draft_plan, lambda: run(planner, draft_plan, drawing))
    assert isinstance(error, UnsupportedFormat)
    assert "DWG converter could not be started; ask the administrator" in error.message
    assert "Save the drawing as DXF in AutoCAD" in error.message
    assert any("could not be started" in r.getMessage() for r in caplog.records)
    assert list((var_dir / "tmp").iterdir()) == []


def test_the_converter_sees_none_of_the_server_environment(
    planner, draft_plan, drawing, bin_dir, var_dir, tmp_path, monkeypatch
):
    secrets = {
        "DATABASE_URL": "postgres://u:secret@db/planning",
        "PLANNING_SECRET_KEY": "secret",
        "HTTPS_PROXY": "http://proxy:3128",
        "AWS_SECRET_ACCESS_KEY": "secret",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    seen = tmp_path / "environment.json"
    script = PYTHON + "import json, os, resource, sys\n"
    script += "limits = {n: resource.getrlimit(getattr(resource, n)) for n in "
    script += "('RLIMIT_AS', 'RLIMIT_FSIZE', 'RLIMIT_CPU', 'RLIMIT_CORE')}\n"
    script += "json.dump({'env': dict(os.environ), 'cwd': os.getcwd(), 'limits': limits}, "
    script += f"open('{seen}', 'w'))\nsys.exit(1)\n"
    converter(bin_dir, script)
    refused(planner, draft_plan, drawing, var_dir)
    found = json.loads(seen.read_text())
    environment = found["env"]
    assert set(environment) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "MALLOC_ARENA_MAX"}
    assert environment["LC_ALL"] == "C.UTF-8"
    assert environment["HOME"] == environment["TMPDIR"] == found["cwd"]
    assert Path(found["cwd"]).parent == var_dir / "tmp"  # the work dir, removed since
    memory, size, cpu, _ = dwg.converter_rlimits(CadLimits())
    assert found["limits"]["RLIMIT_AS"] == [memory, memory]
    assert found["limits"]["RLIMIT_FSIZE"] == [size, size] == [200 * MB + 1] * 2
    assert found["limits"]["RLIMIT_CPU"][0] == cpu
    assert found["limits"]["RLIMIT_CORE"] == [0, 0]


def _features(layers) -> list[tuple[str, str]]:
    rows = Feature.objects.filter(layer__in=layers).order_by("geom")
    return sorted((row.geom.geom_type, row.geom.wkt) for row in rows)


@pytest.mark.parametrize(
    ("name", "output"),
    [("dwg2dxf", DWG2DXF_OUT), ("ODAFileConverter", ODA_OUT)],
    ids=["dwg2dxf", "oda"],
)
def test_a_well_behaved_converter_imports_like_the_dxf_it_wrote(
    name, output, planner, draft_plan, drawing, bin_dir, var_dir, tmp_path
):
    converter(bin_dir, f"#!/bin/sh\ncp {SAMPLE} {output}\n", name)
    layers = run(planner, draft_plan, drawing, mapping=SAMPLE_MAPPING, **PLACED).layers
    assert [layer.kind for layer in layers] == ["roads"]
    assert layers[0].feature_count == 30
    via_dwg = _features(layers)
    assert {kind for kind, _ in via_dwg} == {"LineString", "Polygon"}
    assert list((var_dir / "tmp").iterdir()) == []
    direct = tmp_path / "direct.dxf"
    direct.write_bytes(SAMPLE.read_bytes())
    directly = run(planner, draft_plan, direct, mapping=SAMPLE_MAPPING, **PLACED).layers
    assert _features(directly) == via_dwg
    inspected = inspect_drawing(drawing, drawing.name)
    by_name = {layer["name"]: layer for layer in inspected["layers"]}
    assert by_name["T-2DPLINE-ALL"]["entities"] == {"POLYLINE": 30}


def _long_polyline(path: Path, vertices: int) -> Path:
    points = "".join(f"10\n{i}.0\n20\n0.0\n" for i in range(vertices))
    head = f"0\nSECTION\n2\nENTITIES\n0\nLWPOLYLINE\n8\nROADS\n90\n{vertices}\n70\n0\n"
    path.write_text(head + points + "0\nENDSEC\n0\nEOF\n")
    return path


def test_the_converted_dxf_passes_the_upload_limits(
    planner, draft_plan, drawing, bin_dir, var_dir, tmp_path, settings
):
    dxf = _long_polyline(tmp_path / "long.dxf", 2000)
    converter(bin_dir, f"#!/bin/sh\ncp {dxf} {DWG2DXF_OUT}\n")
    limited(settings, max_vertices=1000)
    error = _nothing_written(draft_plan, lambda: run(planner, draft_plan, drawing))
    assert "more than 1000 vertices" in error.message  # the streaming pre-scan's refusal
    direct = _nothing_written(draft_plan, lambda: run(planner, draft_plan, dxf))
    assert direct.message == error.message
    assert list((var_dir / "tmp").iterdir()) == []
