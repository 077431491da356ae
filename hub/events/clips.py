"""Clip files: Matroska with one MJPEG stream whose packets are the senders' JPEG bytes, unchanged.

A clip is written under ``<name>.part`` with every packet flushed to the file as it is muxed,
synced to the disk every few seconds (``sync``), and on close synced, renamed and its
directory synced, so a kill costs at most the frame being written and a power cut at most
the last few seconds. Packet times come from the monotonic clock (a clock step never
squeezes or stretches a clip); the stream declares the camera's measured frame rate.
``repair`` turns a ``.part`` left by a crash into a complete, seekable clip.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator, Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av

from common.durable import fsync_directory
from common.protocol import jpeg_size

MILLISECONDS = Fraction(1, 1000)
PART = ".part"
REPAIRING = ".repair"  # suffix of a repaired copy being written; the start-up check removes leftovers


class Unreadable(ValueError):
    """A clip file holds no frame that can be read back (empty, or damaged from its start)."""


def declared_rate(fps: float) -> Fraction:
    """The frame rate a clip declares: the camera's measured rate to 1/100 fps (players and
    OpenCV count frames from it; PyAV's default of 24 made a 15 fps clip read as 24)."""
    return Fraction(round(min(max(fps, 0.1), 1000.0) * 100), 100)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)  # any descriptor of a file syncs the file's pages
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ClipWriter:
    """One clip being written; ``write`` costs about 10-30 us of CPU a frame (no re-encoding).

    ``start`` is the wall-clock label of the first frame, ``mono`` its monotonic time; the
    clip's ``end`` label is ``start`` plus the monotonic time elapsed."""

    def __init__(self, final: Path, start: float, mono: float, width: int, height: int, fps: float = 15.0) -> None:
        self.final = final
        self.part = final.with_name(final.name + PART)
        self.start = start
        self.mono = mono
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
        self._stream = self._container.add_stream("mjpeg", rate=declared_rate(fps))
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuvj420p"
        self._stream.time_base = MILLISECONDS

    def write(self, jpeg: bytes, mono: float) -> None:
        """Add one frame received at monotonic time ``mono`` (raises OSError when the disk fails)."""
        if self._container is None:  # FFmpeg crashes on a closed muxer: refuse here instead
            raise ValueError(f"clip {self.final.name} is closed")
        pts = max(round((mono - self.mono) * 1000), self._last_pts + 1)  # strictly increasing
        packet = av.Packet(jpeg)
        packet.stream = self._stream
        packet.pts = packet.dts = pts
        packet.time_base = MILLISECONDS
        self._container.mux(packet)
        self._last_pts = pts
        self.frames += 1
        self.bytes += len(jpeg)
        self.end = self.start + pts / 1000

    def sync(self) -> int:
        """Push what was written so far to the disk (a power cut then costs only what came
        after); returns the part file's size."""
        _fsync_path(self.part)
        return self.part.stat().st_size

    def close(self) -> int:
        """Finish the file (cues, duration), sync it, give it its final name and sync that;
        returns its size."""
        container, self._container = self._container, None
        if container is None:
            raise ValueError(f"clip {self.final.name} is already closed")
        try:
            container.close()
            _fsync_path(self.part)
        finally:
            os.replace(self.part, self.final)
        fsync_directory(self.final.parent)
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


def _readable(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Iterator[av.Packet]:
    """The packets of ``stream`` up to the first that cannot be read (a file cut short)."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.FFmpegError:  # damaged from here on: what came before is kept
            return
        if packet.size and packet.pts is not None:
            yield packet


def repair(source: Path, final: Path) -> tuple[int, int, float]:
    """Copy the readable frames of a clip cut short into a complete one at ``final``; returns
    (frames, bytes of the file, seconds). Raises ``Unreadable`` when ``source`` holds no
    readable frame, and ``OSError`` when the copy cannot be written (a full disk): then
    ``source`` is left as it was, to be repaired once there is room."""
    temporary = final.with_name(final.name + REPAIRING)
    frames, last = 0, 0
    try:
        inp = av.open(str(source))
    except av.FFmpegError as exc:  # includes PyAV's OSError for a file it cannot parse
        raise Unreadable(f"{source} cannot be read: {exc}") from None
    try:
        if not inp.streams.video:
            raise Unreadable(f"{source} holds no video stream")
        stream = inp.streams.video[0]
        try:
            with av.open(str(temporary), "w", format="matroska") as out:
                copy = out.add_stream_from_template(stream)
                for packet in _readable(inp, stream):
                    packet.stream = copy
                    out.mux(packet)
                    frames += 1
                    last = int((packet.pts or 0) * (stream.time_base or MILLISECONDS) * 1000)
            if frames:
                _fsync_path(temporary)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    finally:
        inp.close()
    if not frames:
        temporary.unlink(missing_ok=True)
        raise Unreadable(f"{source} holds no readable frame")
    os.replace(temporary, final)
    if source != final:
        source.unlink(missing_ok=True)
    fsync_directory(final.parent)
    return frames, final.stat().st_size, last / 1000


def readable_path(final: Path) -> Path | None:
    """The file that holds a clip's frames: the clip, or its ``.part`` while it is written."""
    part = final.with_name(final.name + PART)
    for path in (final, part):
        if path.is_file():
            return path
    return None


def replay(files: list[tuple[Path, float]], start: float = 0.0) -> Generator[tuple[float, bytes], None, None]:
    """(seconds into the event, JPEG) of an event's frames from ``start`` on, across its clips;
    ``files`` holds each clip's path and where it starts in the event, in seconds. A clip
    still being written is read from its ``.part`` up to its last flushed frame."""
    for final, offset in files:
        path = readable_path(final)
        if path is None:
            continue
        try:
            container = av.open(str(path))
        except av.FFmpegError:  # a part opened before its first frame reached the file
            continue
        with container:
            stream = container.streams.video[0]
            unit = float(stream.time_base or MILLISECONDS)
            if start - offset > 2.0 and path == final:
                # Matroska cues: straight to the frame instead of reading the clip up to it
                with contextlib.suppress(av.FFmpegError):
                    container.seek(int((start - offset) / unit), stream=stream)
            for packet in _readable(container, stream):
                at = offset + (packet.pts or 0) * unit
                if at + 1e-6 >= start:
                    yield at, bytes(packet)


class _Chunks:
    """A write-only file for PyAV's muxer that collects what it writes (not seekable: the
    Matroska muxer then streams, with no cues written back at the start)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out, self.chunks = b"".join(self.chunks), []
        return out


def remux(files: list[tuple[Path, float]], fps: float) -> Iterator[bytes]:
    """One Matroska file of every frame of ``files`` (paths and their offsets in seconds), the
    JPEG bytes unchanged and timed as recorded, produced piece by piece for a download."""
    return mux(replay(files), fps)


def mux(frames: Iterable[tuple[float, bytes]], fps: float, metadata: dict[str, str] | None = None) -> Iterator[bytes]:
    """One streamed Matroska file of ``frames`` ((seconds from the file's start, JPEG), in time
    order), the JPEG bytes unchanged; its frame size is the first JPEG's. Give at least one frame."""
    sink = _Chunks()
    out = av.open(sink, "w", format="matroska")
    out.metadata.update(metadata or {})
    try:
        stream = None
        last = -1
        for at, jpeg in frames:
            if stream is None:
                stream = out.add_stream("mjpeg", rate=declared_rate(fps))
                stream.width, stream.height = jpeg_size(jpeg)
                stream.pix_fmt = "yuvj420p"
                stream.time_base = MILLISECONDS
            pts = max(round(at * 1000), last + 1)  # strictly increasing, as the muxer needs
            packet = av.Packet(jpeg)
            packet.stream = stream
            packet.pts = packet.dts = last = pts
            packet.time_base = MILLISECONDS
            out.mux(packet)
            if len(sink.chunks) >= 16:
                yield sink.take()
        out.close()
    finally:
        with contextlib.suppress(Exception):
            out.close()
    yield sink.take()
