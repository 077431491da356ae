"""The recorder: one thread that turns every camera's frames into events, clips and snapshots.

Workers hand each published frame over in O(1) through a bounded queue (full: the frame is
dropped and counted, the camera never waits). Per camera the recorder keeps a pre-roll ring
of the last ``pre_roll`` seconds of JPEG bytes; an event writes the ring, then every frame
until ``post_roll`` after the motion. This thread is also the index's only writer, and it
runs retention before opening a clip and every minute. A disk that fails stays in here: the
event is closed as cut, the error counted and shown, recording retried when space returns.
"""

from __future__ import annotations

import collections
import dataclasses
import errno
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from common.frames import Frame
from common.motion import Box
from common.throttle import Throttle
from hub.events.clips import ClipWriter
from hub.events.index import CUT, DONE, EventIndex
from hub.events.retention import Retention
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


@dataclasses.dataclass(frozen=True, slots=True)
class Kept:
    """What the recorder keeps of a frame: the sender's JPEG and when it came. Not the Frame
    itself: its MJPEG part and page record are two more copies of the JPEG, and a pre-roll
    ring of Frames held three times the bytes it counted."""

    camera: str
    time: float
    jpeg: bytes
    width: int
    height: int
    box: Box | None
    motion: bool

    @classmethod
    def of(cls, frame: Frame) -> Kept:
        return cls(frame.camera, frame.time, frame.jpeg, frame.width, frame.height, frame.box, frame.motion)


@dataclasses.dataclass
class _Camera:
    """What the recorder knows of one camera."""

    tracker: EventTracker
    ring: collections.deque[Kept] = dataclasses.field(default_factory=collections.deque)
    ring_bytes: int = 0
    event: int | None = None
    clip: int | None = None
    clips: int = 0
    writer: ClipWriter | None = None
    best_area: int = -1
    best: Kept | None = None
    snapshot_written: Kept | None = None
    failing: str | None = None
    failed_at: float = 0.0
    told_at: float = 0.0  # when listeners last heard of this event (an "update" at most every UPDATE_EVERY)


class Recorder:
    """Owns the index's writer, the clip files and the per-camera pre-roll rings."""

    RETRY_AFTER = 10.0  # seconds after a disk error before a new clip is tried
    SWEEP_EVERY = 60.0
    FORGET_AFTER = 60.0  # seconds of silence after which a camera's pre-roll ring is dropped
    UPDATE_EVERY = 2.0  # seconds between "update"s of an event whose largest motion grew

    def __init__(
        self,
        data_dir: Path,
        index: EventIndex,
        settings: RecordSettings,
        retention: Retention,
        stop: threading.Event,
        records: Callable[[str], bool] = lambda camera: True,
        notify: Callable[[str, bool, str | None], None] = lambda camera, recording, error: None,
        on_event: Callable[[str, int, str], None] = lambda kind, event, camera: None,
    ) -> None:
        self.data_dir = data_dir
        self.index = index
        self.settings = settings
        self.retention = retention
        self.stop = stop
        self.records = records
        self.notify = notify  # (camera, recording, error): shown on the page and in the API
        self.on_event = on_event  # ("new" | "update" | "end", event id, camera): O(1), for MQTT and webhooks
        self.cameras: dict[str, _Camera] = {}
        self.queue: queue.Queue[Kept] = queue.Queue(settings.queue_frames)
        self.commands: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()
        self.dropped = 0  # frames the full queue refused
        self.errors: collections.Counter[str] = collections.Counter()  # recording errors by kind
        self.events_opened = 0
        self.bytes_written = 0
        self._last_sweep = 0.0
        self._last_tick = 0.0
        self._unsaved: list[Callable[[], None]] = []  # index updates a full disk refused, oldest first

    # --- any thread --------------------------------------------------------------------
    def offer(self, frame: Frame) -> None:
        """Hand a published frame over; never blocks (a full queue drops it, counted)."""
        try:
            self.queue.put_nowait(Kept.of(frame))
        except queue.Full:
            self.dropped += 1

    def call(self, work: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run ``work`` on the recorder thread (the index's one writer) and return its result."""
        future: Future[Any] = Future()
        self.commands.put((work, future))
        return future.result(timeout)

    def failing(self) -> dict[str, str]:
        return {name: state.failing for name, state in list(self.cameras.items()) if state.failing}

    # --- the recorder thread -------------------------------------------------------------
    def run(self) -> None:
        self.retention.sweep()
        while not self.stop.is_set():
            self._serve_commands()
            try:
                frame = self.queue.get(timeout=0.2)
            except queue.Empty:
                frame = None
            try:
                if frame is not None:
                    self._record(frame)
                now = time.time()
                if now - self._last_tick >= 0.5:  # not per frame: it visits every camera
                    self._last_tick = now
                    self._tick(now)
            except Exception as exc:  # the index's disk, or a bug: never the live view's problem
                if _throttle.ready(f"record-crash:{type(exc).__name__}") is not None:
                    log.exception("recording failed; live view and motion go on")
                if frame is not None and frame.camera in self.cameras:
                    self._disk_error(frame.camera, self.cameras[frame.camera], exc)
        try:
            self._close_all()
        except Exception:
            log.exception("could not close the open events cleanly; the next start repairs them")

    def _serve_commands(self) -> None:
        while True:
            try:
                work, future = self.commands.get_nowait()
            except queue.Empty:
                return
            try:
                future.set_result(work())
            except Exception as exc:
                future.set_exception(exc)

    def _tick(self, now: float) -> None:
        """Close events of cameras that went silent; sweep retention every minute; save what a
        full disk refused, once it has room."""
        while self._unsaved:
            try:
                self._unsaved[0]()
            except Exception:
                break
            self._unsaved.pop(0)
        for name, state in list(self.cameras.items()):
            silent = now - state.ring[-1].time if state.ring else 0.0
            if state.event is not None and silent > self.settings.post_roll + 1.0:
                self._close_event(name, state, DONE)
            elif state.event is None and silent > self.FORGET_AFTER:
                del self.cameras[name]  # its pre-roll is stale: a camera gone (or a junk name) holds nothing
        if now - self._last_sweep >= self.SWEEP_EVERY:
            self._last_sweep = now
            self.retention.sweep()

    def _record(self, given: Frame | Kept) -> None:
        frame = Kept.of(given) if isinstance(given, Frame) else given
        state = self.cameras.get(frame.camera)
        if state is None:
            state = self.cameras[frame.camera] = _Camera(EventTracker(self.settings.post_roll, self.settings.max_event))
        self._remember(state, frame)
        step = state.tracker.update(frame.time, frame.motion)
        if step is Step.CLOSE:
            self._close_event(frame.camera, state, DONE)
        elif step is Step.OPEN:
            if self.records(frame.camera):
                self._open_event(frame.camera, state, frame)
            return
        elif step is Step.SPLIT and state.event is not None:
            self._split(frame.camera, state, frame)
            return
        if state.writer is not None:
            self._write(frame.camera, state, frame)
        if state.event is not None:
            self._note_peak(state, frame)
            if state.best is not state.snapshot_written and frame.time - state.told_at >= self.UPDATE_EVERY:
                self._write_snapshot(frame.camera, state)  # the new peak's box and snapshot, then tell
                self._tell("update", state, frame.camera, frame.time)

    def _remember(self, state: _Camera, frame: Kept) -> None:
        ring = state.ring
        ring.append(frame)
        state.ring_bytes += len(frame.jpeg)
        while ring and (
            frame.time - ring[0].time > self.settings.pre_roll or state.ring_bytes > self.settings.pre_roll_bytes
        ):
            state.ring_bytes -= len(ring.popleft().jpeg)

    def _open_event(self, camera: str, state: _Camera, frame: Kept) -> None:
        if state.failing and frame.time - state.failed_at < self.RETRY_AFTER:
            return
        if not self.retention.room_for_a_clip():
            self._fail(camera, state, "disk full: no room above the free-space reserve (--min-free)", "disk-full")
            return
        start = state.ring[0].time
        state.event = self.index.open_event(camera, start)
        state.clips, state.best_area, state.best, state.snapshot_written = 0, -1, None, None
        self.events_opened += 1
        for earlier in list(state.ring):
            if state.event is None:
                break
            if state.writer is None and not self._new_clip(camera, state, earlier):
                return
            self._write(camera, state, earlier)
        if state.event is not None:
            self._note_peak(state, frame)
            self._write_snapshot(camera, state)
            state.failing = None
            self.notify(camera, True, None)
            self._tell("new", state, camera, frame.time)

    def _new_clip(self, camera: str, state: _Camera, first: Kept) -> bool:
        assert state.event is not None
        state.clips += 1
        day = time.strftime("%Y-%m-%d", time.localtime(first.time))
        relative = f"clips/{day}/{state.event}-{state.clips}.mkv"  # never a camera name in a path
        state.clip = self.index.add_clip(state.event, relative, first.time)
        try:
            state.writer = ClipWriter(self.data_dir / relative, first.time, first.width, first.height)
        except Exception as exc:
            state.writer = None
            self._disk_error(camera, state, exc)
            return False
        return True

    def _write(self, camera: str, state: _Camera, frame: Kept) -> None:
        assert state.writer is not None
        try:
            state.writer.write(frame.jpeg, frame.time)
            self.bytes_written += len(frame.jpeg)
        except Exception as exc:
            self._disk_error(camera, state, exc)

    def _split(self, camera: str, state: _Camera, frame: Kept) -> None:
        self._close_clip(camera, state, DONE)
        if self._new_clip(camera, state, frame):
            self._write(camera, state, frame)
            self._note_peak(state, frame)

    def _close_clip(self, camera: str, state: _Camera, how: str) -> None:
        writer, clip = state.writer, state.clip
        state.writer = state.clip = None
        if writer is None or clip is None:
            return
        try:
            size = writer.close()
        except Exception as exc:
            writer.abandon()
            size = writer.final.stat().st_size if writer.final.exists() else 0
            how = CUT
            self._count_error(camera, exc)
        self.index.close_clip(clip, writer.end, writer.frames, size, how)

    def _close_event(self, camera: str, state: _Camera, how: str) -> None:
        event = state.event
        if event is None:
            return
        end = state.writer.end if state.writer is not None else (state.ring[-1].time if state.ring else None)
        self._close_clip(camera, state, how)
        self._write_snapshot(camera, state)
        state.event = None
        state.tracker.close()
        self.index.update_event(event, end=end, state=how)
        self.notify(camera, False, state.failing)
        self.on_event("end", event, camera)

    def _tell(self, kind: str, state: _Camera, camera: str, now: float) -> None:
        if state.event is not None:
            state.told_at = now
            self.on_event(kind, state.event, camera)

    def _note_peak(self, state: _Camera, frame: Kept) -> None:
        if frame.box is None:
            return
        x1, y1, x2, y2 = frame.box
        area = (x2 - x1) * (y2 - y1)
        if area > state.best_area:
            state.best_area, state.best = area, frame

    def _write_snapshot(self, camera: str, state: _Camera) -> None:
        """The sender's JPEG of the frame with the largest motion, unchanged, and a thumbnail."""
        best = state.best or (state.ring[-1] if state.ring else None)
        if state.event is None or best is None or best is state.snapshot_written:
            return
        snapshot, thumb = f"snapshots/{state.event}.jpg", f"snapshots/{state.event}-thumb.jpg"
        try:
            _atomic_write(self.data_dir / snapshot, best.jpeg)
            small = cv2.imdecode(np.frombuffer(best.jpeg, np.uint8), cv2.IMREAD_REDUCED_COLOR_4)
            if small is not None:
                ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 70])
                if ok:
                    _atomic_write(self.data_dir / thumb, buf.tobytes())
        except OSError as exc:
            self._count_error(camera, exc)
            return
        state.snapshot_written = best
        self.index.update_event(state.event, snapshot=snapshot, thumb=thumb, box=best.box, area=max(state.best_area, 0))

    def _disk_error(self, camera: str, state: _Camera, exc: Exception) -> None:
        """A clip or the index could not be written: stop this event (cut), keep what reached
        the disk, and say why. The camera's state is cleared first, whatever fails next."""
        kind = self._count_error(camera, exc)
        writer, clip, event = state.writer, state.clip, state.event
        state.writer = state.clip = state.event = None
        state.tracker.close()
        self._fail(camera, state, f"cannot write clips: {exc}", kind)
        if writer is not None:
            writer.abandon()

        def save() -> None:
            if writer is not None and clip is not None:
                size = writer.final.stat().st_size if writer.final.exists() else 0
                self.index.close_clip(clip, writer.end, writer.frames, size, CUT)
            if event is not None:
                self.index.update_event(event, end=writer.end if writer else None, state=CUT)

        try:
            save()
        except Exception as second:  # the index's disk is full too: retried until it has room
            self._count_error(camera, second)
            self._unsaved.append(save)
        if event is not None:
            self.on_event("end", event, camera)  # cut: it ends here, whatever reached the disk

    def _fail(self, camera: str, state: _Camera, reason: str, kind: str) -> None:
        state.failing, state.failed_at = reason, time.time()
        self.notify(camera, False, reason)
        held = _throttle.ready(f"record:{camera}:{kind}")
        if held is not None:
            log.error("camera %r: not recording: %s (%d more not logged); live view goes on", camera, reason, held)

    def _count_error(self, camera: str, exc: Exception) -> str:
        code = getattr(exc, "errno", None)
        kind = errno.errorcode.get(code, "other") if isinstance(code, int) else type(exc).__name__
        self.errors[kind] += 1
        return kind

    def _close_all(self) -> None:
        """On a clean stop every open event ends as done, its clip complete."""
        for name, state in self.cameras.items():
            if state.event is not None:
                self._close_event(name, state, DONE)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as out:
        out.write(data)
    os.replace(temporary, path)
