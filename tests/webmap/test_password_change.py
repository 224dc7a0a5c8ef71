"""A planner (not staff) changes their own password on the site's page; the admin's form
is closed to them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Hue-quy-hoach-2025!"


def test_the_header_links_the_users_name_to_the_password_form(client, planner):
    client.force_login(planner)
    page = client.get("/projects/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/accounts/password/" title="Change password">{planner.username}</a>' in page


def test_a_planner_changes_their_password_and_stays_signed_in(client, planner):
    planner.set_password("old-password-of-planner")
    planner.save()
    client.force_login(planner)
    form = client.get("/accounts/password/", HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == 200
    assert "<h1>Change password</h1>" in form.content.decode()
    assert 'name="old_password"' in form.content.decode()
    done = client.post(
        "/accounts/password/",
        {
            "old_password": "old-password-of-planner",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/accounts/password/done/"
    assert "Your password has been changed." in done.content.decode()
    assert User.objects.get(pk=planner.pk).check_password(NEW_PASSWORD)
    assert client.get("/projects/new/").status_code == 200  # still signed in


def test_changing_the_password_revokes_the_api_token(client, planner):
    planner.set_password("old-password-of-planner")
    planner.save()
    token = Token.objects.create(user=planner)
    assert client.get("/api/projects/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    client.force_login(planner)
    changed = client.post(
        "/accounts/password/",
        {
            "old_password": "old-password-of-planner",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert not Token.objects.filter(user=planner).exists()
    stale = Client().get("/api/projects/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert stale.status_code in (401, 403)


def test_a_weak_new_password_is_refused_with_the_validators_message(client, planner):
    planner.set_password("old-password-of-planner")
    planner.save()
    client.force_login(planner)
    response = client.post(
        "/accounts/password/",
        {"old_password": "old-password-of-planner", "new_password1": "123", "new_password2": "123"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "This password is too short." in response.content.decode()
    assert User.objects.get(pk=planner.pk).check_password("old-password-of-planner")


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/password/")


def test_guessing_the_old_password_is_limited_like_signing_in(client, planner, settings):
    """A signed-in session left open is no way round the sign-in limits: wrong old passwords
    count, and once the limit is reached even the right one is not checked."""
    settings.PLANNING_LOGIN_MAX_FAILURES = 3
    settings.PLANNING_LOGIN_MAX_FAILURES_PER_IP = 50
    planner.set_password("old-password-of-planner")
    planner.save()
    client.force_login(planner)

    def change(old_password: str):
        data = {"old_password": old_password, "new_password1": NEW_PASSWORD}
        data["new_password2"] = NEW_PASSWORD
        return client.post("/accounts/password/", data, HTTP_ACCEPT_LANGUAGE="en")

    for guess in ("guess-1", "guess-2", "guess-3"):
        assert change(guess).status_code == 200
    refused = change("old-password-of-planner")
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in refused.content.decode()
    assert User.objects.get(pk=planner.pk).check_password("old-password-of-planner")
    assert Client().login(username=planner.username, password="old-password-of-planner") is False
