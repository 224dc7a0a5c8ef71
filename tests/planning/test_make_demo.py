"""`make run` loads the demo plan and its accounts once per installation: an operator who
deleted the demo accounts (their passwords are in the README) does not get them back, with
`admin` a superuser again, from the next `make run`."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_is_loaded_by_the_first_run_only(tmp_path):
    calls = tmp_path / "calls"
    stub = tmp_path / "python"
    stub.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    stub.chmod(0o755)
    stamps = tmp_path / "stamps"
    make = ["make", "--no-print-directory", "-C", str(ROOT), "demo", f"PY={stub}"]
    first = subprocess.run([*make, f"STAMP={stamps}"], capture_output=True, text=True, check=True)
    assert calls.read_text() == "manage.py load_demo\n"
    again = subprocess.run([*make, f"STAMP={stamps}"], capture_output=True, text=True, check=True)
    assert calls.read_text() == "manage.py load_demo\n"  # not run a second time
    assert "Demo data loaded before" in again.stdout
    assert first.returncode == again.returncode == 0
