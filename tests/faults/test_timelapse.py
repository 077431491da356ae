"""The time-lapse survives what clips survive: a hub killed mid-segment keeps every frame up to
the kill, and a full disk stops segments and clips alike while live view goes on."""

from __future__ import annotations

import os
import re
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.events.clips import frames_of
from tests.conftest import RawSender, jpeg, scene, wait_until
from tests.faults.conftest import HubProcess
from tests.faults.test_recording import Streamer

pytestmark = pytest.mark.slow


def test_kill_9_mid_segment_costs_at_most_the_last_frame(tmp_path: Path) -> None:
    data = tmp_path / "state"
    hub = HubProcess("--data-dir", str(data))  # the default time-lapse: a frame a second
    still = [jpeg(scene(i, False)) for i in range(90)]  # every frame different: found by its bytes
    sender = RawSender(hub.zmq)
    sent: list[tuple[float, bytes]] = []
    try:
        for data_ in still:
            assert sender.frame("yard", data_) == b"OK"
            sent.append((time.time(), data_))
            time.sleep(1 / 10)
        time.sleep(0.2)  # the recorder writes what it was handed
        hub.kill9()
        killed = time.time()
    finally:
        sender.close()
    [part] = list((data / "timelapse").rglob("*.part"))
    hub.start()  # the start-up check repairs it
    try:
        assert not part.exists()
        [path] = list((data / "timelapse").rglob("*.mkv"))
        kept = [d for _, d in frames_of(path)]
        datas = [d for _, d in sent]
        at = [datas.index(d) for d in kept]
        assert at == sorted(at) and len(set(at)) == len(at), "the sender's frames, in order"
        assert len(kept) >= 7, f"about one a second of 9 s: {len(kept)}"
        # The muxer writes a frame once the next one comes (Matroska sets each block's length
        # then): at 1 fps the one lost is the frame kept in the last second before the kill.
        after = sent[-1][0] - sent[at[-1]][0]
        assert after < 2 * 0.95 + 0.15, f"at most the last frame lost: {after:.2f} s after the last one kept"
        spans = hub.api(f"/api/timeline?camera=yard&start={sent[0][0] - 5}&end={killed + 5}")["cameras"]["yard"]  # type: ignore[index]
        [span] = spans["spans"]
        assert span["kind"] == "timelapse" and span["end"] >= sent[at[-1]][0] - 0.1
        middle = sent[len(sent) // 2][0]
        with urllib.request.urlopen(f"http://127.0.0.1:{hub.http}/api/cameras/yard/frame?at={middle}", timeout=5) as r:
            assert r.read() in kept and abs(float(r.headers["X-Camnet-Time"]) - middle) <= 1.0
    finally:
        hub.stop()


def timelapse_frames(hub: HubProcess) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{hub.http}/metrics", timeout=3) as resp:
        text = resp.read().decode()
    return int(float(re.search(r"^camnet_timelapse_frames_total (\S+)$", text, re.M).group(1)))  # type: ignore[union-attr]


def test_a_full_disk_stops_segments_and_clips_alike_and_live_view_goes_on(tmpfs: Callable[[str], Path]) -> None:
    disk = tmpfs("12m")
    hub = HubProcess("--data-dir", str(disk / "state"), "--pre-roll", "0.5", "--post-roll", "2", "--min-free", "0")
    cameras = [Streamer(hub.zmq, "shed"), Streamer(hub.zmq, "yard", moving=False)]
    for camera in cameras:
        camera.start()
    try:
        wait_until(lambda: hub.cameras().get("shed", {}).get("recording") and timelapse_frames(hub) >= 2, timeout=15)
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        filler = disk / "filler"
        filler.write_bytes(b"\0" * (free - 200_000))
        wait_until(lambda: all(c["recording_error"] for c in hub.cameras().values()), timeout=15)
        health = hub.api("/healthz")
        assert health["status"] == "ok", "live view and motion go on"  # type: ignore[index]
        assert "time-lapse" in health["recording"]["failing"]["yard"], health  # type: ignore[index]
        stopped = timelapse_frames(hub)
        analyzed = {name: c["analyzed"] for name, c in hub.cameras().items()}
        time.sleep(2.5)
        assert timelapse_frames(hub) == stopped, "no time-lapse frame written on a full disk"
        for name, cam in hub.cameras().items():
            assert cam["status"] == "online" and cam["analyzed"] >= analyzed[name] + 20, name
        filler.unlink()
        wait_until(lambda: timelapse_frames(hub) >= stopped + 2, timeout=10)
        wait_until(lambda: not hub.cameras()["yard"]["recording_error"], timeout=5)
        wait_until(lambda: hub.cameras()["shed"]["recording"], timeout=10)
    finally:
        for camera in cameras:
            camera.done.set()
            camera.join(5)
        hub.stop()
