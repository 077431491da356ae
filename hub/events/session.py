"""One camera's recording: its pre-roll ring, its event tracker, the clip being written.

Runs on the record thread only. Every duration (pre-roll, post-roll, silence, the clip's
packet times) is measured on the monotonic clock that travels with each frame; wall time
only labels the event: its start is the wall time of its first frame, and every later label
is that plus the monotonic time elapsed, so an NTP step mid-event neither ends it early,
nor keeps it open, nor squeezes its clip.

A session that wants to record but cannot (a full disk, a failed write) asks again every
``RETRY_EVERY`` seconds while the camera is still in motion, so recording resumes within
seconds of room returning, not after the scene has been quiet for the post-roll.
"""

from __future__ import annotations

import collections
import dataclasses
import errno
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from common.throttle import Throttle
from hub.events.clips import ClipWriter
from hub.events.index import CUT, DONE, EventIndex
from hub.events.kept import Kept, Sighting
from hub.events.tracker import EventTracker, Step

log = logging.getLogger(__name__)
_throttle = Throttle(10.0)


@dataclasses.dataclass(frozen=True)
class RecordSettings:
    pre_roll: float = 5.0
    post_roll: float = 5.0
    max_event: float = 300.0
    pre_roll_bytes: int = 16_000_000  # per camera, whatever the frame size
    queue_frames: int = 256
    sync_every: float = 2.0  # seconds between syncs of the clip being written (a power cut's cost)


class Counters:
    """The recorder's counters, written by the record thread only (read by /healthz, /metrics)."""

    def __init__(self) -> None:
        self.errors: collections.Counter[str] = collections.Counter()  # recording errors by kind
        self.events_opened = 0
        self.bytes_written = 0
        self.gap_frames = 0
        self.timelapse_frames = 0  # frames written to time-lapse segments, and their JPEG bytes
        self.timelapse_bytes = 0
        self.unsaved: list[Callable[[], None]] = []  # index updates a full disk refused, oldest first

    def count_error(self, exc: Exception) -> str:
        code = getattr(exc, "errno", None)
        kind = errno.errorcode.get(code, "other") if isinstance(code, int) else type(exc).__name__
        self.errors[kind] += 1
        return kind


class Hands(Protocol):
    """What a session hands to the maintenance worker (and from there to listeners)."""

    def snapshot(self, event: int, best: Kept, area: int, then: str | None) -> bool: ...
    def tell(self, kind: str, event: int, camera: str) -> bool: ...
    def make_room(self) -> None: ...


class Session:
    """One camera's recording state and the steps of the record thread for it."""

    RETRY_EVERY = 2.0  # seconds between tries to record while a camera in motion is not recording
    UPDATE_EVERY = 2.0  # seconds between "update"s of an event whose largest motion grew

    def __init__(
        self,
        camera: str,
        settings: RecordSettings,
        data_dir: Path,
        index: EventIndex,
        hands: Hands,
        room: Callable[[], str | None],
        notify: Callable[[str, bool, str | None], None],
        counters: Counters,
    ) -> None:
        self.camera = camera
        self.settings = settings
        self.data_dir = data_dir
        self.index = index
        self.hands = hands
        self.room = room  # None when a clip may open, else why not (Retention.shortfall)
        self.notify = notify
        self.counters = counters
        self.tracker = EventTracker(settings.post_roll, settings.max_event)
        self.ring: collections.deque[Kept] = collections.deque()
        self.ring_bytes = 0
        self.event: int | None = None
        self.clip: int | None = None
        self.clip_start = 0.0
        self.clips = 0
        self.writer: ClipWriter | None = None
        self.label0 = (0.0, 0.0)  # (wall, mono) of the event's first frame: labels = wall + elapsed
        self.best_area = -1
        self.best: Kept | None = None
        self.snapshot_sent: Kept | None = None
        self.told_at = 0.0  # mono time listeners last heard of this event
        self.failing: str | None = None
        self.tried_at = -1e18  # mono time of the last try to open an event
        self.synced_at = 0.0
        self.last_seq = 0
        self.gaps = 0  # frames lost since the last checkpoint of the open event
        self.fps = 15.0  # measured frame rate, declared by the clips
        self.objects: dict[int, dict[str, Any]] = {}  # the open event's objects, by tracker id
        self.top_score = 0.0  # the best score of the event's objects: its snapshot shows that sighting
        self.objects_saved_at = -1e18  # mono time the event's objects were last written to the index
        self.objects_dirty = False

    # --- each frame ------------------------------------------------------------------------
    def record(self, frame: Kept, allowed: bool) -> None:
        self._measure(frame)
        self._remember(frame)
        step = self.tracker.update(frame.mono, frame.motion)
        if step is Step.CLOSE:
            self.close(DONE)
        elif step is Step.OPEN or (self.tracker.open and self.event is None):
            if allowed and frame.mono - self.tried_at >= (0.0 if step is Step.OPEN else self.RETRY_EVERY):
                self._open(frame)
            return
        elif step is Step.SPLIT and self.event is not None:
            self._split(frame)
            return
        if self.writer is not None:
            self._write(frame)
        if self.event is not None:
            self._note_peak(frame)
            if self.best is not self.snapshot_sent and frame.mono - self.told_at >= self.UPDATE_EVERY:
                self._snapshot("update", frame.mono)

    def _measure(self, frame: Kept) -> None:
        if self.event is not None and self.last_seq and frame.seq > self.last_seq + 1:
            self.gaps += frame.seq - self.last_seq - 1  # the recorder's queue dropped these
            self.counters.gap_frames += frame.seq - self.last_seq - 1
        self.last_seq = frame.seq
        if self.ring:
            step = frame.mono - self.ring[-1].mono
            if 0 < step < 5:
                self.fps = 0.9 * self.fps + 0.1 / step

    def _remember(self, frame: Kept) -> None:
        ring = self.ring
        ring.append(frame)
        self.ring_bytes += len(frame.jpeg)
        while ring and (
            frame.mono - ring[0].mono > self.settings.pre_roll or self.ring_bytes > self.settings.pre_roll_bytes
        ):
            self.ring_bytes -= len(ring.popleft().jpeg)

    def label(self, mono: float) -> float:
        """The wall-clock label of a moment of the open event."""
        wall, mono0 = self.label0
        return wall + (mono - mono0)

    # --- opening, writing, closing ---------------------------------------------------------
    def _open(self, frame: Kept) -> None:
        self.tried_at = frame.mono
        why = self.room()
        if why is not None:
            self.hands.make_room()
            self._fail(why, "disk-full")
            return
        first = self.ring[0]
        self.label0 = (first.time, first.mono)
        self.event = self.index.open_event(self.camera, first.time)
        self.clips, self.best_area, self.best, self.snapshot_sent, self.gaps = 0, -1, None, None, 0
        self.objects, self.top_score, self.objects_dirty = {}, 0.0, False
        self.counters.events_opened += 1
        for earlier in list(self.ring):
            if self.event is None:
                return
            if self.writer is None and not self._new_clip(earlier):
                return
            self._write(earlier)
        if self.event is None:
            return
        self.failing = None
        self.notify(self.camera, True, None)
        self._note_peak(frame)
        self._snapshot("new", frame.mono)

    def _new_clip(self, first: Kept) -> bool:
        assert self.event is not None
        self.clips += 1
        start = self.label(first.mono)
        day = time.strftime("%Y-%m-%d", time.localtime(start))
        relative = f"clips/{day}/{self.event}-{self.clips}.mkv"  # never a camera name in a path
        self.clip, self.clip_start = self.index.add_clip(self.event, relative, start), start
        try:
            self.writer = ClipWriter(self.data_dir / relative, start, first.mono, first.width, first.height, self.fps)
        except Exception as exc:
            self.writer = None
            self.disk_error(exc)
            return False
        self.synced_at = first.mono
        return True

    def _write(self, frame: Kept) -> None:
        assert self.writer is not None
        try:
            self.writer.write(frame.jpeg, frame.mono)
            self.counters.bytes_written += len(frame.jpeg)
        except Exception as exc:
            self.disk_error(exc)

    def _split(self, frame: Kept) -> None:
        self._close_clip(DONE)
        if self._new_clip(frame):
            self._write(frame)
            self._note_peak(frame)

    def checkpoint(self, mono: float) -> None:
        """Every ``sync_every`` seconds: sync the clip being written and tell the index what
        of it is on the disk (the API shows its frames; a power cut costs only the rest)."""
        if self.writer is None or self.clip is None or mono - self.synced_at < self.settings.sync_every:
            return
        self.synced_at = mono
        try:
            size = self.writer.sync()
        except OSError as exc:
            self.disk_error(exc)
            return
        self.index.checkpoint_clip(self.clip, self.writer.end, self.writer.frames, size)
        self._save_gaps()

    def _save_gaps(self) -> None:
        if self.gaps and self.event is not None:
            self.index.add_gaps(self.event, self.gaps)
            self.gaps = 0

    def _close_clip(self, how: str) -> None:
        writer, clip = self.writer, self.clip
        self.writer = self.clip = None
        if writer is None or clip is None:
            return
        try:
            size = writer.close()
        except Exception as exc:
            writer.abandon()
            size = writer.final.stat().st_size if writer.final.exists() else 0
            how = CUT
            self.counters.count_error(exc)
        self.index.close_clip(clip, writer.end, writer.frames, size, how)

    def close(self, how: str) -> None:
        """End the open event (the scene went quiet, the camera went silent, the hub stops)."""
        event = self.event
        if event is None:
            self.tracker.close()
            return
        end = self.writer.end if self.writer is not None else self.label(self.ring[-1].mono) if self.ring else None
        self._close_clip(how)
        self._save_gaps()
        self._save_objects(0.0)
        self._snapshot(None, 0.0)
        self.event = None
        self.tracker.close()
        self.index.update_event(event, end=end, state=how)
        self.notify(self.camera, False, self.failing)
        self.hands.tell("end", event, self.camera)

    def silent_for(self, mono: float) -> float:
        return mono - self.ring[-1].mono if self.ring else 0.0

    # --- objects ----------------------------------------------------------------------------
    def saw(self, sighting: Sighting) -> None:
        """Objects that count were seen: they join the open event (its labels, alert and
        snapshot). A new label is saved and told at once; the rest every UPDATE_EVERY."""
        if self.event is None:
            return  # nothing records now (or the detector was late for an event that ended)
        labels = {o["label"] for o in self.objects.values()}
        for seen in sighting.objects:
            known = self.objects.get(seen["id"])
            first = known["first"] if known else seen["first"]
            score = max(seen["score"], known["score"]) if known else seen["score"]
            self.objects[seen["id"]] = {**seen, "first": first, "score": score}
            if seen["score"] > self.top_score:
                self.top_score, self.best = seen["score"], sighting.frame
        self.objects_dirty = True
        mono = sighting.frame.mono
        if {o["label"] for o in self.objects.values()} != labels:
            self._save_objects(mono)
            self._snapshot("update", mono)
        elif mono - self.objects_saved_at >= self.UPDATE_EVERY:
            self._save_objects(mono)

    def _save_objects(self, mono: float) -> None:
        if self.event is None or not self.objects_dirty:
            return
        objects = sorted(self.objects.values(), key=lambda o: (-o["score"], o["id"]))
        labels = list(dict.fromkeys(o["label"] for o in objects))  # the best-seen label first
        self.index.update_event(self.event, labels=labels, alert=1, objects=objects)
        self.objects_dirty, self.objects_saved_at = False, mono

    # --- snapshots and listeners -----------------------------------------------------------
    def _note_peak(self, frame: Kept) -> None:
        if frame.box is None or self.top_score > 0:  # an object's best sighting beats the largest motion
            return
        x1, y1, x2, y2 = frame.box
        area = (x2 - x1) * (y2 - y1)
        if area > self.best_area:
            self.best_area, self.best = area, frame

    def _snapshot(self, then: str | None, mono: float) -> None:
        """Hand the best frame so far to the maintenance worker, which writes it and then
        tells listeners ``then`` ("new", "update"), so their message and the API agree."""
        if self.event is None:
            return
        best = self.best or (self.ring[-1] if self.ring else None)
        if best is not None and best is not self.snapshot_sent:
            if self.hands.snapshot(self.event, best, max(self.best_area, 0), then):
                self.snapshot_sent = best
        elif then is not None:
            self.hands.tell(then, self.event, self.camera)
        if then is not None:
            self.told_at = mono

    # --- failures ---------------------------------------------------------------------------
    def disk_error(self, exc: Exception) -> None:
        """A clip or the index could not be written: stop this event (cut), keep what reached
        the disk, and say why. State is cleared first, whatever fails next; index updates
        that fail are handed back to be retried once there is room."""
        kind = self.counters.count_error(exc)
        writer, clip, event, clip_start = self.writer, self.clip, self.event, self.clip_start
        self.writer = self.clip = self.event = None
        self._fail(f"cannot write clips: {exc}", kind)
        if writer is not None:
            writer.abandon()

        def save() -> None:
            if clip is not None:
                if writer is not None:
                    size = writer.final.stat().st_size if writer.final.exists() else 0
                    self.index.close_clip(clip, writer.end, writer.frames, size, CUT)
                else:  # the clip's file never opened: no zombie row left "recording"
                    self.index.close_clip(clip, clip_start, 0, 0, CUT)
            if event is not None:
                self.index.update_event(event, end=writer.end if writer else self.label0[0], state=CUT)

        try:
            save()
        except Exception as second:  # the index's disk is full too: retried until it has room
            self.counters.count_error(second)
            self.counters.unsaved.append(save)
        if event is not None:
            self.hands.tell("end", event, self.camera)  # cut: it ends here, whatever reached the disk

    def _fail(self, reason: str, kind: str) -> None:
        self.failing = reason
        if self.ring:  # the next try comes RETRY_EVERY from now, not at once
            self.tried_at = max(self.tried_at, self.ring[-1].mono)
        self.notify(self.camera, False, reason)
        held = _throttle.ready(f"record:{self.camera}:{kind}")
        if held is not None:
            log.error("camera %r: not recording: %s (%d more not logged); live view goes on", self.camera, reason, held)
