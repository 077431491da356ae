"""The Frame value: one analysed camera frame, with the bytes every viewer is sent, built once:
the main JPEG's MJPEG part and page record, and the same for its sub-image when it has one."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from functools import cached_property

from common.motion import QUIET, Box, Motion

MJPEG_BOUNDARY = "frame"
_RECORD_HEAD = struct.Struct(">II")  # metadata length, JPEG length


def mjpeg_part(jpeg: bytes, seq: int) -> bytes:
    """One part of a ``multipart/x-mixed-replace`` MJPEG stream; ``X-Camnet-Seq`` lets a client
    see gaps and repeats (players ignore it)."""
    head = (
        f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\nX-Camnet-Seq: {seq}\r\n\r\n"
    )
    return b"".join((head.encode(), jpeg, b"\r\n"))


def record(meta: dict[str, object], jpeg: bytes = b"") -> bytes:
    """One record of the page's binary stream: two big-endian u32 lengths, JSON metadata, JPEG."""
    head = json.dumps(meta, separators=(",", ":")).encode()
    return b"".join((_RECORD_HEAD.pack(len(head), len(jpeg)), head, jpeg))


@dataclass(frozen=True)
class Frame:
    """A published frame: the sender's JPEG untouched and what the hub learnt about it. The
    stream chunks are built from it on first use, once, so that every viewer is handed the same
    bytes object and a frame nobody watches costs no copy of its JPEG."""

    camera: str
    seq: int  # the hub's own per-camera counter, 1, 2, 3...
    jpeg: bytes
    width: int
    height: int
    time: float  # wall-clock seconds when the hub received it: a label, NTP may step it
    box: Box | None  # around all motion, while the camera shows motion
    overlay: bytes | None = field(default=None, repr=False)  # MJPEG part with the overlay burned in
    motion: bool = False  # the camera's motion state (after hysteresis) at this frame
    regions: tuple[Box, ...] = ()  # the moving regions, while the camera shows motion
    mono: float = 0.0  # monotonic seconds when the hub received it: durations are measured on it
    blocked: bool = False  # the camera's view is blocked (a covered lens)
    objects: tuple[dict[str, object], ...] = ()  # the objects in view as this frame was published
    sub: bytes | None = field(default=None, repr=False)  # the small JPEG of this frame (sub-stream)

    @classmethod
    def build(
        cls,
        camera: str,
        seq: int,
        jpeg: bytes,
        width: int,
        height: int,
        time: float,
        found: Motion = QUIET,
        mono: float | None = None,
        objects: tuple[dict[str, object], ...] = (),
        sub: bytes | None = None,
    ) -> Frame:
        """``mono`` defaults to ``time`` (tests and tools that have one clock only)."""
        return cls(
            camera, seq, jpeg, width, height, time, found.box, None, found.motion, found.regions,
            time if mono is None else mono, found.blocked, objects, sub,
        )  # fmt: skip

    def meta(self) -> dict[str, object]:
        """The page's record of this frame, without its picture."""
        return {
            "type": "frame",
            "camera": self.camera,
            "seq": self.seq,
            "time": round(self.time, 3),
            "width": self.width,
            "height": self.height,
            "motion": self.motion,
            "box": list(self.box) if self.box else None,
            "blocked": self.blocked,
            "objects": list(self.objects),
        }

    @cached_property
    def chunk(self) -> bytes:
        """The MJPEG part of the main JPEG."""
        return mjpeg_part(self.jpeg, self.seq)

    @cached_property
    def packet(self) -> bytes:
        """The page's binary stream record of the main JPEG."""
        return record(self.meta(), self.jpeg)

    @cached_property
    def sub_chunk(self) -> bytes | None:
        """The MJPEG part of the sub-image, when the frame has one."""
        return mjpeg_part(self.sub, self.seq) if self.sub is not None else None

    @cached_property
    def sub_packet(self) -> bytes | None:
        """The page's record of the sub-image (its metadata is the main frame's, marked "sub")."""
        return record({**self.meta(), "sub": True}, self.sub) if self.sub is not None else None
