"""Per-camera worker: decode at reduced scale -> detect motion -> publish a Frame.

The receiver hands each message to its camera's worker through a one-slot inbox: a newer
frame replaces one the worker has not started yet (counted as dropped), so a slow camera
never queues and never slows another camera.
"""

from __future__ import annotations

import logging
import threading
import time

import cv2
import numpy as np

from common.frames import Frame
from common.motion import MotionAnalyzer
from common.protocol import Message
from common.throttle import Throttle
from hub.store import Camera, Cameras

log = logging.getLogger(__name__)
_throttle = Throttle(10.0)


class CameraWorker:
    """Owns one camera's motion analyzer and the thread that feeds it."""

    def __init__(
        self, camera: Camera, cameras: Cameras, analyzer: MotionAnalyzer, stop: threading.Event, jpeg_quality: int = 85
    ) -> None:
        self.camera = camera
        self.cameras = cameras
        self.analyzer = analyzer
        self.stop = stop
        self.jpeg_quality = jpeg_quality
        self._inbox = threading.Condition()
        self._pending: Message | None = None
        self._seq = 0
        self.thread = threading.Thread(target=self._run, name=f"cam:{camera.name}", daemon=True)

    def offer(self, message: Message) -> None:
        """Hand over the newest frame; an unstarted older one is dropped and counted."""
        with self._inbox:
            if self._pending is not None:
                self.camera.dropped += 1
            self._pending = message
            self._inbox.notify()

    def wake(self) -> None:
        with self._inbox:
            self._inbox.notify()

    def _take(self) -> Message | None:
        with self._inbox:
            self._inbox.wait_for(lambda: self._pending is not None or self.stop.is_set(), 0.5)
            message, self._pending = self._pending, None
            return message

    def _run(self) -> None:
        # A bug on one frame must not end the camera: log it, count it, start the model again.
        while not self.stop.is_set():
            try:
                self._loop()
            except Exception:
                self.camera.restarts += 1
                log.exception(
                    "worker for camera %r failed; restarting it (restart %d)", self.camera.name, self.camera.restarts
                )
                self.analyzer.reset()
                time.sleep(0.1)

    def _loop(self) -> None:
        while not self.stop.is_set():
            message = self._take()
            if message is not None:
                self.process(message)

    def process(self, message: Message) -> Frame | None:
        """Analyse one frame and publish it; None if it could not be decoded."""
        received = time.time()
        jpeg = message.jpeg
        gray: np.ndarray | None
        if message.pixels is not None:
            gray = self.analyzer.gray_from_pixels(message.pixels)
            ok, buf = cv2.imencode(".jpg", message.pixels, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
            jpeg = buf.tobytes() if ok else None
        else:
            assert jpeg is not None
            gray = self.analyzer.gray_from_jpeg(jpeg, message.width)
        if gray is None or jpeg is None:
            self.camera.bad_frames += 1
            if _throttle.ready(self.camera.name) is not None:
                log.warning(
                    "camera %r sent a frame that does not decode as JPEG (%d so far); check the sender's encoder",
                    self.camera.name,
                    self.camera.bad_frames,
                )
            return None
        box = self.analyzer.analyze(gray, message.width, message.height)
        self.camera.analyzed += 1
        self._seq += 1
        frame = Frame.build(self.camera.name, self._seq, jpeg, message.width, message.height, received, box)
        self.camera.publish(frame)
        self.cameras.bump()
        return frame
