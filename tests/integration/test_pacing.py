"""Client-paced page streams: a tile is sent its next frame once the page says it painted the
last, so a slow client is never fed through a queue and always sees the present."""

from __future__ import annotations

import http.client
import json
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from hub.app import Hub
from tests.conftest import RawSender, jpeg, scene, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def door(hub: Hub) -> Iterator[None]:
    """A camera sending 30 frames a second, every frame new."""
    stop = threading.Event()
    frames = [jpeg(scene(i, True)) for i in range(30)]

    def send() -> None:
        sender = RawSender(hub.config.zmq_port)
        i = 0
        while not stop.wait(1 / 30):
            sender.frame("door", frames[i % 30])
            i += 1
        sender.close()

    thread = threading.Thread(target=send)
    thread.start()
    wait_until(lambda: (c := hub.cameras.get("door")) is not None and c.frame is not None)
    yield
    stop.set()
    thread.join(5)


class PageStream:
    """The page's stream read the way a slow page reads it."""

    def __init__(self, hub: Hub, paced: bool) -> None:
        self.hub = hub
        self.conn = http.client.HTTPConnection("127.0.0.1", hub.web.port, timeout=10)
        body = {"cameras": {"door": 0}, "paced": paced}
        self.conn.request("POST", "/api/stream", json.dumps(body), {"Content-Type": "application/json"})
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200
        self.id = self.next("stream")["id"] if paced else None

    def next(self, kind: str = "frame") -> dict:
        while True:
            meta_len, jpeg_len = struct.unpack(">II", self.resp.read(8))
            meta = json.loads(self.resp.read(meta_len))
            self.resp.read(jpeg_len)
            if meta["type"] == kind:
                return meta

    def painted(self, seqs: dict[str, int]) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.hub.web.port, timeout=5)
        try:
            conn.request(
                "POST", f"/api/stream/{self.id}/painted", json.dumps({"cameras": seqs}),
                {"Content-Type": "application/json"},
            )  # fmt: skip
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()

    def close(self) -> None:
        self.conn.close()


def test_a_tile_gets_its_next_frame_only_once_it_painted_the_last(hub: Hub, door: None) -> None:
    stream = PageStream(hub, paced=True)
    try:
        first = stream.next()
        got: list[dict] = []
        reader = threading.Thread(target=lambda: got.append(stream.next()), daemon=True)
        reader.start()
        reader.join(1.0)
        assert not got, "a frame came before the page said it painted the last one"
        assert stream.painted({"door": first["seq"]}) == 204
        reader.join(2.0)
        assert got and got[0]["seq"] > first["seq"] and time.time() - got[0]["time"] < 0.5
        assert stream.painted({"nowhere": 1}) == 400, "only cameras of this stream"
    finally:
        stream.close()
    wait_until(lambda: stream.painted({"door": 1}) == 404, timeout=10)  # the stream has ended


def test_a_slow_client_always_sees_a_frame_less_than_a_second_old(hub: Hub, door: None) -> None:
    """It takes 0.3 s to paint each frame (a slow phone, a slow link). Paced, every frame it is
    sent is from the last moment; unpaced, the network's buffers fill with frames that are
    shown later and later (the control shows what the pacing is for)."""

    def ages(paced: bool, seconds: float) -> list[float]:
        stream = PageStream(hub, paced)
        out, end = [], time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                meta = stream.next()
                out.append(time.time() - meta["time"])
                time.sleep(0.3)  # painting
                if paced:
                    stream.painted({"door": meta["seq"]})
        finally:
            stream.close()
        return out

    paced = ages(True, 4.0)
    assert len(paced) >= 10 and max(paced) < 1.0, [round(a, 2) for a in paced]
    unpaced = ages(False, 4.0)
    print(f"\nframe ages paced: max {max(paced):.2f} s; unpaced: max {max(unpaced):.2f} s")
    assert max(unpaced) > 1.0, f"the control did not lag: {[round(a, 2) for a in unpaced]}"
