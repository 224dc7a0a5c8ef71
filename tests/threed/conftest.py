"""Fixtures of the 3D tests: a private var dir (3D Tiles builds) per test."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token


@pytest.fixture(autouse=True)
def _private_var_dir(settings, tmp_path):
    settings.PLANNING_VAR_DIR = tmp_path / "var"


def token_header(user) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=user)
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}
