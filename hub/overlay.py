"""Burns the seed's overlay (timestamp, motion box, tracked objects) into a frame for ``/video_feed`` viewers.

Only clients that cannot draw for themselves (VLC, Home Assistant) need pixels changed; the
page draws its own overlay over the untouched JPEG. Each frame is rendered at most once,
whatever the number of viewers: the analysis thread renders it while someone watches.
"""

from __future__ import annotations

import collections
import concurrent.futures
import datetime
import logging
import threading
from collections.abc import Callable

import cv2
import numpy as np

from common.motion import decode_small, reduction_for
from common.protocol import SUB_QUALITY, SUB_WIDTH
from common.throttle import Throttle
from hub.frames import Frame

log = logging.getLogger(__name__)
RED, WHITE, GREEN = (0, 0, 255), (255, 255, 255), (60, 200, 60)


def burn_in(frame: Frame, quality: int = 80) -> bytes:
    """The frame's JPEG with the timestamp and motion box drawn on it."""
    image = cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:  # cannot happen for published frames, which the worker decoded
        return frame.jpeg
    scale = image.shape[1] / 400  # the seed drew on a 400 px wide frame
    if frame.box is not None:
        x1, y1, x2, y2 = frame.box
        cv2.rectangle(image, (x1, y1), (x2, y2), RED, max(1, round(2 * scale)))
    for tracked in frame.objects:
        x1, y1, x2, y2 = tracked["box"]  # type: ignore[misc]
        cv2.rectangle(image, (x1, y1), (x2, y2), GREEN, max(1, round(2 * scale)))
        text = f"{tracked['label']} {tracked['score']:.2f}"
        cv2.putText(image, text, (x1 + 3, max(y1 - 4, int(12 * scale))), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * scale,
                    GREEN, max(1, round(scale)), cv2.LINE_AA)  # fmt: skip
    # The seed wrote its timestamp over the picture's bottom left, where cameras burn their own
    # clock: neither could be read. It goes on a black band under the picture instead.
    band = max(12, round(16 * scale))
    image = cv2.copyMakeBorder(image, 0, band, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    stamp = datetime.datetime.fromtimestamp(frame.time).strftime("%A %d %B %Y %I:%M:%S%p")
    cv2.putText(
        image,
        stamp,
        (int(6 * scale), image.shape[0] - int(4.5 * scale)),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.35 * scale,
        WHITE,
        max(1, round(scale)),
        cv2.LINE_AA,
    )
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return buf.tobytes() if ok else frame.jpeg


def shrink(frame: Frame, width: int = SUB_WIDTH, quality: int = SUB_QUALITY) -> bytes:
    """The frame at about ``width`` (a 1/2 to 1/8 decode), as a small JPEG: a sub-image."""
    if reduction_for(frame.width, width) == 1:
        return frame.jpeg
    image = decode_small(frame.jpeg, frame.width, width)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality]) if image is not None else (False, None)
    return buf.tobytes() if ok and buf is not None else frame.jpeg


class Renderer:
    """Renders overlays asked for outside the analysis threads (a viewer's first frame, a
    silent camera's keep-alive, a snapshot) on one thread of its own, each frame at most once.

    OpenCV keeps megabytes of per-thread buffers for the lifetime of any thread that calls
    it; calling it from the web server's hundreds of threads cost about 4 MB per viewer. The
    last render of each camera is kept, so a hundred viewers of a silent camera, or a client
    polling ``/snapshot?overlay=1``, cost one render per frame, not one per request.
    """

    def __init__(self, timeout: float = 10.0, keep: int = 256) -> None:
        self.timeout = timeout
        self.keep = keep
        self.failures = 0
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")
        self._lock = threading.Lock()
        self._last: collections.OrderedDict[str, tuple[Frame, concurrent.futures.Future[bytes]]] = (
            collections.OrderedDict()
        )
        self._throttle = Throttle(10.0)

    def render(self, frame: Frame) -> bytes | None:
        """The frame's JPEG with the overlay, or None if it could not be rendered in time (or
        the hub is stopping): a failed render costs the caller one frame, never its stream."""
        return self._once(frame, burn_in, frame.camera)

    def small(self, frame: Frame) -> bytes | None:
        """A stock sender's frame as a small picture (``/snapshot?sub=1``), made the same way."""
        return self._once(frame, shrink, "small:" + frame.camera)

    def _once(self, frame: Frame, draw: Callable[[Frame], bytes], key: str) -> bytes | None:
        with self._lock:
            last = self._last.get(key)
            if last is not None and last[0] is frame:
                future = last[1]
            else:
                try:
                    future = self._pool.submit(draw, frame)
                except RuntimeError:  # closed: the hub is stopping
                    return None
                self._last[key] = (frame, future)
                self._last.move_to_end(key)
                while len(self._last) > self.keep:
                    self._last.popitem(last=False)
        try:
            return future.result(timeout=self.timeout)
        except Exception as exc:  # timeout, cancelled at shutdown, or a bug in drawing
            self.failures += 1
            if self._throttle.ready(frame.camera) is not None:
                log.warning("could not draw the overlay on a frame of camera %r: %r", frame.camera, exc)
            return None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
