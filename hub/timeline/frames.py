"""A camera's recorded frames over a range: its event clips and time-lapse segments merged.

Files are found through the index by camera and time (never a path from a request) and read
packet by packet (Matroska cues seek close to the range's start): nothing is decoded, the
bytes are the sender's own. A frame kept twice (an event's pre-roll also reached the
time-lapse before the event began) is given once.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from hub.events.clips import replay
from hub.events.index import EventIndex

NEAR = 3.0  # seconds: a recorded frame further than this from the moment is not "at" it
Frames = Generator[tuple[float, bytes], None, None]  # (wall-clock time, JPEG)
SAME = 0.002  # seconds: the same JPEG this close in time in two files is one frame


@dataclass(frozen=True)
class Source:
    """One recorded file: where it is, the wall-clock span of its frames and its size."""

    path: Path
    start: float
    end: float | None  # None while it is written
    bytes: int


def sources(index: EventIndex, data_dir: Path, camera: str, start: float, end: float) -> list[Source]:
    """The camera's clips and segments that overlap [start, end], by start."""
    rows = index.select(
        'SELECT clips.path, clips.start, clips."end", clips.bytes FROM clips JOIN events ON events.id = clips.event '
        'WHERE events.camera = ? AND clips.start <= ? AND (clips."end" IS NULL OR clips."end" >= ?)',
        (camera, end, start),
    )
    rows += index.select(
        'SELECT path, start, "end", bytes FROM segments '
        'WHERE camera = ? AND start <= ? AND ("end" IS NULL OR "end" >= ?)',
        (camera, end, start),
    )
    found = [Source(data_dir / r[0], float(r[1]), None if r[2] is None else float(r[2]), int(r[3])) for r in rows]
    return sorted(found, key=lambda s: s.start)


def estimate(found: list[Source], start: float, end: float, now: float) -> int:
    """Bytes of ``found`` that fall in [start, end], each file's share taken by time."""
    total = 0.0
    for s in found:
        last = now if s.end is None else s.end
        inside = max(0.0, min(last, end) - max(s.start, start))
        total += s.bytes * min(1.0, inside / (last - s.start)) if last > s.start else s.bytes
    return int(total)


def merged(found: list[Source], start: float, end: float) -> Frames:
    """(wall-clock time, JPEG) of every frame of ``found`` in [start, end], in time order. A
    file is opened only once the merge reaches its start, so a day of clips is not opened at once."""
    heap: list[tuple[float, int, bytes, Frames]] = []
    readers: list[Frames] = []
    waiting = iter(sorted(found, key=lambda s: s.start))
    following = next(waiting, None)
    last: tuple[float, bytes] | None = None
    try:
        while True:
            while following is not None and (not heap or following.start <= heap[0][0]):
                reader = replay([(following.path, following.start)], start)
                readers.append(reader)
                first = next(reader, None)
                if first is not None:
                    heapq.heappush(heap, (first[0], len(readers), first[1], reader))
                following = next(waiting, None)
            if not heap:
                return
            at, key, jpeg, reader = heapq.heappop(heap)
            if at > end:
                return
            after = next(reader, None)
            if after is not None:
                heapq.heappush(heap, (after[0], key, after[1], reader))
            if last is not None and at - last[0] <= SAME and jpeg == last[1]:
                continue
            last = (at, jpeg)
            yield at, jpeg
    finally:
        for reader in readers:
            reader.close()


def frame_at(index: EventIndex, data_dir: Path, camera: str, at: float) -> tuple[float, bytes] | None:
    """(its time, the JPEG) of the camera's recorded frame nearest to ``at`` within ``NEAR``
    seconds, or None when nothing was recorded that close."""
    best: tuple[float, bytes] | None = None
    frames = merged(sources(index, data_dir, camera, at - NEAR, at + NEAR), at - NEAR, at + NEAR)
    for when, jpeg in frames:
        if best is None or abs(when - at) < abs(best[0] - at):
            best = (when, jpeg)
        if when > at:
            break
    frames.close()
    return best
