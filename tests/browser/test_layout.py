"""The page as a person at a 1440x900 screen or a phone sees it: tiles that fill the screen,
labels beside the picture instead of over it, touch-sized buttons, a mask editor whose buttons
are in view and whose corners can be dragged, and no request that fails."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from hub.app import Hub
from tests.browser.conftest import CameraFeeder, screenshot
from tests.browser.test_page import wait_painted
from tests.conftest import url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_three_cameras_fill_a_1440_by_900_screen_and_labels_leave_the_picture(  # type: ignore[no-untyped-def]
    hub: Hub, feeder: CameraFeeder, browser
) -> None:
    for name in ("a", "b", "c"):
        feeder.add(name)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    failed: list[str] = []
    try:
        page = context.new_page()
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(url(hub, "/"))
        wait_painted(page, ["a", "b", "c"])
        page.wait_for_timeout(300)
        boxes = [page.locator(f'[data-camera="{n}"]').bounding_box() for n in ("a", "b", "c")]
        covered = sum(b["width"] * b["height"] for b in boxes) / (1440 * 900)
        assert covered > 0.5, f"the tiles cover {covered:.0%} of the screen"
        assert all(b["y"] + b["height"] <= 900 for b in boxes), "every camera in view"
        for name in ("a", "b", "c"):
            picture = page.locator(f'[data-camera="{name}"] .frame').bounding_box()
            label = page.locator(f'[data-camera="{name}"] .label').bounding_box()
            assert label["y"] >= picture["y"] + picture["height"] - 1, "the label is under the picture, not on it"
        screenshot(page, "grid-fits-the-screen")
        assert not failed, failed  # a favicon too
    finally:
        context.close()


def test_phone_buttons_are_44_pixels_tall(hub: Hub, feeder: CameraFeeder, browser) -> None:  # type: ignore[no-untyped-def]
    feeder.add("garage")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.goto(url(hub, "/camera/garage"))
        wait_painted(phone, ["garage"])
        heights = phone.evaluate(
            "() => [...document.querySelectorAll('header a, button')].filter(b => b.offsetParent)"
            ".map(b => [b.id || b.textContent, b.getBoundingClientRect().height])"
        )
        small = [(what, h) for what, h in heights if h < 44]
        assert heights and not small, small
    finally:
        context.close()


def test_mask_corners_drag_and_a_saved_mask_can_be_edited(  # type: ignore[no-untyped-def]
    hub_factory: Callable[..., Hub], browser
) -> None:
    hub = hub_factory()
    feeder = CameraFeeder(hub)
    feeder.add("garage", moving=False)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.goto(url(hub, "/camera/garage"))
        wait_painted(page, ["garage"])
        draw = page.locator("#mask-draw").bounding_box()
        assert draw["y"] + draw["height"] <= 900, "the mask buttons are in view beside the image"
        svg = page.locator("svg.masks")
        box = svg.bounding_box()
        page.click("#mask-draw")
        for fx, fy in ((0.1, 0.1), (0.4, 0.1), (0.4, 0.4)):
            svg.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
        page.click("#mask-finish")
        page.click("#mask-save")
        expect(page.locator("#mask-status")).to_have_text("Saved. 1 mask in force.")
        handle = page.locator(".handle").nth(2)  # the corner at (0.4, 0.4): drag it to (0.8, 0.8)
        start = handle.bounding_box()
        page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.8, steps=8)
        page.mouse.up()
        expect(page.locator("#mask-save")).to_be_enabled()
        page.click("#mask-list button:text('Edit')")  # reopen it to add a corner
        svg.click(position={"x": box["width"] * 0.1, "y": box["height"] * 0.6})
        page.click("#mask-finish")
        page.click("#mask-save")
        expect(page.locator("#mask-status")).to_have_text("Saved. 1 mask in force.")
        saved = json.loads((hub.data_dir / "masks.json").read_text())["cameras"]["garage"]
        assert len(saved) == 1 and len(saved[0]) == 4, "edited: a fourth corner"
        moved = saved[0][2]
        assert abs(moved[0] - 0.8) < 0.03 and abs(moved[1] - 0.8) < 0.03, f"the dragged corner is at {moved}"
        wait_until(lambda: len(hub.masks.get("garage")) == 1)
    finally:
        context.close()
        feeder.close()
