"""The pages a visitor gets when the server cannot answer: 503 with Retry-After while the
database is unreachable (not a bare English "Server Error (500)"), and the site's own 500
page otherwise."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client
from django.urls import include, path

from webmap.views_errors import RETRY_AFTER_SECONDS


class Boom(RuntimeError):
    pass


def failing_view(request):
    raise Boom("the view failed on purpose")


urlpatterns = [path("boom/", failing_view), path("", include("planning.urls"))]


@contextmanager
def database_unreachable(django_db_blocker):
    """The connection points at a database that does not exist, as when PostgreSQL is down:
    connecting fails with OperationalError."""
    with django_db_blocker.unblock():
        connection.close()
        name = connection.settings_dict["NAME"]
        connection.settings_dict["NAME"] = "no_such_database_of_qa_ops"
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["NAME"] = name


@pytest.mark.parametrize("path", ["/map/", "/projects/", "/tiles/plans/16/52352/29728.png"])
def test_pages_answer_503_with_retry_after_while_the_database_is_down(
    django_db_blocker, caplog, path
):
    with database_unreachable(django_db_blocker):
        response = Client(raise_request_exception=False).get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Temporarily unavailable" in page
    assert "The planning database is not reachable at the moment" in page
    assert "Server Error (500)" not in page
    logged = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(logged) == 1  # one line, not Django's second "Service Unavailable" line
    assert f"Database unavailable, answered 503: GET {path}" in logged[0].getMessage()
    assert "no_such_database_of_qa_ops" in logged[0].getMessage()


@pytest.mark.parametrize(
    "path", ["/api/projects/", "/3dtiles/in-force/tileset.json", "/legend/landuse.json"]
)
def test_the_api_answers_503_as_json_while_the_database_is_down(django_db_blocker, path):
    with database_unreachable(django_db_blocker):
        response = Client(raise_request_exception=False).get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "not reachable" in json.loads(response.content)["detail"]


@pytest.mark.django_db
def test_a_failing_query_on_a_healthy_connection_stays_a_500(settings):
    from django.db import OperationalError

    def deadlocked(request):
        raise OperationalError("deadlock detected")

    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    urlpatterns.insert(0, path("deadlock/", deadlocked))
    try:
        response = Client(raise_request_exception=False).get("/deadlock/")
    finally:
        urlpatterns.pop(0)
    assert response.status_code == 500


@pytest.mark.django_db
def test_a_500_is_the_site_page_in_the_visitors_language(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Something went wrong on the server" in page
    assert 'href="/map/"' in page
    assert "Server Error (500)" not in page
