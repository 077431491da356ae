"""A soak of at least 60 s: 8 cameras and 20 viewers while the hub is killed and restarted,
senders are killed and restarted, viewers stall and malformed messages keep coming."""

from __future__ import annotations

import random
import threading
import time

import pytest

from tests.conftest import wait_until
from tests.faults.conftest import HubProcess, Viewer, sender, stop_all
from tests.faults.test_faults import fuzz, fuzz_messages

pytestmark = pytest.mark.slow
NAMES = [f"soak-{i}" for i in range(8)]


@pytest.mark.timeout(240)
def test_soak_with_every_fault() -> None:
    hub = HubProcess("--viewer-timeout", "2")
    senders = {n: sender(hub, n, fps=10) for n in NAMES}
    viewers = [Viewer(hub, f"/video_feed/{NAMES[i % 8]}" + ("?overlay=0" if i % 2 else "")) for i in range(18)]
    viewers += [Viewer(hub, "/video_feed/all") for _ in range(2)]
    stop_fuzz = threading.Event()
    fuzzed = [0]

    def keep_fuzzing() -> None:
        rng = random.Random(99)
        while not stop_fuzz.is_set():
            try:
                fuzzed[0] += len(fuzz(hub.zmq, fuzz_messages(rng, 50)))
            except Exception:  # the hub is being restarted
                stop_fuzz.wait(0.5)
            stop_fuzz.wait(0.2)

    fuzzer = threading.Thread(target=keep_fuzzing, daemon=True)
    faults: list[str] = []
    recoveries: list[float] = []
    started = time.monotonic()
    try:
        wait_until(lambda: all(hub.cameras().get(n, {}).get("online") for n in NAMES), timeout=30)
        for v in viewers:
            v.start()
        fuzzer.start()
        time.sleep(8)
        baseline = hub.usage()

        hub.kill9()  # 1: the hub dies hard while everything runs
        faults.append("hub kill -9")
        time.sleep(2)
        up = hub.start()
        wait_until(lambda: all(hub.cameras().get(n, {}).get("online") for n in NAMES), timeout=10)
        recoveries.append(time.monotonic() - up)
        time.sleep(8)
        after_restart = hub.usage()

        for n in NAMES[:3]:  # 2: cameras die and come back
            senders[n].kill()
            faults.append(f"sender {n} kill -9")
        wait_until(lambda: all(not hub.cameras()[n]["online"] for n in NAMES[:3]), timeout=10)
        for n in NAMES[:3]:
            senders[n].wait()
            senders[n] = sender(hub, n, fps=10)
        wait_until(lambda: all(hub.cameras()[n]["online"] for n in NAMES), timeout=15)

        stalled = [Viewer(hub, f"/video_feed/{NAMES[0]}?overlay=0", stall=True) for _ in range(4)]  # 3
        for v in stalled:
            v.start()
        faults.append("4 stalled viewers")
        while time.monotonic() - started < 62:
            assert hub.healthy()
            time.sleep(1)
        for v in stalled:
            v.done.set()
        stop_fuzz.set()
        fuzzer.join(timeout=10)
        time.sleep(4)  # stalled streams time out, threads return to the pool

        cams = hub.cameras()
        end = hub.usage()
        print(
            f"\nsoak {time.monotonic() - started:.0f} s, faults: {faults}, fuzz messages: {fuzzed[0]}, "
            f"cameras back after the hub restart in {recoveries[0]:.2f} s"
        )
        print(f"hub at start {baseline}, after restart {after_restart}, at end {end}")
        print("viewer frames:", [v.parts for v in viewers])
        assert all(cams[n]["status"] == "online" for n in NAMES), {n: cams[n]["status"] for n in NAMES}
        assert all(cams[n]["analyzed"] > 50 for n in NAMES[3:]), "cameras never killed kept going"
        assert all(v.parts > 100 for v in viewers), [v.parts for v in viewers]
        assert end["rss_mb"] < after_restart["rss_mb"] + 40, (after_restart, end)
        assert end["threads"] <= after_restart["threads"] + 4, (after_restart, end)
        assert end["fds"] <= after_restart["fds"] + 12, (after_restart, end)
        assert hub.api("/healthz")["streams"] == 20
    finally:
        stop_fuzz.set()
        for v in viewers:
            v.done.set()
        stop_all(list(senders.values()))
        hub.stop()
