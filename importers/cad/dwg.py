"""DWG through an external converter found at run time (LibreDWG or ODA File Converter).

DWG is a closed format with no Python reader; converters are optional system tools, so
the server looks for them on each import and otherwise tells the user how to get DXF.

A converter is C/C++ code reading hostile bytes (LibreDWG is known to allocate without
bound, loop or crash on fuzzed input), so it runs boxed: in its own session, whose whole
process group is killed on every outcome; under resource limits set in the child before
it starts (address space, file size = the DXF upload limit, CPU time, no core dumps); with
a minimal environment (no DATABASE_URL, secrets or proxies); with its messages in a file
of the work dir, of which only the tail reaches the server log. The DXF it writes is then
read like an uploaded one (size limit, streaming pre-scan, see reader.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from importers.cad.limits import CadLimits
from planning.errors import InvalidInput, UnsupportedFormat

logger = logging.getLogger(__name__)

DWG_MAGIC = b"AC10"
ODA_NAMES = ("ODAFileConverter", "ODAFileConverter.exe")
LOG_NAME = "converter.log"  # the converter's stdout and stderr, in the work dir
LOG_TAIL = 2000  # bytes of it kept for the server log
MEMORY_WORDS = ("memoryerror", "out of memory", "bad_alloc", "cannot allocate memory")

# Run by a fresh interpreter between fork and the converter: setrlimit there instead of in
# a preexec_fn, which may deadlock in a threaded server. Python ignores SIGXFSZ and SIGPIPE
# and exec keeps ignored signals, so both go back to their default first: a converter over
# the file size limit is then killed by SIGXFSZ instead of looping on failed writes. On
# Linux the converter is also killed when the server thread that started it dies (SIGKILL,
# crash): no one would wait for it any more.
NOT_STARTED = 125  # the wrapper's exit status when it could not start the converter
_LIMITED_EXEC = """
import os, sys
try:
    import ctypes, resource, signal
    for sig in (signal.SIGXFSZ, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    names = ("RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_CPU", "RLIMIT_CORE")
    for name, value in zip(names, map(int, sys.argv[2:6])):
        kind = getattr(resource, name)
        hard = resource.getrlimit(kind)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (value, value))
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != int(sys.argv[1]):
            raise SystemExit("the server ended before the converter started")
    os.execv(sys.argv[6], sys.argv[6:])
except BaseException as exc:
    sys.stderr.write("converter not started: %r\\n" % (exc,))
    sys.stderr.flush()
    os._exit(125)
"""


def is_dwg_name(filename: str) -> bool:
    return Path(filename).suffix.lower() == ".dwg"


def check_magic(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(6)
    if not head.startswith(DWG_MAGIC):
        raise InvalidInput(_("The file is not a DWG drawing (no AutoCAD version signature)."))


@dataclass(frozen=True)
class Outcome:
    returncode: int | None  # None: stopped at the timeout
    log_tail: str


def to_dxf(path: Path, workdir: Path, limits: CadLimits) -> Path:
    """The DXF converted from a DWG; refuses clearly when no converter is installed or the
    converter fails or goes over a limit. The work dir holds everything it writes."""
    check_magic(path)
    source = _isolated_copy(path, workdir)
    command, target = _command(source, workdir)
    outcome = _run(command, workdir, limits)
    try:
        _check(outcome, target, limits, command[0])
    except InvalidInput:
        target.unlink(missing_ok=True)  # a partial DXF is never read, and frees the disk now
        raise
    return target


def _isolated_copy(path: Path, workdir: Path) -> Path:
    """The DWG alone in a directory of the work dir: the ODA converter reads a whole
    directory and must not see (or write next to) anything else."""
    inbox = workdir / "dwg"
    inbox.mkdir(exist_ok=True)
    source = inbox / "drawing.dwg"
    try:
        os.link(path, source)
    except OSError:  # another file system
        shutil.copyfile(path, source)
    return source


def _command(source: Path, workdir: Path) -> tuple[list[str], Path]:
    dwg2dxf = shutil.which("dwg2dxf")
    if dwg2dxf:
        target = workdir / "converted.dxf"
        return [dwg2dxf, "-y", "-o", str(target), str(source)], target
    oda = next((found for name in ODA_NAMES if (found := shutil.which(name))), None)
    if oda:
        out_dir = workdir / "oda"
        out_dir.mkdir(exist_ok=True)
        arguments = [str(source.parent), str(out_dir), "ACAD2018", "DXF", "0", "0", source.name]
        return [oda, *arguments], out_dir / (source.stem + ".dxf")
    raise UnsupportedFormat(
        _(
            "DWG drawings need a converter, and none is installed on the server "
            "(LibreDWG dwg2dxf or ODA File Converter). Save the drawing as DXF in "
            "AutoCAD (Save As → AutoCAD DXF) or convert it with the free ODA File "
            "Converter, then upload the DXF."
        )
    )


def converter_rlimits(limits: CadLimits) -> tuple[int, int, int, int]:
    """Address space, file size, CPU seconds and core size of the converter. One byte over
    the DXF upload limit marks an output that was cut; CPU time cannot exceed wall time x
    cores, so it only stops an orphan left running by a server that died mid-conversion."""
    cpu = limits.converter_timeout * (os.cpu_count() or 1) + 1
    return limits.converter_memory, limits.max_bytes + 1, cpu, 0


def _environment(workdir: Path) -> dict[str, str]:
    """Only what a converter needs: nothing of the server's settings, secrets or proxies."""
    home = str(workdir)
    locale = "C.UTF-8"
    path = os.environ.get("PATH", os.defpath)
    return {
        **{"PATH": path, "HOME": home, "TMPDIR": home, "LANG": locale, "LC_ALL": locale},
        "MALLOC_ARENA_MAX": "2",  # glibc's 64 MB arena per thread counts against RLIMIT_AS
    }


def _run(command: list[str], workdir: Path, limits: CadLimits) -> Outcome:
    """The converter run to its end or to the timeout; its process group killed either way
    (ODA's converter starts helpers, and a helper outliving it would keep working)."""
    rlimits = [str(value) for value in converter_rlimits(limits)]
    wrapper = [sys.executable, "-I", "-S", "-c", _LIMITED_EXEC, str(os.getpid()), *rlimits]
    log = workdir / LOG_NAME
    with log.open("wb") as output:
        try:
            process = subprocess.Popen(  # noqa: S603 - a fixed program, no shell
                [*wrapper, *command],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                cwd=workdir,
                env=_environment(workdir),
                start_new_session=True,
            )
        except OSError as exc:  # no usable interpreter (sys.executable) for the wrapper
            raise _not_started(command[0], repr(exc)) from exc
    try:
        returncode: int | None = process.wait(timeout=limits.converter_timeout)
    except subprocess.TimeoutExpired:
        returncode = None
    finally:
        _kill_group(process)
    return Outcome(returncode, _tail(log))


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # its session's id is its pid
    except ProcessLookupError:
        pass  # the group is empty: every process of it has ended
    process.wait()


def _tail(log: Path) -> str:
    with log.open("rb") as handle:
        handle.seek(max(0, log.stat().st_size - LOG_TAIL))
        return handle.read(LOG_TAIL).decode("utf-8", "replace")


def _check(outcome: Outcome, target: Path, limits: CadLimits, program: str) -> None:
    code = outcome.returncode
    size = target.stat().st_size if target.exists() else 0
    if code == 0 and 0 < size <= limits.max_bytes:
        return
    if code == NOT_STARTED:
        raise _not_started(program, outcome.log_tail)
    logger.warning(
        "DWG converter %s ended with %s, output %d bytes; its last messages: %s",
        Path(program).name,
        "a timeout" if code is None else f"code {code}",
        size,
        outcome.log_tail,
    )
    raise InvalidInput(f"{_failure(outcome, size, limits)} {_advice()}")


def _failure(outcome: Outcome, size: int, limits: CadLimits) -> str:
    """What went wrong, in the planner's words."""
    code = outcome.returncode
    if code is None or code == -signal.SIGXCPU:
        message = _("The DWG converter took longer than %(seconds)d s.")
    elif code == -signal.SIGXFSZ or size > limits.max_bytes:
        message = _("The DWG converter was stopped: it wrote more than %(limit)d MB.")
    elif code > 0 and any(word in outcome.log_tail.lower() for word in MEMORY_WORDS):
        message = _("The DWG converter was stopped: it needed more than %(memory)d MB of memory.")
    elif code < 0:  # SIGSEGV, SIGABRT ... also what a failed allocation often ends in
        message = _(
            "The DWG converter crashed on this drawing (or went over its %(memory)d MB "
            "memory limit)."
        )
    else:
        message = _("The DWG converter could not read this drawing.")
    return message % {
        "seconds": limits.converter_timeout,
        "limit": limits.max_bytes >> 20,
        "memory": limits.converter_memory >> 20,
    }


def _not_started(program: str, why: str) -> UnsupportedFormat:
    """The server could not run its converter (a set-up fault, not the drawing's)."""
    logger.error("DWG converter %s could not be started: %s", Path(program).name, why)
    return UnsupportedFormat(
        _(
            "The server's DWG converter could not be started; ask the administrator (the "
            "server log says why)."
        )
        + " "
        + _advice()
    )


def _advice() -> str:
    return _("Save the drawing as DXF in AutoCAD (Save As → AutoCAD DXF) and upload the DXF.")
