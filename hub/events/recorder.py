"""The recorder: the ``record`` thread that hands every camera's frames to its Session.

Workers hand each published frame over in O(1) through a bounded queue (full: the frame is
dropped and counted, the camera never waits; an event that loses frames counts them as
``gaps``). Per camera a Session (``session.py``) keeps the pre-roll ring, the event and the
clip being written. What may take long (snapshots, retention, deletes, telling listeners)
is the maintenance worker's (``maintenance.py``). A disk that fails stays in here: the
event is closed as cut, the error counted and shown, recording retried while the camera is
still in motion.

At start the start-up check (``recovery.py``) runs first; if the disk or the index cannot
be written, recording is off (``unavailable`` says why; live view goes on) and the check is
tried again every ``RECHECK_EVERY`` seconds. On stop the queue is drained before the open
events are closed, so a restart loses no tail.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.throttle import Throttle
from hub.events.index import DONE, EventIndex
from hub.events.maintenance import Maintenance
from hub.events.recovery import reconcile
from hub.events.retention import Retention
from hub.events.session import Counters, Kept, RecordSettings, Session, Sighting
from hub.frames import Frame
from hub.timeline.segments import Segments
from hub.timeline.timelapse import Timelapse, repair_segments

__all__ = ["Kept", "RecordSettings", "Recorder", "Sighting"]

log = logging.getLogger(__name__)
_throttle = Throttle(10.0)
BATCH_WAIT = 0.005  # seconds the record thread, caught up, lets frames gather before it looks again


class Recorder:
    """Owns the per-camera sessions and the record thread; the index is shared with maintenance."""

    FORGET_AFTER = 60.0  # seconds of silence after which a camera's pre-roll ring is dropped
    RECHECK_EVERY = 10.0  # seconds between start-up checks while the disk or index refuses

    def __init__(
        self,
        data_dir: Path,
        index: EventIndex,
        settings: RecordSettings,
        retention: Retention,
        records: Callable[[str], bool] = lambda camera: True,
        notify: Callable[[str, bool, str | None], None] = lambda camera, recording, error: None,
        on_event: Callable[[str, int, str], None] = lambda kind, event, camera: None,
        clock: Callable[[], float] = time.monotonic,
        timelapse_fps: Callable[[str], float] = lambda camera: 0.0,
    ) -> None:
        self.data_dir = data_dir
        self.index = index
        self.settings = settings
        self.retention = retention
        self.records = records
        self.notify = notify  # (camera, recording, error): shown on the page and in the API
        self.clock = clock
        self.maintenance = Maintenance(data_dir, index, retention, on_event)
        self.sessions: dict[str, Session] = {}
        self.queue: queue.Queue[Kept | Sighting] = queue.Queue(settings.queue_frames)
        self.dropped = 0  # frames the full queue refused (worker threads add: a lock guards it)
        self._dropped_lock = threading.Lock()
        self.counters = Counters()
        self.unavailable: str | None = None  # why nothing records at all (the start-up check failed)
        self.finished = threading.Event()  # set by finish(): drain, close, return
        self._checked_at = -1e18
        self._last_tick = -1e18
        self.timelapse_fps = timelapse_fps  # per camera; 0: no time-lapse
        self.segments = Segments(index)
        self.timelapses: dict[str, Timelapse] = {}  # the record thread's, one per camera

    # --- any thread --------------------------------------------------------------------
    def offer(self, frame: Frame) -> None:
        """Hand a published frame over; never blocks (a full queue drops it, counted)."""
        try:
            self.queue.put_nowait(Kept.of(frame))
        except queue.Full:
            with self._dropped_lock:
                self.dropped += 1

    def saw_objects(self, camera: str, objects: list[dict[str, Any]], frame: Frame) -> None:
        """The object detector's news for a camera (O(1), from a detect thread): they join its
        open event on the record thread. A full queue drops them, counted; the next come soon."""
        try:
            self.queue.put_nowait(Sighting(camera, tuple(objects), Kept.of(frame)))
        except queue.Full:
            with self._dropped_lock:
                self.dropped += 1

    def failing(self) -> dict[str, str]:
        failing = {name: s.failing for name, s in list(self.sessions.items()) if s.failing}
        for name, lapse in list(self.timelapses.items()):
            if lapse.failing and name not in failing:
                failing[name] = lapse.failing
        return failing

    def finish(self) -> None:
        """Stop: the record thread records what is queued, closes every event, and returns."""
        self.finished.set()

    @property
    def events_opened(self) -> int:
        return self.counters.events_opened

    @property
    def bytes_written(self) -> int:
        return self.counters.bytes_written

    @property
    def errors(self) -> dict[str, int]:
        return dict(self.counters.errors)

    # --- start-up --------------------------------------------------------------------------
    def check(self) -> bool:
        """Run the start-up check; on a disk or index error recording stays off, said why."""
        self._checked_at = self.clock()
        try:
            reconcile(self.data_dir, self.index, self.retention)
            repair_segments(self.data_dir, self.segments)
        except (OSError, sqlite3.Error) as exc:
            self.counters.count_error(exc)
            reason = f"the start-up check of recordings failed: {exc}; recording is off until it passes"
            if self.unavailable is None:
                log.error("%s (retried every %.0f s; live view goes on). Free space in %s", reason,
                          self.RECHECK_EVERY, self.data_dir)  # fmt: skip
            self.unavailable = reason
            return False
        if self.unavailable is not None:
            log.info("the start-up check of recordings passed: recording is on")
        self.unavailable = None
        return True

    # --- the record thread -------------------------------------------------------------
    def run(self) -> None:
        while not self.finished.is_set():
            try:
                frame: Kept | Sighting | None = self.queue.get(timeout=0.2)
            except queue.Empty:
                frame = None
            self._step(frame)
            if frame is not None and self.queue.empty():
                # Caught up: let frames gather for a moment rather than waking for each one
                # (16 cameras: a wake-up per frame cost more than writing it). A frame waits
                # at most this long before its write; a kill in that time costs at most the
                # one frame a camera sends in it (up to 200 fps).
                time.sleep(BATCH_WAIT)
        self._drain()

    def _drain(self) -> None:
        """Record what the queue still holds, then close every event as done."""
        while True:
            try:
                frame = self.queue.get_nowait()
            except queue.Empty:
                break
            self._step(frame, tick=False)
        for lapse in self.timelapses.values():
            lapse.close(DONE)
        for session in list(self.sessions.values()):
            try:
                session.close(DONE)
            except Exception:
                log.exception("could not close camera %r's event cleanly; the next start repairs it", session.camera)

    def _step(self, frame: Kept | Sighting | None, tick: bool = True) -> None:
        try:
            if isinstance(frame, Sighting):
                session = self.sessions.get(frame.camera)
                if session is not None:
                    session.saw(frame)
            elif frame is not None:
                self._record(frame)
            now = self.clock()
            if tick and now - self._last_tick >= 0.5:  # not per frame: it visits every camera
                self._last_tick = now
                self._tick(now)
        except Exception as exc:  # the index's disk, or a bug: never the live view's problem
            if _throttle.ready(f"record-crash:{type(exc).__name__}") is not None:
                log.exception("recording failed; live view and motion go on")
            if frame is not None and frame.camera in self.sessions:
                self.sessions[frame.camera].disk_error(exc)

    def _record(self, given: Frame | Kept) -> None:
        frame = Kept.of(given) if isinstance(given, Frame) else given
        session = self.sessions.get(frame.camera)
        if session is None:
            session = self.sessions[frame.camera] = Session(
                frame.camera, self.settings, self.data_dir, self.index, self.maintenance, self.retention.shortfall,
                self.notify, self.counters,
            )  # fmt: skip
        allowed = self.unavailable is None and self.records(frame.camera)
        session.record(frame, allowed)
        lapse = self.timelapses.get(frame.camera)
        if lapse is None:
            fps = self.timelapse_fps
            name = frame.camera

            def told(failing: str | None) -> None:  # the page and the API show why (events' reasons first)
                self.notify(name, session.event is not None, session.failing or failing)

            lapse = self.timelapses[name] = Timelapse(
                name, self.data_dir, self.segments, lambda: fps(name), self.settings.sync_every,
                self.counters, self.retention.shortfall, told,
            )  # fmt: skip
        if allowed:
            lapse.record(frame, in_event=session.event is not None)
        else:
            lapse.close(DONE)

    def _tick(self, now: float) -> None:
        """Close events of cameras that went silent, sync clips being written, save what a
        full disk refused once it has room, rerun a failed start-up check."""
        unsaved = self.counters.unsaved
        while unsaved:
            try:
                unsaved[0]()
            except Exception:
                break
            unsaved.pop(0)
        if self.unavailable is not None and now - self._checked_at >= self.RECHECK_EVERY:
            self.check()
        for name, session in list(self.sessions.items()):
            silent = session.silent_for(now)
            lapse = self.timelapses.get(name)
            if lapse is not None:
                if silent > self.settings.post_roll + 1.0:
                    lapse.close(DONE)  # a camera gone silent: its time-lapse has a gap, not a stale segment
                else:
                    lapse.checkpoint(now)
            if session.event is not None and silent > self.settings.post_roll + 1.0:
                session.close(DONE)
            elif session.event is None and silent > self.FORGET_AFTER:
                self.timelapses.pop(name, None)
                del self.sessions[name]  # its pre-roll is stale: a camera gone (or a junk name) holds nothing
            else:
                session.checkpoint(now)
