"""Recorded spans per camera over a time range, and a per-minute activity figure.

Everything here is read from the event index in two queries: one row per event (the
events_by_start index bounds the scan) and one per time-lapse segment, folded into
per-camera lists. An event's span is its clip's time, pre-roll and post-roll included; its
motion is that span less the two rolls. A time-lapse span is a segment's (one frame every
1/timelapse_fps seconds between events). Time outside every span is a gap: nothing recorded.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.events.index import RECORDING, EventIndex

MAX_RANGE = 8 * 86400.0  # seconds a timeline request may span
MAX_EVENTS = 50_000  # events one request may fold (a busy week of 16 cameras is ~20,000)
LONGEST_EVENT = 86400.0  # an event starting more than this before the range cannot reach into it


class TooMuch(ValueError):
    """The range holds more than one answer should carry: narrow it."""


@dataclass(frozen=True)
class Rolls:
    """Seconds of video an event keeps before its first motion and after its last."""

    pre: float
    post: float


def timeline(
    index: EventIndex, cameras: Sequence[str], start: float, end: float, rolls: Rolls, now: float | None = None
) -> dict[str, Any]:
    """``{"start", "end", "cameras": {name: {"spans": [...], "activity": [...]}}}`` for the
    given cameras (all with recordings in the range when empty)."""
    now = time.time() if now is None else now
    where: list[str]
    args: list[Any]
    where, args = ["start < ?", "start >= ?", '("end" IS NULL OR "end" > ?)'], [end, start - LONGEST_EVENT, start]
    if cameras:
        where.append(f"camera IN ({','.join('?' * len(cameras))})")
        args.extend(cameras)
    rows = index.select(
        'SELECT id, camera, start, "end", state, labels, alert FROM events WHERE '
        + " AND ".join(where)
        + " ORDER BY start LIMIT ?",
        (*args, MAX_EVENTS + 1),
    )
    if len(rows) > MAX_EVENTS:
        raise TooMuch(f"more than {MAX_EVENTS} events in this range; ask for a shorter range or fewer cameras")
    out: dict[str, dict[str, Any]] = {name: {"spans": [], "activity": []} for name in cameras}
    minutes: dict[str, dict[int, list[Any]]] = defaultdict(dict)
    for row in rows:
        first = row["start"]
        last = row["end"] if row["end"] is not None else (now if row["state"] == RECORDING else first)
        labels = json.loads(row["labels"] or "[]")
        span = {"start": round(first, 3), "end": round(last, 3), "kind": "event", "event": row["id"],
                "labels": labels, "alert": bool(row["alert"])}  # fmt: skip
        out.setdefault(row["camera"], {"spans": [], "activity": []})["spans"].append(span)
        moving = (first + rolls.pre, last - rolls.post if row["end"] is not None else last)
        _add_motion(minutes[row["camera"]], max(moving[0], start), min(moving[1], end), labels)
    _add_segments(index, cameras, start, end, now, out)
    for name, by_minute in minutes.items():
        out[name]["activity"] = [
            {"minute": minute * 60, "motion": round(min(share, 60.0) / 60.0, 3), "labels": sorted(labels)}
            for minute, (share, labels) in sorted(by_minute.items())
        ]
    return {"start": start, "end": end, "cameras": out}


def _add_segments(
    index: EventIndex, cameras: Sequence[str], start: float, end: float, now: float, out: dict[str, dict[str, Any]]
) -> None:
    """The time-lapse spans between events, merged into each camera's spans in time order."""
    where, args = ["start < ?", '("end" IS NULL OR "end" > ?)'], [end, start]  # type: list[str], list[Any]
    if cameras:
        where.append(f"camera IN ({','.join('?' * len(cameras))})")
        args.extend(cameras)
    rows = index.select(f'SELECT camera, start, "end", state FROM segments WHERE {" AND ".join(where)}', args)
    if len(rows) > MAX_EVENTS:
        raise TooMuch(f"more than {MAX_EVENTS} time-lapse segments in this range; ask for a shorter range")
    for row in rows:
        last = row["end"] if row["end"] is not None else row["start"]
        if row["state"] == RECORDING and row["end"] is None:
            last = min(now, row["start"] + 2.0)
        spans = out.setdefault(row["camera"], {"spans": [], "activity": []})["spans"]
        spans.append({"start": round(row["start"], 3), "end": round(last, 3), "kind": "timelapse", "event": None})
    for camera in out.values():
        camera["spans"].sort(key=lambda span: span["start"])


def _add_motion(by_minute: dict[int, list[Any]], first: float, last: float, labels: list[str]) -> None:
    """Add the seconds of motion in [first, last) to each minute they touch."""
    if last <= first:
        return
    minute = int(first // 60)
    while minute * 60 < last:
        lo, hi = max(first, minute * 60.0), min(last, minute * 60.0 + 60.0)
        entry = by_minute.setdefault(minute, [0.0, set()])
        entry[0] += hi - lo
        entry[1].update(labels)
        minute += 1
