"""Per-camera state: the latest frame and the Condition its viewers wait on.

One writer per camera (its worker) publishes frames; any number of readers (HTTP streams)
wait for a sequence number newer than the last one they sent. ``Cameras`` is the registry,
with one hub-wide Condition that wakes the page streams, which watch several cameras.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from common.frames import Frame
from common.protocol import ProtocolError
from common.rate import RateMeter

ONLINE, OFFLINE, CAMERA_ERROR = "online", "offline", "camera-error"


class Camera:
    """One camera as the hub knows it. Counters have a single writer each (receiver or worker)."""

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._clock = clock
        self._cond = threading.Condition()
        self.frame: Frame | None = None
        self.received = 0  # frames received (receiver thread)
        self.dropped = 0  # frames replaced before the worker got to them (receiver thread)
        self.analyzed = 0  # frames run through the detector (worker thread)
        self.bad_frames = 0  # frames that did not decode (worker thread)
        self.restarts = 0  # times the worker recovered from an unexpected error
        self.last_seen = clock()
        self.last_seen_wall = time.time()
        self.camera_error: str | None = None
        self.info: dict[str, Any] = {}
        self.motion_since: float | None = None
        self.motion_seconds = 0.0
        self._rate = RateMeter(clock=clock)
        self.overlay_viewers = 0  # streams that want the overlay burned in (written by the web app)

    def heard(self, info: dict[str, Any], camera_error: str | None) -> None:
        """Record that the sender spoke (a frame or a camera-error heartbeat)."""
        self.last_seen = self._clock()
        self.last_seen_wall = time.time()
        self.camera_error = camera_error
        if info:
            self.info = info

    def publish(self, frame: Frame) -> None:
        """Make ``frame`` the latest and wake every viewer waiting for it."""
        now = self._clock()
        self._rate.tick(now)
        if frame.box is not None and self.motion_since is None:
            self.motion_since = now
        elif frame.box is None and self.motion_since is not None:
            self.motion_seconds += now - self.motion_since
            self.motion_since = None
        with self._cond:
            self.frame = frame
            self._cond.notify_all()

    def wait_newer(self, seq: int, timeout: float) -> Frame | None:
        """The latest frame if its sequence number is above ``seq``, waiting up to ``timeout``."""
        with self._cond:
            self._cond.wait_for(lambda: self.frame is not None and self.frame.seq > seq, timeout)
            frame = self.frame
        return frame if frame is not None and frame.seq > seq else None

    def wake(self) -> None:
        """Wake this camera's viewers so they can notice shutdown."""
        with self._cond:
            self._cond.notify_all()

    def status(self, offline_after: float) -> str:
        if self._clock() - self.last_seen > offline_after:
            return OFFLINE
        return CAMERA_ERROR if self.camera_error else ONLINE

    def fps(self) -> float:
        """Frames published per second over the last few seconds (0 when stalled)."""
        return self._rate.rate()

    def describe(self, offline_after: float) -> dict[str, Any]:
        """The camera as ``/api/cameras`` and the page show it."""
        frame = self.frame
        box = frame.box if frame is not None else None
        status = self.status(offline_after)
        motion_seconds = self.motion_seconds
        if self.motion_since is not None:
            motion_seconds += self._clock() - self.motion_since
        return {
            "name": self.name,
            "status": status,
            "online": status != OFFLINE,
            "camera_error": self.camera_error,
            "last_seen": round(self.last_seen_wall, 3),
            "fps": round(self.fps(), 2),
            "width": frame.width if frame else None,
            "height": frame.height if frame else None,
            "motion": box is not None and status == ONLINE,
            "box": list(box) if box else None,
            "seq": frame.seq if frame else 0,
            "frames": self.received,
            "analyzed": self.analyzed,
            "dropped": self.dropped,
            "bad_frames": self.bad_frames,
            "restarts": self.restarts,
            "motion_seconds": round(motion_seconds, 1),
            "sender": dict(self.info),
        }


class Cameras:
    """The registry of cameras, in creation order, capped at ``limit``."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._by_name: dict[str, Camera] = {}
        self._lock = threading.Lock()
        # Page streams watch many cameras at once: one counter and Condition for all of them.
        self.changed = threading.Condition()
        self.version = 0

    def get(self, name: str) -> Camera | None:
        return self._by_name.get(name)

    def get_or_add(self, name: str) -> tuple[Camera, bool]:
        """The camera called ``name``, created if new; raises ProtocolError past the limit."""
        camera = self._by_name.get(name)
        if camera is not None:
            return camera, False
        with self._lock:
            if name in self._by_name:
                return self._by_name[name], False
            if len(self._by_name) >= self.limit:
                raise ProtocolError(
                    "too-many-cameras",
                    f"the hub already tracks {self.limit} cameras (max_cameras); raise it or stop unused senders",
                )
            camera = Camera(name, self._clock)
            self._by_name = {**self._by_name, name: camera}  # readers iterate without the lock
        self.bump()
        return camera, True

    def all(self) -> list[Camera]:
        """Every camera, sorted by name (the order the page shows)."""
        return sorted(self._by_name.values(), key=lambda c: c.name)

    def bump(self) -> None:
        """Tell page streams something changed (a new frame or a new camera)."""
        with self.changed:
            self.version += 1
            self.changed.notify_all()

    def wait_change(self, version: int, timeout: float) -> int:
        """Wait until the version moves past ``version`` (or timeout); return the current one."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != version, timeout)
            return self.version

    def wake_all(self) -> None:
        for camera in self._by_name.values():
            camera.wake()
        self.bump()
