"""Recording cost: the recorder thread's CPU and the disk bytes per frame with 16 cameras in
motion, the time-lapse's CPU and bytes per camera-day, and how long listing events and a
day's timeline take from a large index.

Run by ``make bench`` (scenario ``recording``); in-process, on the real Recorder, clip writer
and SQLite index in a temporary data directory.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.scenes import SCENES
from common.motion import Motion
from hub.events.index import EventIndex
from hub.events.recorder import Recorder, RecordSettings
from hub.events.retention import Retention
from hub.frames import Frame
from hub.timeline.spans import Rolls, timeline


def recording_cost(cameras: int = 16, seconds: float = 10.0, fps: float = 15.0) -> dict[str, Any]:
    """The record thread's cost per frame, run twice in one go: clips synced to the disk every
    2 s (what the hub does: a power cut costs at most that) and never synced, so that the
    difference is the price of durability."""
    synced, unsynced = _recording_run(cameras, seconds, fps, 2.0), _recording_run(cameras, seconds, fps, 1e12)
    return {
        **synced,
        "unsynced_cpu_us_per_frame": unsynced["cpu_us_per_frame"],
        "unsynced_wall_us_per_frame": unsynced["wall_us_per_frame"],
        "sync_cpu_us_per_frame": synced["cpu_us_per_frame"] - unsynced["cpu_us_per_frame"],
        "sync_wall_us_per_frame": synced["wall_us_per_frame"] - unsynced["wall_us_per_frame"],
    }


def _recording_run(cameras: int, seconds: float, fps: float, sync_every: float) -> dict[str, Any]:
    walker = next(s for s in SCENES if s.name == "walker")
    frames = [data for data, _ in walker.frames()][60:72]  # 640x480 frames with someone in view
    moving = Motion(True, (40, 150, 130, 260), ((40, 150, 130, 260),))
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:  # a real disk, not a tmpfs /tmp
        data = Path(tmp)
        index = EventIndex(data)
        retention = Retention(data, index, lambda camera: 14.0, 0, 0, lambda: 0)
        settings = RecordSettings(sync_every=sync_every)
        recorder = Recorder(data, index, settings, retention)
        count = int(seconds * fps)
        sent = 0
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(count):
            now = 1e9 + i / fps
            for c in range(cameras):
                frame = Frame.build(f"cam-{c}", i + 1, frames[i % len(frames)], 640, 480, now, moving)
                recorder._record(frame)  # what the recorder thread does with each frame
                sent += len(frame.jpeg)
            if i % int(fps / 2) == 0:
                recorder._tick(now)  # twice a second: silence, checkpoints and syncs
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        recorder.finish()
        recorder._drain()
        on_disk = sum(p.stat().st_size for p in (data / "clips").rglob("*.mkv"))
        total = count * cameras
        index.close()
        return {
            "cameras": cameras,
            "frames": total,
            "cpu_us_per_frame": 1e6 * cpu / total,
            "wall_us_per_frame": 1e6 * wall / total,
            "cores_at_15fps": cpu / seconds,
            "jpeg_bytes_per_frame": sent / total,
            "disk_bytes_per_frame": on_disk / total,
            "container_overhead": on_disk / sent - 1,
        }


def timelapse_day(cameras: int = 16, seconds: float = 600.0, fps: float = 15.0) -> dict[str, Any]:
    """The time-lapse's price per camera-day: 16 still cameras at 15 fps through the real
    recorder for ``seconds`` of camera time, once with the time-lapse at 1 fps and once off;
    the CPU difference and the segment bytes, scaled to 86,400 s."""
    on, off = _still_run(cameras, seconds, fps, 1.0), _still_run(cameras, seconds, fps, 0.0)
    day = 86400.0 / seconds / cameras
    return {
        "cameras": cameras,
        "seconds": seconds,
        "jpeg_bytes": on["jpeg_bytes"],
        "cpu_s_per_camera_day": max(on["cpu"] - off["cpu"], 0.0) * day,
        "recorder_cpu_s_per_camera_day": on["cpu"] * day,
        "bytes_per_camera_day": on["segment_bytes"] * day,
        "frames_per_camera_day": on["frames"] * day,
        "full_rate_bytes_per_camera_day": on["jpeg_bytes"] * fps * 86400.0,
    }


def _still_run(cameras: int, seconds: float, fps: float, timelapse_fps: float) -> dict[str, float]:
    frames = [jpeg for jpeg, _ in next(s for s in SCENES if s.name == "walker").frames()][:12]  # no one in view yet
    still = Motion(False, None, ())
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:  # a real disk, not a tmpfs /tmp
        data = Path(tmp)
        index = EventIndex(data)
        retention = Retention(data, index, lambda camera: 14.0, 0, 0, lambda: 0)
        recorder = Recorder(data, index, RecordSettings(), retention, timelapse_fps=lambda camera: timelapse_fps)
        cpu = time.process_time()
        for i in range(int(seconds * fps)):
            now = 1e9 + i / fps
            for c in range(cameras):
                recorder._record(Frame.build(f"cam-{c}", i + 1, frames[i % len(frames)], 640, 480, now, still))
            if i % int(fps / 2) == 0:
                recorder._tick(now)  # twice a second: silence, checkpoints and syncs
        cpu = time.process_time() - cpu
        recorder.finish()
        recorder._drain()
        written = recorder.counters.timelapse_frames
        on_disk = index.totals().get("segment_bytes", 0)
        index.close()
        return {"cpu": cpu, "frames": written, "segment_bytes": on_disk,
                "jpeg_bytes": statistics.mean(len(f) for f in frames)}  # fmt: skip


def listing(events: int = 100_000, runs: int = 30) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        index = EventIndex(Path(tmp))
        db = index._writer
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO events(camera, start, \"end\", frames, bytes, state) VALUES (?, ?, ?, 75, 2000000, 'done')",
            ((f"cam-{i % 16}", 1e9 + i * 30, 1e9 + i * 30 + 5) for i in range(events)),
        )
        db.execute("COMMIT")
        cases = {
            "newest 50": {},
            "newest 50 of one camera": {"camera": "cam-7"},
            "50 from the middle (before=id)": {"before": events // 2},
            "one day of one camera": {"camera": "cam-3", "since": 1e9 + 1_000_000, "until": 1e9 + 1_086_400},
        }
        out: dict[str, Any] = {"events": events}
        for label, query in cases.items():
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                index.events(limit=50, **query)  # type: ignore[arg-type]
                times.append(time.perf_counter() - started)
            out[label] = 1000 * statistics.median(times)
        middle = 1e9 + events * 30 // 2
        day = (middle - 43200, middle + 43200)  # 2,880 events of 16 cameras, 384 hour-long segments
        db.execute("BEGIN")
        db.executemany(
            'INSERT INTO segments(camera, path, start, "end", frames, bytes, state) '
            "VALUES (?, ?, ?, ?, 3600, 7e7, 'done')",
            (
                (f"cam-{c}", f"timelapse/{c}-{h}.mkv", day[0] + h * 3600, day[0] + h * 3600 + 3599)
                for c in range(16)
                for h in range(24)
            ),
        )
        db.execute("COMMIT")
        times = []
        for _ in range(max(3, runs // 5)):
            started = time.perf_counter()
            timeline(index, [], *day, Rolls(5.0, 5.0), now=day[1])
            times.append(time.perf_counter() - started)
        out["timeline"] = 1000 * statistics.median(times)
        index.close()
        return out


def table(cost: dict[str, Any], lists: dict[str, Any], lapse: dict[str, Any] | None = None) -> str:
    lines = [
        "| figure | measured | target |",
        "|---|---|---|",
        f"| recorder CPU per frame, {cost['cameras']} cameras in motion | {cost['cpu_us_per_frame']:.0f} us "
        f"({cost['cores_at_15fps']:.2f} cores at 15 fps) | no re-encoding |",
        f"| disk bytes per frame | {cost['disk_bytes_per_frame']:.0f} (JPEG {cost['jpeg_bytes_per_frame']:.0f}; "
        f"container {100 * cost['container_overhead']:.2f}%) | the sender's bytes |",
        f"| durability: clips synced every 2 s against never | +{cost['sync_cpu_us_per_frame']:.1f} us CPU, "
        f"+{cost['sync_wall_us_per_frame']:.1f} us wall per frame ({cost['unsynced_cpu_us_per_frame']:.0f} -> "
        f"{cost['cpu_us_per_frame']:.0f} us CPU) | a power cut costs at most 2 s |",
    ]
    if lapse is not None:
        lines += [
            f"| time-lapse (1 fps) per camera-day, {lapse['cameras']} still cameras at 15 fps, "
            f"{lapse['jpeg_bytes'] / 1000:.0f} KB JPEGs | {lapse['bytes_per_camera_day'] / 1e9:.2f} GB on disk, "
            f"{lapse['cpu_s_per_camera_day']:.1f} CPU-s ({lapse['frames_per_camera_day']:,.0f} frames) | "
            f"full rate would be {lapse['full_rate_bytes_per_camera_day'] / 1e9:.0f} GB |",
            f"| recorder CPU per still camera-day with the time-lapse (pre-roll ring included) | "
            f"{lapse['recorder_cpu_s_per_camera_day']:.0f} CPU-s "
            f"({lapse['recorder_cpu_s_per_camera_day'] / 864:.2f}% of a core) | |",
        ]
    for label, ms in lists.items():
        if label not in ("events", "timeline"):
            lines.append(f"| list {label} of {lists['events']:,} events | {ms:.2f} ms | < 100 ms |")
    if "timeline" in lists:
        lines.append(
            f"| /api/timeline of one day of 16 cameras (2,880 events, 384 segments) of {lists['events']:,} | "
            f"{lists['timeline']:.1f} ms | <= 200 ms |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(recording_cost(), listing(), timelapse_day()))
