"""Stream generators: MJPEG per camera and the page's binary multi-camera stream.

Each viewer waits on a Condition for a newer sequence number and then writes bytes built once
per frame (``Frame.chunk``, ``Frame.packet``): nothing here encodes per viewer, polls, or
queues. A stream holds a slot of ``max_streams`` from its first byte until it is closed.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from hub.frames import Frame, mjpeg_part, record
from hub.store import Camera, Waker
from hub.web.pacing import Pacer, Pacers

if TYPE_CHECKING:
    from hub.web.services import Services

WAKE_EVERY = 1.0  # seconds; lets streams notice shutdown and send camera status
# An MJPEG stream of a silent camera repeats its last frame this often: players do not time
# out, and a viewer who left is noticed (only a write can tell) and gives its slot back.
KEEPALIVE = 5.0


class Stream:
    """An iterable response body that gives its slot back when the server closes it."""

    def __init__(self, body: Iterator[bytes], release: Callable[[], None]) -> None:
        self._body = body
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> Iterator[bytes]:
        return self._body

    def close(self) -> None:
        if hasattr(self._body, "close"):
            self._body.close()
        release, self._release = self._release, None
        if release is not None:
            release()


class Streams:
    """Counts open streams (per camera and in all) and builds their bodies."""

    def __init__(self, hub: Services) -> None:
        self.hub = hub
        self.limit = hub.config.max_streams
        self._lock = threading.Lock()
        self.open = 0
        self.by_camera: collections.Counter[str] = collections.Counter()  # MJPEG streams per camera
        self.pages = 0  # page streams (/api/stream)
        self.montages = 0  # montage streams (/video_feed/all)
        self.refused = 0
        self.sent_bytes: collections.Counter[str] = collections.Counter()  # bytes written, by stream kind
        self._state: tuple[float, bytes] = (-1e9, b"")
        self._state_lock = threading.Lock()
        self.pacers = Pacers()  # paced page streams, for their painted requests

    def _acquire(self, kind: str, camera: Camera | None = None, overlay: bool = False) -> bool:
        """Take a slot for a stream of ``kind`` (mjpeg, page or montage)."""
        with self._lock:
            if self.open >= self.limit:
                self.refused += 1
                return False
            self._count(kind, camera, overlay, +1)
            return True

    def _releaser(self, kind: str, camera: Camera | None = None, overlay: bool = False) -> Callable[[], None]:
        def release() -> None:
            with self._lock:
                self._count(kind, camera, overlay, -1)

        return release

    def _count(self, kind: str, camera: Camera | None, overlay: bool, step: int) -> None:
        self.open += step
        if kind == "page":
            self.pages += step
        elif kind == "montage":
            self.montages += step
        elif camera is not None:
            self.by_camera[camera.name] += step
            if not self.by_camera[camera.name]:
                del self.by_camera[camera.name]
            if overlay:
                camera.overlay_viewers += step

    def _sent(self, kind: str, size: int) -> None:
        with self._lock:
            self.sent_bytes[kind] += size

    def _small(self, cameras: list[Camera], step: int) -> None:
        with self._lock:  # the worker makes a stock sender's sub-image only while someone wants it
            for camera in cameras:
                camera.sub_viewers += step

    def mjpeg(self, camera: Camera, overlay: bool, sub: bool = False) -> Stream | None:
        """An MJPEG body for one camera (``sub``: its sub-stream), or None when every stream
        slot is taken."""
        if not self._acquire("mjpeg", camera, overlay and not sub):
            return None
        if sub:
            self._small([camera], +1)
            release = self._releaser("mjpeg", camera)

            def leave() -> None:
                self._small([camera], -1)
                release()

            return Stream(self._mjpeg_parts(camera, False, sub=True), leave)
        return Stream(self._mjpeg_parts(camera, overlay), self._releaser("mjpeg", camera, overlay))

    def _mjpeg_parts(self, camera: Camera, overlay: bool, sub: bool = False) -> Iterator[bytes]:
        """Each new frame once; ``sub``: its small JPEG (the main one while a frame has none)."""
        kind = "mjpeg-sub" if sub else "mjpeg"
        last, seen, sent_at = 0, 0, -KEEPALIVE  # the first frame goes out at once
        while not self.hub.stopping.is_set():
            frame = camera.wait_newer(seen, WAKE_EVERY)
            if frame is not None:
                seen = frame.seq
            if frame is not None and sub:
                frame = camera.small_frame()
                if frame is None or frame.seq <= last:  # a stock sender's next sub-image is not made yet
                    continue
            if frame is None:  # nothing new: repeat the last frame now and then (keep-alive)
                frame = camera.small_frame() if sub else camera.frame
                if frame is None or time.monotonic() - sent_at < KEEPALIVE:
                    continue
            if sub:
                chunk = frame.sub_chunk or frame.chunk
            elif not overlay:
                chunk = frame.chunk
            elif frame.overlay is not None:  # rendered once by the analysis thread
                chunk = frame.overlay
            elif time.monotonic() - sent_at >= KEEPALIVE:  # first frame or keep-alive: render here
                drawn = self.hub.renderer.render(frame)  # once per frame for all viewers
                if drawn is None:  # could not draw it: skip this frame, keep the stream
                    last = frame.seq
                    continue
                chunk = mjpeg_part(drawn, frame.seq)
            else:  # the analysis thread renders from the next frame on
                last = frame.seq
                continue
            last, sent_at = frame.seq, time.monotonic()
            self._sent(kind, len(chunk))
            yield chunk

    def montage(self) -> Stream | None:
        """The server-side montage of all cameras (``/video_feed/all``)."""
        if not self._acquire("montage"):
            return None
        montage = self.hub.montage
        montage.watch()
        release = self._releaser("montage")

        def leave() -> None:
            montage.leave()
            release()

        return Stream(self._montage_parts(), leave)

    def _montage_parts(self) -> Iterator[bytes]:
        last = 0
        while not self.hub.stopping.is_set():
            got = self.hub.montage.wait_newer(last, WAKE_EVERY)
            if got is not None:
                last, chunk = got
                self._sent("montage", len(chunk))
                yield chunk

    def page(self, rates: dict[str, float], subs: frozenset[str] = frozenset(), paced: bool = False) -> Stream | None:
        """The page's stream: each wanted camera's newest frames, at most ``rates[name]`` per
        second (0: every frame), plus the list of all cameras every second. Cameras in
        ``subs`` (small tiles) get their sub-images, at most ``--grid-fps`` a second.
        ``paced``: a tile's next frame waits for word that it painted the last (pacing.py)."""
        if not self._acquire("page"):
            return None
        grid = self.hub.config.grid_fps  # small tiles: at most this many frames a second (0: no cap)
        capped = {name: min(fps or grid, grid) for name, fps in rates.items() if name in subs and grid}
        rates = {**rates, **capped}
        waker = self.hub.cameras.watch(rates)
        small = [c for c in (self.hub.cameras.get(name) for name in subs if name in rates) if c is not None]
        self._small(small, +1)
        pacer = Pacer(rates, waker) if paced else None
        if pacer is not None:
            self.pacers.add(pacer)
        release = self._releaser("page")

        def leave() -> None:
            self.hub.cameras.unwatch(waker)
            self._small(small, -1)
            if pacer is not None:
                self.pacers.remove(pacer)
            release()

        return Stream(self._page_records(rates, waker, subs, pacer), leave)

    def _page_records(
        self, rates: dict[str, float], waker: Waker, subs: frozenset[str], pacer: Pacer | None
    ) -> Iterator[bytes]:
        """Woken only by the cameras this page watches (and once a second for the list)."""
        cameras = self.hub.cameras
        intervals = {name: (1.0 / fps if fps > 0 else 0.0) for name, fps in rates.items()}
        sent: dict[str, tuple[int, float]] = {}
        next_state = 0.0
        if pacer is not None:
            yield record({"type": "stream", "id": pacer.id})
        while not self.hub.stopping.is_set():
            now = time.monotonic()
            out = []
            if now >= next_state:
                out.append(self.state_record())
                next_state = now + WAKE_EVERY
            for name, interval in intervals.items():
                if pacer is not None and not pacer.ready(name, now):
                    continue
                frame = _newer(cameras.get(name), sent.get(name), now, interval, name in subs)
                if frame is not None:
                    out.append(frame.sub_packet or frame.packet if name in subs else frame.packet)
                    sent[name] = (frame.seq, now)
                    if pacer is not None:
                        pacer.sent(name, frame.seq, now)
            if out:
                chunk = out[0] if len(out) == 1 else b"".join(out)
                self._sent("page", len(chunk))
                yield chunk
            waker.wait(max(0.0, next_state - time.monotonic()))

    def state_record(self) -> bytes:
        """The list of cameras as a stream record, rebuilt at most twice a second for everyone."""
        with self._state_lock:  # every page stream's thread may find it stale: one rebuilds, the others wait
            now = time.monotonic()
            built, packet = self._state
            if now - built >= 0.5:
                cameras = [c.describe() for c in self.hub.cameras.all()]
                packet = record({"type": "cameras", "time": round(time.time(), 3), "cameras": cameras})
                self._state = (now, packet)
            return packet


def _newer(
    camera: Camera | None, sent: tuple[int, float] | None, now: float, interval: float, small: bool = False
) -> Frame | None:
    frame = None if camera is None else camera.small_frame() if small else camera.frame
    if frame is None:
        return None
    seq, at = sent or (0, -1e9)
    # 10 % slack: frames arrive with jitter, and a cap of 5 a second from a 15 fps camera must
    # give 5 (every third frame), not 4 (every fourth, whenever the third came a little early)
    return frame if frame.seq > seq and now - at >= 0.9 * interval else None
