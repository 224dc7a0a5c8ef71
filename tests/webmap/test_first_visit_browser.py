"""A first-time visitor's pages in the real browser (QA walkthrough): on a phone the header
keeps every control on screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}


def signed_in_context(browser: Browser, live_server, client, user, **options):
    client.force_login(user)
    context = browser.new_context(**options)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value}
    context.add_cookies([{**cookie, "domain": host, "path": "/"}])
    return context


@pytest.mark.parametrize("path", ["/projects/", "/map/"])
def test_on_a_phone_the_header_wraps_and_sign_out_stays_on_screen(
    live_server, browser, client, planner, path
):
    context = signed_in_context(browser, live_server, client, planner, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}{path}")
    sign_out = page.locator(".site-user button", has_text="Sign out")
    expect(sign_out).to_be_visible()
    box = sign_out.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= PHONE["width"]
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    context.close()
