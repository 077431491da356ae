"""Evidence that survives the faults it exists for: a power cut, a full disk, a clock step, a
failed statement, a long event. Real files, a real SQLite index, real tmpfs mounts."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import pytest

from common.durable import atomic_write
from common.motion import QUIET, Motion
from hub.events.clips import ClipWriter, frames_of
from hub.events.index import CUT, DONE, RECORDING, EventIndex
from hub.events.recorder import Recorder, RecordSettings
from hub.events.recovery import reconcile
from hub.events.retention import Retention
from hub.frames import Frame
from tests.conftest import jpeg, scene

MOVING = Motion(True, (10, 10, 50, 50), ((10, 10, 50, 50),))
FRAMES = [jpeg(scene(i, True, 320, 240)) for i in range(12)]


def unique(i: int) -> bytes:
    """A distinct JPEG per frame (a trailing counter after the end marker: decoders ignore it)."""
    return FRAMES[i % len(FRAMES)] + i.to_bytes(4, "big")


def keeper(index: EventIndex, data: Path, **kw: object) -> Retention:
    return Retention(data, index, lambda camera: 14.0, kw.pop("size", 0), kw.pop("min_free", 0), lambda: 0)  # type: ignore[arg-type]


def write_clip(data: Path, relative: str, frames: list[bytes], close: bool = True) -> ClipWriter:
    writer = ClipWriter(data / relative, 1000.0, 0.0, 320, 240)
    for i, frame in enumerate(frames):
        writer.write(frame, i / 15)
    if close:
        writer.close()
    return writer


def two_clip_event(data: Path, index: EventIndex) -> tuple[int, list[bytes]]:
    """An event whose first clip is complete and whose second a crash cut (row: recording)."""
    event = index.open_event("porch", 1000.0)
    first = [unique(i) for i in range(20)]
    clip = index.add_clip(event, "clips/d/1-1.mkv", 1000.0)
    write_clip(data, "clips/d/1-1.mkv", first)
    index.close_clip(clip, 1000.0 + 19 / 15, 20, (data / "clips/d/1-1.mkv").stat().st_size, DONE)
    index.add_clip(event, "clips/d/1-2.mkv", 1001.4)
    atomic_write(data / f"snapshots/{event}.jpg", first[5])
    index.update_event(event, snapshot=f"snapshots/{event}.jpg")
    return event, first


def test_an_empty_last_clip_after_a_crash_costs_that_clip_only(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    event, first = two_clip_event(tmp_path, index)
    (tmp_path / "clips/d/1-2.mkv.part").write_bytes(b"")  # killed just after the split
    report = reconcile(tmp_path, index)
    assert report.dropped == 1 and report.events_removed == 0
    found = index.event(event)
    assert found is not None and found.state == CUT and found.frames == 20, "the complete clip is kept"
    assert [c.path for c in index.clips(event)] == ["clips/d/1-1.mkv"]
    assert [d for _, d in frames_of(tmp_path / "clips/d/1-1.mkv")] == first
    assert (tmp_path / f"snapshots/{event}.jpg").exists() and found.end == pytest.approx(1000.0 + 19 / 15, abs=0.01)
    assert index.total_bytes() == (tmp_path / "clips/d/1-1.mkv").stat().st_size
    assert reconcile(tmp_path, index).dropped == 0, "a second start finds nothing to do"


def test_a_clip_truncated_by_a_power_cut_is_repaired_and_its_event_kept(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    event, _ = two_clip_event(tmp_path, index)
    index.checkpoint_clip(index.clips(event)[1].id, 1002.0, 0, 0, DONE)  # indexed done, then the power went
    second = [unique(100 + i) for i in range(30)]
    write_clip(tmp_path, "clips/d/1-2.mkv", second)
    whole = (tmp_path / "clips/d/1-2.mkv").read_bytes()
    (tmp_path / "clips/d/1-2.mkv").write_bytes(whole[: len(whole) * 2 // 3])  # the disk had only part of it
    (tmp_path / "clips/d/3-1.mkv.repair").write_bytes(b"half a repair")  # leftovers of an earlier start
    (tmp_path / "snapshots/9.jpg.tmp").write_bytes(b"half a snapshot")
    report = reconcile(tmp_path, index)
    assert report.repaired == 1 and report.temporaries == 2 and report.events_removed == 0
    kept = [d for _, d in frames_of(tmp_path / "clips/d/1-2.mkv")]
    assert 10 <= len(kept) < 30 and kept == second[: len(kept)], "what reached the disk, in order"
    found = index.event(event)
    assert found is not None and found.state == CUT and found.frames == 20 + len(kept)
    assert not (tmp_path / "clips/d/3-1.mkv.repair").exists() and not (tmp_path / "snapshots/9.jpg.tmp").exists()
    sizes = sum(p.stat().st_size for p in (tmp_path / "clips").rglob("*.mkv"))
    assert index.total_bytes() == sizes


def test_a_missing_clip_file_drops_its_row_not_its_event(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    event, _ = two_clip_event(tmp_path, index)
    write_clip(tmp_path, "clips/d/1-2.mkv", [unique(50 + i) for i in range(5)])
    second = index.clips(event)[1]
    index.close_clip(second.id, 1002.0, 5, (tmp_path / second.path).stat().st_size, DONE)
    (tmp_path / "clips/d/1-1.mkv").unlink()  # the first part lost (a disk error, a hand)
    report = reconcile(tmp_path, index)
    assert report.missing_rows == 1 and report.events_removed == 0
    found = index.event(event)
    assert found is not None and found.frames == 5 and [c.path for c in index.clips(event)] == ["clips/d/1-2.mkv"]


def test_recovery_on_a_full_disk_keeps_the_part_and_repairs_once_there_is_room(
    tmpfs: Callable[[str], Path],
) -> None:
    disk = tmpfs("3m")
    index = EventIndex(disk)
    event = index.open_event("shed", 1000.0)
    index.add_clip(event, "clips/d/1-1.mkv", 1000.0)
    frames = [jpeg(scene(i, True)) for i in range(30)]  # 640x480, ~60 KB each
    writer = write_clip(disk, "clips/d/1-1.mkv", frames, close=False)
    crashed = (disk / "clips/d/1-1.mkv.part").read_bytes()
    writer.close()
    (disk / "clips/d/1-1.mkv").unlink()
    (disk / "clips/d/1-1.mkv.part").write_bytes(crashed)  # what kill -9 left
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    filler = disk / "filler"
    filler.write_bytes(b"\0" * (free - 100_000))  # no room for a copy
    with pytest.raises(OSError):
        reconcile(disk, index)
    assert (disk / "clips/d/1-1.mkv.part").read_bytes() == crashed, "the crashed clip is kept, whole"
    assert index.clips(event)[0].state == RECORDING and not list(disk.rglob("*.repair"))
    filler.unlink()
    assert reconcile(disk, index).repaired == 1
    kept = [d for _, d in frames_of(disk / "clips/d/1-1.mkv")]
    assert len(kept) >= 29 and kept == frames[: len(kept)]


def test_a_failed_statement_never_wedges_the_index(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    event = index.open_event("a", 1000.0)
    clip = index.add_clip(event, "clips/d/1-1.mkv", 1000.0)
    db = index._writer
    db.execute("CREATE TEMP TRIGGER fail BEFORE UPDATE ON totals BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
    with pytest.raises(sqlite3.DatabaseError):
        index.close_clip(clip, 1005.0, 75, 1000, DONE)
    db.execute("DROP TRIGGER fail")
    later = index.open_event("b", 2000.0)  # raised "cannot start a transaction within a transaction"
    index.close_clip(clip, 1005.0, 75, 1000, DONE)
    index.close()
    reopened = EventIndex(tmp_path)  # what a stop keeps
    assert [e.camera for e in reopened.events()] == ["b", "a"] and reopened.event(later) is not None
    assert reopened.total_bytes() == 1000 and reopened.clips(event)[0].state == DONE
    assert reopened.event(event).frames == 75  # type: ignore[union-attr]


def test_durable_writes_sync_the_file_then_rename_then_sync_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append("fsync-dir" if os.path.isdir(f"/proc/self/fd/{fd}") else "fsync-file")
        real_fsync(fd)

    def replace(a: object, b: object) -> None:
        calls.append("rename")
        real_replace(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    atomic_write(tmp_path / "snap.jpg", b"jpeg")
    assert calls == ["fsync-file", "rename", "fsync-dir"]
    calls.clear()
    writer = ClipWriter(tmp_path / "c.mkv", 0.0, 0.0, 320, 240)
    writer.write(FRAMES[0], 0.0)
    writer.sync()
    assert calls == ["fsync-file"], "a clip being written is synced on demand"
    calls.clear()
    writer.close()
    assert calls == ["fsync-file", "rename", "fsync-dir"]


def feed(
    recorder: Recorder,
    count: int,
    start: int = 0,
    wall: Callable[[int], float] = lambda i: 5000.0 + i / 15,
    motion: Callable[[int], bool] = lambda i: True,
    seq: Callable[[int], int] = lambda i: i + 1,
) -> list[Frame]:
    """Frames at 15 fps on the monotonic clock (mono = 100 + i/15), with the wall clock given."""
    fed = []
    for i in range(start, start + count):
        found = MOVING if motion(i) else QUIET
        frame = Frame.build("cam", seq(i), unique(i), 320, 240, wall(i), found, mono=100.0 + i / 15)
        fed.append(frame)
        recorder._record(frame)
    return fed


def test_a_clock_stepped_back_mid_event_changes_no_duration(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    recorder = Recorder(tmp_path, index, RecordSettings(1.0, 1.0, 300.0), keeper(index, tmp_path))

    def wall(i: int) -> float:  # NTP steps the clock back ten minutes 2 s into the event
        return 5000.0 + i / 15 - (600.0 if i >= 45 else 0.0)

    fed = feed(recorder, 15, motion=lambda i: False, wall=wall)
    fed += feed(recorder, 120, start=15, wall=wall)  # 8 s of motion
    assert recorder.sessions["cam"].ring_bytes <= sum(len(f.jpeg) for f in fed[-16:]), "the pre-roll keeps trimming"
    fed += feed(recorder, 30, start=135, motion=lambda i: False, wall=wall)  # 2 s still: the event ends
    [event] = index.events()
    assert event.state == DONE, "the post-roll ended it though the wall clock went back"
    clip = frames_of(tmp_path / index.clips(event.id)[0].path)
    assert clip[-1][0] / 1000 == pytest.approx((len(clip) - 1) / 15, abs=0.01), "packet times on the monotonic clock"
    assert event.start == pytest.approx(wall(0), abs=0.01), "labels: the wall time of its first frame"
    assert event.end is not None and event.end - event.start == pytest.approx(clip[-1][0] / 1000, abs=0.01)


def test_a_clip_that_cannot_open_leaves_no_zombie(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    recorder = Recorder(tmp_path, index, RecordSettings(0.5, 0.5, 300.0), keeper(index, tmp_path))
    day = time.strftime("%Y-%m-%d", time.localtime(5000.0))
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / day).write_bytes(b"")  # a file where the day's folder must go: the open fails
    feed(recorder, 10)
    [event] = index.events()
    assert event.state == CUT and event.end is not None, "ended, not recording for ever"
    assert [c.state for c in index.clips(event.id)] == [CUT]
    assert "cannot write clips" in recorder.failing()["cam"]


def test_frames_lost_on_the_way_are_counted_on_their_event(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    recorder = Recorder(tmp_path, index, RecordSettings(0.5, 0.5, 300.0), keeper(index, tmp_path))
    feed(recorder, 40, seq=lambda i: i + 1 + (5 if i >= 20 else 0))  # 5 frames never reached the recorder
    feed(recorder, 20, start=40, motion=lambda i: False, seq=lambda i: i + 6)
    [event] = index.events()
    assert event.gaps == 5 and recorder.counters.gap_frames == 5


def test_a_clean_stop_records_what_was_queued_before_closing(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    recorder = Recorder(tmp_path, index, RecordSettings(0.5, 5.0, 300.0), keeper(index, tmp_path))
    fed = [Frame.build("cam", i + 1, unique(i), 320, 240, 5000 + i / 15, MOVING, mono=100 + i / 15) for i in range(200)]
    for frame in fed:
        recorder.offer(frame)  # all queued, the record thread not started yet
    recorder.finish()
    thread = threading.Thread(target=recorder.run)
    thread.start()
    thread.join(10)
    [event] = index.events()
    stored = [d for c in index.clips(event.id) for _, d in frames_of(tmp_path / c.path)]
    assert stored == [f.jpeg for f in fed] and event.state == DONE, "no tail lost"


def test_retention_cuts_the_old_parts_of_an_endless_event(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    recorder = Recorder(tmp_path, index, RecordSettings(0.5, 0.5, 2.0), keeper(index, tmp_path))
    now = time.time()
    feed(recorder, 15 * 9, wall=lambda i: now + i / 15)  # 9 s of motion in 2 s parts, never ending
    [event] = index.events()
    parts = index.clips(event.id)
    assert event.state == RECORDING and len(parts) == 5 and parts[-1].state == RECORDING
    limit = sum(c.bytes for c in parts[2:]) + 1
    Retention(tmp_path, index, lambda camera: 14.0, limit, 0, lambda: 0).sweep()
    kept = index.clips(event.id)
    assert [c.id for c in kept] == [c.id for c in parts[2:]], "the oldest parts went, the part being written stayed"
    found = index.event(event.id)
    assert found is not None and found.state == RECORDING and found.start == pytest.approx(parts[2].start)
    assert found.trimmed == pytest.approx(parts[2].start - parts[0].start)
    assert not (tmp_path / parts[0].path).exists() and index.total_bytes() == sum(c.bytes for c in kept)
    feed(recorder, 30, start=15 * 9, wall=lambda i: now + i / 15)  # it goes on recording after the cut
    assert recorder.sessions["cam"].writer is not None and len(index.clips(event.id)) == 4


def test_clips_declare_their_real_frame_rate(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    recorder = Recorder(tmp_path, index, RecordSettings(1.0, 0.5, 300.0), keeper(index, tmp_path))
    feed(recorder, 15, motion=lambda i: False)
    feed(recorder, 60, start=15)
    feed(recorder, 15, start=75, motion=lambda i: False)
    [event] = index.events()
    path = tmp_path / index.clips(event.id)[0].path
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    stream = json.loads(probe.stdout)["streams"][0]
    num, den = map(int, stream["r_frame_rate"].split("/"))
    assert num / den == pytest.approx(15, abs=0.2), stream["r_frame_rate"]
    capture = cv2.VideoCapture(str(path))
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(15, abs=0.2)
    assert abs(capture.get(cv2.CAP_PROP_FRAME_COUNT) - event.frames) <= 1, "OpenCV counts the frames there are"
    capture.release()
