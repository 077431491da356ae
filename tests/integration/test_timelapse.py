"""Time-lapse segments with real files and a real SQLite index: the sender's JPEGs one a
second with their times, nothing while an event records, a segment cut by a crash made
whole at start, and retention by their own age limit and with clips by size."""

from __future__ import annotations

import time
from pathlib import Path

from hub.events.clips import frames_of
from hub.events.index import CUT, DONE, RECORDING, EventIndex
from hub.events.kept import Kept
from hub.events.retention import Retention
from hub.timeline.segments import Segments
from hub.timeline.timelapse import Timelapse, repair_segments
from tests.conftest import jpeg, scene
from tests.integration.test_retention import DAY, add_event


def kept(i: int, t0: float, fps: float = 10.0) -> Kept:
    return Kept("yard", t0 + i / fps, 1000.0 + i / fps, i + 1, jpeg(scene(i % 8, False)), 640, 480, None, False)


def test_one_frame_a_second_byte_identical_and_none_while_an_event_records(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    segments = Segments(index)
    lapse = Timelapse("yard", tmp_path, segments, lambda: 1.0)
    t0 = time.time()
    frames = [kept(i, t0) for i in range(100)]  # 10 s at 10 fps
    for frame in frames[:50]:
        lapse.record(frame, in_event=False)
    for frame in frames[50:70]:
        lapse.record(frame, in_event=True)  # an event has these at full rate
    for frame in frames[70:]:
        lapse.record(frame, in_event=False)
    lapse.close(DONE)
    rows = segments.oldest(10)
    assert [r.state for r in rows] == [DONE, DONE], "closed when the event began, a new one after it"
    got = [f for r in rows for f in frames_of(tmp_path / r.path)]
    sent = {f.jpeg for f in frames}
    assert all(data in sent for _, data in got), "the sender's bytes"
    assert len(got) == 8, f"one a second, none during the event: {len(got)}"
    first = frames_of(tmp_path / rows[0].path)
    assert [ms for ms, _ in first] == [0, 1000, 2000, 3000, 4000], "real times, a second apart"
    assert rows[0].end is not None and abs(rows[0].end - (rows[0].start + 4.0)) < 0.01
    assert index.total_bytes() == sum(r.bytes for r in rows) > 0
    assert "yard" not in str(rows[0].path), "never a camera name in a path"


def test_a_segment_cut_by_a_crash_is_made_whole_at_start(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    segments = Segments(index)
    lapse = Timelapse("yard", tmp_path, segments, lambda: 1.0)
    t0 = time.time()
    for i in range(60):
        lapse.record(kept(i, t0), in_event=False)  # 6 frames, flushed one by one; never closed: a kill
    [row] = segments.unfinished()
    assert row.state == RECORDING and (tmp_path / (row.path + ".part")).exists()
    assert repair_segments(tmp_path, segments) == 1
    [row] = segments.oldest(5)
    assert row.state == CUT and row.frames >= 5, "a kill costs at most the last frame (as for clips)"
    assert len(frames_of(tmp_path / row.path)) == row.frames
    assert not (tmp_path / (row.path + ".part")).exists()


def test_retention_ages_segments_on_their_own_limit_and_counts_them_in_the_size(tmp_path: Path) -> None:
    index = EventIndex(tmp_path)
    segments = Segments(index)
    now = time.time()
    for age, size in ((10 * DAY, 1000), (3 * DAY, 2000), (1 * DAY, 3000)):
        relative = f"timelapse/test/{age:.0f}.mkv"
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(b"\0" * size)
        segment = segments.add("yard", relative, now - age)
        segments.checkpoint(segment, now - age + 3600, 3600, size, DONE)
    add_event(index, tmp_path, "yard", now - 2 * DAY, 5000)  # an event clip, kept 14 days
    keep = Retention(tmp_path, index, lambda camera: 14.0, 9000, 0, lambda: 0, retain_timelapse_days=7.0)
    keep.sweep()
    left = segments.oldest(10)
    assert [round((now - s.start) / DAY) for s in left] == [1], "the 10-day one by age, the 3-day one by size"
    assert keep.segments_deleted == {"age": 1, "size": 1}
    assert index.total_bytes() == 3000 + 5000 and index.count() == 1, "the newer clip kept"
    assert not (tmp_path / "timelapse/test/864000.mkv").exists()
