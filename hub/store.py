"""Per-camera state: the latest frame and the Condition its viewers wait on.

One writer per camera (its worker) publishes frames; any number of readers (HTTP streams)
wait for a sequence number newer than the last one they sent. ``Cameras`` is the registry:
it binds each name to one sender, forgets cameras that have been gone for long, and wakes
each page stream only for the cameras that stream watches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from common.protocol import ProtocolError
from common.rate import RateMeter
from hub.frames import Frame

log = logging.getLogger(__name__)
ONLINE, OFFLINE, CAMERA_ERROR, VIEW_BLOCKED = "online", "offline", "camera-error", "view-blocked"
SUB_FRESH = 1.0  # seconds a sub-image stands for the frames after it, in small views


class Waker:
    """A page stream's doorbell: rung by any camera it watches, answered by one waiter."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)
        self._cond = threading.Condition()
        self._rung = False

    def ring(self) -> None:
        with self._cond:
            self._rung = True
            self._cond.notify()

    def wait(self, timeout: float) -> bool:
        """True if rung since the last wait (then cleared), False after ``timeout``."""
        with self._cond:
            self._cond.wait_for(lambda: self._rung, timeout)
            rung, self._rung = self._rung, False
            return rung


class Camera:
    """One camera as the hub knows it. Counters have a single writer each (receiver or worker)."""

    def __init__(
        self,
        name: str,
        offline_after: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.offline_after = offline_after
        self._clock = clock
        self._cond = threading.Condition()
        self.watchers: frozenset[Waker] = frozenset()  # page streams watching; set by the registry
        self.frame: Frame | None = None
        # Each counter has one writer at a time, named here; readers (the page, /metrics) only read.
        self.received = 0  # frames received (the receive thread alone)
        self.dropped = 0  # frames replaced before the worker got to them (under the pool's lock)
        self.analyzed = 0  # frames run through the detector (the one analysis thread holding this camera)
        self.bad_frames = 0  # frames that did not decode (the same)
        self.restarts = 0  # times the worker recovered from an unexpected error (the pool thread that caught it)
        self.model_resets = 0  # times a lasting change of frame size rebuilt the motion model (analysis thread)
        self.recording = False  # an event's clip is being written (set by the recorder)
        self.recording_error: str | None = None  # why recording fails, while it does
        self.last_seen = clock()
        self.last_seen_wall = time.time()
        self.camera_error: str | None = None
        self.info: dict[str, Any] = {}
        self.sender_id: str | None = None  # the camnet sender this name is bound to
        self.conflicts = 0  # messages refused because another sender holds the name
        self._conflict_at = -1e18
        self.motion_seconds = 0.0  # closed motion time; see motion_total()
        self._last_frame = self.last_seen
        self._rate = RateMeter(clock=clock)
        self.overlay_viewers = 0  # streams that want the overlay burned in (web threads, under the Streams lock)
        self.objects: tuple[dict[str, Any], ...] = ()  # objects in view now (a detect thread replaces it whole)
        self.analyzed_sub = 0  # frames analysed from the sender's sub-image (the analysis thread)
        self.main_decodes = 0  # main JPEGs decoded for analysis (the analysis thread)
        self.sub_viewers = 0  # streams that want the sub-image (web threads, under the Streams lock)
        self.sub_frame: Frame | None = None  # the newest frame with a sub-image (the analysis thread)

    def claim(self, sender_id: str | None) -> None:
        """Bind the name to the sender ``sender_id``, or raise ProtocolError("name-conflict")
        while another live sender holds it. Stock imagezmq senders carry no id: never refused."""
        if sender_id is None or sender_id == self.sender_id:
            return
        now = self._clock()
        if self.sender_id is not None and now - self.last_seen <= self.offline_after:
            self.conflicts += 1
            self._conflict_at = now
            raise ProtocolError(
                "name-conflict",
                f"camera name {self.name!r} is in use by another sender; give this camera its own name "
                "with --name (or name = ... in its config)",
            )
        if self.sender_id is not None:
            log.info("camera %r is now sent by another sender (the previous one went silent)", self.name)
        self.sender_id = sender_id

    def name_conflict(self) -> bool:
        """True while a second sender has recently tried to use this camera's name."""
        return self._clock() - self._conflict_at <= max(10.0, 2 * self.offline_after)

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
        self.motion_seconds = self.motion_total(now)
        self._last_frame = now
        before = self.frame
        if before is not None and before.blocked != frame.blocked:
            if frame.blocked:
                log.warning("camera %r: view blocked (the lens is covered or the view is too dark)", self.name)
            else:
                log.info("camera %r: view clear again", self.name)
        with self._cond:
            self.frame = frame
            if frame.sub is not None:
                self.sub_frame = frame
            self._cond.notify_all()
        for waker in self.watchers:
            waker.ring()

    def small_frame(self) -> Frame | None:
        """What a small view shows: the newest frame with a sub-image while such frames keep
        coming (a stock sender's, made by the hub at --grid-fps, are a few frames apart), else
        the newest frame."""
        frame, small = self.frame, self.sub_frame
        if frame is None or frame.sub is not None or small is None or frame.mono - small.mono > SUB_FRESH:
            return frame
        return small

    def motion_total(self, now: float | None = None) -> float:
        """Seconds with motion in view. A frame with motion counts until the next frame, and
        for at most ``offline_after``: a camera that goes silent in motion stops counting."""
        now = self._clock() if now is None else now
        frame = self.frame
        if frame is None or not frame.motion:
            return self.motion_seconds
        return self.motion_seconds + min(now - self._last_frame, self.offline_after)

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

    def silent_for(self) -> float:
        return self._clock() - self.last_seen

    def status(self) -> str:
        if self.silent_for() > self.offline_after:
            return OFFLINE
        if self.camera_error:
            return CAMERA_ERROR
        frame = self.frame
        return VIEW_BLOCKED if frame is not None and frame.blocked else ONLINE

    def fps(self) -> float:
        """Frames published per second over the last few seconds (0 when stalled)."""
        return self._rate.rate()

    def describe(self) -> dict[str, Any]:
        """The camera as ``/api/cameras`` and the page show it."""
        frame = self.frame
        box = frame.box if frame is not None else None
        status = self.status()
        return {
            "name": self.name,
            "status": status,
            "online": status != OFFLINE,
            "camera_error": self.camera_error,
            "name_conflict": self.name_conflict(),
            "last_seen": round(self.last_seen_wall, 3),
            "fps": round(self.fps(), 2),
            "width": frame.width if frame else None,
            "height": frame.height if frame else None,
            "motion": frame is not None and frame.motion and status == ONLINE,
            "box": list(box) if box else None,
            "objects": list(self.objects) if status != OFFLINE else [],
            "seq": frame.seq if frame else 0,
            "frames": self.received,
            "analyzed": self.analyzed,
            "analyzed_sub": self.analyzed_sub,
            "main_decodes": self.main_decodes,
            "dropped": self.dropped,
            "bad_frames": self.bad_frames,
            "restarts": self.restarts,
            "model_resets": self.model_resets,
            "conflicts": self.conflicts,
            "motion_seconds": round(self.motion_total(), 1),
            "recording": self.recording and status != OFFLINE,
            "recording_error": self.recording_error,
            "sender": dict(self.info),
        }


class Cameras:
    """The registry of cameras, capped at ``limit``; forgets cameras offline for ``forget_after``."""

    def __init__(
        self,
        limit: int,
        offline_after: float = 5.0,
        forget_after: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.offline_after = offline_after
        self.forget_after = forget_after
        self._clock = clock
        self._by_name: dict[str, Camera] = {}  # replaced, never mutated: readers need no lock
        self._lock = threading.Lock()
        # Page streams by camera name, whether the camera exists yet or not; only non-empty
        # entries are kept, replaced rather than changed so that publish() reads without a lock.
        self._watchers: dict[str, frozenset[Waker]] = {}
        self._wakers: set[Waker] = set()
        self.forgotten = 0
        self._told: dict[str, str] = {}  # status last logged per camera (sweep thread only)

    def get(self, name: str) -> Camera | None:
        return self._by_name.get(name)

    def get_or_add(self, name: str) -> tuple[Camera, bool]:
        """The camera called ``name``, created if new. At the limit the camera offline the
        longest makes room; raises ProtocolError when every camera is live."""
        camera = self._by_name.get(name)
        if camera is not None:
            return camera, False
        with self._lock:
            if name in self._by_name:
                return self._by_name[name], False
            by_name = dict(self._by_name)
            if len(by_name) >= self.limit:
                gone = max(by_name.values(), key=Camera.silent_for)
                if gone.status() != OFFLINE:
                    raise ProtocolError(
                        "too-many-cameras",
                        f"the hub already has {self.limit} live cameras (max_cameras); raise it or stop unused senders",
                    )
                del by_name[gone.name]
                self.forgotten += 1
                log.info("forgot camera %r (offline %.0f s) to make room for %r", gone.name, gone.silent_for(), name)
            camera = Camera(name, self.offline_after, self._clock)
            camera.watchers = self._watchers.get(name, frozenset())
            self._by_name = {**by_name, name: camera}
        return camera, True

    def forget(self, name: str) -> bool:
        """Drop a camera (its tile and counters); it comes back if its sender sends again."""
        with self._lock:
            if name not in self._by_name:
                return False
            self._by_name = {n: c for n, c in self._by_name.items() if n != name}
            self.forgotten += 1
        return True

    def sweep(self) -> list[str]:
        """Say which cameras went offline, came back or failed; forget cameras offline for
        longer than ``forget_after``; returns their names. Runs on one thread (``sweep``)."""
        self._tell_changes()
        if self.forget_after <= 0:
            return []
        old = [c.name for c in self._by_name.values() if c.silent_for() > self.forget_after]
        for name in old:
            if self.forget(name):
                log.info("forgot camera %r: offline for more than %.0f s (forget_after)", name, self.forget_after)
        return old

    def _tell_changes(self) -> None:
        """One log line per change of a camera's status (the sweep thread alone keeps ``_told``)."""
        now = {camera.name: camera for camera in self._by_name.values()}
        for name in [n for n in self._told if n not in now]:
            del self._told[name]
        for name, camera in now.items():
            status, before = camera.status(), self._told.get(name)
            if status == before or (before is None and status == ONLINE):
                self._told[name] = status
                continue
            self._told[name] = status
            if status == OFFLINE:
                log.warning("camera %r offline: no message for %.0f s", name, camera.silent_for())
            elif status == CAMERA_ERROR:
                log.warning("camera %r: its sender reports a camera error: %s", name, camera.camera_error)
            elif status == ONLINE and before in (OFFLINE, CAMERA_ERROR):
                log.info("camera %r back online", name)

    def all(self) -> list[Camera]:
        """Every camera, sorted by name (the order the page shows)."""
        return sorted(self._by_name.values(), key=lambda c: c.name)

    def watch(self, names: Iterable[str]) -> Waker:
        """A Waker rung whenever one of ``names`` publishes a frame (cameras to come included)."""
        waker = Waker(names)
        with self._lock:
            self._wakers.add(waker)
            for name in waker.names:
                self._set_watchers(name, self._watchers.get(name, frozenset()) | {waker})
        return waker

    def unwatch(self, waker: Waker) -> None:
        with self._lock:
            self._wakers.discard(waker)
            for name in waker.names:
                self._set_watchers(name, self._watchers.get(name, frozenset()) - {waker})

    def _set_watchers(self, name: str, watchers: frozenset[Waker]) -> None:
        if watchers:
            self._watchers[name] = watchers
        else:
            self._watchers.pop(name, None)
        camera = self._by_name.get(name)
        if camera is not None:
            camera.watchers = watchers

    def wake_all(self) -> None:
        for camera in self._by_name.values():
            camera.wake()
        for waker in tuple(self._wakers):
            waker.ring()
