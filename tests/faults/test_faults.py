"""The fault suite: real processes on loopback, faults injected, recovery measured.

Figures are printed (run with -s) and summarised in the README's reliability section."""

from __future__ import annotations

import itertools
import json
import random
import threading
import time

import pytest
import zmq

from client import cli
from client.sender import Sender
from client.sources import SourceError, SyntheticSource
from common.config import SenderConfig
from hub.app import Hub
from tests.conftest import RawSender, jpeg, scene, wait_until
from tests.faults.conftest import HubProcess, Viewer, sender, stop_all

pytestmark = pytest.mark.slow


def frames_of(hub: HubProcess, name: str) -> int:
    return hub.cameras().get(name, {}).get("frames", 0)


def test_senders_are_back_within_3_s_of_a_killed_hub_answering_again(hub_process: HubProcess) -> None:
    names = [f"pi-{i}" for i in range(4)]
    senders = [sender(hub_process, name) for name in names]
    try:
        wait_until(lambda: all(frames_of(hub_process, n) > 5 for n in names), timeout=20)
        hub_process.kill9()
        time.sleep(2.5)  # every sender times out and reconnects meanwhile
        up = hub_process.start()
        back: dict[str, float] = {}
        while len(back) < len(names) and time.monotonic() - up < 10:
            cams = hub_process.cameras()
            for n in names:
                if n not in back and cams.get(n, {}).get("analyzed", 0) > 0:
                    back[n] = time.monotonic() - up
            time.sleep(0.05)
        print(f"\nrecovery after kill -9 of the hub, per sender (s): { {n: round(t, 2) for n, t in back.items()} }")
        assert set(back) == set(names), f"senders not back within 10 s: {set(names) - set(back)}"
        assert max(back.values()) <= 3.0
        assert all(p.poll() is None for p in senders), "no sender had to be restarted"
    finally:
        stop_all(senders)


class UnpluggableCamera:
    """A synthetic camera whose cable can be pulled: reads fail while unplugged, and reopening
    fails until it is plugged back in (what cv2.VideoCapture does with a USB camera)."""

    def __init__(self) -> None:
        self.plugged = threading.Event()
        self.plugged.set()
        self.opens = 0

    def open(self) -> SyntheticSource:
        if not self.plugged.is_set():
            raise SourceError("cannot open usb source 0: no such camera")
        self.opens += 1
        source = SyntheticSource(320)
        read = source.read

        def checked_read():  # type: ignore[no-untyped-def]
            if not self.plugged.is_set():
                raise SourceError("usb source 0 stopped giving frames")
            return read()

        source.read = checked_read  # type: ignore[method-assign]
        return source


def test_camera_failure_shows_as_camera_error_and_recovers(hub_factory) -> None:
    hub: Hub = hub_factory()
    camera = UnpluggableCamera()
    cfg = SenderConfig(
        server_ip="127.0.0.1", server_port=hub.config.zmq_port, source="0", name="usb", fps=20, width=320
    )
    stop = threading.Event()
    sending = Sender(f"tcp://127.0.0.1:{hub.config.zmq_port}", 1.0)
    runner = threading.Thread(target=cli.stream, args=(cfg, camera.open(), sending, stop, camera.open))
    runner.start()
    try:
        wait_until(lambda: hub.cameras.get("usb") and hub.cameras.get("usb").analyzed > 3)
        usb = hub.cameras.get("usb")
        camera.plugged.clear()
        wait_until(lambda: usb.status() == "camera-error", timeout=5)
        assert "stopped giving frames" in usb.camera_error
        time.sleep(2.5)  # longer than offline_after: heartbeats keep it "camera error", not "offline"
        assert usb.status() == "camera-error"
        before = usb.analyzed
        camera.plugged.set()
        wait_until(lambda: usb.status() == "online" and usb.analyzed > before, timeout=10)
        assert runner.is_alive() and camera.opens >= 2
    finally:
        stop.set()
        runner.join(timeout=5)
        sending.close()


def test_a_crashing_analysis_is_restarted_and_counted(hub_factory) -> None:
    hub: Hub = hub_factory()
    s = RawSender(hub.config.zmq_port)
    try:
        s.frame("cam", jpeg(scene(0, True)))
        wait_until(lambda: hub.cameras.get("cam") and hub.cameras.get("cam").analyzed == 1)
        worker = hub.workers["cam"]
        real = worker.analyzer.analyze
        calls = []

        def bug(*args):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 1:
                raise ZeroDivisionError("a bug in analysis")
            return real(*args)

        worker.analyzer.analyze = bug  # type: ignore[method-assign]
        for i in range(1, 5):
            s.frame("cam", jpeg(scene(i, True)))
            time.sleep(0.05)
        cam = hub.cameras.get("cam")
        wait_until(lambda: cam.analyzed == 4)
        assert cam.restarts == 1 and hub.health() is None
    finally:
        s.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the thread dies on purpose
def test_a_dead_thread_makes_the_hub_exit_non_zero(hub_factory) -> None:
    hub: Hub = hub_factory()

    def die(message, answer):  # type: ignore[no-untyped-def]
        raise SystemExit("simulated: the receive thread dies")

    hub.receiver.route = die  # escapes the receiver's per-message handling, as a real bug might
    s = RawSender(hub.config.zmq_port, timeout_ms=500)
    try:
        with pytest.raises(zmq.Again):  # the dying thread never answers
            s.frame("cam", jpeg(scene(0, False)))
    finally:
        s.close()
    code = hub.wait()
    assert code == 1 and "recv" in (hub.failure or "")


def test_stalled_viewer_is_dropped_without_slowing_others() -> None:
    hub = HubProcess("--viewer-timeout", "1")
    cam = sender(hub, "cam", fps=30)
    good = Viewer(hub, "/video_feed/cam?overlay=0")
    stalled = [Viewer(hub, "/video_feed/cam?overlay=0", stall=True) for _ in range(3)]
    try:
        wait_until(lambda: frames_of(hub, "cam") > 5, timeout=20)
        for v in [good, *stalled]:
            v.start()
        wait_until(lambda: hub.api("/healthz")["streams"] == 4, timeout=5)
        before = good.parts
        time.sleep(4)
        rate = (good.parts - before) / 4
        assert rate >= 20, f"the reading viewer got {rate:.1f} fps beside stalled ones"
        wait_until(lambda: hub.api("/healthz")["streams"] == 1, timeout=30)
        print(f"\nstalled viewers dropped; the reading one kept {rate:.1f} fps")
    finally:
        for v in [good, *stalled]:
            v.done.set()
        stop_all([cam])
        hub.stop()


def fuzz_messages(rng: random.Random, count: int) -> list[list[bytes]]:
    """Seeded malformed messages of every kind the hub must survive."""
    good = jpeg(scene(0, False, 160, 120))
    heads = [
        b"",
        b"{",
        b"[]",
        b"null",
        b'"msg"',
        b'{"msg": 5}',
        b'{"msg": null}',
        b'{"nomsg": "x"}',
        b'{"msg": "a/b"}',
        b'{"msg": "\\u0000"}',
        json.dumps({"msg": "x" * 500}).encode(),
        b'{"msg": "fz", "camnet": 7}',
        b'{"msg": "fz", "dtype": "uint8", "shape": [10, 10, 3]}',
        b'{"msg": "fz", "dtype": "float32", "shape": [2, 2]}',
        b'{"msg": "fz", "shape": [-1, 5]}',
        b'{"msg": "fz"}',
        b"\xff\xfe\xfd",
    ]
    payloads = [
        b"",
        b"x",
        good[: len(good) // 3],
        good[:20] + bytes(200) + b"\xff\xd9",
        bytes(rng.randrange(256) for _ in range(300)),
        b"\xff\xd8" + bytes(100) + b"\xff\xd9",
        good[:2] + b"\xff\xc0\x00\x11\x08\xff\xff\xff\xff" + good[11:],
    ]
    out = []
    for _ in range(count):
        parts = [rng.choice(heads), rng.choice(payloads)]
        n = rng.choice([1, 2, 2, 2, 3])
        out.append(parts[:n] if n <= 2 else [*parts, b"extra"])
    return out


def longest_stall(samples: list[tuple[float, int]]) -> float:
    """The longest time a counter stayed unchanged, over runs of equal samples (not single gaps)."""
    longest, since = 0.0, None
    for (t0, v0), (t1, v1) in itertools.pairwise(samples):
        if v1 == v0:
            since = t0 if since is None else since
            longest = max(longest, t1 - since)
        else:
            since = None
    return longest


def test_longest_stall_measures_whole_runs() -> None:
    samples = [(t * 0.1, 5 if 10 <= t <= 60 else t) for t in range(80)]  # stuck from 1.0 s to 6.0 s
    assert longest_stall(samples) == pytest.approx(5.0)
    assert longest_stall([(0.0, 1), (0.1, 2), (0.2, 3)]) == 0.0


def fuzz(port: int, messages: list[list[bytes]]) -> list[bytes]:
    s = RawSender(port)
    try:
        return [s.send(parts) for parts in messages]
    finally:
        s.close()


def test_fuzzed_messages_beside_a_good_camera(hub_process: HubProcess) -> None:
    good = sender(hub_process, "good", fps=20)
    try:
        wait_until(lambda: frames_of(hub_process, "good") > 5, timeout=20)
        seen: list[tuple[float, int]] = []
        watching = threading.Event()

        def watch() -> None:
            while not watching.is_set():
                seen.append((time.monotonic(), hub_process.cameras().get("good", {}).get("analyzed", 0)))
                time.sleep(0.1)

        watcher = threading.Thread(target=watch)
        watcher.start()
        replies = fuzz(hub_process.zmq, fuzz_messages(random.Random(1234), 3000))
        watching.set()
        watcher.join()
        assert len(replies) == 3000, "every malformed message was answered"
        refused = sum(r.startswith(b"ERROR") for r in replies)
        health = hub_process.api("/healthz")
        print(f"\nfuzz: 3000 messages, {refused} refused by kind {health['errors']}")
        assert refused > 2500 and health["status"] == "ok"
        assert longest_stall(seen) < 1.0, "the good camera never stopped while the fuzz ran"
        assert hub_process.cameras()["good"]["online"]
    finally:
        stop_all([good])
