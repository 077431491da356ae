"""Clip files: Matroska with one MJPEG stream whose packets are the senders' JPEG bytes, unchanged.

A clip is written under ``<name>.part`` with every packet flushed to the file as it is muxed,
and renamed when it closes, so a crash costs at most the frame being written. ``repair``
turns a ``.part`` left by a crash into a complete, seekable clip.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator
from fractions import Fraction
from pathlib import Path

import av

MILLISECONDS = Fraction(1, 1000)
PART = ".part"


class ClipWriter:
    """One clip being written; ``write`` costs about 10-30 us of CPU a frame (no re-encoding)."""

    def __init__(self, final: Path, start: float, width: int, height: int) -> None:
        self.final = final
        self.part = final.with_name(final.name + PART)
        self.start = start
        self.end = start
        self.frames = 0
        self.bytes = 0
        self._last_pts = -1
        final.parent.mkdir(parents=True, exist_ok=True)
        # flush_packets: each frame reaches the file at once (by default ~256 KB wait in memory,
        # and a killed writer left a 0-byte file)
        self._container: av.container.OutputContainer | None = av.open(
            str(self.part), "w", format="matroska", options={"flush_packets": "1"}
        )
        self._stream = self._container.add_stream("mjpeg")
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuvj420p"
        self._stream.time_base = MILLISECONDS

    def write(self, jpeg: bytes, t: float) -> None:
        """Add one frame received at wall-clock time ``t`` (raises OSError when the disk fails)."""
        if self._container is None:  # FFmpeg crashes on a closed muxer: refuse here instead
            raise ValueError(f"clip {self.final.name} is closed")
        pts = max(round((t - self.start) * 1000), self._last_pts + 1)  # strictly increasing
        packet = av.Packet(jpeg)
        packet.stream = self._stream
        packet.pts = packet.dts = pts
        packet.time_base = MILLISECONDS
        self._container.mux(packet)
        self._last_pts = pts
        self.frames += 1
        self.bytes += len(jpeg)
        self.end = t

    def close(self) -> int:
        """Finish the file (cues, duration) and give it its final name; returns its size."""
        container, self._container = self._container, None
        if container is None:
            raise ValueError(f"clip {self.final.name} is already closed")
        try:
            container.close()
        finally:
            os.replace(self.part, self.final)
        return self.final.stat().st_size

    def abandon(self) -> None:
        """After a disk error: keep what reached the file, as well as it can be kept."""
        container, self._container = self._container, None
        if container is not None:
            with contextlib.suppress(Exception):  # the disk that failed the write may fail the trailer too
                container.close()
        if self.part.exists():
            with contextlib.suppress(OSError):
                os.replace(self.part, self.final)


def frames_of(path: Path) -> list[tuple[int, bytes]]:
    """(milliseconds from the clip's start, JPEG) of every frame of a clip (tests, tools)."""
    with av.open(str(path)) as container:
        return [(int(p.pts), bytes(p)) for p in container.demux(video=0) if p.size and p.pts is not None]


def repair(source: Path, final: Path) -> tuple[int, int, float]:
    """Copy the readable frames of a clip cut short into a complete one at ``final``; returns
    (frames, bytes of the file, seconds). A file with no readable frame raises ValueError."""
    temporary = final.with_name(final.name + ".repair")
    frames, last = 0, 0
    with av.open(str(source)) as inp:
        stream = inp.streams.video[0]
        with av.open(str(temporary), "w", format="matroska") as out:
            copy = out.add_stream_from_template(stream)
            for packet in inp.demux(stream):
                if not packet.size or packet.pts is None:
                    continue
                packet.stream = copy
                out.mux(packet)
                frames += 1
                last = int(packet.pts * (stream.time_base or MILLISECONDS) * 1000)
    if not frames:
        temporary.unlink(missing_ok=True)
        raise ValueError(f"{source} holds no readable frame")
    os.replace(temporary, final)
    if source != final:
        source.unlink(missing_ok=True)
    return frames, final.stat().st_size, last / 1000


def replay(files: list[tuple[Path, float]], start: float = 0.0) -> Generator[tuple[float, bytes], None, None]:
    """(seconds into the event, JPEG) of an event's frames from ``start`` on, across its clips;
    ``files`` holds each clip's path and where it starts in the event, in seconds."""
    for path, offset in files:
        if not path.is_file():
            continue
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            unit = float(stream.time_base or MILLISECONDS)
            if start - offset > 2.0:
                # Matroska cues: straight to the frame instead of reading the clip up to it
                with contextlib.suppress(av.FFmpegError):
                    container.seek(int((start - offset) / unit), stream=stream)
            for packet in container.demux(stream):
                if not packet.size or packet.pts is None:
                    continue
                at = offset + packet.pts * unit
                if at + 1e-6 >= start:
                    yield at, bytes(packet)
