"""Analysis: decode each frame at reduced scale -> detect motion -> publish a Frame.

Each camera has a one-slot inbox, and a frame's sender is answered once a thread takes the
frame from it: a camera that falls behind is slowed at its sender instead of sending frames
the hub would throw away (hub/receiver.py). A newer frame still replaces one not yet started
(counted as dropped: a sender that does not wait for its answer, or two stock senders under
one name), and that one's sender is answered then. A small
pool of threads (one per core by default) serves the cameras whose inbox is full, in
round-robin order, one frame of a camera at a time. Under load the threads go from camera
to camera without sleeping, which costs far less than waking a thread per camera per frame.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import threading
import time
from collections.abc import Callable

import cv2
import numpy as np

from common.motion import Motion, MotionAnalyzer, decode_small, reduction_for
from common.protocol import SUB_QUALITY, SUB_WIDTH, Message
from common.throttle import Throttle
from hub.frames import Frame, mjpeg_part
from hub.overlay import burn_in
from hub.store import Camera

log = logging.getLogger(__name__)
_throttle = Throttle(10.0)  # keyed by camera and what went wrong


class CameraWorker:
    """One camera's analysis state: its motion analyzer, inbox and sequence counter."""

    def __init__(
        self,
        camera: Camera,
        analyzer: MotionAnalyzer,
        on_frame: Callable[[Frame], None] = lambda frame: None,
        jpeg_quality: int = 85,
        sub_fps: float = 0.0,
    ) -> None:
        self.camera = camera
        self.analyzer = analyzer
        self.on_frame = on_frame  # to the recorder and MQTT: O(1), never blocks
        self.jpeg_quality = jpeg_quality
        self.sub_fps = sub_fps  # a stock sender's hub-made sub-images, at most this many a second (0: all)
        self._sub_at = -1e18
        self.pending: Message | None = None  # guarded by the pool's lock
        self.answer: Callable[[], None] | None = None  # tells the pending frame's sender it was taken (the same)
        self.scheduled = False  # queued or being processed; guarded by the pool's lock
        self._seq = 0

    def process(self, message: Message) -> Frame | None:
        """Analyse one frame and publish it; None if it could not be decoded. A frame that
        ``analysis_fps`` skips is published with the camera's last motion state."""
        received = message.received or time.time()
        mono = message.mono or time.monotonic()
        jpeg = message.jpeg
        gray: np.ndarray | None
        sub = message.sub
        if message.pixels is None and not self.analyzer.due(mono):
            assert jpeg is not None
            return self._publish(jpeg, message, received, mono, self.analyzer.last, sub)
        if sub is not None:  # the sender's sub-image: the main JPEG is not decoded at all
            gray = self.analyzer.gray_from_jpeg(sub, message.sub_width)
            self.camera.analyzed_sub += 1
        elif message.pixels is not None:
            gray = self.analyzer.gray_from_pixels(message.pixels)
            ok, buf = cv2.imencode(".jpg", message.pixels, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
            jpeg = buf.tobytes() if ok else None
        else:
            assert jpeg is not None
            gray, sub = self._decode_main(jpeg, message.width, mono)
        if gray is None or jpeg is None:
            self.camera.bad_frames += 1
            if _throttle.ready(f"bad-frame:{self.camera.name}") is not None:
                log.warning(
                    "camera %r sent a frame that does not decode as JPEG (%d so far); check the sender's encoder",
                    self.camera.name,
                    self.camera.bad_frames,
                )
            return None
        found = self.analyzer.analyze(gray, message.width, message.height, mono)
        self.camera.analyzed += 1
        self.camera.model_resets = self.analyzer.resets
        return self._publish(jpeg, message, received, mono, found, sub)

    def _decode_main(self, jpeg: bytes, width: int, mono: float = 0.0) -> tuple[np.ndarray | None, bytes | None]:
        """A stock sender's frame: decoded small for analysis, as always. While someone watches
        a small view of it, the hub makes the sub-image itself from that same reduced decode
        (in colour, then grey from it), at most ``sub_fps`` a second: the rate small tiles
        are sent (a colour decode and an encode cost about 0.7 ms more than the grey decode)."""
        self.camera.main_decodes += 1
        if not self.camera.sub_viewers or mono - self._sub_at < 0.9 / (self.sub_fps or 1e9):
            return self.analyzer.gray_from_jpeg(jpeg, width), None
        self._sub_at = mono
        if reduction_for(width, SUB_WIDTH) == 1:  # small already: the frame is its own sub-image
            return self.analyzer.gray_from_jpeg(jpeg, width), None
        small = decode_small(jpeg, width, SUB_WIDTH)
        if small is None:
            return None, None
        ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, SUB_QUALITY])
        return self.analyzer.gray_from_pixels(small), (buf.tobytes() if ok else None)

    def _publish(
        self, jpeg: bytes, message: Message, received: float, mono: float, found: Motion, sub: bytes | None = None
    ) -> Frame:
        self._seq += 1
        frame = Frame.build(
            self.camera.name, self._seq, jpeg, message.width, message.height, received, found, mono,
            self.camera.objects, sub,
        )  # fmt: skip
        if self.camera.overlay_viewers:  # render once here, not in a viewer thread that others wait on
            frame = dataclasses.replace(frame, overlay=mjpeg_part(burn_in(frame), frame.seq))
        self.camera.publish(frame)
        self.on_frame(frame)
        return frame


class WorkerPool:
    """Threads named ``analyse-N`` that process the cameras with a waiting frame."""

    def __init__(self, threads: int, stop: threading.Event) -> None:
        self.stop = stop
        self._cond = threading.Condition()
        self._ready: collections.deque[CameraWorker] = collections.deque()
        self.threads = [
            threading.Thread(target=self._run, name=f"analyse-{i + 1}", daemon=True) for i in range(threads)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def offer(self, worker: CameraWorker, message: Message, answer: Callable[[], None] = lambda: None) -> None:
        """Hand over a camera's newest frame; ``answer`` is called by the thread that takes it.
        An unstarted older frame is dropped and counted, and its sender answered now."""
        with self._cond:
            replaced, worker.answer = worker.answer, answer
            if worker.pending is not None:
                worker.camera.dropped += 1
            worker.pending = message
            if not worker.scheduled:
                worker.scheduled = True
                self._ready.append(worker)
                self._cond.notify()
        if replaced is not None:
            replaced()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _take(self) -> tuple[CameraWorker, Message] | None:
        with self._cond:
            while not self._ready:
                if self.stop.is_set():
                    return None
                self._cond.wait(0.5)
            worker = self._ready.popleft()
            message, worker.pending = worker.pending, None
            answer, worker.answer = worker.answer, None
            assert message is not None
        if answer is not None:
            answer()  # its sender may now capture the next frame, while this one is analysed
        return worker, message

    def _done(self, worker: CameraWorker) -> None:
        with self._cond:
            if worker.pending is None:
                worker.scheduled = False
            else:  # a newer frame came meanwhile: back of the line, for fairness
                self._ready.append(worker)
                self._cond.notify()

    def _run(self) -> None:
        while (job := self._take()) is not None:
            worker, message = job
            try:
                worker.process(message)
            except Exception:
                # A bug on one frame must not end the camera: count it, restart its model, and
                # log it with its traceback at most once per camera every 10 s.
                worker.camera.restarts += 1
                held = _throttle.ready(f"crash:{worker.camera.name}")
                if held is not None:
                    log.exception(
                        "analysis of camera %r failed; restarting its motion model (restart %d, %d not logged)",
                        worker.camera.name,
                        worker.camera.restarts,
                        held,
                    )
                worker.analyzer.reset()
            finally:
                self._done(worker)
