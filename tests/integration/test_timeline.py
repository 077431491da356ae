"""The timeline over real recordings: a camera still for a minute, then moving, then still
again, from a stock imagezmq sender into a real hub: time-lapse between events, the event at
full rate, spans and activity read back, the frame at a moment is one the sender sent, and
the export of the range holds every kept frame in order."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path

import imagezmq
import pytest

from hub.app import Hub
from hub.events.clips import frames_of
from tests.conftest import get, wait_until
from tests.integration.test_events import events, footage

pytestmark = pytest.mark.slow


def send_at(sender: imagezmq.ImageSender, name: str, frames: list[bytes], fps: float, log: list) -> None:
    for data in frames:
        started = time.monotonic()
        log.append((time.time(), data))
        assert sender.send_jpg(name, data) == b"OK"
        time.sleep(max(0.0, 1 / fps - (time.monotonic() - started)))


def record_a_still_minute(hub: Hub, name: str) -> tuple[list[tuple[float, bytes]], float, float]:
    """Still for a minute (5 fps), motion for 2 s and still for 4 s (15 fps)."""
    still, moving = footage()
    sender = imagezmq.ImageSender(f"tcp://127.0.0.1:{hub.config.zmq_port}")
    sent: list[tuple[float, bytes]] = []
    try:
        send_at(sender, name, [still[i % 8] for i in range(300)], 5, sent)
        motion_start = time.time()
        send_at(sender, name, moving[:30], 15, sent)
        motion_end = sent[-1][0]
        send_at(sender, name, [still[i % 8] for i in range(60)], 15, sent)
    finally:
        sender.close()
    wait_until(lambda: [e["state"] for e in events(hub) if e["camera"] == name] == ["done"], timeout=15)
    return sent, motion_start, motion_end


def test_the_timeline_shows_the_event_and_the_frame_at_a_moment_is_the_senders(
    hub_factory: Callable[..., Hub], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = hub_factory(pre_roll=2.0, post_roll=1.0)  # the default time-lapse: a frame a second
    assert hub.config.timelapse_fps == 1.0
    sent, motion_start, motion_end = record_a_still_minute(hub, "porch")
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

    still = first + 30.5  # before the motion: only the time-lapse (1 frame a second) recorded it
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

    start, end = first - 5, last + 5
    status, body, headers = get(hub, f"/api/cameras/porch/export?start={start:.3f}&end={end:.3f}")
    assert status == 200 and headers["Content-Type"] == "video/x-matroska", body[:200]
    assert headers["Content-Disposition"].startswith("attachment; filename=porch-")
    (tmp_path / "export.mkv").write_bytes(body)
    exported = frames_of(tmp_path / "export.mkv")
    times = [start + pts / 1000 for pts, _ in exported]
    assert all(b > a for a, b in itertools.pairwise(times)), "in time order"
    for when, data in zip(times, (d for _, d in exported), strict=True):
        assert any(d == data and abs(t - when) < 0.3 for t, d in sent), f"a frame not sent near {when - first:.2f} s"
    [event] = [e for e in events(hub) if e["camera"] == "porch"]
    clip = [d for c in hub.events.clips(event["id"]) for _, d in frames_of(hub.data_dir / c.path)]
    datas = [d for _, d in exported]
    at = next(i for i in range(len(datas)) if datas[i : i + len(clip)] == clip)
    assert datas[at : at + len(clip)] == clip, "every full-rate event frame, in order"
    before = [t for t in times if t < hub.events.clips(event["id"])[0].start - 0.01]
    assert 55 <= len(before) <= 64, f"a frame a second of the still minute: {len(before)}"
    assert max(b - a for a, b in itertools.pairwise(before)) <= 2.2

    monkeypatch.setattr("hub.web.timeline.MAX_EXPORT", 100_000)
    status, body, _ = get(hub, f"/api/cameras/porch/export?start={start:.3f}&end={end:.3f}")
    assert status == 413 and b"shorter range" in body, body
    for bad, code, says in (
        (f"/api/cameras/porch/export?start={first - 900:.3f}&end={first - 600:.3f}", 404, b"recorded nothing"),
        (f"/api/cameras/porch/export?start={start:.3f}", 400, b"?start="),
        (f"/api/cameras/porch/export?start={end:.3f}&end={start:.3f}", 400, b"before end"),
        (f"/api/cameras/%3Cx%3E/export?start={start:.3f}&end={end:.3f}", 400, b"markup"),
    ):
        status, body, _ = get(hub, bad)
        assert status == code and says in body, (bad, body)


def test_time_a_camera_was_offline_is_a_gap(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(post_roll=0.5)
    still, _ = footage()
    sent: list[tuple[float, bytes]] = []
    for round_ in range(2):  # 3 s still, 7 s away, 3 s still
        sender = imagezmq.ImageSender(f"tcp://127.0.0.1:{hub.config.zmq_port}")
        try:
            send_at(sender, "shed", [still[i % 8] for i in range(30)], 10, sent)
        finally:
            sender.close()
        if round_ == 0:
            time.sleep(7)
    away = (sent[29][0], sent[30][0])

    def spans() -> list[dict]:
        status, body, _ = get(hub, f"/api/timeline?camera=shed&start={sent[0][0] - 5:.3f}&end={sent[-1][0] + 5:.3f}")
        assert status == 200, body
        return json.loads(body)["cameras"]["shed"]["spans"]  # type: ignore[no-any-return]

    wait_until(lambda: len(spans()) == 2 and spans()[-1]["end"] >= sent[-1][0] - 1.5, timeout=10)
    before, after = spans()
    assert before["kind"] == after["kind"] == "timelapse"
    assert before["end"] <= away[0] + 0.1 and after["start"] >= away[1] - 0.1, (before, after, away)
    assert after["start"] - before["end"] >= 6.0, "the 7 s away are a gap, not a span"
    status, _, _ = get(hub, f"/api/cameras/shed/frame?at={(away[0] + away[1]) / 2:.3f}")
    assert status == 404, "nothing was recorded while it was away"
