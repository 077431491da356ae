"""The index, retention and the start-up check with real files, a real SQLite file and a real
small file system: oldest first, never a recording event, totals kept, crashes repaired."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from common.motion import QUIET, Motion
from hub.events.clips import ClipWriter, frames_of
from hub.events.index import CUT, DONE, EventIndex
from hub.events.recorder import Recorder, RecordSettings
from hub.events.recovery import reconcile
from hub.events.retention import Retention
from hub.frames import Frame
from tests.conftest import jpeg, scene

DAY = 86400.0


def add_event(index: EventIndex, data: Path, camera: str, start: float, size: int, state: str = DONE) -> int:
    event = index.open_event(camera, start)
    relative = f"clips/test/{event}-1.mkv"
    (data / relative).parent.mkdir(parents=True, exist_ok=True)
    (data / relative).write_bytes(b"\0" * size)
    clip = index.add_clip(event, relative, start)
    if state != "recording":
        index.close_clip(clip, start + 5, 75, size, state)
        index.update_event(event, end=start + 5, state=state)
    return event


def retention(index: EventIndex, data: Path, **kw: object) -> Retention:
    days = kw.pop("days", lambda camera: 14.0)
    return Retention(data, index, days, kw.pop("size", 0), kw.pop("min_free", 0), lambda: 0)  # type: ignore[arg-type]


@pytest.fixture
def small_disk(tmpfs: Callable[[str], Path]) -> Path:
    return tmpfs("4m")


def test_size_limit_deletes_the_oldest_first_and_keeps_totals(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    now = time.time()
    ids = [add_event(index, tmp_path, "a", now - 1000 + i, 100_000) for i in range(10)]
    assert index.total_bytes() == 1_000_000
    keeper = retention(index, tmp_path, size=550_000)
    keeper.sweep()
    assert [e.id for e in index.events(limit=100)] == ids[5:][::-1]
    assert index.total_bytes() == 500_000 and keeper.deleted == {"size": 5}
    assert len(list((tmp_path / "clips").rglob("*.mkv"))) == 5


def test_age_limit_is_per_camera(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    now = time.time()
    old_a = add_event(index, tmp_path, "a", now - 20 * DAY, 10)
    new_a = add_event(index, tmp_path, "a", now - 1 * DAY, 10)
    old_b = add_event(index, tmp_path, "b", now - 20 * DAY, 10)
    keeper = retention(index, tmp_path, days=lambda camera: 30.0 if camera == "b" else 14.0)
    keeper.sweep()
    assert {e.id for e in index.events()} == {new_a, old_b}
    assert index.event(old_a) is None and keeper.deleted == {"age": 1}


def test_motion_only_events_age_out_on_their_own_limit_and_alerts_are_kept(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    now = time.time()
    motion = add_event(index, tmp_path, "a", now - 5 * DAY, 10)
    person = add_event(index, tmp_path, "a", now - 5 * DAY, 10)
    index.update_event(person, labels=["person"], alert=1, objects=[{"id": 1, "label": "person"}])
    recent = add_event(index, tmp_path, "a", now - 1 * DAY, 10)
    keeper = Retention(tmp_path, index, lambda camera: 14.0, 0, 0, lambda: 0, retain_motion_days=lambda camera: 3.0)
    keeper.sweep()
    assert {e.id for e in index.events()} == {person, recent}
    assert index.event(motion) is None and keeper.deleted == {"age": 1}
    assert index.event(person).labels == ("person",)  # type: ignore[union-attr]


def test_free_space_reserve_on_a_small_disk_never_touches_a_recording_event(small_disk: Path) -> None:
    index = EventIndex(small_disk)
    now = time.time()
    recording = add_event(index, small_disk, "a", now - 5000, 400_000, state="recording")
    ids = [add_event(index, small_disk, "a", now - 4000 + i, 500_000) for i in range(6)]
    keeper = retention(index, small_disk, min_free=2_000_000)
    assert keeper.free() < 2_000_000
    keeper.sweep()
    assert keeper.free() >= 2_000_000
    left = [e.id for e in index.events(limit=100)]
    assert recording in left, "an event still recording is never deleted"
    assert left[:-1] == ids[len(ids) - len(left) + 1 :][::-1], "the oldest went first"
    assert keeper.deleted["free-space"] >= 2
    (small_disk / "junk").write_bytes(b"\0" * (keeper.free() - 100_000))  # not ours: cannot be freed
    for event in index.events(limit=100):
        if event.id != recording:
            keeper.delete(event.id, "test")
    assert not keeper.room_for_a_clip(), "below the reserve with nothing left to delete"


def test_a_clip_cut_short_by_a_crash_is_repaired_and_indexed_as_cut(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    event = index.open_event("porch", 1000.0)
    relative = "clips/test/1-1.mkv"
    clip = index.add_clip(event, relative, 1000.0)
    writer = ClipWriter(tmp_path / relative, 1000.0, 1000.0, 640, 480)
    frames = [jpeg(scene(i, True)) for i in range(10)]
    for i, data in enumerate(frames):
        writer.write(data, 1000.0 + i / 15)
    crashed = (tmp_path / (relative + ".part")).read_bytes()  # what a kill -9 leaves: no trailer
    writer.close()
    (tmp_path / relative).unlink()
    (tmp_path / (relative + ".part")).write_bytes(crashed)
    report = reconcile(tmp_path, index)
    assert report.repaired == 1 and not (tmp_path / (relative + ".part")).exists()
    repaired = [d for _, d in frames_of(tmp_path / relative)]
    assert len(repaired) >= 9 and repaired == frames[: len(repaired)], "a crash costs at most the last frame"
    found = index.event(event)
    assert found is not None and found.state == CUT and found.frames == len(repaired)
    assert found.end == pytest.approx(1000.0 + (len(repaired) - 1) / 15, abs=0.01)
    assert index.clips(event)[0].state == CUT and index.total_bytes() == (tmp_path / relative).stat().st_size
    assert clip == index.clips(event)[0].id


def test_the_start_up_check_removes_a_few_strays_but_refuses_a_swapped_disk(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    kept = add_event(index, tmp_path, "a", 1000.0, 10)
    gone = add_event(index, tmp_path, "a", 1001.0, 10)
    (tmp_path / f"clips/test/{gone}-1.mkv").unlink()
    (tmp_path / "clips/test/stray.mkv").write_bytes(b"x")
    report = reconcile(tmp_path, index)
    assert (report.missing_rows, report.orphans, report.refused) == (1, 1, None)
    assert [e.id for e in index.events()] == [kept] and not (tmp_path / "clips/test/stray.mkv").exists()
    for i in range(20):  # another disk's files, or this disk's index lost
        (tmp_path / f"clips/test/other-{i}.mkv").write_bytes(b"x")
    report = reconcile(tmp_path, index)
    assert report.refused and "deleting nothing" in report.refused
    assert len(list((tmp_path / "clips").rglob("other-*"))) == 20


def test_a_long_event_goes_on_in_new_clips_without_losing_a_frame(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    recorder = Recorder(tmp_path, index, RecordSettings(1.0, 0.5, 1.0), retention(index, tmp_path))
    moving = [jpeg(scene(i, True)) for i in range(12)]
    fed = []
    t0 = 5000.0
    for i in range(75):  # 1 s still, 3 s of motion, 1 s still at 15 fps
        t = t0 + i / 15
        found = Motion(True, (10, 10, 50, 50), ((10, 10, 50, 50),)) if 15 <= i < 60 else QUIET
        frame = Frame.build("cam", i + 1, moving[i % 12] + i.to_bytes(2, "big"), 640, 480, t, found)
        fed.append(frame)
        recorder._record(frame)  # the recorder thread's step, run here frame by frame
    [event] = index.events()
    clips = index.clips(event.id)
    assert len(clips) >= 3, "split every second"
    stored = [d for c in clips for _, d in frames_of(tmp_path / c.path)]
    first = next(i for i, f in enumerate(fed) if f.jpeg == stored[0])
    assert stored == [f.jpeg for f in fed[first : first + len(stored)]], "no frame lost or doubled at a split"
    assert 14 <= 15 - first <= 15, "the clip starts with the 1 s pre-roll: 15 frames before the motion"
    assert event.state == DONE


def test_100000_events_page_by_key_through_the_indexes(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    db = index._writer
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO events(camera, start, \"end\", state) VALUES (?, ?, ?, 'done')",
        ((f"cam-{i % 16}", 1e9 + i, 1e9 + i + 5) for i in range(100_000)),
    )
    db.execute("COMMIT")
    seen: list[int] = []
    before = None
    for _ in range(3):
        page = index.events(limit=50, before=before)
        seen += [e.id for e in page]
        before = page[-1].id
    assert seen == list(range(100_000, 100_000 - 150, -1))
    assert [e.id for e in index.events(camera="cam-3", limit=2)] == [99_988, 99_972]
    plans = {  # each page is a search through an index, never a scan of the table
        "SELECT * FROM events WHERE camera = ? AND id < ? ORDER BY id DESC LIMIT 50": "USING INDEX events_by_camera",
        "SELECT * FROM events WHERE id < ? ORDER BY id DESC LIMIT 50": "USING INTEGER PRIMARY KEY",
    }
    for sql, expected in plans.items():
        plan = " ".join(str(tuple(r)) for r in db.execute("EXPLAIN QUERY PLAN " + sql, ("cam-3", 5)[-sql.count("?") :]))
        assert expected in plan and "SCAN" not in plan, plan


def test_a_snapshot_the_index_never_learnt_of_is_attached_or_removed(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    event = add_event(index, tmp_path, "a", 1000.0, 10)
    (tmp_path / "snapshots").mkdir()
    (tmp_path / f"snapshots/{event}.jpg").write_bytes(b"jpeg")  # written, then the crash
    (tmp_path / "snapshots/999.jpg").write_bytes(b"jpeg")  # its event was deleted
    report = reconcile(tmp_path, index)
    found = index.event(event)
    assert found is not None and found.snapshot == f"snapshots/{event}.jpg"
    assert not (tmp_path / "snapshots/999.jpg").exists() and report.orphans == 1


def test_a_silent_camera_ends_its_event_and_later_frees_its_pre_roll(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    recorder = Recorder(tmp_path, index, RecordSettings(1.0, 0.5, 300.0), retention(index, tmp_path))
    moving = Motion(True, (10, 10, 50, 50), ((10, 10, 50, 50),))
    data = jpeg(scene(0, True))
    t0 = time.time()
    for i in range(10):
        recorder._record(Frame.build("gone", i + 1, data, 640, 480, t0 + i / 15, moving))
    assert index.events()[0].state == "recording"
    recorder._tick(t0 + 3.0)  # silent longer than the post-roll: the event ends
    assert index.events()[0].state == DONE and "gone" in recorder.sessions
    recorder._tick(t0 + 3.0 + Recorder.FORGET_AFTER)
    assert "gone" not in recorder.sessions, "no ring kept for a camera that went away"
