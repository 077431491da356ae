"""The recorded JPEG nearest to a moment: from the camera's event clips and time-lapse segments.

Clips are found through the index by camera and time (never a path from a request), read
packet by packet from just before the moment (Matroska cues seek close to it): nothing is
decoded, the bytes are the sender's own.
"""

from __future__ import annotations

from pathlib import Path

from hub.events.clips import replay
from hub.events.index import EventIndex

NEAR = 3.0  # seconds: a recorded frame further than this from the moment is not "at" it


def frame_at(index: EventIndex, data_dir: Path, camera: str, at: float) -> tuple[float, bytes] | None:
    """(its time, the JPEG) of the camera's recorded frame nearest to ``at`` within ``NEAR``
    seconds, or None when nothing was recorded that close."""
    rows = index.select(
        "SELECT clips.path, clips.start FROM clips JOIN events ON events.id = clips.event "
        'WHERE events.camera = ? AND clips.start <= ? AND (clips."end" IS NULL OR clips."end" >= ?) '
        "ORDER BY clips.start",
        (camera, at + NEAR, at - NEAR),
    )
    rows += index.select(
        'SELECT path, start FROM segments WHERE camera = ? AND start <= ? AND ("end" IS NULL OR "end" >= ?)',
        (camera, at + NEAR, at - NEAR),
    )
    best: tuple[float, bytes] | None = None
    for row in rows:
        for when, jpeg in replay([(data_dir / row["path"], row["start"])], at - NEAR):
            if best is None or abs(when - at) < abs(best[0] - at):
                best = (when, jpeg)
            if when > at:
                break
    return best
