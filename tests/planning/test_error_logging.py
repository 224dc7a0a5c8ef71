"""Application errors land in var/log/errors.log (with their traceback), whoever runs the code:
through Django's LOGGING in-process, and from a real daemonised gunicorn started with the
command scripts/server.sh builds (whose stderr goes to server.log by --capture-output)."""

from __future__ import annotations

import logging
import logging.config
import os
import shlex
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import path

from planning.log_files import (
    ERROR_LOG_NAME,
    SharedRotatingFileHandler,
    logging_config,
)
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
SERVER_SH = ROOT / "scripts" / "server.sh"


class Boom(RuntimeError):
    pass


def failing_view(request):
    raise Boom("the view failed on purpose")


urlpatterns = [path("boom/", failing_view)]


def test_settings_log_errors_to_the_var_log_file():
    assert settings.LOGGING == logging_config(settings.PLANNING_VAR_DIR / "log")
    handler = settings.LOGGING["handlers"]["errors_file"]
    assert handler["class"] == "planning.log_files.SharedRotatingFileHandler"
    assert handler["filename"] == str(settings.PLANNING_VAR_DIR / "log" / ERROR_LOG_NAME)
    assert (handler["level"], handler["maxBytes"], handler["backupCount"]) == (
        "ERROR",
        10 * 1024 * 1024,
        5,
    )
    assert "errors_file" in settings.LOGGING["root"]["handlers"]


@pytest.mark.django_db
def test_a_500_writes_its_traceback_to_the_error_log(log_dir, settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    text = (log_dir / ERROR_LOG_NAME).read_text(encoding="utf-8")
    assert "ERROR django.request" in text
    assert "Internal Server Error: /boom/" in text
    assert "Traceback (most recent call last)" in text
    assert "Boom: the view failed on purpose" in text


def test_warnings_stay_out_of_the_error_log(log_dir):
    logging.getLogger("planning.test").warning("a 404 is not an error")
    logging.getLogger("planning.test").error("but this is")
    text = (log_dir / ERROR_LOG_NAME).read_text(encoding="utf-8")
    assert "a 404 is not an error" not in text
    assert "but this is" in text


def test_two_processes_share_the_rotation(tmp_path):
    """Two handlers on one file, as two gunicorn workers: after one rotates, the other writes
    into the new file (not into the renamed backup), and the files stay bounded."""
    name = str(tmp_path / "errors.log")
    first, second = (SharedRotatingFileHandler(name, maxBytes=400, backupCount=2) for _ in "ab")
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "%s", ("x" * 90,), None)
    try:
        for _ in range(4):
            first.emit(record)
        second.emit(record)  # opened before the rotation below
        for _ in range(3):
            first.emit(record)  # rotates: errors.log -> errors.log.1
        marker = logging.LogRecord("t", logging.ERROR, __file__, 1, "second-after", (), None)
        second.emit(marker)
        assert "second-after" in Path(name).read_text()
        assert "second-after" not in Path(f"{name}.1").read_text()
        for _ in range(40):
            first.emit(record)
            second.emit(record)
    finally:
        first.close()
        second.close()
    logs = sorted(p.name for p in tmp_path.glob("errors.log*") if not p.name.endswith(".lock"))
    assert logs == ["errors.log", "errors.log.1", "errors.log.2"]
    assert all(p.stat().st_size <= 400 + 100 for p in tmp_path.glob("errors.log*"))


def _gunicorn_command(var_dir: Path, port: int) -> list[str]:
    env = {**os.environ, "PLANNING_VAR_DIR": str(var_dir), "PLANNING_WORKERS": "1"}
    built = subprocess.run(
        [str(SERVER_SH), "command", "127.0.0.1", str(port)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return shlex.split(built.stdout)


def test_server_script_keeps_the_daemons_output(tmp_path):
    command = _gunicorn_command(tmp_path, 8123)
    assert "--daemon" in command
    assert "--capture-output" in command  # a daemon's stderr would go nowhere
    logfile = command[command.index("--error-logfile") + 1]
    assert logfile == str(tmp_path / "log" / "server.log")


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_a_daemonised_gunicorn_logs_a_500(tmp_path):
    """The real thing: gunicorn as server.sh starts it, on a spare port, with a database that
    does not exist, so that the map page fails (503, as while PostgreSQL is down); the
    database's error must be found on disk."""
    port = _spare_port()
    database = settings.DATABASES["default"]
    url = (
        f"postgres://{database['USER']}@/no_such_database_of_this_test"
        f"?host={database['HOST']}&port={database['PORT']}"
    )
    env = {**os.environ, "PLANNING_VAR_DIR": str(tmp_path), "DATABASE_URL": url}
    subprocess.run(_gunicorn_command(tmp_path, port), env=env, cwd=ROOT, check=True, timeout=60)
    pidfile = tmp_path / "run" / "gunicorn.pid"
    try:
        status = wait_for(lambda: _status(f"http://127.0.0.1:{port}/map/"))
        assert status == 503
        errors = tmp_path / "log" / ERROR_LOG_NAME
        line = "Database unavailable, answered 503: GET /map/"
        wait_for(lambda: errors.exists() and line in errors.read_text())
        assert "no_such_database_of_this_test" in errors.read_text()
        server_log = tmp_path / "log" / "server.log"  # the console handler, captured
        assert wait_for(lambda: line in server_log.read_text())
        # A 7 kB query string (a CQL2 filter with a polygon) reaches Django, not a 400.
        long_filter = "x" * 7000
        assert _status(f"http://127.0.0.1:{port}/map/?filter={long_filter}") == 503
    finally:
        if pidfile.exists():
            pid = int(pidfile.read_text())
            os.kill(pid, 15)
            wait_for(lambda: not pidfile.exists(), timeout=20)


def test_ezdxf_audit_steps_stay_out_of_the_log(caplog):
    """ezdxf tells each repair step at INFO ("creating ACAD_COLOR dictionary"), which
    flooded the import_cad command's stderr; the CAD report's notes say what was repaired."""
    import ezdxf

    with caplog.at_level(logging.INFO):
        ezdxf.new("R2000")  # creates the standard dictionaries, each announced at INFO
        logging.getLogger("ezdxf").warning("a real problem")
    assert [(r.name, r.levelname) for r in caplog.records if r.name.startswith("ezdxf")] == [
        ("ezdxf", "WARNING")
    ]
