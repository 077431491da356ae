"""The Frame value: one analysed camera frame, with the bytes every viewer is sent, built once:
the main JPEG's MJPEG part and page record, and the same for its sub-image when it has one."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

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


@dataclass(frozen=True, slots=True)
class Frame:
    """A published frame: the sender's JPEG untouched, what the hub learnt about it, and the
    stream chunks built from it once so that every viewer is handed the same bytes object."""

    camera: str
    seq: int  # the hub's own per-camera counter, 1, 2, 3...
    jpeg: bytes
    width: int
    height: int
    time: float  # wall-clock seconds when the hub received it: a label, NTP may step it
    box: Box | None  # around all motion, while the camera shows motion
    chunk: bytes = field(repr=False)  # MJPEG part
    packet: bytes = field(repr=False)  # binary stream record
    overlay: bytes | None = field(default=None, repr=False)  # MJPEG part with the overlay burned in
    motion: bool = False  # the camera's motion state (after hysteresis) at this frame
    regions: tuple[Box, ...] = ()  # the moving regions, while the camera shows motion
    mono: float = 0.0  # monotonic seconds when the hub received it: durations are measured on it
    blocked: bool = False  # the camera's view is blocked (a covered lens)
    objects: tuple[dict[str, object], ...] = ()  # the objects in view as this frame was published
    sub: bytes | None = field(default=None, repr=False)  # the small JPEG of this frame (sub-stream)
    sub_chunk: bytes | None = field(default=None, repr=False)  # its MJPEG part
    sub_packet: bytes | None = field(default=None, repr=False)  # its page record (meta as the main's)

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
        box = found.box
        meta = {
            "type": "frame",
            "camera": camera,
            "seq": seq,
            "time": round(time, 3),
            "width": width,
            "height": height,
            "motion": found.motion,
            "box": list(box) if box else None,
            "blocked": found.blocked,
            "objects": list(objects),
        }
        chunk, packet = mjpeg_part(jpeg, seq), record(meta, jpeg)
        sub_chunk = mjpeg_part(sub, seq) if sub is not None else None
        sub_packet = record({**meta, "sub": True}, sub) if sub is not None else None
        return cls(
            camera, seq, jpeg, width, height, time, box, chunk, packet, None, found.motion, found.regions,
            time if mono is None else mono, found.blocked, objects, sub, sub_chunk, sub_packet,
        )  # fmt: skip
