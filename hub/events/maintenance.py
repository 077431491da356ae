"""The maintenance worker: everything of recording that may take long, off the record thread.

Snapshots (the sender's JPEG written durably, plus a decoded and re-encoded thumbnail),
retention (unlinking files, every minute and when the recorder finds no room), deletes
asked for over the web, and telling MQTT and webhooks of events, in the order they were
handed over (a "new" never overtakes its snapshot, an "end" never overtakes its "new").
Work arrives through one bounded queue; a full queue refuses new work (counted) instead of
making the record thread wait.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from common.durable import atomic_write
from common.throttle import Throttle
from hub.events.index import EventIndex
from hub.events.kept import Kept
from hub.events.retention import Retention

log = logging.getLogger(__name__)
_throttle = Throttle(30.0)


class Maintenance:
    """The ``maintain`` thread and its queue."""

    SWEEP_EVERY = 60.0
    QUEUE = 512

    def __init__(
        self,
        data_dir: Path,
        index: EventIndex,
        retention: Retention,
        on_event: Callable[[str, int, str], None] = lambda kind, event, camera: None,
    ) -> None:
        self.data_dir = data_dir
        self.index = index
        self.retention = retention
        self.on_event = on_event  # ("new" | "update" | "end", event id, camera): O(1), for MQTT and webhooks
        self.jobs: queue.Queue[Callable[[], None]] = queue.Queue(self.QUEUE)
        self.refused = 0  # jobs the full queue refused
        self.failures = 0
        self.finished = threading.Event()  # set by finish(): do what is queued, then return
        self._room_asked = threading.Event()
        self._last_sweep = -1e18

    # --- any thread ------------------------------------------------------------------------
    def _put(self, job: Callable[[], None]) -> bool:
        try:
            self.jobs.put_nowait(job)
            return True
        except queue.Full:
            self.refused += 1
            return False

    def snapshot(self, event: int, best: Kept, area: int, then: str | None) -> bool:
        """Write ``best`` as the event's snapshot (and a thumbnail), then tell ``then``."""
        return self._put(lambda: self._snapshot(event, best, area, then))

    def tell(self, kind: str, event: int, camera: str) -> bool:
        return self._put(lambda: self.on_event(kind, event, camera))

    def delete(self, event: int) -> bool:
        """Delete a finished event and its files; False when the queue is full (answer 503)."""
        return self._put(lambda: self.retention.delete(event, "deleted"))

    def make_room(self) -> None:
        """The recorder found no room for a clip: run retention's free-space pass soon."""
        self._room_asked.set()

    def finish(self) -> None:
        self.finished.set()

    # --- the maintain thread ---------------------------------------------------------------
    def run(self) -> None:
        while True:
            if self.finished.is_set() and self.jobs.empty():
                return
            try:
                job: Callable[[], None] | None = self.jobs.get(timeout=0.2)
            except queue.Empty:
                job = None
            if job is not None:
                self._guarded(job)
            now = time.monotonic()
            if self._room_asked.is_set() or now - self._last_sweep >= self.SWEEP_EVERY:
                self._room_asked.clear()
                self._last_sweep = now
                self._guarded(self.retention.sweep)

    def _guarded(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:  # a full or failing disk: recording's problem, never the hub's
            self.failures += 1
            if _throttle.ready("maintenance") is not None:
                log.exception("event maintenance failed (retention, a snapshot or a delete); it is retried")

    def _snapshot(self, event: int, best: Kept, area: int, then: str | None) -> None:
        snapshot, thumb = f"snapshots/{event}.jpg", f"snapshots/{event}-thumb.jpg"
        try:
            atomic_write(self.data_dir / snapshot, best.jpeg)
            small = cv2.imdecode(np.frombuffer(best.jpeg, np.uint8), cv2.IMREAD_REDUCED_COLOR_4)
            if small is not None:
                ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 70])
                if ok:
                    atomic_write(self.data_dir / thumb, buf.tobytes())
            self.index.update_event(event, snapshot=snapshot, thumb=thumb, box=best.box, area=area)
        finally:
            if then is not None:
                self.on_event(then, event, best.camera)
