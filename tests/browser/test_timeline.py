"""The timeline page in a real Chromium, at desktop and phone sizes, over real recordings: a
lane per camera with its time-lapse and event bars, the playhead dragged shows each camera's
frame at that moment, Play moves it on, a bar opens its event, the visible range downloads."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hub.app import Hub
from hub.events.clips import frames_of
from tests.browser.conftest import CameraFeeder, screenshot
from tests.browser.test_events import record
from tests.conftest import get, url

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def recorded(hub_factory: Callable[..., Hub]) -> tuple[Hub, dict]:
    """Two cameras still for a few seconds (time-lapse), then an event on the porch."""
    hub = hub_factory(pre_roll=1.0, post_roll=1.0)  # the default time-lapse, a frame a second
    feeder = CameraFeeder(hub)
    try:
        feeder.add("yard", moving=False)
        feeder.add("porch", moving=False)
        time.sleep(4)
        feeder.remove("porch")
        record(hub, feeder, "porch")
        time.sleep(2.5)
    finally:
        feeder.close()
    [event] = json.loads(get(hub, "/api/events")[1])
    return hub, event


def x_of(page, camera: str, t: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Where on the camera's track the moment ``t`` lies, in page coordinates."""
    box = page.locator(f'#lanes .track[data-camera="{camera}"]').bounding_box()
    view = page.locator("#timeline")
    start, span = float(view.get_attribute("data-view-start")), float(view.get_attribute("data-span"))
    return box["x"] + (t - start) / span * box["width"], box["y"] + box["height"] / 2


def frame_time(page, camera: str) -> float | None:  # type: ignore[no-untyped-def]
    value = page.locator(f'.tl-frame[data-camera="{camera}"]').get_attribute("data-time")
    return None if value is None else float(value)


def test_lanes_playhead_play_events_and_download_on_a_desktop(recorded, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    hub, event = recorded
    page.goto(url(hub, "/timeline"))
    expect(page.locator("#lanes .lane")).to_have_count(2)
    expect(page.locator('#lanes .track[data-camera="porch"] .span.event')).to_have_count(1)
    for camera in ("porch", "yard"):
        assert page.locator(f'#lanes .track[data-camera="{camera}"] .span.timelapse').count() >= 1
    page.click("#next-event")  # from a minute ago: the porch's event
    assert abs(float(page.locator("body").get_attribute("data-playhead")) - event["start"]) < 0.01
    for _ in range(4):
        page.click("#zoom-in")
    expect(page.locator("#zoom-label")).to_have_text("5 min")

    still, moving = event["start"] - 3.0, event["start"] + 1.0 + event["duration"] / 2
    page.mouse.move(*x_of(page, "yard", still))
    page.mouse.down()
    page.mouse.move(*x_of(page, "yard", moving), steps=8)
    page.mouse.up()
    head = float(page.locator("body").get_attribute("data-playhead"))
    assert abs(head - moving) < 1.0, head - moving
    for camera, within in (("porch", 0.3), ("yard", 1.1)):  # full rate in the event, time-lapse beside it
        page.wait_for_function(
            f"""() => {{ const f = document.querySelector('.tl-frame[data-camera="{camera}"]');
                return f && f.dataset.time && Math.abs(Number(f.dataset.asked) - {head}) < 0.01; }}"""
        )
        assert abs(frame_time(page, camera) - head) <= within, (camera, frame_time(page, camera) - head)
        natural = page.locator(f'.tl-frame[data-camera="{camera}"] img').evaluate("i => i.complete && i.naturalWidth")
        assert natural == 320
    screenshot(page, "timeline-desktop")

    page.mouse.click(*x_of(page, "yard", still))  # play from the still seconds before the event
    begun = float(page.locator("body").get_attribute("data-playhead"))
    page.click("#play")
    page.wait_for_timeout(1500)
    page.click("#play")  # pause
    moved = float(page.locator("body").get_attribute("data-playhead")) - begun
    assert 0.8 <= moved <= 3.0, f"1x for 1.5 s moved the playhead {moved:.1f} s"
    porch = "document.querySelector('.tl-frame[data-camera=\"porch\"]')"
    page.wait_for_function(f"() => Number({porch}.dataset.time) > {begun + 0.5}", timeout=5000)
    page.select_option("#speed", "60")
    page.click("#play")  # at 60x it reaches the end of what was recorded and stops there
    expect(page.locator("body")).not_to_have_attribute("data-playing", "1", timeout=5000)
    last = max(s["end"] for c in json.loads(get(hub, "/api/timeline")[1])["cameras"].values() for s in c["spans"])
    assert abs(float(page.locator("body").get_attribute("data-playhead")) - last) < 2.0

    page.select_option("#export-camera", "porch")
    with page.expect_download(timeout=20_000) as download:
        page.click("#export")
    saved = tmp_path / "range.mkv"
    download.value.save_as(saved)
    assert download.value.suggested_filename.startswith("porch-")
    assert len(frames_of(saved)) >= event["frames"], "the event's frames and the time-lapse in the view"
    expect(page.locator("#export-status")).to_contain_text("downloaded")

    page.locator('#lanes .track[data-camera="porch"] .span.event').click()
    page.wait_for_url(f"**/events?event={event['id']}")
    expect(page.locator("#player")).to_be_visible()
    expect(page.locator("#player-title")).to_contain_text("porch")
    page.go_back()  # the timeline as it was left: the zoom and the playhead are in its URL
    expect(page.locator("#zoom-label")).to_have_text("5 min")
    assert page.errors == []


def test_the_timeline_on_a_phone(recorded, browser) -> None:  # type: ignore[no-untyped-def]
    hub, event = recorded
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        errors: list[str] = []
        phone.on("pageerror", lambda exc: errors.append(str(exc)))
        at = event["start"] + 1.0
        day = time.strftime("%Y-%m-%d", time.localtime(at))
        phone.goto(url(hub, f"/timeline?day={day}&t={at:.1f}&span=300"))
        expect(phone.locator("#lanes .lane")).to_have_count(2)
        expect(phone.locator('#lanes .track[data-camera="porch"] .span.event')).to_have_count(1)
        wide = phone.evaluate("() => document.scrollingElement.scrollWidth")
        assert wide <= 390, f"the page is {wide} px wide on a 390 px phone"
        later = event["start"] + event["duration"] + 1.5
        phone.touchscreen.tap(*x_of(phone, "porch", later))
        head = float(phone.locator("body").get_attribute("data-playhead"))
        assert abs(head - later) < 2.0
        phone.wait_for_function(
            f"() => [...document.querySelectorAll('.tl-frame')].every(f => f.dataset.time"
            f" && Math.abs(Number(f.dataset.asked) - {head}) < 0.01)"
        )
        for camera in ("porch", "yard"):
            assert abs(frame_time(phone, camera) - head) <= 1.1
        small = phone.evaluate(
            "() => [...document.querySelectorAll('#controls button, #export-tools button')].filter(b => b.offsetParent)"
            ".map(b => [b.id, b.getBoundingClientRect().height]).filter(([, h]) => h < 44)"
        )
        assert not small, small
        screenshot(phone, "timeline-phone")
        assert errors == []
    finally:
        context.close()
