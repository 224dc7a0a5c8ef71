"""Secret key, HTTPS settings and password validators (docs/deployment.md, docs/settings.md)."""

from __future__ import annotations

import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from planning import config

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENT = ROOT / "docs" / "deployment.md"


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any PLANNING_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNING_")}
    return {**env, **extra}


def test_a_fresh_var_dir_gets_a_private_random_key_kept_across_starts(monkeypatch, tmp_path):
    monkeypatch.delenv("PLANNING_SECRET_KEY", raising=False)
    monkeypatch.delenv("PLANNING_REQUIRE_SECRET", raising=False)
    monkeypatch.setenv("PLANNING_VAR_DIR", str(tmp_path / "var"))
    key = config.load().secret_key
    kept = tmp_path / "var" / "secret_key"
    assert kept.read_text().strip() == key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert len(key) >= 50
    assert key != config.KNOWN_INSECURE_KEY
    assert config.load().secret_key == key  # the next start reads the same key
    assert sorted(p.name for p in kept.parent.iterdir()) == ["secret_key"]  # no temp files
    monkeypatch.setenv("PLANNING_VAR_DIR", str(tmp_path / "other"))
    assert config.load().secret_key != key  # another installation, another key


def test_processes_starting_together_agree_on_one_key(tmp_path):
    code = "from planning import config; print(config.load().secret_key)"
    env = clean_env(PLANNING_VAR_DIR=str(tmp_path / "var"))
    starts = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    keys = {start.communicate(timeout=60)[0].decode().strip() for start in starts}
    assert len(keys) == 1
    assert len(keys.pop()) >= 50


def test_the_known_development_key_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("PLANNING_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PLANNING_SECRET_KEY", config.KNOWN_INSECURE_KEY)
    with pytest.raises(config.ConfigError, match="publicly known"):
        config.load()
    monkeypatch.delenv("PLANNING_SECRET_KEY")
    (tmp_path / "secret_key").write_text(config.KNOWN_INSECURE_KEY + "\n")
    with pytest.raises(config.ConfigError, match="publicly known"):
        config.load()


def test_require_secret_refuses_a_generated_key(monkeypatch, tmp_path):
    monkeypatch.setenv("PLANNING_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("PLANNING_SECRET_KEY", raising=False)
    monkeypatch.setenv("PLANNING_REQUIRE_SECRET", "1")
    with pytest.raises(config.ConfigError, match="PLANNING_SECRET_KEY must be set"):
        config.load()
    assert not (tmp_path / "secret_key").exists()


def test_https_defaults_keep_plain_http_working(monkeypatch):
    for name in ("BEHIND_PROXY", "SECURE_COOKIES", "SSL_REDIRECT", "HSTS_SECONDS"):
        monkeypatch.delenv(f"PLANNING_{name}", raising=False)
    monkeypatch.delenv("PLANNING_CSRF_TRUSTED_ORIGINS", raising=False)
    https = config.load_https("http://127.0.0.1:8000")
    assert not https.behind_proxy
    assert not https.secure_cookies
    assert not https.ssl_redirect
    assert https.hsts_seconds == 0
    assert https.csrf_trusted_origins == ["http://127.0.0.1:8000"]


def test_csrf_trusted_origins_need_a_scheme(monkeypatch):
    monkeypatch.setenv("PLANNING_CSRF_TRUSTED_ORIGINS", "https://portal.example/, portal2.example")
    with pytest.raises(config.ConfigError, match="PLANNING_CSRF_TRUSTED_ORIGINS"):
        config.load_https("https://quyhoach.example.gov.vn/app")
    monkeypatch.setenv("PLANNING_CSRF_TRUSTED_ORIGINS", "https://portal.example/")
    origins = config.load_https("https://quyhoach.example.gov.vn/app").csrf_trusted_origins
    assert origins == ["https://quyhoach.example.gov.vn", "https://portal.example"]


def documented_production_env() -> dict[str, str]:
    """The variables of the production block in docs/deployment.md, placeholders filled."""
    block = re.search(r"```sh\n(.*?PLANNING_SECRET_KEY=.*?)```", DEPLOYMENT.read_text(), re.S)
    assert block, "docs/deployment.md lost its production environment block"
    env = dict(re.findall(r"^\s*([A-Z_]+)=(.*)$", block.group(1), re.M))
    assert env["PLANNING_SECRET_KEY"].startswith("<")
    env["PLANNING_SECRET_KEY"] = secrets.token_urlsafe(64)
    del env["DATABASE_URL"]  # the checks need no connection: keep the local cluster's
    return env


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "manage.py", "check", "--deploy", "--tag", "security"]
    return subprocess.run(
        [*command, "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path):
    env = documented_production_env()
    assert env["PLANNING_BEHIND_PROXY"] == "1"
    result = deploy_check(clean_env(**env, PLANNING_VAR_DIR=str(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "security." not in result.stdout + result.stderr
    # Without the HTTPS settings the same check complains (so the clean run means something).
    for name in ("PLANNING_SECURE_COOKIES", "PLANNING_SSL_REDIRECT", "PLANNING_HSTS_SECONDS"):
        del env[name]
    result = deploy_check(clean_env(**env, PLANNING_VAR_DIR=str(tmp_path)))
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


def test_the_documented_check_deploy_command_prints_no_issue(tmp_path):
    """What the operator types, untagged: no API-schema chatter (drf-spectacular's own deploy
    check, 36 warnings about OpenAPI details) hiding a real warning among them."""
    env = clean_env(**documented_production_env(), PLANNING_VAR_DIR=str(tmp_path))
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' conftest only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "drf_spectacular" not in result.stdout + result.stderr


def test_production_settings_reach_django(tmp_path):
    env = clean_env(**documented_production_env(), PLANNING_VAR_DIR=str(tmp_path))
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'planning.settings';"
        "from django.conf import settings as s;"
        "print(s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.CSRF_TRUSTED_ORIGINS,"
        " s.REST_FRAMEWORK['NUM_PROXIES'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.stdout.strip() == (
        "('HTTP_X_FORWARDED_PROTO', 'https') True True True 31536000 "
        "['https://quyhoach.example.gov.vn'] 1"
    ), out.stderr


@pytest.mark.django_db
def test_password_validators_refuse_weak_passwords():
    user = User(username="nguyenvanan", first_name="An")
    for weak, reason in (
        ("password123", "password_too_common"),
        ("84912345678", "password_entirely_numeric"),
        ("nguyenvanan1", "password_too_similar"),
        ("x7#q", "password_too_short"),
    ):
        with pytest.raises(ValidationError) as refused:
            validate_password(weak, user)
        assert reason in {error.code for error in refused.value.error_list}, weak
    validate_password("mây-trắng-bay-9Q", user)
