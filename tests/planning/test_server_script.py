"""scripts/server.sh: the public URL a started server advertises (capabilities, OGC API
links, e-mails) follows the address it listens on unless the operator set one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SERVER_SH = Path(__file__).resolve().parents[2] / "scripts" / "server.sh"


def _public_url(host: str, port: str, configured: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PLANNING_PUBLIC_URL"}
    if configured is not None:
        env["PLANNING_PUBLIC_URL"] = configured
    done = subprocess.run(
        ["bash", str(SERVER_SH), "public-url", host, port],
        env=env, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", "8123", "http://127.0.0.1:8123"),  # make run PORT=8123
        ("0.0.0.0", "8000", "http://127.0.0.1:8000"),  # every interface: reached locally
        ("192.0.2.7", "80", "http://192.0.2.7:80"),
        ("::1", "8000", "http://[::1]:8000"),
    ],
)
def test_the_default_public_url_is_where_the_server_listens(host, port, expected):
    assert _public_url(host, port) == expected


def test_the_operators_public_url_wins():
    assert _public_url("0.0.0.0", "8123", "https://quyhoach.example.gov.vn") == (
        "https://quyhoach.example.gov.vn"
    )


def test_start_exports_it_before_gunicorn_and_the_worker_start():
    """`start` sets the variable before anything it launches reads the settings."""
    script = SERVER_SH.read_text()
    body = script[script.index("\nstart() {") :]
    body = body[: body.index("\n}\n")]  # start's own body: it launches through helpers
    exported = body.index("export PLANNING_PUBLIC_URL")
    assert exported < body.index("start_server")
    assert exported < body.index("reload_server")
    assert exported < body.index("refresh_worker")
