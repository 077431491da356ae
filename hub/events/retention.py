"""Retention by age AND size AND free space: the oldest clips and time-lapse segments go
first, one by one, never one being written (segments age out on a limit of their own). An
event goes when its last clip goes; a very long event loses its oldest parts while it goes
on recording (a camera in motion for days must not fill the disk), and says how much was cut
(``trimmed``). Runs on the maintenance thread, every minute and whenever the recorder asks
for room; totals come from the index, never from walking the disk."""

from __future__ import annotations

import collections
import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hub.events.index import Clip, EventIndex
from hub.timeline.segments import Segment, Segments

log = logging.getLogger(__name__)
DAY = 86400.0


class Retention:
    def __init__(
        self,
        data_dir: Path,
        index: EventIndex,
        retain_days: Callable[[str], float],
        retain_size: int,
        min_free: int | None,
        written: Callable[[], int],
        clock: Callable[[], float] = time.time,
        retain_motion_days: Callable[[str], float] | None = None,
        retain_timelapse_days: float = 7.0,
    ) -> None:
        """``retain_motion_days``: the age limit of events that saw no object (default: the
        same as every event's). ``min_free`` None: the larger of 5 % of the file system and an hour of the observed
        write rate; 0: no reserve. ``retain_size`` 0: no size limit. ``written``: bytes the
        recorder has written so far (for the write rate)."""
        self.data_dir = data_dir
        self.index = index
        self.retain_days = retain_days
        self.retain_motion_days = retain_motion_days or retain_days
        self.retain_size = retain_size
        self.min_free = min_free
        self.written = written
        self.clock = clock
        self.deleted: collections.Counter[str] = collections.Counter()  # events deleted by reason
        self.clips_cut: collections.Counter[str] = collections.Counter()  # parts of longer events deleted
        self.retain_timelapse_days = retain_timelapse_days  # 0: no age limit of their own
        self.segments = Segments(index)
        self.segments_deleted: collections.Counter[str] = collections.Counter()  # time-lapse segments, by reason
        self._rate = 0.0  # bytes a second, smoothed
        self._rate_at = (clock(), 0)
        self._rate_lock = threading.Lock()

    def reserve(self) -> int:
        """Bytes to keep free on the data directory's file system."""
        if self.min_free is not None:
            return self.min_free
        now, written = self.clock(), self.written()
        with self._rate_lock:  # the maintenance thread and /healthz both move the estimate
            then, before = self._rate_at
            if now - then >= 10.0:
                rate = (written - before) / (now - then)
                self._rate = rate if not self._rate else 0.8 * self._rate + 0.2 * rate
                self._rate_at = (now, written)
        return int(max(0.05 * shutil.disk_usage(self.data_dir).total, 3600 * self._rate))

    def free(self) -> int:
        return shutil.disk_usage(self.data_dir).free

    MIN_ROOM = 2_000_000  # bytes: below this no clip opens, whatever the reserve says (a few frames' worth)

    def shortfall(self) -> str | None:
        """None when a clip may open (no deleting: a statvfs); otherwise why not."""
        free, need = self.free(), max(self.reserve(), self.MIN_ROOM)
        if free < need:
            return f"disk full: {free} bytes free, {need} needed (the free-space reserve, --min-free)"
        return None

    def room_for_a_clip(self) -> bool:
        """Make room by deleting the oldest clips if needed; False if there still is no room."""
        self._by_free_space()
        return self.shortfall() is None

    def sweep(self) -> None:
        self._by_age()
        self._by_size()
        self._by_free_space()

    def _by_age(self) -> None:
        now = self.clock()
        for camera in self.index.cameras():
            for days, motion_only in ((self.retain_days(camera), False), (self.retain_motion_days(camera), True)):
                if days <= 0:
                    continue
                before = now - days * DAY
                while old := self.index.oldest_clips(200, camera, before, motion_only):
                    for clip in old:
                        self.delete_clip(clip, "age")
                while empty := self.index.clipless(camera, before, motion_only):
                    for event in empty:
                        self.delete(event.id, "age")
        if self.retain_timelapse_days > 0:
            before = now - self.retain_timelapse_days * DAY
            while aged := self.segments.oldest(200, ended_before=before):
                for segment in aged:
                    self.delete_segment(segment, "age")

    def _by_size(self) -> None:
        while self.retain_size and self.index.total_bytes() > self.retain_size:
            if not self._delete_oldest("size"):
                return

    def _by_free_space(self) -> None:
        reserve = self.reserve()
        while reserve and self.free() < reserve:
            if not self._delete_oldest("free-space"):
                return

    def _delete_oldest(self, reason: str) -> bool:
        """The oldest recording of all, a clip or a time-lapse segment."""
        clips, segments = self.index.oldest_clips(1), self.segments.oldest(1)
        if segments and (not clips or segments[0].start < clips[0].start):
            self.delete_segment(segments[0], reason)
            return True
        if not clips:
            return False
        self.delete_clip(clips[0], reason)
        return True

    def delete_segment(self, segment: Segment, reason: str) -> None:
        (self.data_dir / segment.path).unlink(missing_ok=True)
        self.segments.drop(segment.id)
        self.segments_deleted[reason] += 1

    def delete_clip(self, clip: Clip, reason: str) -> None:
        """One clip: the file first, then its row; its event goes with its last clip."""
        (self.data_dir / clip.path).unlink(missing_ok=True)
        if self.index.drop_clip(clip.id):
            self.clips_cut[reason] += 1
            return
        self.delete(clip.event, reason)

    def delete(self, event: int, reason: str) -> None:
        """Files first, then the rows: a crash in between leaves rows without files, which the
        start-up check removes, never files nobody knows about."""
        for relative in self.index.files_of(event):
            (self.data_dir / relative).unlink(missing_ok=True)
        self.index.delete_event(event)
        self.deleted[reason] += 1
