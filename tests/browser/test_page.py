"""The grid page in a real Chromium against a real hub fed by real senders on loopback."""

from __future__ import annotations

import time
import urllib.parse

import pytest

from hub.app import Hub
from tests.browser.conftest import CameraFeeder, screenshot
from tests.conftest import RawSender, jpeg, scene, url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def last_frames(page) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[data-camera]')]
        .map(t => [t.dataset.camera, Number(t.dataset.lastFrame || 0)]))""")


def wait_painted(page, names: list[str], timeout: float = 20.0) -> dict[str, int]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    frames: dict[str, int] = {}
    while time.monotonic() < deadline:
        frames = last_frames(page)
        if all(frames.get(n, 0) > 0 for n in names):
            return frames
        time.sleep(0.2)
    missing = [n for n in names if frames.get(n, 0) == 0]
    seen = page.evaluate("""() => ({summary: (document.getElementById('summary') || {}).textContent,
        tiles: [...document.querySelectorAll('[data-camera]')].slice(0, 8).map(t => [t.dataset.camera,
        t.dataset.status, t.dataset.painted || '0']), hidden: document.hidden})""")
    raise AssertionError(f"{len(missing)} cameras never painted: {missing[:8]}; the page showed {seen}")


def test_32_cameras_all_paint_and_keep_advancing_in_one_tab(hub: Hub, feeder: CameraFeeder, page) -> None:  # type: ignore[no-untyped-def]
    names = [f"cam-{i:02d}" for i in range(32)]
    for i, name in enumerate(names):
        feeder.add(name, moving=i % 3 != 0)
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(url(hub, "/"))
    # Tiles below the fold are painted once they are scrolled into view.
    wait_painted(page, names[:8])
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    wait_painted(page, names[-8:])
    page.set_viewport_size({"width": 2400, "height": 2400})  # every tile visible at once
    first = wait_painted(page, names)
    time.sleep(2.0)
    later = last_frames(page)
    stuck = [n for n in names if later[n] <= first[n]]
    assert not stuck, f"cameras stopped advancing: {stuck}"
    assert page.locator("[data-camera]").count() == 32
    assert page.errors == []
    # Only one streaming connection carries all 32 cameras (once the hub has seen the streams
    # the page closed on scrolling and resizing end: a paced stream notices at its next write).
    streams = hub.web.server.wsgi_app.extensions["camnet.streams"]
    wait_until(lambda: streams.pages == 1 and streams.open == 1, timeout=8)
    assert not streams.by_camera
    screenshot(page, "grid-32-cameras")


def test_new_camera_appears_and_stopped_one_goes_offline_and_back(hub: Hub, feeder: CameraFeeder, page) -> None:  # type: ignore[no-untyped-def]
    feeder.add("porch")
    page.goto(url(hub, "/"))
    wait_painted(page, ["porch"])
    feeder.add("garage")  # connects while the page is open
    wait_painted(page, ["garage"])
    order = page.evaluate("() => [...document.querySelectorAll('[data-camera]')].map(t => t.dataset.camera)")
    assert order == ["garage", "porch"], "tiles are sorted by name"
    feeder.remove("porch")
    tile = page.locator('[data-camera="porch"]')
    page.wait_for_function("() => document.querySelector('[data-camera=\"porch\"]').dataset.status === 'offline'")
    assert "offline" in tile.locator(".status").inner_text()
    screenshot(page, "camera-offline")
    feeder.add("porch")
    page.wait_for_function("() => document.querySelector('[data-camera=\"porch\"]').dataset.status === 'online'")


def test_a_name_used_by_two_senders_is_shown_on_its_tile(hub: Hub, feeder: CameraFeeder, page) -> None:  # type: ignore[no-untyped-def]
    feeder.add("garage")
    page.goto(url(hub, "/"))
    wait_painted(page, ["garage"])
    assert not page.locator('[data-camera="garage"] .status').is_visible()
    # The feeder's stock-format frames carry no id; a camnet sender with another id is refused.
    intruder = RawSender(hub.config.zmq_port)
    try:
        hub.cameras.get("garage").claim("first-pi")
        reply = intruder.frame("garage", jpeg(scene(0, False)), id="second-pi")
        assert reply.startswith(b"ERROR name-conflict")
        status = page.locator('[data-camera="garage"] .status')
        status.wait_for(state="visible", timeout=5000)
        assert "another sender also uses this name" in status.inner_text()
        screenshot(page, "name-conflict")
    finally:
        intruder.close()


def test_phone_shows_one_column_without_horizontal_scrolling(hub: Hub, feeder: CameraFeeder, browser) -> None:  # type: ignore[no-untyped-def]
    for name in ("a", "b", "c"):
        feeder.add(name)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        phone = context.new_page()
        phone.goto(url(hub, "/"))
        wait_painted(phone, ["a"])
        boxes = [phone.locator(f'[data-camera="{n}"]').bounding_box() for n in ("a", "b", "c")]
        assert len({round(b["x"]) for b in boxes}) == 1, "one column"
        assert all(b["width"] > 300 for b in boxes)
        assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(phone, "phone-one-column")
    finally:
        context.close()


def test_hostile_camera_names_never_execute(hub: Hub, feeder: CameraFeeder, page) -> None:  # type: ignore[no-untyped-def]
    hostile = [  # markup characters are refused at the door (test_hub); these get through
        "javascript:window.pwned=1 onerror",
        "{{7*7}} ${window.pwned=2} %3Cimg%3E",
        "..%2F..%2Fetc%2Fpasswd",
        "\\u003cscript\\u003e [x](javascript:1)",
    ]
    for name in hostile:
        feeder.add(name)
    page.goto(url(hub, "/"))
    wait_painted(page, hostile)
    names = page.evaluate("() => [...document.querySelectorAll('.label .name')].map(n => n.textContent)")
    assert sorted(names) == sorted(hostile)
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("script").count() == 1  # only app.js
    page.locator("[data-camera]").filter(has_text="onerror").click()
    page.wait_for_url("**/camera/**")
    wait_painted(page, [hostile[0]])
    assert page.evaluate("() => window.pwned") is None
    assert page.errors == []


def test_click_opens_one_camera_large(hub: Hub, feeder: CameraFeeder, page) -> None:  # type: ignore[no-untyped-def]
    feeder.add("yard")
    feeder.add("gate")
    page.goto(url(hub, "/"))
    wait_painted(page, ["yard", "gate"])
    page.locator('[data-camera="yard"]').click()
    page.wait_for_url(url(hub, "/camera/yard"))
    first = wait_painted(page, ["yard"])["yard"]
    assert page.locator("[data-camera]").count() == 1
    assert page.locator('[data-camera="yard"]').bounding_box()["width"] > 900
    page.wait_for_function(
        f"() => Number(document.querySelector('[data-camera=\"yard\"]').dataset.lastFrame) > {first}"
    )
    assert "received" in page.locator(".details").inner_text()
    screenshot(page, "single-camera")
    page.locator("a.back").click()
    page.wait_for_url(url(hub, "/"))
    missing = page.goto(url(hub, "/camera/" + urllib.parse.quote("nobody")))
    assert missing.status == 404


def test_montage_mjpeg_decodes_in_the_browser(hub: Hub, feeder: CameraFeeder, page) -> None:  # type: ignore[no-untyped-def]
    for name in ("north", "south", "east", "west"):
        feeder.add(name)
    page.goto(url(hub, "/"))
    wait_painted(page, ["north", "south", "east", "west"])
    page.set_content(f'<img id="m" src="{url(hub, "/video_feed/all")}">')
    page.wait_for_function("() => document.getElementById('m').naturalWidth === 640")
    assert page.evaluate("() => document.getElementById('m').naturalHeight") == 480
    screenshot(page, "montage")


def test_only_visible_tiles_receive_frames(hub: Hub, feeder: CameraFeeder, page) -> None:  # type: ignore[no-untyped-def]
    names = [f"cam-{i:02d}" for i in range(24)]
    for name in names:
        feeder.add(name)
    page.set_viewport_size({"width": 700, "height": 500})  # two columns, a few rows visible
    page.goto(url(hub, "/"))
    wait_painted(page, names[:2])
    page.wait_for_timeout(1500)
    frames = last_frames(page)
    assert frames[names[-1]] == 0, "a tile far below the fold is not sent frames"
    page.locator('[data-camera="cam-23"]').scroll_into_view_if_needed()
    wait_painted(page, ["cam-23"])
    top = last_frames(page)["cam-00"]
    page.wait_for_timeout(1500)
    assert last_frames(page)["cam-00"] == top, "a tile scrolled away stops receiving frames"
    # A hidden tab stops the stream altogether.
    streams = hub.web.server.wsgi_app.extensions["camnet.streams"]
    assert streams.pages == 1
    page.evaluate("""() => { Object.defineProperty(document, 'hidden', {value: true, configurable: true});
                             document.dispatchEvent(new Event('visibilitychange')); }""")
    wait_until(lambda: streams.pages == 0, timeout=5)
