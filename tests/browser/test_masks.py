"""Drawing a motion mask on a camera's page in a real Chromium: it is saved, shown, applied
at once, and still there after the hub restarts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hub.app import Hub
from tests.browser.conftest import CameraFeeder, screenshot
from tests.conftest import url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def draw_mask_over_everything(page) -> None:  # type: ignore[no-untyped-def]
    page.click("#mask-draw")
    svg = page.locator("svg.masks")
    box = svg.bounding_box()
    w, h = box["width"], box["height"]
    for x, y in [(1, 1), (w - 1, 1), (w - 1, h - 1), (1, h - 1)]:
        svg.click(position={"x": x, "y": y})  # scrolled into view for each corner
    assert len(page.locator("svg.masks polyline.draft").get_attribute("points").split()) == 4
    page.click("#mask-finish")
    page.click("#mask-save")
    expect(page.locator("#mask-status")).to_have_text("Saved. 1 mask in force.")


def open_moving_camera(hub: Hub, page) -> CameraFeeder:  # type: ignore[no-untyped-def]
    """A camera "garage" whose square keeps moving, and its page open."""
    feeder = CameraFeeder(hub)
    feeder.add("garage", moving=True)
    wait_until(lambda: hub.cameras.get("garage") is not None)
    page.goto(url(hub, "/camera/garage"))
    return feeder


def test_a_mask_drawn_in_the_page_stops_motion_and_survives_a_restart(
    hub_factory: Callable[..., Hub], page, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "state"
    hub = hub_factory(data_dir=str(data_dir))
    feeder = open_moving_camera(hub, page)
    try:
        page.wait_for_selector("article.tile.motion", timeout=20_000)  # the square moves: motion
        assert page.locator("#mask-list li").first.text_content() == "No masks: motion anywhere in view counts."
        draw_mask_over_everything(page)
        assert page.locator("svg.masks polygon.saved").count() == 1
        page.wait_for_selector("article.tile:not(.motion)", timeout=10_000)
        screenshot(page, "camera-page-mask")
    finally:
        feeder.close()
    saved = json.loads((data_dir / "masks.json").read_text())["cameras"]["garage"]
    assert len(saved) == 1 and len(saved[0]) == 4
    assert all(0 <= v <= 1 for corner in saved[0] for v in corner)
    hub.stop()

    again = hub_factory(data_dir=str(data_dir))
    feeder = open_moving_camera(again, page)
    try:
        page.wait_for_selector("svg.masks polygon.saved")
        assert page.locator("#mask-list li").first.text_content().startswith("Saved mask 1 (4 corners)")
        wait_until(lambda: (c := again.cameras.get("garage")) is not None and c.analyzed > 20, timeout=20)
        assert page.locator("article.tile.motion").count() == 0, "the mask applies after the restart"
        assert not again.cameras.get("garage").describe()["motion"]
        # remove it again from the page: motion comes back
        page.click("#mask-list button")
        page.click("#mask-save")
        expect(page.locator("#mask-status")).to_have_text("Saved. 0 masks in force.")
        page.wait_for_selector("article.tile.motion", timeout=20_000)
        time.sleep(0.2)
        assert page.errors == []
    finally:
        feeder.close()
