"""Objects in a real Chromium: a live tile shows a chip while a person crosses its camera, the
camera page draws the tracked box, and the events page opens on alerts with label chips."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from bench.object_scenes import Scene
from hub.app import Hub
from tests.browser.conftest import screenshot
from tests.conftest import url
from tests.integration.test_objects import ended, play

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_tiles_show_what_is_seen_and_the_events_page_filters_alerts(hub_factory: Callable[..., Hub], page) -> None:  # type: ignore[no-untyped-def]
    hub = hub_factory(model=True, post_roll=1.0, frame_count=20)
    play(hub, "door", Scene("still", None, None, 1.5, 9, "walk"))  # the cameras exist before the page opens
    play(hub, "garden", Scene("still", None, None, 1.5, 9, "walk"))
    page.goto(url(hub, "/"))
    expect(page.locator("article.tile")).to_have_count(2)
    scenes = {"door": Scene("p", "person", "person", 9, 1, "walk"), "garden": Scene("f", None, None, 9, 1, "foliage")}
    playing = [threading.Thread(target=play, args=(hub, name, scene)) for name, scene in scenes.items()]
    for thread in playing:
        thread.start()
    try:
        chip = page.locator("article[data-camera='door'] .chip")
        expect(chip).to_have_count(1, timeout=10000)
        expect(chip).to_contain_text("person 0.")
        screenshot(page, "objects-tile")
        expect(page.locator("article[data-camera='garden'] .chip")).to_have_count(0)
    finally:
        for thread in playing:
            thread.join()
    ended(hub, "door")
    ended(hub, "garden")

    page.goto(url(hub, "/events"))
    expect(page.locator("#alerts")).to_be_checked()  # a model is installed: alerts first
    expect(page.locator("li.event")).to_have_count(1)
    expect(page.locator("li.event .camera")).to_have_text("door")
    expect(page.locator("li.event .chip")).to_contain_text("person 0.")
    page.uncheck("#alerts")
    expect(page.locator("li.event")).to_have_count(2)
    expect(page.locator("li.event[data-labels=''] .chip")).to_have_text("motion only")
    page.select_option("#label", "dog")
    expect(page.locator("li.event")).to_have_count(0)
    page.select_option("#label", "person")
    expect(page.locator("li.event")).to_have_count(1)
    screenshot(page, "objects-events")

    page.goto(url(hub, "/camera/door"))
    walk = threading.Thread(target=play, args=(hub, "door", Scene("p", "person", "person", 8, 1, "walk")))
    walk.start()
    try:
        box = page.locator(".object-box")
        expect(box).to_have_count(1, timeout=10000)
        expect(box.locator(".object-label")).to_contain_text("person")
        screenshot(page, "objects-camera")
    finally:
        walk.join()
