"""What the recorder is handed: a frame as it keeps it, and the object detector's news."""

from __future__ import annotations

import dataclasses
from typing import Any

from common.motion import Box
from hub.frames import Frame


@dataclasses.dataclass(frozen=True, slots=True)
class Kept:
    """What the recorder keeps of a frame: the sender's JPEG, its times and sequence number.
    Not the Frame itself: its MJPEG part and page record are two more copies of the JPEG."""

    camera: str
    time: float  # wall clock: a label
    mono: float  # monotonic: every duration
    seq: int
    jpeg: bytes
    width: int
    height: int
    box: Box | None
    motion: bool

    @classmethod
    def of(cls, frame: Frame) -> Kept:
        return cls(
            frame.camera, frame.time, frame.mono, frame.seq, frame.jpeg, frame.width, frame.height,
            frame.box, frame.motion,
        )  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True)
class Sighting:
    """The object detector's news for one camera: the objects that count now, on ``frame``."""

    camera: str
    objects: tuple[dict[str, Any], ...]  # Tracked.summary() of each
    frame: Kept
