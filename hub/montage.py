"""The server-side montage behind ``/video_feed/all``: every camera in one MJPEG image.

For clients that cannot run the page (a TV browser, VLC, Home Assistant's MJPEG camera). One
thread, started by the first viewer and ending after the last, composes at most ``fps``
images a second; every viewer is sent the same encoded bytes. A camera's tile is decoded
again only when the camera has a new frame.
"""

from __future__ import annotations

import logging
import math
import threading
import time

import cv2
import numpy as np

from hub.frames import mjpeg_part
from hub.store import ONLINE, Camera, Cameras

log = logging.getLogger(__name__)
RED, WHITE, AMBER = (0, 0, 255), (255, 255, 255), (0, 200, 255)
_REDUCED_COLOR = {
    1: cv2.IMREAD_COLOR,
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}


def layout(count: int, max_width: int = 1920) -> tuple[int, int, int]:
    """(columns, tile width, tile height) for ``count`` tiles of 4:3 in about max_width pixels."""
    columns = max(1, math.ceil(math.sqrt(count)))
    width = min(320, max_width // columns) // 2 * 2
    return columns, width, width * 3 // 4


class Montage:
    """Composes the montage while anyone watches it; viewers wait for a newer image."""

    def __init__(self, cameras: Cameras, fps: float, stop: threading.Event, quality: int = 75) -> None:
        self.cameras = cameras
        self.interval = 1.0 / fps
        self.stop = stop
        self.quality = quality
        self._cond = threading.Condition()
        self._viewers = 0
        self._thread: threading.Thread | None = None
        self.seq = 0
        self.chunk = b""
        self.composed = 0  # images composed so far (tests and metrics)
        self._tiles: dict[str, tuple[tuple[int, str], np.ndarray]] = {}

    def watch(self) -> None:
        with self._cond:
            self._viewers += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="montage", daemon=True)
                self._thread.start()

    def leave(self) -> None:
        with self._cond:
            self._viewers -= 1

    def wait_newer(self, seq: int, timeout: float) -> tuple[int, bytes] | None:
        with self._cond:
            self._cond.wait_for(lambda: self.seq > seq or self.stop.is_set(), timeout)
            return (self.seq, self.chunk) if self.seq > seq else None

    def _run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                image = self.compose()
                ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
            except Exception:  # never leave viewers hanging on a bug: log and try again
                log.exception("composing the montage failed")
                ok = False
            with self._cond:
                if ok:
                    self.seq += 1
                    self.chunk = mjpeg_part(buf.tobytes(), self.seq)
                    self.composed += 1
                    self._cond.notify_all()
                if self._viewers <= 0:
                    self._thread = None
                    self._tiles.clear()
                    return
            self.stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
        with self._cond:
            self._thread = None

    def compose(self) -> np.ndarray:
        """One montage image: the cameras sorted by name, in a grid."""
        cameras = self.cameras.all()
        columns, width, height = layout(len(cameras))
        rows = max(1, math.ceil(len(cameras) / columns))
        canvas = np.full((rows * height, columns * width, 3), 24, np.uint8)
        if not cameras:
            cv2.putText(canvas, "no camera yet", (10, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.6, WHITE, 1)
        for i, camera in enumerate(cameras):
            y, x = (i // columns) * height, (i % columns) * width
            canvas[y : y + height, x : x + width] = self._tile(camera, width, height)
        present = {camera.name for camera in cameras}
        for gone in [name for name in self._tiles if name not in present]:  # forgotten cameras' tiles go
            del self._tiles[gone]
        return canvas

    def _tile(self, camera: Camera, width: int, height: int) -> np.ndarray:
        frame = camera.frame
        status = camera.status()
        key = (frame.seq if frame else 0, status)
        cached = self._tiles.get(camera.name)
        if cached is not None and cached[0] == key and cached[1].shape[:2] == (height, width):
            return cached[1]
        tile: np.ndarray = np.full((height, width, 3), 40, np.uint8)
        if frame is not None:
            factor = 1
            while factor < 8 and frame.width // (factor * 2) >= width:
                factor *= 2
            image = cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), _REDUCED_COLOR[factor])
            if image is not None:
                tile = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
            if frame.motion and status == ONLINE:
                if frame.box is not None:
                    x1, y1, x2, y2 = frame.box
                    sx, sy = width / frame.width, height / frame.height
                    cv2.rectangle(tile, (int(x1 * sx), int(y1 * sy)), (int(x2 * sx), int(y2 * sy)), RED, 2)
                cv2.rectangle(tile, (0, 0), (width - 1, height - 1), RED, 2)
        if status != ONLINE:
            tile = (tile // 3).astype(np.uint8)
        label = camera.name if status == ONLINE else f"{camera.name} ({status.replace('-', ' ')})"
        cv2.rectangle(tile, (0, height - 20), (width, height), (0, 0, 0), -1)
        cv2.putText(
            tile,
            label.encode("ascii", "replace").decode(),
            (4, height - 6),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4,
            WHITE if status == ONLINE else AMBER,
            1,
            cv2.LINE_AA,
        )
        self._tiles[camera.name] = (key, tile)
        return tile
