"""Senders -> hub -> viewers, all real: ZeroMQ on loopback, the cheroot server on a free port."""

from __future__ import annotations

import json
import struct
import threading
import time
import urllib.request

import cv2
import imagezmq
import numpy as np
import pytest

from client.sender import Sender
from common import protocol
from hub.app import Hub
from tests.conftest import RawSender, get, jpeg, read_mjpeg, scene, url, wait_until


def cameras(hub: Hub) -> dict[str, dict]:
    status, body, _ = get(hub, "/api/cameras")
    assert status == 200
    return {c["name"]: c for c in json.loads(body)}


def feed(sender: RawSender, name: str, start: int, count: int, moving: bool, fps: float = 50) -> None:
    for i in range(start, start + count):
        assert sender.frame(name, jpeg(scene(i, moving))) == b"OK"
        time.sleep(1 / fps)


def test_stock_imagezmq_senders_send_jpg_and_send_image(hub: Hub) -> None:
    address = f"tcp://127.0.0.1:{hub.config.zmq_port}"
    jpg_sender, img_sender = imagezmq.ImageSender(address), imagezmq.ImageSender(address)
    try:
        for i in range(3):
            assert jpg_sender.send_jpg("stock-jpg", jpeg(scene(i, False))) == b"OK"
            assert img_sender.send_image("stock-img", scene(i, False)) == b"OK"
    finally:
        jpg_sender.close()
        img_sender.close()
    wait_until(
        lambda: (
            {"stock-jpg", "stock-img"} <= cameras(hub).keys() and all(c["analyzed"] == 3 for c in cameras(hub).values())
        )
    )
    for name in ("stock-jpg", "stock-img"):
        cam = cameras(hub)[name]
        assert (cam["width"], cam["height"], cam["frames"], cam["online"]) == (640, 480, 3, True)
        status, body, headers = get(hub, f"/snapshot/{name}")
        assert status == 200 and headers["Content-Type"] == "image/jpeg"
        assert cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR).shape == (480, 640, 3)


def test_camnet_sender_works_with_a_stock_image_hub() -> None:
    from tests.conftest import free_port

    port = free_port()
    image_hub = imagezmq.ImageHub(open_port=f"tcp://127.0.0.1:{port}")
    got: list[tuple[str, bytes]] = []

    def serve() -> None:
        for _ in range(2):
            name, data = image_hub.recv_jpg()
            got.append((name, bytes(data)))
            image_hub.send_reply(b"OK")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    sender = Sender(f"tcp://127.0.0.1:{port}", timeout=3.0)
    try:
        frame = jpeg(scene(1, True))
        for _ in range(2):
            assert sender.send(protocol.encode("pi-garage", frame, {"version": "x", "fps": 10.0})) == b"OK"
    finally:
        sender.close()
        thread.join(timeout=5)
        image_hub.close()
    assert got == [("pi-garage", frame)] * 2


def test_moving_camera_has_a_box_and_the_still_one_does_not(hub: Hub, raw_sender: RawSender) -> None:
    other = RawSender(hub.config.zmq_port)
    try:
        t = threading.Thread(target=feed, args=(other, "still", 0, 20, False))
        t.start()
        feed(raw_sender, "moving", 0, 20, True)
        t.join()
    finally:
        other.close()
    wait_until(lambda: all(c["analyzed"] == 20 for c in cameras(hub).values()))
    cams = cameras(hub)
    assert cams["still"]["motion"] is False and cams["still"]["box"] is None
    assert cams["moving"]["motion"] is True
    x1, y1, x2, y2 = cams["moving"]["box"]
    x = 40 + (19 * 12) % 440  # where the square is in the last frame
    assert x1 <= x + 8 and x2 >= x + 82 and 130 <= y1 <= 160 and 250 <= y2 <= 280


def test_silent_camera_goes_offline_and_comes_back(hub: Hub, raw_sender: RawSender) -> None:
    feed(raw_sender, "door", 0, 2, False)
    assert cameras(hub)["door"]["status"] == "online"
    wait_until(lambda: cameras(hub)["door"]["status"] == "offline", timeout=5)
    assert cameras(hub)["door"]["online"] is False
    feed(raw_sender, "door", 2, 1, False)
    assert cameras(hub)["door"]["online"] is True


def test_camera_error_is_distinct_from_offline(hub: Hub, raw_sender: RawSender) -> None:
    feed(raw_sender, "pi", 0, 1, False)
    assert raw_sender.frame("pi", b"", status="camera-error", error="USB camera unplugged") == b"OK"
    cam = cameras(hub)["pi"]
    assert (cam["status"], cam["online"], cam["camera_error"]) == ("camera-error", True, "USB camera unplugged")


def test_viewers_get_each_frame_once_and_the_same_bytes(hub: Hub, raw_sender: RawSender) -> None:
    feed(raw_sender, "cam", 0, 1, True)
    results: list[list[bytes]] = [[] for _ in range(3)]

    def watch(i: int) -> None:
        results[i] = read_mjpeg(hub, "/video_feed/cam?overlay=0", 15)

    threads = [threading.Thread(target=watch, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    feed(raw_sender, "cam", 1, 25, True, fps=30)
    for t in threads:
        t.join(timeout=10)
    sent = {jpeg(scene(i, True)) for i in range(26)}
    for parts in results:
        assert len(parts) == 15
        assert len(set(parts)) == 15, "a viewer got the same frame twice"
        assert set(parts) <= sent, "viewers get the sender's JPEG bytes untouched"


def test_video_feed_burns_in_the_overlay_once_per_frame_while_watched(hub: Hub, raw_sender: RawSender) -> None:
    feed(raw_sender, "cam", 0, 10, True)
    camera = hub.cameras.get("cam")
    assert camera.frame.overlay is None, "nobody watches: nothing rendered"
    done = threading.Event()
    got: list[list[bytes]] = []
    reader = threading.Thread(target=lambda: (got.append(read_mjpeg(hub, "/video_feed/cam", 4)), done.set()))
    reader.start()
    wait_until(lambda: camera.overlay_viewers == 1)
    feed(raw_sender, "cam", 10, 6, True, fps=20)
    reader.join(timeout=10)
    assert done.is_set()
    parts = got[0]
    assert len(set(parts)) == 4
    for part in parts:
        image = cv2.imdecode(np.frombuffer(part, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (480 + 26, 640, 3), "the picture whole, and the timestamp on a band under it"
        assert part not in {jpeg(scene(i, True)) for i in range(16)}, "pixels were drawn on"
        band = image[480:]
        assert band.max() > 200 and np.median(band) < 30, "white text on black, not over the camera's own clock"
    wait_until(lambda: camera.overlay_viewers == 0, timeout=10)
    feed(raw_sender, "cam", 16, 1, True)
    wait_until(lambda: camera.frame.seq == 17, timeout=5)  # the worker publishes it a moment after the reply
    latest = camera.frame
    assert latest.overlay is None, "nobody watches any more: nothing rendered"
    # The seed's /video_feed (no name) serves the first camera; a snapshot can carry the overlay too.
    assert len(read_mjpeg(hub, "/video_feed", 1)) == 1
    status, body, _ = get(hub, "/snapshot/cam?overlay=1")
    assert status == 200 and body != latest.jpeg


def read_records(hub: Hub, wanted: dict[str, float], until, timeout: float = 10.0) -> list[tuple[dict, bytes]]:
    request = urllib.request.Request(
        url(hub, "/api/stream"),
        data=json.dumps({"cameras": wanted}).encode(),
        headers={"Content-Type": "application/json"},
    )
    out: list[tuple[dict, bytes]] = []
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        while not until(out):
            meta_len, jpeg_len = struct.unpack(">II", resp.read(8))
            meta = json.loads(resp.read(meta_len))
            out.append((meta, resp.read(jpeg_len)))
    return out


def test_page_stream_carries_wanted_cameras_only(hub: Hub, raw_sender: RawSender) -> None:
    feed(raw_sender, "a", 0, 1, True)
    feed(raw_sender, "b", 0, 1, True)
    stop = threading.Event()

    def keep_feeding() -> None:
        s = RawSender(hub.config.zmq_port)
        i = 1
        while not stop.is_set():
            s.frame("a", jpeg(scene(i, True)))
            s.frame("b", jpeg(scene(i, False)))
            i += 1
            time.sleep(0.02)
        s.close()

    t = threading.Thread(target=keep_feeding)
    t.start()
    try:
        records = read_records(hub, {"a": 0}, lambda out: sum(m["type"] == "frame" for m, _ in out) >= 10)
    finally:
        stop.set()
        t.join()
    frames = [(m, j) for m, j in records if m["type"] == "frame"]
    assert {m["camera"] for m, _ in frames} == {"a"}
    seqs = [m["seq"] for m, _ in frames]
    assert seqs == sorted(set(seqs)), "newer frames only, never twice"
    assert all(j[:2] == b"\xff\xd8" and m["width"] == 640 for m, j in frames)
    state = next(m for m, _ in records if m["type"] == "cameras")
    assert [c["name"] for c in state["cameras"]] == ["a", "b"]


@pytest.mark.parametrize(
    "body, message",
    [
        (b"nope", "send JSON"),
        (b'{"cameras": []}', "send JSON"),
        (b'{"cameras": {"a/b": 0}}', "camera name 'a/b' has a '/'"),
        (b'{"cameras": {"a": -1}}', "rate for 'a' must be a number of frames per second, 0 to 120"),
        (b'{"cameras": {"a": true}}', "rate for 'a' must be a number"),
    ],
)
def test_page_stream_rejects_bad_requests(hub: Hub, body: bytes, message: str) -> None:
    request = urllib.request.Request(url(hub, "/api/stream"), data=body, headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    assert err.value.code == 400
    assert message in json.loads(err.value.read())["error"]


def test_malformed_messages_are_answered_and_the_hub_keeps_serving(hub: Hub, raw_sender: RawSender) -> None:
    good = jpeg(scene(0, False))
    bad = [
        [b"only one part"],
        [b"{not json", good],
        [b'{"msg": "x"}', b"not a jpeg"],
        [b'{"msg": "../../etc"}', good],
        [b'{"msg": "a", "dtype": "uint8", "shape": [9, 9, 3]}', b"short"],
        [b'{"msg": "a"}', good, b"third"],
        [b'{"msg": "big"}', b"\xff\xd8" + b"\0" * 9_000_000],
    ]
    for parts in bad:
        reply = raw_sender.send(parts)
        assert reply.startswith(b"ERROR "), (parts[0][:30], reply)
    # A JPEG whose header parses but whose data does not decode: answered OK, dropped by the worker.
    corrupt = good[:600] + bytes(len(good) - 602) + b"\xff\xd9"
    assert raw_sender.frame("corrupt", corrupt) == b"OK"
    feed(raw_sender, "good", 0, 3, False)
    wait_until(lambda: cameras(hub).get("good", {}).get("analyzed") == 3)
    wait_until(lambda: cameras(hub)["corrupt"]["bad_frames"] == 1)
    assert cameras(hub)["corrupt"]["analyzed"] == 0
    errors = hub.receiver.errors
    assert errors["bad-parts"] == 2 and errors["bad-metadata"] == 1 and errors["not-jpeg"] == 1
    assert errors["bad-name"] == 1 and errors["bad-array"] == 1 and errors["too-large"] == 1
    assert get(hub, "/healthz")[0] == 200


def test_too_many_cameras_are_refused(hub_factory) -> None:
    hub = hub_factory(max_cameras=2)
    sender = RawSender(hub.config.zmq_port)
    try:
        data = jpeg(scene(0, False))
        assert sender.frame("one", data) == b"OK" and sender.frame("two", data) == b"OK"
        assert sender.frame("three", data).startswith(b"ERROR too-many-cameras")
    finally:
        sender.close()


def test_missing_camera_and_stream_cap(hub_factory) -> None:
    hub = hub_factory(max_streams=1)
    status, body, _ = get(hub, "/video_feed/nobody")
    assert status == 404 and b"no camera named 'nobody'" in body
    assert get(hub, "/snapshot/nobody")[0] == 404
    assert get(hub, "/video_feed")[0] == 503
    sender = RawSender(hub.config.zmq_port)
    sender.frame("cam", jpeg(scene(0, False)))
    first = urllib.request.urlopen(url(hub, "/video_feed/cam"), timeout=5)
    try:
        status, body, headers = get(hub, "/video_feed/cam")
        assert status == 503 and b"stream slots" in body and headers["Retry-After"] == "5"
    finally:
        first.close()
        sender.close()
    # The slot comes back once the first viewer leaves.
    # (a silent camera's stream repeats its frame every 5 s: that write notices the leaver).
    wait_until(lambda: hub.web.server.wsgi_app.extensions["camnet.streams"].open == 0, timeout=10)


def test_a_camera_that_falls_behind_skips_to_its_newest_frame(hub: Hub) -> None:
    import threading

    from common.motion import MotionAnalyzer
    from hub.worker import CameraWorker, WorkerPool

    pool = WorkerPool(1, threading.Event())  # threads not started: nothing is taken yet
    slow, _ = hub.cameras.get_or_add("slow")
    other, _ = hub.cameras.get_or_add("other")
    workers = [CameraWorker(c, MotionAnalyzer()) for c in (slow, other)]
    messages = [protocol.parse([b'{"msg": "slow"}', jpeg(scene(i, False))], 10**7) for i in range(4)]
    for m in messages:
        pool.offer(workers[0], m)
    pool.offer(workers[1], messages[0])
    assert slow.dropped == 3 and other.dropped == 0
    assert pool._take() == (workers[0], messages[-1])
    pool.offer(workers[0], messages[1])  # arrives while "slow" is being analysed
    assert pool._take() == (workers[1], messages[0]), "a busy camera is never handed to a second thread"
    pool._done(workers[0])
    assert pool._take() == (workers[0], messages[1])


def test_a_sender_is_answered_when_its_frame_is_taken_not_when_it_arrives(hub: Hub) -> None:
    """Back-pressure: a camera waiting for a worker holds its sender, so frames the hub could
    not analyse are never sent; a frame that is replaced all the same is answered at once."""
    from common.motion import MotionAnalyzer
    from hub.worker import CameraWorker, WorkerPool

    pool = WorkerPool(1, threading.Event())  # threads not started: the test takes by hand
    camera, _ = hub.cameras.get_or_add("held")
    worker = CameraWorker(camera, MotionAnalyzer())
    answered: list[int] = []
    messages = [protocol.parse([b'{"msg": "held"}', jpeg(scene(i, False))], 10**7) for i in range(3)]
    pool.offer(worker, messages[0], lambda: answered.append(0))
    assert answered == [], "answered before any worker took the frame"
    pool.offer(worker, messages[1], lambda: answered.append(1))  # a sender that did not wait
    assert answered == [0] and camera.dropped == 1, "the replaced frame's sender is answered at once"
    assert pool._take() == (worker, messages[1]) and answered == [0, 1]
    pool.offer(worker, messages[2], lambda: answered.append(2))  # while "held" is being analysed
    pool._done(worker)
    assert answered == [0, 1]
    assert pool._take() == (worker, messages[2]) and answered == [0, 1, 2]


def test_a_busy_hub_slows_its_senders_instead_of_dropping_their_frames(hub: Hub) -> None:
    """Four senders as fast as they can go: every frame the hub receives is analysed."""
    stop = threading.Event()
    frames = [jpeg(scene(i, i % 2 == 0)) for i in range(8)]

    def send(name: str) -> None:
        s = RawSender(hub.config.zmq_port)
        try:
            i = 0
            while not stop.is_set():
                assert s.frame(name, frames[i % 8]) == b"OK"
                i += 1
        finally:
            s.close()

    threads = [threading.Thread(target=send, args=(f"fast-{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(10)
    cams = [hub.cameras.get(f"fast-{n}") for n in range(4)]
    wait_until(lambda: all(c is not None and c.analyzed + c.bad_frames == c.received for c in cams))
    assert all(c is not None and c.received > 20 and c.dropped == 0 for c in cams), [
        (c.received, c.dropped) for c in cams if c is not None
    ]


@pytest.mark.parametrize("name", ['<img src=x onerror="alert(1)">', "x' onmouseover='alert(1)", '"><svg onload=1>'])
def test_markup_camera_names_are_refused(hub: Hub, raw_sender: RawSender, name: str) -> None:
    reply = raw_sender.frame(name, jpeg(scene(0, False)))
    assert reply.startswith(b"ERROR bad-name:") and b"markup" in reply
    assert hub.cameras.all() == [] and hub.receiver.errors["bad-name"] == 1
    status, _, headers = get(hub, "/camera/" + urllib.parse.quote(name, safe=""))
    assert status == 404 and headers["Content-Type"].startswith("text/plain")  # never HTML, even in an error


def test_odd_name_is_text_in_the_page(hub: Hub, raw_sender: RawSender) -> None:
    name = "{{7*7}} ${x} %3Cb%3E"
    feed(raw_sender, name, 0, 1, False)
    status, body, headers = get(hub, "/camera/" + urllib.parse.quote(name, safe=""))
    assert status == 200
    assert b"49" not in body and b"{{7*7}} ${x} %3Cb%3E" in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_montage_composes_all_cameras_at_a_capped_rate_only_while_watched(hub_factory) -> None:
    hub = hub_factory(montage_fps=4.0)
    sender = RawSender(hub.config.zmq_port)
    try:
        for name in ("a", "b", "c"):
            sender.frame(name, jpeg(scene(0, True)))
        assert hub.montage.composed == 0, "nobody watches: nothing composed"
        started = time.monotonic()
        parts = read_mjpeg(hub, "/video_feed/all", 6)
        took = time.monotonic() - started
    finally:
        sender.close()
    image = cv2.imdecode(np.frombuffer(parts[-1], np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (480, 640, 3), "3 cameras: 2 columns x 2 rows of 320x240 tiles"
    assert image[:240, :320].std() > 10 and image[240:, 320:].std() < 5, "three tiles filled, one empty"
    assert took >= 5 / 4.0 - 0.3, f"6 images in {took:.2f} s: the rate cap of 4 fps was not kept"
    wait_until(lambda: hub.montage._thread is None, timeout=5)
    composed = hub.montage.composed
    time.sleep(0.6)
    assert hub.montage.composed == composed, "the montage stops composing when the last viewer leaves"


def test_metrics_expose_per_camera_and_hub_figures(hub: Hub, raw_sender: RawSender) -> None:
    feed(raw_sender, "yard", 0, 3, False)
    raw_sender.send([b"broken"])
    wait_until(lambda: hub.cameras.get("yard").analyzed == 3)
    status, body, headers = get(hub, "/metrics")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert 'camnet_camera_frames_received_total{camera="yard"} 3.0' in text
    assert 'camnet_camera_frames_analyzed_total{camera="yard"} 3.0' in text
    assert 'camnet_camera_up{camera="yard"} 1.0' in text
    assert 'camnet_bad_messages_total{kind="bad-parts"} 1.0' in text
    assert "camnet_messages_total 4.0" in text and "camnet_uptime_seconds" in text


def test_a_wedged_receive_loop_fails_healthz_and_stops_the_watchdog(hub: Hub, raw_sender: RawSender) -> None:
    hub.STUCK_AFTER = 1.0  # seconds; 5 in production
    release = threading.Event()
    route = hub.receiver.route
    hub.receiver.route = lambda message, answer: (release.wait(20), route(message, answer))[1]  # a handler that hangs
    beats: list[float] = []
    waiter = threading.Thread(target=hub.wait, kwargs={"heartbeat": lambda: beats.append(time.monotonic())})
    waiter.start()
    try:
        wait_until(lambda: len(beats) >= 2, timeout=5)
        assert get(hub, "/healthz")[0] == 200
        sending = threading.Thread(target=lambda: raw_sender.frame("cam", jpeg(scene(0, False))))
        sending.start()
        wait_until(lambda: get(hub, "/healthz")[0] == 503, timeout=5)
        assert "receive loop has not run" in json.loads(get(hub, "/healthz")[1])["reason"]
        count = len(beats)
        time.sleep(1.2)
        assert len(beats) == count, "no watchdog heartbeat while the loop is wedged"
        release.set()
        sending.join(5)
        wait_until(lambda: len(beats) > count, timeout=5)
        assert get(hub, "/healthz")[0] == 200
    finally:
        release.set()
        hub.stopping.set()
        waiter.join(5)


def test_overlay_renders_once_per_frame_and_a_failed_render_costs_one_frame(
    hub: Hub, raw_sender: RawSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hub.overlay as overlay

    calls: list[int] = []
    real = overlay.burn_in
    broken = threading.Event()

    def counted(frame):  # type: ignore[no-untyped-def]
        calls.append(frame.seq)
        if broken.is_set():
            raise RuntimeError("drawing failed")
        return real(frame)

    monkeypatch.setattr(overlay, "burn_in", counted)
    feed(raw_sender, "silent", 0, 1, False)  # one frame, then silence: viewers render their first
    got: list[list[bytes]] = [[] for _ in range(4)]
    readers = [
        threading.Thread(target=lambda i=i: got[i].extend(read_mjpeg(hub, "/video_feed/silent", 1))) for i in range(4)
    ]
    for r in readers:
        r.start()
    for r in readers:
        r.join(10)
    for _ in range(5):
        assert get(hub, "/snapshot/silent?overlay=1")[0] == 200
    assert all(len(g) == 1 for g in got) and len({g[0] for g in got}) == 1, "everyone got the same drawn frame"
    assert calls == [1], f"rendered {len(calls)} times for one frame"
    broken.set()
    feed(raw_sender, "silent", 1, 1, False)
    wait_until(lambda: hub.cameras.get("silent").frame.seq == 2)
    status, body, _ = get(hub, "/snapshot/silent?overlay=1")
    assert status == 503 and b"could not draw the overlay" in body
    assert get(hub, "/snapshot/silent")[0] == 200, "the plain snapshot is unaffected"
    broken.clear()
    feed(raw_sender, "silent", 2, 1, False)
    wait_until(lambda: hub.cameras.get("silent").frame.seq == 3)
    assert get(hub, "/snapshot/silent?overlay=1")[0] == 200
    hub.renderer.close()
    assert hub.renderer.render(hub.cameras.get("silent").frame) is not None, "cached: no new render needed"
    feed(raw_sender, "silent", 3, 1, False)
    wait_until(lambda: hub.cameras.get("silent").frame.seq == 4)
    assert hub.renderer.render(hub.cameras.get("silent").frame) is None, "after close: None, not RuntimeError"


def test_a_page_stream_is_not_woken_by_cameras_it_does_not_watch(hub: Hub, raw_sender: RawSender) -> None:
    feed(raw_sender, "watched", 0, 1, False)
    waker = hub.cameras.watch(["watched"])
    try:
        feed(raw_sender, "other", 0, 5, True)
        wait_until(lambda: hub.cameras.get("other").analyzed == 5)
        assert not waker.wait(0.01)
        feed(raw_sender, "watched", 1, 1, False)
        wait_until(lambda: waker.wait(0.01), timeout=3)
    finally:
        hub.cameras.unwatch(waker)


def test_frame_time_is_when_the_hub_received_it(hub: Hub) -> None:
    from common.motion import MotionAnalyzer
    from hub.worker import CameraWorker

    camera, _ = hub.cameras.get_or_add("late")
    message = protocol.parse([b'{"msg": "late"}', jpeg(scene(0, False))], 10**7, received=1234.5)
    frame = CameraWorker(camera, MotionAnalyzer()).process(message)  # analysed long after receipt
    assert frame is not None and frame.time == 1234.5


def test_cameras_named_page_and_all_have_their_own_viewer_counts(hub: Hub, raw_sender: RawSender) -> None:
    feed(raw_sender, "page", 0, 1, False)
    feed(raw_sender, "all", 0, 1, False)
    request = urllib.request.Request(
        url(hub, "/api/stream"), data=b'{"cameras": {"page": 0}}', headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5), urllib.request.urlopen(url(hub, "/video_feed/all"), timeout=5):
        streams = hub.web.server.wsgi_app.extensions["camnet.streams"]
        wait_until(lambda: streams.pages == 1 and streams.montages == 1)
        text = get(hub, "/metrics")[1].decode()
        assert 'camnet_camera_viewers{camera="page"} 0.0' in text
        assert 'camnet_camera_viewers{camera="all"} 0.0' in text


def test_repeated_analysis_crashes_log_one_traceback(hub: Hub, raw_sender: RawSender, caplog) -> None:  # type: ignore[no-untyped-def]
    feed(raw_sender, "buggy", 0, 1, False)
    wait_until(lambda: hub.cameras.get("buggy").analyzed == 1)

    def bug(*args):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("a bug in analysis")

    hub.workers["buggy"].analyzer.analyze = bug  # type: ignore[method-assign]
    with caplog.at_level("ERROR"):
        for i in range(1, 6):
            feed(raw_sender, "buggy", i, 1, False)
            wait_until(lambda i=i: hub.cameras.get("buggy").restarts == i)
            hub.workers["buggy"].analyzer.analyze = bug  # type: ignore[method-assign]
    tracebacks = [r for r in caplog.records if r.exc_info and "buggy" in r.getMessage()]
    assert len(tracebacks) == 1 and hub.cameras.get("buggy").restarts == 5
