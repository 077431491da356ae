"""Faults found by review: a pipelining peer, stalled viewers at shutdown, two senders under
one name, a network camera that goes away and comes back. Real processes and sockets."""

from __future__ import annotations

import subprocess
import threading
import time

import psutil
import pytest
import zmq

from client import cli
from client.sender import Sender
from client.sources import LiveSource, open_source
from common.config import SenderConfig
from hub.app import Hub
from tests.conftest import RawSender, free_port, jpeg, scene, wait_until
from tests.faults.conftest import HubProcess, Viewer, sender, stop_all

pytestmark = pytest.mark.slow


def test_a_pipelining_dealer_cannot_eat_the_hubs_memory(hub_factory) -> None:
    """While the hub is busy (here: its handler held for a few seconds), ZeroMQ queues what a
    pipelining DEALER sends. Without a receive high-water mark that is 1,000 messages per peer."""
    hub: Hub = hub_factory()
    release = threading.Event()
    route = hub.receiver.route
    hub.receiver.route = lambda message, answer: (message.name != "hold" or release.wait(30)) and route(message, answer)
    holder = RawSender(hub.config.zmq_port, timeout_ms=30000)
    held = threading.Thread(target=lambda: holder.frame("hold", jpeg(scene(0, False))))
    held.start()
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.setsockopt(zmq.SNDTIMEO, 200)
    me = psutil.Process()
    try:
        time.sleep(0.3)
        base = me.memory_info().rss / 2**20
        blob = b"\xff\xd8" + bytes(4_000_000) + b"\xff\xd9"  # one buffer, sent without copies
        dealer.connect(f"tcp://127.0.0.1:{hub.config.zmq_port}")
        sent = 0
        for _ in range(150):  # 600 MB offered while the hub is busy
            try:
                dealer.send_multipart([b"", b'{"msg": "flood"}', blob], copy=False)
                sent += 1
            except zmq.Again:
                break
        peak = base
        for _ in range(30):
            peak = max(peak, me.memory_info().rss / 2**20)
            time.sleep(0.1)
        print(f"\nDEALER offered {sent} x 4 MB while the hub was busy; RSS {base:.0f} -> {peak:.0f} MB")
        assert peak - base < 100, f"the hub queued {peak - base:.0f} MB for one peer"
        release.set()
        held.join(10)
        good = RawSender(hub.config.zmq_port)
        try:
            for i in range(10):
                assert good.frame("good", jpeg(scene(i, False))) == b"OK"
        finally:
            good.close()
        wait_until(lambda: hub.cameras.get("good") and hub.cameras.get("good").analyzed == 10)
    finally:
        release.set()
        held.join(10)  # a ZeroMQ socket must not be closed while another thread uses it
        dealer.close(linger=0)
        holder.close()


def test_the_hub_stops_within_2_s_whatever_its_viewers_do() -> None:
    hub = HubProcess("--viewer-timeout", "60")
    cam = sender(hub, "cam", "synthetic", 30, "--width", "1920", "--quality", "95")
    stalled = [Viewer(hub, "/video_feed/cam?overlay=0", stall=True) for _ in range(4)]
    stalled.append(Viewer(hub, "/video_feed/cam", stall=True))
    try:
        wait_until(lambda: hub.cameras().get("cam", {}).get("frames", 0) > 5, timeout=20)
        for v in stalled:
            v.start()
        wait_until(lambda: hub.api("/healthz")["streams"] == 5, timeout=10)
        time.sleep(5)  # 1080p frames fill their socket buffers: every writer is blocked in send()
        assert hub.proc is not None
        started = time.monotonic()
        hub.proc.terminate()
        code = hub.proc.wait(timeout=15)
        took = time.monotonic() - started
        print(f"\nhub with 5 stalled viewers and --viewer-timeout 60 stopped in {took:.2f} s")
        assert code == 0 and took < 2.0
    finally:
        for v in stalled:
            v.done.set()
        stop_all([cam])
        hub.stop()


def test_a_second_pi_with_the_same_name_is_refused_and_shown() -> None:
    hub = HubProcess()
    first = sender(hub, "raspberrypi", source="synthetic")
    wait_until(lambda: hub.cameras().get("raspberrypi", {}).get("analyzed", 0) > 3, timeout=20)
    second = sender(hub, "raspberrypi", "synthetic:still", 10, "--width", "160", output=subprocess.PIPE)
    try:
        wait_until(lambda: hub.cameras().get("raspberrypi", {}).get("conflicts", 0) > 3, timeout=20)
        cam = hub.cameras()["raspberrypi"]
        assert cam["name_conflict"] and cam["width"] == 320, "the first sender keeps the name and its frames"
        assert hub.api("/healthz")["name_conflicts"] == ["raspberrypi"]
        second.terminate()
        out = second.communicate(timeout=10)[0].decode()
        assert "give this camera its own name with --name NAME" in out
        # The first camera's detector is not stuck in warm-up by the other one's frames.
        analyzed = cam["analyzed"]
        wait_until(lambda: hub.cameras()["raspberrypi"]["analyzed"] > analyzed + 10, timeout=10)
        assert hub.cameras()["raspberrypi"]["model_resets"] == 0
    finally:
        stop_all([first, second])
        if second.stdout is not None:
            second.stdout.close()
        hub.stop()


def test_forgetting_a_camera_by_hand(hub_factory) -> None:
    import urllib.request

    hub: Hub = hub_factory(offline_after=0.5)
    s = RawSender(hub.config.zmq_port)
    try:
        s.frame("old-pi", jpeg(scene(0, False)))

        def delete() -> int:
            req = urllib.request.Request(f"http://127.0.0.1:{hub.web.port}/api/cameras/old-pi", method="DELETE")
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    return resp.status
            except urllib.error.HTTPError as err:
                return err.code

        assert delete() == 409, "a camera still sending would come straight back"
        wait_until(lambda: hub.cameras.get("old-pi").status() == "offline", timeout=5)
        assert delete() == 204 and hub.cameras.get("old-pi") is None
        assert delete() == 404
        s.frame("old-pi", jpeg(scene(1, False)))  # it may come back: a new tile, a new model
        wait_until(lambda: hub.cameras.get("old-pi") and hub.cameras.get("old-pi").analyzed == 1)
        assert hub.workers["old-pi"].camera is hub.cameras.get("old-pi")
    finally:
        s.close()


def test_a_network_camera_that_goes_away_keeps_heartbeating_and_comes_back(hub_factory) -> None:
    """The source is another hub's MJPEG stream, over real HTTP: a network camera."""
    port = free_port()
    camera_hub: Hub = hub_factory(port=port)
    feeding = threading.Event()

    def feed(target: Hub) -> None:
        s = RawSender(target.config.zmq_port)
        i = 0
        while not feeding.is_set():
            try:
                s.frame("cam", jpeg(scene(i, True)))
            except zmq.Again:
                s.close()
                s = RawSender(target.config.zmq_port)
            i += 1
            time.sleep(0.05)
        s.close()

    feeder = threading.Thread(target=feed, args=(camera_hub,), daemon=True)
    feeder.start()
    wait_until(lambda: camera_hub.cameras.get("cam") and camera_hub.cameras.get("cam").frame)
    hub: Hub = hub_factory(offline_after=2.0)
    url = f"http://127.0.0.1:{port}/video_feed/cam?overlay=0"
    cfg = SenderConfig(server_ip="127.0.0.1", server_port=hub.config.zmq_port, source=url, name="relay", fps=10)
    stop = threading.Event()
    link = Sender(f"tcp://127.0.0.1:{hub.config.zmq_port}", 1.0)
    reopen = lambda: open_source(url, 320, 10, False)  # noqa: E731
    runner = threading.Thread(target=cli.stream, args=(cfg, reopen(), link, stop, reopen))
    runner.start()
    try:
        wait_until(lambda: hub.cameras.get("relay") and hub.cameras.get("relay").analyzed > 5, timeout=15)
        relay = hub.cameras.get("relay")
        threads_before = threading.active_count()
        feeding.set()
        feeder.join(5)
        camera_hub.stop()  # the network camera goes away
        wait_until(lambda: relay.status() == "camera-error", timeout=15)
        for _ in range(6):  # never "offline": the sender keeps telling the hub it is alive
            assert relay.status() == "camera-error"
            time.sleep(0.5)
        back = hub_factory(port=port)  # the camera comes back on the same address
        feeding.clear()
        feeder = threading.Thread(target=feed, args=(back,), daemon=True)
        feeder.start()
        before = relay.analyzed
        wait_until(lambda: relay.status() == "online" and relay.analyzed > before + 5, timeout=40)
        assert runner.is_alive()
        assert threading.active_count() <= threads_before + 3, "no grab threads pile up"
    finally:
        stop.set()
        feeding.set()
        runner.join(10)
        link.close()


def test_a_grab_error_is_reported_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def isOpened(self) -> bool:
            return True

        def read(self) -> tuple[bool, None]:
            raise RuntimeError("driver exploded")

        def release(self) -> None:
            released.append(True)

    released: list[bool] = []
    monkeypatch.setattr(LiveSource, "_open", lambda self: Broken())
    source = LiveSource(0, "usb")
    with pytest.raises(Exception, match="driver exploded"):
        source.read()
    source.close()
    assert released == [True], "the grab thread released its own capture"


def test_a_stream_that_never_answers_fails_the_open_in_bounded_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()  # accepts, never answers
    monkeypatch.setattr(LiveSource, "TIMEOUT", 1.0)
    started = time.monotonic()
    try:
        with pytest.raises(Exception, match="cannot open network camera"):
            LiveSource(f"http://127.0.0.1:{server.getsockname()[1]}/stream", "url")
    finally:
        server.close()
    assert time.monotonic() - started < 5
    assert psutil.Process().num_threads() < 50
