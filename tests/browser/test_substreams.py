"""The grid asks for what it can show, in a real Chromium: a phone's small tiles get the
sub-stream (in CSS pixels: devicePixelRatio 3 changes nothing), the camera page the main one."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from hub.app import Hub
from tests.browser.conftest import CameraFeeder, screenshot
from tests.conftest import url

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CAMERAS = [f"cam-{i:02d}" for i in range(6)]


def natural_widths(page) -> list[int]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all("article.tile img", "imgs => imgs.map(i => i.naturalWidth)")  # type: ignore[no-any-return]


def test_a_phone_gets_sub_streams_and_the_camera_page_the_main_stream(hub_factory: Callable[..., Hub], browser) -> None:  # type: ignore[no-untyped-def]
    hub = hub_factory()
    feeder = CameraFeeder(hub, fps=15, width=640, sub_width=320)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3)
    page = context.new_page()
    try:
        for name in CAMERAS:
            feeder.add(name)
        page.goto(url(hub, "/"))
        expect(page.locator("article.tile")).to_have_count(len(CAMERAS))
        page.wait_for_function("() => [...document.querySelectorAll('article.tile img')].some(i => i.naturalWidth > 0)")
        time.sleep(1.0)
        shown = [w for _ in range(10) for w in natural_widths(page) if w]
        assert shown and set(shown) == {320}, f"small tiles show the sub-image, got widths {shown}"
        before, started = hub_streams_bytes(hub), time.monotonic()
        time.sleep(3.0)
        rate = (hub_streams_bytes(hub) - before) * 8 / (time.monotonic() - started)
        visible = len(shown)
        # each visible tile: at most --grid-fps (5) sub-images a second of about 4 KB, and the list once a second
        assert rate < visible * 5 * 8 * 8000 + 200_000, f"{rate / 1e6:.2f} Mbit/s for {visible} small tiles"
        screenshot(page, "phone-grid-substreams")

        page.goto(url(hub, f"/camera/{CAMERAS[0]}"))
        # each frame is a new image, 0 wide until it has loaded: wait for a loaded one, then look
        page.wait_for_function("() => document.querySelector('article.tile img').naturalWidth > 0")
        page.wait_for_function("() => document.querySelector('article.tile img').naturalWidth === 640", timeout=5000)
        widths = {w for _ in range(20) for w in natural_widths(page) if w}
        assert widths == {640}, f"the camera page gets the main stream, got widths {widths}"
    finally:
        context.close()
        feeder.close()


def hub_streams_bytes(hub: Hub) -> int:
    import json

    from tests.conftest import get

    _, body, _ = get(hub, "/metrics")
    for line in body.decode().splitlines():
        if line.startswith('camnet_stream_bytes_total{kind="page"}'):
            return int(float(line.split()[-1]))
    raise AssertionError("no camnet_stream_bytes_total{kind=page} in /metrics: " + json.dumps(body.decode()[:200]))
