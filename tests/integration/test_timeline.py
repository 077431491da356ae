"""The timeline over real recordings: a camera still, then moving, then still again, from a
stock imagezmq sender into a real hub: time-lapse between events, the event at full rate,
spans and activity read back, and the frame at a moment is one the sender sent."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

import pytest

from hub.app import Hub
from tests.conftest import get
from tests.integration.test_events import record_one_event

pytestmark = pytest.mark.slow


def test_the_timeline_shows_the_event_and_the_frame_at_a_moment_is_the_senders(
    hub_factory: Callable[..., Hub],
) -> None:
    hub = hub_factory(pre_roll=2.0, post_roll=1.0, timelapse_fps=1.0)
    sent, motion_start, motion_end = record_one_event(hub, "porch")
    first, last = sent[0][0], sent[-1][0]
    status, body, _ = get(hub, f"/api/timeline?camera=porch&start={first - 60:.3f}&end={last + 60:.3f}")
    assert status == 200, body
    porch = json.loads(body)["cameras"]["porch"]
    [span] = [s for s in porch["spans"] if s["kind"] == "event"]
    assert span["event"] is not None and span["labels"] == []
    lapses = [s for s in porch["spans"] if s["kind"] == "timelapse"]
    assert lapses and lapses[0]["start"] < span["start"] and lapses[-1]["end"] > span["end"], porch["spans"]
    covered = sorted((s["start"], s["end"]) for s in porch["spans"])
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(covered)]
    assert covered[0][0] <= first + 1.5 and covered[-1][1] >= last - 2.5, (covered, first, last)
    assert max(gaps, default=0) <= 2.5, f"no gap longer than about two time-lapse periods: {gaps}"
    assert motion_start - 2.5 <= span["start"] <= motion_start - 1.5 and span["end"] >= motion_end + 0.5
    moving = sum(m["motion"] for m in porch["activity"]) * 60
    assert 1.0 <= moving <= (motion_end - motion_start) + 1.5, f"{moving:.1f} s of motion in the activity strip"
    status, body, _ = get(hub, f"/api/timeline?start={first - 60:.3f}&end={last + 60:.3f}")
    assert status == 200 and "porch" in json.loads(body)["cameras"], "all cameras when none is named"

    middle = (motion_start + motion_end) / 2
    status, jpeg, headers = get(hub, f"/api/cameras/porch/frame?at={middle:.3f}")
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    when = float(headers["X-Camnet-Time"])
    assert abs(when - middle) < 0.3, when - middle
    near = [data for t, data in sent if abs(t - when) < 0.5]
    assert jpeg in near, "the sender's own bytes, from about that moment"

    still = first + 1.5  # before the motion: only the time-lapse (1 frame a second) recorded it
    status, jpeg, headers = get(hub, f"/api/cameras/porch/frame?at={still:.3f}")
    assert status == 200 and abs(float(headers["X-Camnet-Time"]) - still) <= 1.0
    assert jpeg in [data for t, data in sent if abs(t - float(headers["X-Camnet-Time"])) < 0.3]

    status, body, _ = get(hub, f"/api/cameras/porch/frame?at={first - 600:.3f}")
    assert status == 404 and b"no recorded frame" in body
    for bad, says in (
        ("/api/timeline?start=abc", b"start must be a number"),
        (f"/api/timeline?start={last:.0f}&end={first:.0f}", b"start must be before end"),
        (f"/api/timeline?start=0&end={last:.0f}", b"at most 8 days"),
        ("/api/timeline?camera=%3Cx%3E", b"markup"),
        ("/api/cameras/porch/frame", b"?at="),
    ):
        status, body, _ = get(hub, bad)
        assert status == 400 and says in body, (bad, body)
