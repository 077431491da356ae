"""Recording survives what a camera system meets: the hub killed mid-event, a disk that fills."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import zmq

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


class Streamer(threading.Thread):
    """A camera whose scene never stops moving (or never moves), at 15 fps, until stopped."""

    def __init__(self, port: int, name: str, moving: bool = True) -> None:
        super().__init__(daemon=True)
        self.port, self.name, self.moving = port, name, moving
        self.done = threading.Event()
        self.sent = 0

    def run(self) -> None:
        sender = RawSender(self.port, timeout_ms=1000)
        moving = [jpeg(scene(i, self.moving)) for i in range(40)]
        try:
            while not self.done.is_set():
                try:
                    assert sender.frame(self.name, moving[self.sent % len(moving)]) == b"OK"
                except zmq.Again:  # the hub was killed: a new socket, as camnet's sender does
                    sender.close()
                    sender = RawSender(self.port, timeout_ms=1000)
                    continue
                self.sent += 1
                time.sleep(1 / 15)
        finally:
            sender.close()


def test_a_full_disk_stops_recording_not_live_view_and_recording_resumes_while_motion_goes_on(
    small_disk: Path,
) -> None:
    hub = HubProcess("--data-dir", str(small_disk / "state"), "--pre-roll", "0.5", "--post-roll", "2",
                     "--min-free", "0")  # fmt: skip
    camera = Streamer(hub.zmq, "shed")
    camera.start()
    try:
        wait_until(lambda: hub.cameras().get("shed", {}).get("recording"), timeout=10)
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        filler = small_disk / "filler"
        filler.write_bytes(b"\0" * (free - 200_000))  # leave 200 KB: a few frames
        wait_until(lambda: hub.cameras()["shed"]["recording_error"], timeout=10)
        health = hub.api("/healthz")
        assert health["status"] == "ok", "live view and motion go on"  # type: ignore[index]
        failing = health["recording"]["failing"]  # type: ignore[index]
        assert "No space left" in failing["shed"] or "disk full" in failing["shed"], health
        analyzed = hub.cameras()["shed"]["analyzed"]
        time.sleep(1.0)
        cam = hub.cameras()["shed"]
        assert cam["status"] == "online" and cam["analyzed"] >= analyzed + 10, "analysis never paused"
        before = {e["id"] for e in hub.api("/api/events")}  # type: ignore[union-attr]
        filler.unlink()  # space comes back; the scene is still moving
        back = time.monotonic()

        def new_event() -> list[dict]:
            return [e for e in hub.api("/api/events") if e["id"] not in before and e["state"] == "recording"]  # type: ignore[union-attr]

        [newest] = wait_until(new_event, timeout=10)  # type: ignore[misc]
        assert time.monotonic() - back < 6, "recording resumed within seconds, motion never paused"
        wait_until(lambda: {e["state"] for e in hub.api("/api/events") if e["id"] in before} == {"cut"}, timeout=5)  # type: ignore[union-attr]
        wait_until(lambda: hub.api(f"/api/events/{newest['id']}")["frames"] > 15, timeout=10)  # type: ignore[index]
        assert json.dumps(hub.api("/healthz")["recording"]["failing"]) == "{}"  # type: ignore[index]
    finally:
        camera.done.set()
        camera.join(5)
        hub.stop()


def test_a_hub_started_on_a_full_disk_shows_live_view_and_repairs_later(tmpfs: Callable[[str], Path]) -> None:
    disk = tmpfs("3m")
    data = disk / "state"
    hub = HubProcess("--data-dir", str(data), "--pre-roll", "0.5", "--post-roll", "1", "--min-free", "0")
    camera = Streamer(hub.zmq, "porch")
    camera.start()
    try:
        wait_until(lambda: list((data / "clips").rglob("*.part")), timeout=10)
        time.sleep(1.0)
        hub.kill9()  # mid-event: a .part with good frames
        [part] = list((data / "clips").rglob("*.part"))
        crashed = part.read_bytes()
        assert len(crashed) > 50_000
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        filler = disk / "filler"
        filler.write_bytes(b"\0" * (free - 20_000))  # no room to repair it
        hub.start()  # crash-looped before: the index commit raised "database or disk is full"
        wait_until(lambda: hub.cameras().get("porch", {}).get("status") == "online", timeout=10)
        health = hub.api("/healthz")
        assert health["status"] == "ok" and health["recording"]["unavailable"], health  # type: ignore[index]
        assert part.read_bytes() == crashed, "the crashed clip is kept, not deleted"
        filler.unlink()
        wait_until(lambda: hub.api("/healthz")["recording"]["unavailable"] is None, timeout=20)  # type: ignore[index]
        wait_until(lambda: any(e["state"] == "cut" for e in hub.api("/api/events")), timeout=5)  # type: ignore[union-attr]
        cut = next(e for e in hub.api("/api/events") if e["state"] == "cut")  # type: ignore[union-attr]
        assert cut["frames"] > 5 and not part.exists()
    finally:
        camera.done.set()
        camera.join(5)
        hub.stop()
