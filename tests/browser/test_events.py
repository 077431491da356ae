"""The events page in a real Chromium: it lists recorded events, filters them by camera, plays
one with a working scrubber, downloads its clip and deletes it; an event still recording plays
but cannot be downloaded or deleted yet."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from hub.app import Hub
from tests.browser.conftest import CameraFeeder, screenshot
from tests.conftest import get, url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def record(hub: Hub, feeder: CameraFeeder, name: str) -> None:
    """An event on ``name``: it moves, then stands still until the event has ended."""
    feeder.add(name, moving=True)
    wait_until(lambda: any(e["camera"] == name for e in json.loads(get(hub, "/api/events")[1])), timeout=20)
    feeder.remove(name)
    feeder.add(name, moving=False)
    wait_until(
        lambda: [e["state"] for e in json.loads(get(hub, f"/api/events?camera={name}")[1])] == ["done"], timeout=20
    )


def test_events_page_lists_filters_plays_downloads_and_deletes(hub_factory: Callable[..., Hub], page) -> None:  # type: ignore[no-untyped-def]
    hub = hub_factory(pre_roll=1.0, post_roll=1.0)
    feeder = CameraFeeder(hub)
    try:
        record(hub, feeder, "garage")
        record(hub, feeder, "porch")
        page.goto(url(hub, "/events"))
        expect(page.locator("li.event")).to_have_count(2)
        expect(page.locator("li.event .camera").first).to_have_text("porch")  # newest first
        page.select_option("#camera", "garage")
        expect(page.locator("li.event")).to_have_count(1)
        expect(page.locator("li.event .camera")).to_have_text("garage")
        assert page.locator("li.event img").get_attribute("src").endswith("/thumb.jpg")

        page.click("li.event")
        expect(page.locator("#player")).to_be_visible()
        assert "/play?t=0.00" in page.locator("#screen").get_attribute("src")
        page.wait_for_timeout(800)
        duration = float(page.locator("#scrubber").get_attribute("max"))
        assert duration > 1.5
        middle = round(duration / 2, 1)
        page.locator("#scrubber").fill(str(middle))  # dragged and dropped: plays from there
        assert page.locator("#screen").get_attribute("src").endswith(f"/play?t={middle:.2f}")
        page.click("#toggle")  # pause: the frame where it stands
        expect(page.locator("#toggle")).to_have_text("Play")
        assert "/frame.jpg?t=" in page.locator("#screen").get_attribute("src")
        page.wait_for_timeout(500)
        natural = page.locator("#screen").evaluate("img => img.complete && img.naturalWidth")
        assert natural == 320, "the paused frame is shown"
        screenshot(page, "events-player")

        href = page.locator("#download").get_attribute("href")
        clip = page.request.get(url(hub, href))
        event = json.loads(get(hub, "/api/events?camera=garage")[1])[0]
        assert clip.status == 200 and len(clip.body()) == event["bytes"]
        assert clip.headers["content-disposition"].startswith("attachment; filename=garage-")

        page.click("#delete")  # hidden at once, with a way back
        expect(page.locator("li.event")).to_have_count(0)
        expect(page.locator("#player")).to_be_hidden()
        page.click(".undo button")
        expect(page.locator("li.event")).to_have_count(1)
        page.wait_for_timeout(9000)  # past the undo window: nothing was sent
        assert len(json.loads(get(hub, "/api/events?camera=garage")[1])) == 1, "undone: the hub kept it"
        page.click("li.event")
        page.click("#delete")
        expect(page.locator(".undo")).to_be_visible()
        wait_until(lambda: json.loads(get(hub, "/api/events?camera=garage")[1]) == [], timeout=15)
        expect(page.locator("li.event")).to_have_count(0)
        page.click("#clear")
        expect(page.locator("li.event")).to_have_count(1)
        assert page.errors == []
    finally:
        feeder.close()


def test_grid_shows_recording_and_the_camera_page_lists_recent_events(hub_factory: Callable[..., Hub], page) -> None:  # type: ignore[no-untyped-def]
    hub = hub_factory(pre_roll=1.0, post_roll=3.0)
    feeder = CameraFeeder(hub)
    try:
        feeder.add("garage", moving=True)
        page.goto(url(hub, "/"))
        expect(page.locator("article.tile.recording")).to_have_count(1, timeout=20_000)
        expect(page.locator("article.tile.recording .rec")).to_be_visible()
        page.goto(url(hub, "/camera/garage"))
        expect(page.locator("#recent-list li a")).to_have_count(1, timeout=15_000)
        assert "recording" in page.locator("#recent-list li a").text_content()
        page.goto(url(hub, "/events"))  # the event still records: it replays, but waits to be kept or deleted
        page.click("li.event")
        expect(page.locator("#busy")).to_be_visible()
        expect(page.locator("#delete")).to_be_disabled()
        assert page.locator("#download").get_attribute("aria-disabled") == "true"
        assert page.locator("#download").get_attribute("href") is None
        assert "/play?t=0.00" in page.locator("#screen").get_attribute("src")
        feeder.remove("garage")
        feeder.add("garage", moving=False)  # the event ends while the page is open: it says so
        expect(page.locator("li.event[data-state=done]")).to_have_count(1, timeout=20_000)
        expect(page.locator("#delete")).to_be_enabled()
        assert page.locator("#download").get_attribute("aria-disabled") == "false"
        feeder.add("porch", moving=True)  # a new event appears on top without a reload
        expect(page.locator("li.event")).to_have_count(2, timeout=20_000)
        expect(page.locator("li.event .camera").first).to_have_text("porch")
        assert page.errors == []
    finally:
        feeder.close()
