"""Sub-streams: the camnet sender adds a small JPEG of each frame once a camnet hub has said it
takes one; the hub analyses it instead of decoding the main JPEG, and serves it to small
tiles, to ``?sub=1`` streams and snapshots. Stock imagezmq stays whole both ways."""

from __future__ import annotations

import json
import struct
import threading
import time
import urllib.request
from collections.abc import Iterator

import cv2
import imagezmq
import numpy as np
import pytest

from common import protocol
from hub.app import Hub
from tests.conftest import Output, RawSender, free_port, get, jpeg, read_mjpeg, scene, start_process, url, wait_until

pytestmark = pytest.mark.slow


def width_of(data: bytes) -> int:
    return protocol.jpeg_size(data)[0]


@pytest.fixture
def camnet_sender(hub: Hub) -> Iterator[Output]:
    """A real camnet-sender process with its synthetic camera (640 wide, sub-images 320)."""
    proc = start_process(["client.cli", "--server-ip", "127.0.0.1", "--server-port", str(hub.config.zmq_port),
                          "--source", "synthetic", "--name", "yard", "--fps", "15"])  # fmt: skip
    out = Output(proc)
    yield out
    out.stop()


def test_a_stock_image_hub_receives_exactly_name_and_jpg_from_a_camnet_sender() -> None:
    port = free_port()
    image_hub = imagezmq.ImageHub(open_port=f"tcp://127.0.0.1:{port}")
    proc = start_process(["client.cli", "--server-ip", "127.0.0.1", "--server-port", str(port),
                          "--source", "synthetic", "--name", "pi", "--fps", "20"])  # fmt: skip
    out = Output(proc)
    got = []
    try:
        for _ in range(10):  # recv_jpg reads two parts: a third would become the next "message"
            name, data = image_hub.recv_jpg()
            got.append((name, width_of(bytes(data))))
            image_hub.send_reply(b"OK")
    finally:
        out.stop()
        image_hub.close()
    assert got == [("pi", 640)] * 10


def test_the_hub_analyses_the_sub_image_and_never_decodes_the_main_jpeg(hub: Hub, camnet_sender: Output) -> None:
    wait_until(lambda: (c := hub.cameras.get("yard")) is not None and c.analyzed >= 20, timeout=20)
    camera = hub.cameras.get("yard")
    assert camera is not None
    assert camera.main_decodes <= 1, "only the first frame, before the hub said it takes sub-images"
    assert camera.analyzed_sub >= camera.analyzed - 1
    frame = camera.frame
    assert frame is not None and frame.width == 640 and frame.sub is not None and width_of(frame.sub) == 320
    # boxes are in the main frame's pixels: the moving square reaches past the 320x240 of the sub-image
    wait_until(lambda: (b := camera.frame.box) is not None and (b[2] > 320 or b[3] > 240), timeout=10)
    status, body, _ = get(hub, "/snapshot/yard?sub=1")
    assert status == 200 and width_of(body) == 320
    status, body, _ = get(hub, "/snapshot/yard")
    assert status == 200 and width_of(body) == 640
    assert all(width_of(part) == 320 for part in read_mjpeg(hub, "/video_feed/yard?sub=1", 5))


def page_records(hub: Hub, body: dict, seconds: float) -> list[tuple[dict, bytes]]:
    request = urllib.request.Request(
        url(hub, "/api/stream"), data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    out, end = [], time.monotonic() + seconds
    with urllib.request.urlopen(request, timeout=10) as resp:
        while time.monotonic() < end:
            meta_len, jpeg_len = struct.unpack(">II", resp.read(8))
            meta = json.loads(resp.read(meta_len))
            out.append((meta, resp.read(jpeg_len)))
    return [(m, j) for m, j in out if m["type"] == "frame"]


def test_small_tiles_get_the_sub_stream_at_the_grid_rate(hub: Hub, camnet_sender: Output) -> None:
    wait_until(lambda: (c := hub.cameras.get("yard")) is not None and c.frame is not None and c.frame.sub, timeout=20)
    small = page_records(hub, {"cameras": {"yard": 0}, "sub": ["yard"]}, 2.0)
    assert small and all(m.get("sub") and width_of(j) == 320 and m["width"] == 640 for m, j in small)
    assert len(small) <= 2.0 * hub.config.grid_fps + 2, "small tiles are capped at --grid-fps"
    large = page_records(hub, {"cameras": {"yard": 0}}, 2.0)
    assert len(large) >= 20 and all(width_of(j) == 640 and not m.get("sub") for m, j in large)
    _, body, _ = get(hub, "/metrics")
    assert b'camnet_stream_bytes_total{kind="page"}' in body


def test_a_stock_sender_gets_hub_made_sub_images_only_while_a_small_view_is_watched(
    hub: Hub, raw_sender: RawSender
) -> None:
    stop = threading.Event()

    def keep_sending() -> None:
        sender = RawSender(hub.config.zmq_port)
        i = 0
        while not stop.wait(0.03):
            assert sender.frame("door", jpeg(scene(i, True))) == protocol.REPLY_OK  # a stock sender: plain OK
            i += 1
        sender.close()

    feeder = threading.Thread(target=keep_sending)
    feeder.start()
    try:
        wait_until(lambda: (c := hub.cameras.get("door")) is not None and c.frame is not None, timeout=10)
        time.sleep(0.3)
        camera = hub.cameras.get("door")
        assert camera is not None and camera.frame is not None and camera.frame.sub is None  # nobody watches small
        started = time.monotonic()
        parts = read_mjpeg(hub, "/video_feed/door?sub=1", 8)
        rate = len(parts) / (time.monotonic() - started)
        assert all(width_of(p) == 320 for p in parts[2:]), "made by the hub from its reduced decode"
        assert rate <= 1.5 * hub.config.grid_fps + 1, f"made at --grid-fps, not for each of ~33 frames/s: {rate:.1f}/s"
        wait_until(lambda: camera.sub_viewers == 0, timeout=5)
        time.sleep(0.3)
        made = camera.sub_frame
        time.sleep(0.6)
        assert camera.sub_frame is made, "and no more once nobody watches"
    finally:
        stop.set()
        feeder.join()


def test_a_sub_image_must_be_offered_a_jpeg_and_smaller_than_its_frame(hub: Hub, raw_sender: RawSender) -> None:
    main = jpeg(scene(0, False))
    small = cv2.imencode(".jpg", np.zeros((240, 320, 3), np.uint8))[1].tobytes()
    head = json.dumps({"msg": "x", "camnet": {"id": "s1"}}).encode()
    assert raw_sender.send([head, main, small]).startswith(b"ERROR bad-parts: a third message part")
    offered = json.dumps({"msg": "x", "camnet": {"id": "s1", "sub": 320}}).encode()
    assert raw_sender.send([offered, main, b"not a jpeg"]).startswith(b"ERROR bad-sub: the sub-image is not a JPEG")
    big = cv2.imencode(".jpg", np.zeros((960, 1280, 3), np.uint8))[1].tobytes()
    assert raw_sender.send([offered, main, big]).startswith(b"ERROR bad-sub: the sub-image is 1280x960")
    assert raw_sender.send([offered, main, small]) == protocol.REPLY_OK_SUB
    assert raw_sender.send([offered, main]) == protocol.REPLY_OK_SUB  # an offer, no sub yet: the handshake
