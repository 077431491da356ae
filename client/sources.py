"""Frame sources for the sender: Pi camera (picamera2), OpenCV devices/files/URLs, synthetic.

Every source has ``read() -> BGR uint8 array`` (the newest frame; raises SourceError when
the camera fails, EndOfSource when a file ends) and ``close()``.
"""

from __future__ import annotations

import datetime
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Protocol

import cv2
import numpy as np

from common.redact import redact

log = logging.getLogger(__name__)


class SourceError(RuntimeError):
    """The camera cannot give frames (unplugged, stream dropped, no such device)."""


class SourceMissing(SourceError):
    """``--source`` names nothing that could ever give frames (a typo, a file that is not
    there): retrying cannot help, so the sender stops and says what to fix."""


class EndOfSource(Exception):
    """A video file ended and ``--loop`` is off."""


class Source(Protocol):
    kind: str

    def read(self) -> np.ndarray: ...

    def close(self) -> None: ...


URL_SCHEMES = ("rtsp", "rtsps", "http", "https", "rtmp", "udp", "tcp")


def kind_of(spec: str) -> str:
    """What kind of source ``--source`` names: synthetic, picamera, usb, url or file."""
    if spec == "synthetic" or spec.startswith("synthetic:"):
        return "synthetic"
    if spec == "picamera":
        return "picamera"
    if spec.isdigit() or spec.startswith("/dev/video"):
        return "usb"
    return "url" if spec.split("://", 1)[0] in URL_SCHEMES else "file"


def open_source(spec: str, width: int, fps: float, loop: bool, sub_width: int = 0) -> Source:
    """Open the source named by ``--source``; SourceError says why it cannot be opened
    (SourceMissing: it never could). ``sub_width``: the Pi camera also gives a ``lores``
    picture that wide with every frame (scaled by its ISP, free of CPU)."""
    kind = kind_of(spec)
    if kind == "synthetic":
        return SyntheticSource(width or 640, moving=spec != "synthetic:still")
    if kind == "picamera":
        return PiCameraSource(width, fps, lores_width=sub_width)
    if kind == "usb":
        return LiveSource(int(spec) if spec.isdigit() else spec, "usb")
    if kind == "url":
        return LiveSource(spec, "url")
    if os.path.isfile(spec):
        return FileSource(spec, loop)
    if "://" in spec:
        raise SourceMissing(
            f"unknown kind of URL {redact(spec)!r}: use rtsp://, rtsps://, http://, https:// or rtmp://"
        )
    if os.path.exists(spec):
        raise SourceMissing(f"source {spec!r} is not a video file, a /dev/videoN device or a camera index")
    if os.sep in spec or os.path.splitext(spec)[1]:
        raise SourceMissing(f"video file {spec!r} not found: check the path (relative paths start from {os.getcwd()})")
    raise SourceMissing(
        f"unknown source {spec!r}: use picamera, a device index or /dev/videoN, "
        "a video file that exists, an rtsp:// or http:// URL, or synthetic"
    )


class SyntheticSource:
    """A built-in test scene: textured background, sensor noise, a moving square, a clock.

    ``moving=False`` gives the same scene with nothing moving and no clock (a still camera).
    """

    kind = "synthetic"

    def __init__(
        self, width: int = 640, moving: bool = True, seed: int = 0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        height = width * 3 // 4
        rng = np.random.default_rng(seed)
        yy, xx = np.mgrid[0:height, 0:width]
        base = (60 + 80 * xx / width + 40 * np.sin(yy / 23.0)).astype(np.float32)
        scene = np.dstack([base, base * 0.9 + 10, base * 0.8 + 20])
        # Precomputed noisy versions of the scene: sensor noise without per-frame random cost.
        self._noisy = [np.clip(scene + rng.normal(0, 3, scene.shape), 0, 255).astype(np.uint8) for _ in range(8)]
        self.width, self.height, self.moving, self.clock = width, height, moving, clock
        self.count = 0

    def read(self) -> np.ndarray:
        frame = self._noisy[self.count % len(self._noisy)].copy()
        self.count += 1
        if self.moving:
            side = self.width // 8
            t = self.clock()
            x = int((self.width - side) * (0.5 + 0.5 * np.sin(t * 0.9)))
            y = int((self.height - side) * (0.5 + 0.5 * np.sin(t * 1.3)))
            cv2.rectangle(frame, (x, y), (x + side, y + side), (40, 200, 240), -1)
            stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            cv2.putText(
                frame,
                stamp,
                (10, self.height - 12),
                cv2.FONT_HERSHEY_SIMPLEX,
                self.width / 900,
                (255, 255, 255),
                max(1, self.width // 400),
            )
        return frame

    def close(self) -> None:
        pass


class FileSource:
    """A video file, read at the sender's pace; loops when asked to."""

    kind = "file"

    def __init__(self, path: str, loop: bool) -> None:
        self.path, self.loop = path, loop
        self.cap = cv2.VideoCapture(path)
        if not self.cap.isOpened():
            raise SourceMissing(f"cannot open video file {path!r}: OpenCV cannot decode it")

    def read(self) -> np.ndarray:
        ok, frame = self.cap.read()
        if not ok and self.loop:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self.cap.read()
        if not ok:
            raise EndOfSource(self.path)
        return frame  # type: ignore[no-any-return]

    def close(self) -> None:
        self.cap.release()


class LiveSource:
    """A USB camera or a network stream. One thread, ``grab``, owns the ``VideoCapture``: it
    opens it, reads it and releases it, so the capture is never used by two threads (OpenCV's
    is not thread-safe: releasing it under a blocked ``read()`` can crash the process).
    ``read()`` takes the newest frame, never one that waited in the driver's buffers.

    Network streams are opened and read with timeouts (FFmpeg's), so a camera that stops
    answering fails within ``TIMEOUT`` seconds and its grab thread ends by itself.
    """

    kind = "usb"
    STALL = 5.0  # seconds without a frame before the camera counts as failed
    TIMEOUT = 5.0  # seconds FFmpeg may block opening or reading a network stream

    def __init__(self, target: int | str, kind: str) -> None:
        self.kind = kind
        self.target = target
        self.shown = redact(str(target)) if isinstance(target, str) else target  # for texts: no password
        self._cond = threading.Condition()
        self._opened: bool | None = None  # None while opening
        self._frame: np.ndarray | None = None
        self._fresh = False
        self._failed: str | None = None
        self._running = True
        self._thread = threading.Thread(target=self._grab, name="grab", daemon=True)
        self._thread.start()
        with self._cond:
            self._cond.wait_for(lambda: self._opened is not None, self.TIMEOUT + 2.0)
            opened = self._opened
        if not opened:
            self._running = False  # a late open is released by the grab thread itself
            if opened is False:  # the thread is releasing the capture: let it finish first, or
                self._thread.join(timeout=2.0)  # a process that exits now aborts inside OpenCV
            raise SourceError(
                self._failed
                if opened is False and self._failed
                else f"cannot open {'network camera' if kind == 'url' else 'camera'} {self.shown!r}: it did not answer "
                f"within {self.TIMEOUT + 2:.0f} s"
            )

    def _open(self) -> cv2.VideoCapture:
        if isinstance(self.target, str) and "://" in self.target:
            ms = int(self.TIMEOUT * 1000)
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
            return cv2.VideoCapture(self.target, cv2.CAP_FFMPEG, params)
        return cv2.VideoCapture(self.target)

    def _grab(self) -> None:
        cap = None
        try:
            cap = self._open()
            with self._cond:
                self._opened = cap.isOpened()
                if not self._opened:
                    self._failed = (
                        f"cannot open network camera {self.shown!r}: it is down or unreachable, refused the "
                        "user name and password, or the stream path is wrong"
                        if self.kind == "url"
                        else f"cannot open camera {self.shown!r}: no such camera, or no permission "
                        "(is the user in the 'video' group?)"
                    )
                self._cond.notify_all()
            while self._running and self._opened:
                ok, frame = cap.read()
                with self._cond:
                    if not ok:
                        self._failed = f"{self.kind} source {self.shown!r} stopped giving frames"
                        return
                    self._frame, self._fresh = frame, True
                    self._cond.notify_all()
        except Exception as exc:  # an OpenCV error must reach read(), not end the thread unseen
            log.error("reading %s source %r failed: %s", self.kind, self.shown, redact(repr(exc)))
            with self._cond:
                self._failed = f"{self.kind} source {self.shown!r} failed: {redact(repr(exc))}"
                self._opened = bool(self._opened)
                self._cond.notify_all()
        finally:
            if cap is not None:
                cap.release()
            with self._cond:
                self._running = False
                if self._failed is None:
                    self._failed = f"{self.kind} source {self.shown!r} was closed"
                self._cond.notify_all()

    def read(self) -> np.ndarray:
        with self._cond:
            self._cond.wait_for(lambda: self._fresh or not self._running, self.STALL)
            if self._fresh and self._frame is not None:
                self._fresh = False
                return self._frame
            if self._failed:
                raise SourceError(self._failed)
            raise SourceError(f"{self.kind} source {self.shown!r} gave no frame for {self.STALL:.0f} s")

    def close(self) -> None:
        """Ask the grab thread to stop; it releases the capture once its read returns."""
        with self._cond:
            self._running = False
        self._thread.join(timeout=1.0)


class PiCameraSource:
    """The Raspberry Pi camera module through picamera2 (installed from apt on the Pi).

    picamera2 names formats by their little-endian word order, so per its manual "RGB888"
    arrays hold B, G, R bytes (OpenCV's order: no conversion), "XRGB8888" B, G, R, 255 and
    "XBGR8888" R, G, B, 255. The default is "RGB888" at the wanted size; width 0 keeps
    picamera2's default video size.

    With ``lores_width`` the camera is configured with a second, ``lores`` stream that wide
    (YUV420, the only lores format of the Pi 4 and earlier ISPs), and each ``read`` takes both
    pictures from the same request (``capture_request``, ``make_array``, ``release``): after
    it, ``lores`` holds the small picture of that very frame, as BGR, for the sub-image.
    """

    kind = "picamera"
    FORMATS = ("RGB888", "XRGB8888", "XBGR8888")

    def __init__(self, width: int, fps: float, pixel_format: str = "RGB888", lores_width: int = 0) -> None:
        if pixel_format not in self.FORMATS:
            raise SourceError(f"Pi camera format {pixel_format!r} is not one of {', '.join(self.FORMATS)}")
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise SourceError(
                "picamera2 is not installed: on Raspberry Pi OS run "
                "'sudo apt install python3-picamera2' and create the venv with "
                "--system-site-packages"
            ) from None
        self.format = pixel_format
        self.lores: np.ndarray | None = None
        main: dict[str, object] = {"format": pixel_format}
        if width:
            main["size"] = (width, (width * 3 // 4) & ~1)
        lores = None
        if lores_width and (not width or lores_width < width):
            lores = {"format": "YUV420", "size": (lores_width & ~1, (lores_width * 3 // 4) & ~1)}
        self._with_lores = lores is not None
        try:
            self.camera = Picamera2()
            config = self.camera.create_video_configuration(main=main, lores=lores, controls={"FrameRate": float(fps)})
            self.camera.configure(config)
            self.camera.start()
        except Exception as exc:  # picamera2 raises IndexError, RuntimeError... when no camera
            raise SourceError(f"cannot start the Pi camera: {exc!r}; is it connected and enabled?") from None

    def read(self) -> np.ndarray:
        try:
            if self._with_lores:
                request = self.camera.capture_request()
                try:
                    frame, small = request.make_array("main"), request.make_array("lores")
                finally:
                    request.release()
                self.lores = cv2.cvtColor(small, cv2.COLOR_YUV2BGR_I420)  # YUV420 is I420: Y, then U, then V planes
            else:
                frame = self.camera.capture_array("main")
        except Exception as exc:
            raise SourceError(f"Pi camera capture failed: {exc!r}") from None
        if frame.ndim == 3 and frame.shape[2] == 4:
            if self.format == "XBGR8888":  # R, G, B, 255
                return cv2.cvtColor(frame, cv2.COLOR_RGBA2BGR)
            return np.ascontiguousarray(frame[:, :, :3])  # B, G, R, 255
        return frame  # type: ignore[no-any-return]

    def close(self) -> None:
        try:
            self.camera.stop()
            self.camera.close()
        except Exception as exc:
            log.debug("closing the Pi camera: %r", exc)
