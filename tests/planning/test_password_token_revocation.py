"""Every change of an account's stored password revokes its API token
(planning/password_tokens.py): the admin's form, `set_password()` + `save()` (what
`manage.py changepassword` does), a disabled password. Django's re-hash of the same password
on sign-in does not, nor do saves that leave the password alone."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

OLD_PASSWORD = "pw-planner-test"  # the `planner` fixture's
NEW_PASSWORD = "Hue-quy-hoach-2025!"
# An OGC API endpoint: the services answer wrong credentials with 401 (planning.api.auth).
PROTECTED = "/ogcapi/collections"


def _status_with_token(key: str) -> int:
    return Client().get(PROTECTED, HTTP_AUTHORIZATION=f"Token {key}").status_code


def _token_for(username: str, password: str) -> str:
    response = Client().post("/api/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def token(planner) -> Token:
    token = Token.objects.create(user=planner)
    assert _status_with_token(token.key) == 200
    return token


@pytest.fixture
def admin_client(admin_user_t) -> Client:
    client = Client()
    client.force_login(admin_user_t)
    return client


def test_a_password_set_in_the_admin_revokes_the_token(admin_client, planner, token):
    page = f"/admin/auth/user/{planner.pk}/password/"
    assert admin_client.get(page, HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    changed = admin_client.post(
        page,
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert changed.status_code == 302, changed.content
    assert User.objects.get(pk=planner.pk).check_password(NEW_PASSWORD)

    assert not Token.objects.filter(user=planner).exists()
    assert _status_with_token(token.key) == 401
    fresh = _token_for(planner.username, NEW_PASSWORD)
    assert fresh != token.key
    assert _status_with_token(fresh) == 200


def test_a_password_disabled_in_the_admin_revokes_the_token(admin_client, planner, token):
    changed = admin_client.post(
        f"/admin/auth/user/{planner.pk}/password/",
        {"usable_password": "false", "unset-password": "Disable password-based authentication"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert changed.status_code == 302, changed.content
    assert not User.objects.get(pk=planner.pk).has_usable_password()
    assert _status_with_token(token.key) == 401


def test_set_password_and_save_revokes_the_token(planner, token):
    planner.set_password(NEW_PASSWORD)
    planner.save()

    assert _status_with_token(token.key) == 401
    fresh = _token_for(planner.username, NEW_PASSWORD)
    assert fresh != token.key
    assert _status_with_token(fresh) == 200


def test_a_save_that_leaves_the_password_alone_keeps_the_token(planner, token):
    planner.email = "planner@example.gov.vn"
    planner.save()
    planner.save(update_fields=["last_login"])
    Client().login(username=planner.username, password=OLD_PASSWORD)  # writes last_login

    assert _status_with_token(token.key) == 200
    assert _token_for(planner.username, OLD_PASSWORD) == token.key


def test_the_rehash_of_a_password_on_sign_in_keeps_the_token(planner, token):
    """A hash of an older hasher is upgraded on the next successful password check: same
    password, new hash. Scripts keep working."""
    old_hash = make_password(OLD_PASSWORD, hasher="pbkdf2_sha1")
    User.objects.filter(pk=planner.pk).update(password=old_hash)

    assert _token_for(planner.username, OLD_PASSWORD) == token.key  # checks the password
    new_hash = User.objects.get(pk=planner.pk).password
    assert new_hash != old_hash
    assert new_hash.startswith("pbkdf2_sha256$")
    assert _status_with_token(token.key) == 200


def _change_password_then_fail(user: User) -> None:
    with transaction.atomic():
        user.set_password(NEW_PASSWORD)
        user.save()
        raise RuntimeError("the rest of the change failed")


def test_a_password_change_that_rolls_back_keeps_the_token(planner, token):
    with pytest.raises(RuntimeError, match="the rest of the change failed"):
        _change_password_then_fail(planner)

    assert User.objects.get(pk=planner.pk).check_password(OLD_PASSWORD)
    assert _status_with_token(token.key) == 200


def test_a_new_account_saves_without_a_token(db):
    user = User.objects.create_user("new_t", password=OLD_PASSWORD)
    assert not Token.objects.filter(user=user).exists()
    assert _token_for("new_t", OLD_PASSWORD)


def test_deactivating_the_account_revokes_the_token(planner, token):
    """The token was refused while the account was inactive, and worked again once it was
    reactivated (QA walk): whoever held it is shut out for good."""
    planner.is_active = False
    planner.save(update_fields=["is_active"])
    planner.is_active = True
    planner.save()

    assert not Token.objects.filter(key=token.key).exists()
    assert _status_with_token(token.key) == 401


def test_a_script_revokes_its_own_token(planner, token):
    """QA walk: revoking meant the admin or a password change. DELETE /api/token/ with the
    token revokes it (204); it is then refused, and a new one can be obtained."""
    response = Client().delete("/api/token/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 204
    assert not Token.objects.filter(user=planner).exists()
    assert _status_with_token(token.key) == 401
    assert _token_for(planner.username, OLD_PASSWORD) != token.key


def test_revoking_needs_credentials(planner, token):
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en").delete("/api/token/")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "NotAuthenticated"
    wrong = Client().delete("/api/token/", HTTP_AUTHORIZATION="Token not-a-token")
    assert wrong.status_code == 401
    assert Token.objects.filter(user=planner).exists()
