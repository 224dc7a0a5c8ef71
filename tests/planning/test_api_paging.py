"""The REST lists' paging parameters are checked (QA walk: a huge limit answered 500)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

LISTS = ["/api/projects/", "/api/revisions/", "/api/layers/"]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "99999999999999999999999"}, "limit must be between 1 and 10000."),
        ({"limit": "10001"}, "limit must be between 1 and 10000."),
        ({"limit": "0"}, "limit must be between 1 and 10000."),
        ({"limit": "abc"}, "limit must be an integer."),
        ({"offset": "-1"}, "offset must be between 0 and"),
        ({"offset": "99999999999999999999999"}, "offset must be between 0 and"),
        ({"offset": "1.5"}, "offset must be an integer."),
    ],
)
def test_a_limit_or_offset_out_of_range_is_a_400_with_the_api_error_body(
    plan_in_force, url, query, message
):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(url, query)
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    assert body["detail"].startswith(message)


@pytest.mark.parametrize("url", LISTS)
def test_paging_within_range_still_pages(plan_in_force, url):
    client = Client()
    whole = client.get(url, {"limit": 10000}).json()
    assert whole["count"] >= 1
    assert len(whole["results"]) == whole["count"]
    page = client.get(url, {"limit": 1, "offset": whole["count"] - 1}).json()
    assert page["results"] == whole["results"][-1:]
    assert page["next"] is None
