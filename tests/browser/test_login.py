"""A person logs in to a hub with users in a real Chromium, watches, and logs out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from hub.app import Hub
from tests.browser.conftest import CameraFeeder, screenshot
from tests.browser.test_page import wait_painted
from tests.conftest import url

pytestmark = pytest.mark.browser


def log_in(page, hub: Hub, user: str, password: str, path: str) -> None:  # type: ignore[no-untyped-def]
    """Through the login page, sent on to ``path`` (a local path, as the page checks)."""
    page.goto(url(hub, "/login?next=" + path))
    page.fill("#user", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    # Anchored at the host: the login page's own URL (/login?next=PATH) also ends with PATH
    expect(page).to_have_url(re.compile("^https?://[^/]+" + re.escape(path) + "$"))
    page.wait_for_load_state("load")


def test_login_watch_and_logout(hub: Hub, feeder: CameraFeeder, page) -> None:  # type: ignore[no-untyped-def]
    hub.access.users.add("ada", "ada-password-1", "admin")
    feeder.add("garage")
    page.goto(url(hub, "/camera/garage"))
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcamera%2Fgarage$"))
    page.fill("#user", "ada")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator("#login-status")).to_have_text("wrong user name or password")
    screenshot(page, "login-refused")
    page.fill("#password", "ada-password-1")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/camera/garage$"))
    wait_painted(page, ["garage"])
    expect(page.locator("header .who")).to_have_text("ada")
    cookie = next(c for c in page.context.cookies() if c["name"] == "camnet_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    screenshot(page, "logged-in")
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(url(hub, "/events"))
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fevents$"))
    assert page.errors == []


def test_a_viewer_sees_no_editing_buttons(hub: Hub, feeder: CameraFeeder, page) -> None:  # type: ignore[no-untyped-def]
    hub.access.users.add("vic", "vic-password-1", "viewer")
    feeder.add("porch")
    log_in(page, hub, "vic", "vic-password-1", "/camera/porch")
    wait_painted(page, ["porch"])
    expect(page.locator("#mask-draw")).to_be_hidden()
    answer = page.evaluate(
        """() => fetch("/api/cameras/porch/masks", {method: "PUT", headers: {"Content-Type": "application/json"},
                 body: JSON.stringify({masks: []})}).then(r => r.status)"""
    )
    assert answer == 403, "the hub refuses whatever the page shows"


def test_a_page_whose_session_is_revoked_goes_back_to_login(hub: Hub, feeder: CameraFeeder, page) -> None:  # type: ignore[no-untyped-def]
    hub.access.users.add("ada", "ada-password-1", "admin")
    feeder.add("garage")
    log_in(page, hub, "ada", "ada-password-1", "/")
    wait_painted(page, ["garage"])
    hub.access.users.passwd("ada", "ada-password-2")  # from the shell, or another device
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"), timeout=20_000)
