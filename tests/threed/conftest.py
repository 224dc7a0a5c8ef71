"""Fixtures of the 3D tests: a private var dir (3D Tiles builds) per test."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token


@pytest.fixture(autouse=True)
def _private_var_dir(settings, tmp_path):
    settings.PLANNING_VAR_DIR = tmp_path / "var"


@pytest.fixture
def client() -> Client:
    """The messages these tests check are the English ones (the site default is Vietnamese)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def token_header(user) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=user)
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}
