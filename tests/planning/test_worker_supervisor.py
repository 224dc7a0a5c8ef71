"""scripts/server.sh keeps the job worker running: Procrastinate's worker exits when
PostgreSQL goes away (a restart, an upgrade), and without a supervisor the jobs queued after
the database came back would wait forever. `worker-stop` ends the supervisor and the worker."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
SERVER_SH = ROOT / "scripts" / "server.sh"

pytestmark = pytest.mark.django_db(transaction=True)


def _workers(group: int) -> set[int]:
    """The procrastinate worker processes in the supervisor's process group."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            args = (entry / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == group and args[1:4] == ["manage.py", "procrastinate", "worker"]:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _on_test_database(tmp_path: Path, **settings_env: str) -> dict:
    """subprocess.run keywords for server.sh with its var dir in tmp_path and the worker on
    the test database."""
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "PLANNING_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"postgres://{database['USER']}@/{database['NAME']}"
        f"?host={database['HOST']}&port={database['PORT']}",
        **settings_env,
    }
    return {"env": env, "cwd": ROOT, "check": True, "timeout": 60, "capture_output": True}


def test_the_worker_is_restarted_after_it_exits_and_stopped_with_its_supervisor(tmp_path):
    run = _on_test_database(
        tmp_path, PLANNING_WORKER_RESTART_SECONDS="1", PLANNING_WORKER_GRACE="5"
    )
    subprocess.run([str(SERVER_SH), "worker-start"], **run)
    supervisor = int((tmp_path / "run" / "worker.pid").read_text())
    try:
        (first,) = wait_for(lambda: _workers(supervisor))
        os.kill(first, 9)  # as when the database vanished under it
        assert wait_for(lambda: _workers(supervisor) - {first})
        log = (tmp_path / "log" / "worker.log").read_text()
        assert "job worker exited (status 137); restarting in 1s" in log
    finally:
        stopped = subprocess.run([str(SERVER_SH), "worker-stop"], **run)
    assert "Worker stopped." in stopped.stdout.decode()
    assert not _alive(supervisor)
    assert wait_for(lambda: not _workers(supervisor), timeout=10)
    assert not (tmp_path / "run" / "worker.pid").exists()


def _group_members(group: int) -> set[int]:
    """Every live (not zombie) process of the process group."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def test_a_supervisor_stopped_while_it_waits_to_restart_leaves_no_process(tmp_path):
    """TERM to the supervisor alone (an operator's `kill`, a service manager) during the
    pause before a restart: the pause ends with it, and the log holds no shell error."""
    env = {
        **os.environ,
        "PLANNING_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://nobody@/no_such_database_of_review14?host=/nonexistent",
        "PLANNING_WORKER_RESTART_SECONDS": "300",
    }
    run = {"env": env, "cwd": ROOT, "check": True, "timeout": 60, "capture_output": True}
    subprocess.run([str(SERVER_SH), "worker-start"], **run)
    supervisor = int((tmp_path / "run" / "worker.pid").read_text())
    log = tmp_path / "log" / "worker.log"
    try:
        wait_for(lambda: "restarting in 300s" in log.read_text())
        os.kill(supervisor, 15)
        assert wait_for(lambda: not _group_members(supervisor), timeout=10)
    finally:
        subprocess.run([str(SERVER_SH), "worker-stop"], **run)
    assert "not a pid" not in log.read_text()


def test_a_killed_supervisor_takes_its_worker_with_it(tmp_path):
    """SIGKILL to the supervisor (an operator's `kill -9`, the OOM killer) runs no trap:
    the worker must still end, not run on unsupervised with nothing left to stop it."""
    run = _on_test_database(tmp_path, PLANNING_WORKER_GRACE="5")
    subprocess.run([str(SERVER_SH), "worker-start"], **run)
    supervisor = int((tmp_path / "run" / "worker.pid").read_text())
    try:
        (worker,) = wait_for(lambda: _workers(supervisor))
        os.kill(supervisor, 9)
        assert wait_for(lambda: not _alive(worker), timeout=20)
    finally:
        subprocess.run([str(SERVER_SH), "worker-stop"], **run)
        for pid in _group_members(supervisor):
            os.kill(pid, 9)
