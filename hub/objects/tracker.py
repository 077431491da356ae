"""Objects, not detections: one camera's objects across inferences. No threads, no I/O.

A detection is matched to the nearest object of the same label: boxes that overlap (IoU of at
least ``MATCH_IOU``) or whose centres lie within ``MATCH_REACH`` of the larger box's longer
side (a far person, narrow, moves more than its width between two looks); else it starts a
new object. An object *counts* once the median of
its last ``HISTORY`` scores, padded with zeros to three, reaches the camera's ``min_score``:
one lucky frame does not make a person (Frigate's false-positive gate). An object whose box
has stayed put for ``STILL_FOR`` seconds is *stationary* (a parked car): remembered, but it
counts for nothing and keeps no event open until it moves again. An object not seen for
``lost_after`` seconds is gone; a stationary one only when a look at its place misses it.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import statistics
from collections.abc import Sequence

from common.motion import Box

MATCH_IOU = 0.3
MATCH_REACH = 0.75
HISTORY = 10  # scores kept per object
STILL_FOR = 3.0  # seconds a box must stay put to make its object stationary
STILL_SHIFT = 0.1  # ... within this share of the box's size
LOST_AFTER = 2.0  # seconds unseen before a moving object is gone


@dataclasses.dataclass(frozen=True)
class Detection:
    label: str
    score: float
    box: Box  # full-frame pixels, (x1, y1, x2, y2) like motion boxes


def iou(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def distance(a: Box, b: Box) -> float:
    """How far apart two boxes' centres are, in units of the larger box's longer side."""
    (ax, ay), (bx, by) = _centre(a), _centre(b)
    size = max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1], 1)
    return float(((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 / size)


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _moved(a: Box, b: Box) -> bool:
    (ax, ay), (bx, by) = _centre(a), _centre(b)
    size = max(a[2] - a[0], a[3] - a[1], 1)
    return abs(ax - bx) > STILL_SHIFT * size or abs(ay - by) > STILL_SHIFT * size


@dataclasses.dataclass(eq=False)
class Tracked:
    """One object as the tracker knows it."""

    id: int
    label: str
    box: Box
    first: float  # wall time first seen: a label
    last: float  # wall time last seen
    seen: float  # monotonic time last seen: every duration
    scores: collections.deque[float] = dataclasses.field(default_factory=lambda: collections.deque(maxlen=HISTORY))
    best: float = 0.0  # best median reached
    confirmed: bool = False  # its median reached min_score once
    stationary: bool = False
    still_box: Box | None = None  # where it stood still
    still_since: float = 0.0  # monotonic time its box began to stay put

    def median(self) -> float:
        scores = list(self.scores) + [0.0] * max(0, 3 - len(self.scores))
        return float(statistics.median(scores))

    def counts(self) -> bool:
        """Confirmed and moving: counted, shown, and part of the event it is seen in."""
        return self.confirmed and not self.stationary

    def summary(self) -> dict[str, object]:
        return {
            "id": self.id,
            "label": self.label,
            "score": round(self.best, 3),
            "box": list(self.box),
            "first": round(self.first, 3),
            "last": round(self.last, 3),
        }


class ObjectTracker:
    """One camera's objects; updated by one detect thread at a time (its caller holds a lock)."""

    def __init__(
        self, min_score: float, lost_after: float = LOST_AFTER, ids: itertools.count[int] | None = None
    ) -> None:
        self.min_score = min_score
        self.lost_after = lost_after
        self.objects: list[Tracked] = []
        self._ids = ids if ids is not None else itertools.count(1)

    def update(self, found: Sequence[Detection], looked: Sequence[Box], mono: float, wall: float) -> list[Tracked]:
        """One inference's detections over the crops ``looked`` at; returns the objects that
        newly count (confirmed, or moving again after standing still): news for listeners."""
        pairs = sorted(
            (distance(o.box, d.box), i, j) for i, o in enumerate(self.objects) for j, d in enumerate(found)
            if o.label == d.label and (distance(o.box, d.box) <= MATCH_REACH or iou(o.box, d.box) >= MATCH_IOU)
        )  # fmt: skip
        taken_o: set[int] = set()
        taken_d: set[int] = set()
        news: list[Tracked] = []
        for _, i, j in pairs:
            if i in taken_o or j in taken_d:
                continue
            taken_o.add(i)
            taken_d.add(j)
            if self._saw(self.objects[i], found[j], mono, wall):
                news.append(self.objects[i])
        for j, detection in enumerate(found):
            if j not in taken_d:
                tracked = Tracked(next(self._ids), detection.label, detection.box, wall, wall, mono)
                self.objects.append(tracked)
                if self._saw(tracked, detection, mono, wall):
                    news.append(tracked)
        self.objects = [
            o for i, o in enumerate(self.objects)
            if i in taken_o or not self._lost(o, mono, looked)
        ]  # fmt: skip
        return news

    def expire(self, mono: float) -> bool:
        """Forget moving objects unseen for ``lost_after`` (called when no inference runs);
        True if any went."""
        kept = [o for o in self.objects if o.stationary or mono - o.seen <= self.lost_after]
        gone = len(kept) != len(self.objects)
        self.objects = kept
        return gone

    def counting(self) -> list[Tracked]:
        return [o for o in self.objects if o.counts()]

    def counts(self) -> dict[str, int]:
        return dict(collections.Counter(o.label for o in self.counting()))

    def _saw(self, o: Tracked, d: Detection, mono: float, wall: float) -> bool:
        counted = o.counts()
        o.scores.append(d.score)
        median = o.median()
        o.best = max(o.best, median)
        o.confirmed = o.confirmed or median >= self.min_score
        if o.still_box is None or _moved(o.still_box, d.box):
            o.still_box, o.still_since, o.stationary = d.box, mono, False
        elif mono - o.still_since >= STILL_FOR:
            o.stationary = True
        o.box, o.last, o.seen = d.box, wall, mono
        return o.counts() and not counted

    def _lost(self, o: Tracked, mono: float, looked: Sequence[Box]) -> bool:
        if mono - o.seen <= self.lost_after:
            return False
        if not o.stationary:
            return True
        cx, cy = _centre(o.box)  # a stationary object is gone only when we looked at its place
        return any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in looked)
