"""Continuous time-lapse: between events, each camera keeps one frame every 1/timelapse_fps
seconds, the sender's JPEG byte for byte, in segment files of at most an hour.

It runs on the record thread, beside the camera's Session, and writes like a clip: Matroska
under ``.part``, each frame flushed to the file as it is written, synced every ``sync_every``
and on close (then renamed and its directory synced), its row checkpointed in the index. A
kill costs at most the frame being written, a power cut the last few seconds. While an event
records the camera at full rate the segment is closed: the event is the record of that time.
A disk error closes the segment as cut and tries again a few seconds later.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from common.throttle import Throttle
from hub.events.clips import PART, ClipWriter, Unreadable, repair
from hub.events.index import CUT, DONE
from hub.events.kept import Kept
from hub.events.session import Counters
from hub.timeline.segments import Segments

log = logging.getLogger(__name__)
_throttle = Throttle(30.0)
SEGMENT_SECONDS = 3600.0  # a segment file holds at most this much time
RETRY_AFTER = 2.0  # seconds after a disk error before a new segment is tried


class Timelapse:
    """One camera's time-lapse (the record thread alone uses it)."""

    def __init__(
        self,
        camera: str,
        data_dir: Path,
        segments: Segments,
        fps: Callable[[], float],
        sync_every: float = 2.0,
        counters: Counters | None = None,
        room: Callable[[], str | None] = lambda: None,
        told: Callable[[str | None], object] = lambda failing: None,
    ) -> None:
        self.camera, self.data_dir, self.segments = camera, data_dir, segments
        self.fps, self.sync_every = fps, sync_every
        self.counters = counters if counters is not None else Counters()  # shared by the recorder's cameras
        self.room = room  # None, or why the disk has no room for a new segment
        self.told = told  # called with why it does not record (None once it records again)
        self.failing: str | None = None
        self.writer: ClipWriter | None = None
        self.segment: int | None = None
        self.last: float | None = None  # monotonic time of the last frame kept
        self.synced_at = 0.0
        self.retry_at = -1e18

    def record(self, frame: Kept, in_event: bool) -> None:
        fps = self.fps()
        if fps <= 0 or in_event:
            self.close(DONE)
            self.last = None if in_event else self.last
            if self.failing is not None:
                self._say(None)  # not trying: an event records this time (or it is off)
            return
        if self.last is not None and frame.mono - self.last < 0.95 / fps:
            return
        writer = self.writer
        if writer is not None and frame.mono - writer.mono >= SEGMENT_SECONDS:
            self.close(DONE)
            writer = None
        if writer is None:
            if frame.mono < self.retry_at:
                return
            writer = self._open(frame, fps)
            if writer is None:
                return
        try:
            writer.write(frame.jpeg, frame.mono)
        except Exception as exc:
            self._failed(exc, frame.mono)
            return
        self.last = frame.mono
        if self.failing is not None:
            self._say(None)
        self.counters.timelapse_frames += 1
        self.counters.timelapse_bytes += len(frame.jpeg)

    def _open(self, frame: Kept, fps: float) -> ClipWriter | None:
        short = self.room()
        if short is not None:  # retention makes room; the time-lapse waits for it
            self.retry_at = frame.mono + RETRY_AFTER
            self._say(f"time-lapse paused: {short}")
            return None
        day = time.strftime("%Y-%m-%d", time.localtime(frame.time))
        relative = f"timelapse/{day}/{uuid.uuid4().hex}.mkv"  # never a camera name in a path
        try:
            self.segment = self.segments.add(self.camera, relative, frame.time)
            self.writer = ClipWriter(self.data_dir / relative, frame.time, frame.mono, frame.width, frame.height, fps)
        except Exception as exc:
            self._failed(exc, frame.mono)
            return None
        self.synced_at = frame.mono
        return self.writer

    def checkpoint(self, mono: float) -> None:
        """Every ``sync_every`` seconds: sync the segment and tell the index what is on the disk."""
        if self.writer is None or self.segment is None or mono - self.synced_at < self.sync_every:
            return
        self.synced_at = mono
        try:
            size = self.writer.sync()
            self.segments.checkpoint(self.segment, self.writer.end, self.writer.frames, size)
        except Exception as exc:
            self._failed(exc, mono)

    def close(self, state: str) -> None:
        writer, segment, self.writer, self.segment = self.writer, self.segment, None, None
        if writer is None or segment is None:
            return
        try:
            size = writer.close()
            self.segments.checkpoint(segment, writer.end, writer.frames, size, state)
        except Exception as exc:
            writer.abandon()
            self._save_cut(segment, writer)
            self._report(exc)

    def _failed(self, exc: Exception, mono: float) -> None:
        writer, segment, self.writer, self.segment = self.writer, self.segment, None, None
        self.retry_at = mono + RETRY_AFTER
        if writer is not None:
            writer.abandon()
        if segment is not None:
            self._save_cut(segment, writer)
        self._report(exc)

    def _save_cut(self, segment: int, writer: ClipWriter | None) -> None:
        try:
            size = writer.final.stat().st_size if writer is not None and writer.final.exists() else 0
            end = writer.end if writer is not None else 0.0
            self.segments.checkpoint(segment, end, writer.frames if writer else 0, size, CUT)
        except Exception:  # the index's disk is full too: the start-up check settles the row
            log.debug("camera %r: could not mark time-lapse segment %d cut", self.camera, segment)

    def _say(self, failing: str | None) -> None:
        if failing != self.failing:
            self.failing = failing
            self.told(failing)

    def _report(self, exc: Exception) -> None:
        self.counters.count_error(exc)
        self._say(f"cannot write the time-lapse: {exc}")
        held = _throttle.ready(f"timelapse:{self.camera}")
        if held is not None:
            log.warning("camera %r: time-lapse paused: %s (retrying every %.0f s)", self.camera, exc, RETRY_AFTER)


def repair_segments(data_dir: Path, segments: Segments) -> int:
    """The start-up check for segments a crash left recording: each is made whole from its
    ``.part`` and marked cut, or dropped when not one frame of it is readable. Returns how
    many were repaired. A full disk raises OSError and leaves the ``.part`` for the next try."""
    repaired = 0
    for segment in segments.unfinished():
        final = data_dir / segment.path
        source = final.with_name(final.name + PART)
        if final.exists() and not source.exists():  # closed, and the crash came before its row was told
            segments.checkpoint(segment.id, segment.end or segment.start, segment.frames, final.stat().st_size, CUT)
            continue
        try:
            if not source.exists():
                raise Unreadable(f"{source} does not exist")
            frames, size, seconds = repair(source, final)
        except Unreadable as exc:
            log.warning("time-lapse segment %s holds no readable frame (%s); dropping it", segment.path, exc)
            source.unlink(missing_ok=True)
            final.unlink(missing_ok=True)
            segments.drop(segment.id)
            continue
        segments.checkpoint(segment.id, segment.start + seconds, frames, size, CUT)
        repaired += 1
    return repaired
