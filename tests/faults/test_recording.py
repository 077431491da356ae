"""Recording survives what a camera system meets: the hub killed mid-event, a disk that fills."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.events.clips import frames_of
from tests.conftest import RawSender, jpeg, scene, wait_until
from tests.faults.conftest import HubProcess

pytestmark = pytest.mark.slow


def test_kill_9_mid_event_leaves_a_cut_event_whose_clip_plays_up_to_the_kill(tmp_path: Path) -> None:
    data = tmp_path / "state"
    hub = HubProcess("--data-dir", str(data), "--pre-roll", "1", "--post-roll", "2")
    still = [jpeg(scene(i, False)) for i in range(30)]  # every frame different: found by its bytes
    moving = [jpeg(scene(i, True)) for i in range(60)]
    sender = RawSender(hub.zmq)
    sent: list[bytes] = []
    try:
        for data_ in still + moving[:20]:
            assert sender.frame("porch", data_) == b"OK"
            sent.append(data_)
            time.sleep(1 / 15)
        wait_until(lambda: hub.cameras().get("porch", {}).get("recording"), timeout=10)
        for data_ in moving[20:50]:
            assert sender.frame("porch", data_) == b"OK"
            sent.append(data_)
            time.sleep(1 / 15)
        time.sleep(0.3)  # the recorder writes what it was handed
        hub.kill9()
    finally:
        sender.close()
    leftovers = list((data / "clips").rglob("*.part"))
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > 100_000, "flushed as written, not 0 bytes"
    hub.start()  # the start-up check repairs it
    try:
        [event] = hub.api("/api/events")  # type: ignore[misc]
        assert event["state"] == "cut" and event["end"] is not None and event["frames"] > 30
        path = next((data / "clips").rglob("*.mkv"))
        assert not list((data / "clips").rglob("*.part"))
        clip = [d for _, d in frames_of(path)]
        start = sent.index(clip[0])
        assert clip == sent[start : start + len(clip)], "the frames as sent, in order"
        assert start + len(clip) >= len(sent) - 2, "up to the kill: at most the last frame or two lost"
        assert event["frames"] == len(clip)
    finally:
        hub.stop()


@pytest.fixture
def small_disk(tmpfs: Callable[[str], Path]) -> Path:
    return tmpfs("12m")


def test_a_full_disk_stops_recording_not_live_view_and_recording_resumes(small_disk: Path) -> None:
    hub = HubProcess("--data-dir", str(small_disk / "state"), "--pre-roll", "0.5", "--post-roll", "0.5",
                     "--min-free", "0")  # fmt: skip
    still = [jpeg(scene(i, False)) for i in range(8)]
    moving = [jpeg(scene(i, True)) for i in range(40)]
    sender = RawSender(hub.zmq)

    def stream(frames: list[bytes]) -> None:
        for data_ in frames:
            assert sender.frame("shed", data_) == b"OK"
            time.sleep(1 / 15)

    try:
        stream(still * 3)
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        filler = small_disk / "filler"
        filler.write_bytes(b"\0" * (free - 200_000))  # leave 200 KB: a few frames
        stream(moving + still * 2)
        health = hub.api("/healthz")
        assert health["status"] == "ok", "live view and motion go on"  # type: ignore[index]
        failing = health["recording"]["failing"]  # type: ignore[index]
        assert "shed" in failing and "No space left" in failing["shed"], health
        cam = hub.cameras()["shed"]
        assert cam["status"] == "online" and cam["analyzed"] >= 70 and cam["recording_error"]
        filler.unlink()  # space comes back
        wait_until(lambda: [e["state"] for e in hub.api("/api/events")] == ["cut"], timeout=5)  # type: ignore[union-attr]
        time.sleep(10.5)  # the recorder retries a failed disk after 10 s
        stream(still * 2 + moving + still * 2)
        wait_until(lambda: len(hub.api("/api/events")) == 2, timeout=10)  # type: ignore[arg-type]
        newest = hub.api("/api/events")[0]  # type: ignore[index]
        wait_until(lambda: hub.api(f"/api/events/{newest['id']}")["state"] == "done", timeout=10)  # type: ignore[index]
        assert json.dumps(hub.api("/healthz")["recording"]["failing"]) == "{}"  # type: ignore[index]
    finally:
        sender.close()
        hub.stop()
