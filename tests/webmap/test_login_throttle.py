"""Failed password checks are limited per account and per client address (sign-in page,
/api/token/, HTTP Basic on the REST API and the map services); API tokens expire."""

from __future__ import annotations

import threading
import time
from base64 import b64encode
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.throttling import ScopedRateThrottle

from planning.api import token_view
from planning.login_limits import seconds_blocked, wait_phrase
from planning.models import LoginFailureCounter

TOO_MANY = "Too many failed sign-in attempts"
LOGIN = "/accounts/login/"


@pytest.fixture
def limits(settings):
    settings.PLANNING_LOGIN_MAX_FAILURES = 3
    settings.PLANNING_LOGIN_MAX_FAILURES_PER_IP = 5
    return settings


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user("alice_t", password="pw-alice-test")


@pytest.fixture
def bob(db) -> User:
    return User.objects.create_user("bob_t", password="pw-bob-test")


def sign_in(client: Client, username: str, password: str, address: str = "198.51.100.1"):
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
        REMOTE_ADDR=address,
    )


def basic(username: str, password: str) -> str:
    return "Basic " + b64encode(f"{username}:{password}".encode()).decode()


def test_sign_in_page_pauses_an_account_after_its_failures(limits, alice, bob):
    client = Client()
    for _ in range(3):
        wrong = sign_in(client, "alice_t", "guess")
        assert wrong.status_code == 200
        assert TOO_MANY not in wrong.text
    refused = sign_in(client, "alice_t", "pw-alice-test")  # even the right password
    assert refused.status_code == 429
    assert TOO_MANY in refused.text
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not paused.
    assert sign_in(client, "bob_t", "pw-bob-test").status_code == 302


def test_sign_in_page_pauses_an_address_after_its_failures(limits, alice):
    client = Client()
    for name in ("x1", "x2", "x3", "x4", "x5"):
        assert sign_in(client, name, "guess", address="203.0.113.9").status_code == 200
    assert sign_in(client, "alice_t", "pw-alice-test", address="203.0.113.9").status_code == 429
    # The account itself has no failures: from another address it signs in.
    assert sign_in(client, "alice_t", "pw-alice-test", address="203.0.113.10").status_code == 302


def test_the_window_ends(limits, alice):
    limits.PLANNING_LOGIN_WINDOW_SECONDS = 6
    client = Client()
    for _ in range(3):
        sign_in(client, "alice_t", "guess")
    counted = time.monotonic()  # the window started before this, at the first failure
    assert sign_in(client, "alice_t", "pw-alice-test").status_code == 429
    time.sleep(max(0.0, counted + 6.2 - time.monotonic()))
    assert sign_in(client, "alice_t", "pw-alice-test").status_code == 302


def test_behind_the_proxy_the_forwarded_address_counts(limits, alice):
    limits.PLANNING_BEHIND_PROXY = True
    client = Client()
    for name in ("x1", "x2", "x3", "x4", "x5"):
        client.post(
            LOGIN,
            {"username": name, "password": "guess"},
            REMOTE_ADDR="10.0.0.1",  # the proxy
            HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.20",
        )
    ok = client.post(
        LOGIN,
        {"username": "alice_t", "password": "pw-alice-test"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.21",
    )
    assert ok.status_code == 302  # another client behind the same proxy is not paused
    paused = client.post(
        LOGIN,
        {"username": "alice_t", "password": "pw-alice-test"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="whatever, 203.0.113.20",
    )
    assert paused.status_code == 429


def test_token_endpoint_counts_failures_and_answers_429(limits, alice):
    client = Client()
    for _ in range(3):
        wrong = client.post("/api/token/", {"username": "alice_t", "password": "guess"})
        assert wrong.status_code == 400
    refused = client.post(
        "/api/token/",
        {"username": "alice_t", "password": "pw-alice-test"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 429
    assert TOO_MANY in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0


def test_token_endpoint_throttles_failed_requests_per_address(monkeypatch, alice, bob):
    """Only failures count against an address's token limit: an office behind one NAT
    address signs in as often as it needs (QA walk), guessing from it is still stopped."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "3/hour"})
    office, elsewhere = "198.51.100.7", "198.51.100.8"
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for name, password in [("alice_t", "pw-alice-test"), ("bob_t", "pw-bob-test")] * 3:
        ok = client.post(
            "/api/token/", {"username": name, "password": password}, REMOTE_ADDR=office
        )
        assert ok.status_code == 200  # six sign-ins, twice the limit
    for name in ("x1", "x2", "x3"):  # other names: no account is paused
        wrong = client.post(
            "/api/token/", {"username": name, "password": "guess"}, REMOTE_ADDR=office
        )
        assert wrong.status_code == 400
    throttled = client.post(
        "/api/token/", {"username": "alice_t", "password": "pw-alice-test"}, REMOTE_ADDR=office
    )
    assert throttled.status_code == 429
    assert "throttled" in throttled.json()["detail"]
    assert TOO_MANY not in throttled.json()["detail"]  # the address's throttle, not a lock
    other = client.post(
        "/api/token/", {"username": "alice_t", "password": "pw-alice-test"}, REMOTE_ADDR=elsewhere
    )
    assert other.status_code == 200


def test_http_basic_counts_failures_on_api_and_map_services(limits, alice):
    client = Client()
    for _ in range(3):
        wrong = client.get("/api/projects/", HTTP_AUTHORIZATION=basic("alice_t", "guess"))
        assert wrong.status_code in (401, 403)
    right = basic("alice_t", "pw-alice-test")
    refused = client.get("/api/projects/", HTTP_AUTHORIZATION=right, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert TOO_MANY in refused.json()["detail"]
    service = client.get(
        "/ogcapi/", {"f": "json"}, HTTP_AUTHORIZATION=right, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert service.status_code == 429
    assert TOO_MANY in service.content.decode()


OFFICE = "198.51.100.7"


def test_an_attacker_cannot_pause_an_account_where_it_signs_in(limits, alice):
    """Security review: ten failures with an approver's name from anywhere kept them, and
    their QGIS over HTTP Basic, out for the whole window."""
    assert sign_in(Client(), "alice_t", "pw-alice-test", address=OFFICE).status_code == 302
    for n in range(3):
        sign_in(Client(), "alice_t", "guess", address=f"203.0.113.{n}")
    # Elsewhere the account is paused: guessing from many addresses still stops.
    assert sign_in(Client(), "alice_t", "pw-alice-test", address="203.0.113.50").status_code == 429
    # Where it signed in before, it signs in: the page, HTTP Basic and a token.
    assert sign_in(Client(), "alice_t", "pw-alice-test", address=OFFICE).status_code == 302
    office = Client(REMOTE_ADDR=OFFICE)
    right = basic("alice_t", "pw-alice-test")
    assert office.get("/api/projects/", HTTP_AUTHORIZATION=right).status_code == 200
    token = office.post("/api/token/", {"username": "alice_t", "password": "pw-alice-test"})
    assert token.status_code == 200


def test_failures_from_a_known_address_still_pause_it_there(limits, alice):
    assert sign_in(Client(), "alice_t", "pw-alice-test", address=OFFICE).status_code == 302
    for _ in range(3):
        sign_in(Client(), "alice_t", "guess", address=OFFICE)
    assert sign_in(Client(), "alice_t", "pw-alice-test", address=OFFICE).status_code == 429


def test_a_sign_in_vouches_for_its_address_for_a_limited_time(limits, alice):
    assert sign_in(Client(), "alice_t", "pw-alice-test", address=OFFICE).status_code == 302
    markers = LoginFailureCounter.objects.filter(key__startswith="known:")
    assert markers.count() == 1
    assert markers.get().window_end > timezone.now() + timedelta(days=29)
    markers.update(window_end=timezone.now() - timedelta(seconds=1))
    for n in range(3):
        sign_in(Client(), "alice_t", "guess", address=f"203.0.113.{n}")
    assert sign_in(Client(), "alice_t", "pw-alice-test", address=OFFICE).status_code == 429


@pytest.mark.parametrize(
    "path",
    [
        "/ogcapi/?f=json",
        "/ows?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0",
        "/wfs?SERVICE=WFS&REQUEST=GetCapabilities&VERSION=2.0.0",
        "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities",
        "/tiles/plans/14/13000/7500.png",
    ],
)
def test_every_service_tells_a_locked_out_client_when_to_retry(limits, alice, path):
    client = Client()
    for _ in range(3):
        client.get("/api/projects/", HTTP_AUTHORIZATION=basic("alice_t", "guess"))
    refused = client.get(path, HTTP_AUTHORIZATION=basic("alice_t", "pw-alice-test"))
    assert refused.status_code == 429
    wait = seconds_blocked(RequestFactory().get("/"), "alice_t")
    assert 0 < int(refused["Retry-After"]) <= wait + 1


def test_admin_sign_in_is_limited_too(limits, db):
    User.objects.create_superuser("root_t", password="pw-root-test")
    client = Client()
    for _ in range(3):
        client.post("/admin/login/", {"username": "root_t", "password": "guess"})
    client.post("/admin/login/", {"username": "root_t", "password": "pw-root-test"})
    assert "_auth_user_id" not in client.session


def test_expired_token_is_refused_with_a_clear_message(settings, alice):
    settings.PLANNING_TOKEN_MAX_AGE_DAYS = 90
    token = Token.objects.create(user=alice)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=91))
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}", "HTTP_ACCEPT_LANGUAGE": "en"}
    answer = client.get("/api/projects/", **auth)
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Token"
    assert "expired" in answer.json()["detail"]
    assert answer.json()["code"] == "NotAuthenticated"
    assert client.get("/ogcapi/", {"f": "json"}, **auth).status_code == 401
    # A new token replaces it.
    fresh = client.post("/api/token/", {"username": "alice_t", "password": "pw-alice-test"})
    assert fresh.status_code == 200
    assert fresh.json()["token"] != token.key
    assert fresh.json()["expires"]
    assert not Token.objects.filter(key=token.key).exists()
    fresh_auth = {"HTTP_AUTHORIZATION": f"Token {fresh.json()['token']}"}
    assert client.get("/api/projects/", **fresh_auth).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_an_expired_token_get_the_same_new_one(settings, monkeypatch):
    settings.PLANNING_TOKEN_MAX_AGE_DAYS = 90
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = User.objects.create_user("carol_t", password="pw-carol-test")
    old = Token.objects.create(user=user)
    Token.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=91))
    real_expired = token_view.token_expired

    def slow_expired(token):  # a wide window between reading the old token and replacing it
        if token.key == old.key:
            time.sleep(0.5)
        return real_expired(token)

    monkeypatch.setattr(token_view, "token_expired", slow_expired)
    answers = []

    def request_token():
        try:
            client = Client(raise_request_exception=False)
            data = {"username": "carol_t", "password": "pw-carol-test"}
            answers.append(client.post("/api/token/", data))
        finally:
            connection.close()

    threads = [threading.Thread(target=request_token) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    keys = {answer.json()["token"] for answer in answers}
    assert len(keys) == 1
    assert old.key not in keys
    assert list(Token.objects.filter(user=user).values_list("key", flat=True)) == list(keys)


def test_token_age_zero_means_no_expiry(settings, alice):
    settings.PLANNING_TOKEN_MAX_AGE_DAYS = 0
    token = Token.objects.create(user=alice)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=3650))
    answer = Client().get("/api/projects/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert answer.status_code == 200
    again = Client().post("/api/token/", {"username": "alice_t", "password": "pw-alice-test"})
    assert again.json() == {"token": token.key, "expires": None}


@pytest.mark.django_db
def test_a_lock_survives_a_spray_of_other_names(limits):
    """Failures of made-up accounts from many addresses cannot push a locked account's
    counter out (a size-bounded cache would evict it), and a blocked address adds no
    counters through the admin login."""
    limits.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    User.objects.create_user("target_t", password="pw-target-test")
    for n in range(3):  # three addresses: the per-address limit plays no part
        sign_in(Client(), "target_t", "wrong", address=f"198.51.100.{10 + n}")
    elsewhere = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    assert seconds_blocked(elsewhere, "target_t") > 0
    for i in range(320):
        Client(REMOTE_ADDR=f"192.0.2.{i % 200}").post(
            LOGIN, {"username": f"spray{i}", "password": "x"}
        )
    assert seconds_blocked(elsewhere, "target_t") > 0
    blocked = "192.0.2.250"
    for i in range(10):
        Client(REMOTE_ADDR=blocked).post(
            "/admin/login/", {"username": f"admin{i}", "password": "x"}
        )
    counted = LoginFailureCounter.objects.filter(key=f"ip:{blocked}").get().count
    assert counted == limits.PLANNING_LOGIN_MAX_FAILURES_PER_IP  # refused ones not counted
    assert seconds_blocked(elsewhere, "target_t") > 0


# --- what a paused client is told (QA walk: Vietnamese with English DRF words) -------------

WAIT_15 = {
    "en": "Too many failed sign-in attempts; try again in 15 minutes.",
    "vi": "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau 15 phút.",
}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_pause_is_told_wholly_in_the_request_language_with_the_wait(limits, alice, language):
    limits.PLANNING_LOGIN_WINDOW_SECONDS = 900
    client = Client()
    for _ in range(3):
        sign_in(client, "alice_t", "guess")
    expected = WAIT_15[language]
    page = client.post(
        LOGIN,
        {"username": "alice_t", "password": "pw-alice-test"},
        HTTP_ACCEPT_LANGUAGE=language,
        REMOTE_ADDR="198.51.100.1",
    )
    assert page.status_code == 429
    assert expected in page.content.decode()
    assert 0 < int(page["Retry-After"]) <= 900
    token = client.post(
        "/api/token/",
        {"username": "alice_t", "password": "pw-alice-test"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert (token.status_code, token.json()["detail"]) == (429, expected)
    assert 0 < int(token["Retry-After"]) <= 900
    right = basic("alice_t", "pw-alice-test")
    api = client.get("/api/projects/", HTTP_AUTHORIZATION=right, HTTP_ACCEPT_LANGUAGE=language)
    assert (api.status_code, api.json()["detail"]) == (429, expected)
    service = client.get(
        "/ogcapi/", {"f": "json"}, HTTP_AUTHORIZATION=right, HTTP_ACCEPT_LANGUAGE=language
    )
    assert (service.status_code, service.json()["description"]) == (429, expected)


@pytest.mark.parametrize(
    ("seconds", "en", "vi"),
    [
        (1, "1 second", "1 giây"),
        (45, "45 seconds", "45 giây"),
        (60, "1 minute", "1 phút"),
        (61, "2 minutes", "2 phút"),
        (899, "15 minutes", "15 phút"),
        (3600, "1 hour", "1 giờ"),
        (3601, "1 hour 1 minute", "1 giờ 1 phút"),
        (7260, "2 hours 1 minute", "2 giờ 1 phút"),
        (24 * 3600 - 1, "24 hours", "24 giờ"),
    ],
)
def test_the_wait_is_said_in_the_largest_units_rounded_up(seconds, en, vi):
    with translation.override("en"):
        assert wait_phrase(seconds) == en
    with translation.override("vi"):
        assert wait_phrase(seconds) == vi


def test_a_token_request_is_counted_as_it_starts_and_forgiven_once_it_succeeds(db):
    """Counted only after the password check, a burst of guesses all passed before the
    first was recorded (review finding)."""
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().post("/api/token/", REMOTE_ADDR="203.0.113.9")
    request.user = AnonymousUser()
    view = token_view.ObtainToken()
    throttle = token_view.FailedRequestThrottle()
    throttle.cache.clear()
    assert throttle.allow_request(request, view)
    assert len(throttle.cache.get(throttle.key)) == 1  # before any password is checked
    throttle.forgive()
    assert throttle.cache.get(throttle.key) == []
