"""``make bench``: camnet's hub against a seed-style baseline, measured in the same run.

Everything is a real process on loopback: hubs, senders (bench.load), viewers (bench.viewers).
Ratios matter, not absolute figures: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
STATE = tempfile.mkdtemp(prefix="camnet-bench-")  # the hubs' events and clips, removed at exit
atexit.register(shutil.rmtree, STATE, True)
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "CAMNET_DATA_DIR": STATE}


SCENARIOS = [
    "capacity", "viewers", "pages", "latency", "memory", "sender", "curve", "mqtt", "logins", "motion", "recording",
    "objects", "grid", "portal",
]  # fmt: skip
_given: set[int] = set()


def free_port() -> int:
    """A free loopback port, never one this run handed out before (two hubs must not clash)."""
    import socket

    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _given:
            _given.add(port)
            return port


def spawn(*args: str, quiet: bool = True) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if quiet else None,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its children."""
    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def stop(procs: list[subprocess.Popen[bytes]]) -> list[bytes]:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    outs = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        outs.append(out or b"")
    return outs


class CamnetHub:
    def __init__(self, *extra: str) -> None:
        self.http, self.zmq = free_port(), free_port()
        self.proc = spawn(
            "hub.cli",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.http),
            "--zmq-port",
            str(self.zmq),
            "--log-level",
            "warning",
            "--max-streams",
            "400",
            *(flag.replace("{http}", str(self.http)) for flag in extra),  # its own URL, as --public-url
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.api("/healthz")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("camnet hub did not start")

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}{path}", timeout=5) as r:
            return json.loads(r.read())

    def counts(self) -> dict[str, float]:
        cams = self.api("/api/cameras")
        return {
            "analyzed": sum(c["analyzed"] for c in cams),
            "frames": sum(c["frames"] for c in cams),
            "dropped": sum(c["dropped"] for c in cams),
            "cpu": cpu_seconds(self.proc.pid),
            "t": time.monotonic(),
        }

    def close(self) -> None:
        stop([self.proc])


class SeedHub:
    def __init__(self, tmp: str) -> None:
        self.zmq = free_port()
        self.stats = os.path.join(tmp, f"seed-{self.zmq}.txt")
        self.proc = spawn("bench.seed_hub", "--port", str(self.zmq), "--stats", self.stats)

    def counts(self) -> dict[str, float]:
        try:
            analyzed = int(Path(self.stats).read_text() or 0)
        except (OSError, ValueError):
            analyzed = 0
        return {
            "analyzed": analyzed,
            "frames": analyzed,
            "dropped": 0,
            "cpu": cpu_seconds(self.proc.pid),
            "t": time.monotonic(),
        }

    def close(self) -> None:
        stop([self.proc])


def frame_cache() -> Path:
    """This user's own cache of benchmark frames (0700: no other user can plant frames in it)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "camnet-bench"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    base.chmod(0o700)
    return base


def generator_key() -> str:
    """A digest of the code that draws the frames: changing bench/scene.py makes new ones."""
    import bench.scene

    return hashlib.sha256(Path(bench.scene.__file__).read_bytes()).hexdigest()[:16]


def frame_dir(size: str, detail: str) -> str:
    """Pre-encode the benchmark frames once and share them with every sender process."""
    from bench.scene import frames

    path = frame_cache() / f"{detail}-{size}-{generator_key()}"
    if not path.is_dir():
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        width, height = map(int, size.split("x"))
        for i, data in enumerate(frames(width, height, 30, detail=detail)):
            (tmp / f"{i:03d}.jpg").write_bytes(data)
        try:
            tmp.rename(path)
        except OSError:  # another run made it meanwhile
            shutil.rmtree(tmp, ignore_errors=True)
    return str(path)


def loads(
    port: int,
    n: int,
    fps: float,
    size: str,
    prefix: str = "cam",
    stamp: bool = False,
    detail: str = "plain",
    sub: bool = False,
) -> list[subprocess.Popen[bytes]]:
    extra = ["--stamp"] if stamp else ["--frames", frame_dir(size, detail)]
    if sub:  # camnet senders: a 320-wide sub-image with every frame
        width, height = map(int, size.split("x"))
        extra += ["--sub-frames", frame_dir(f"320x{round(height * 320 / width) & ~1}", detail)]
    return [
        spawn(
            "bench.load", "--port", str(port), "--name", f"{prefix}-{i:02d}", "--fps", str(fps), "--size", size, *extra
        )
        for i in range(n)
    ]


def window(hub: Any, warmup: float, seconds: float) -> dict[str, float]:
    time.sleep(warmup)
    a = hub.counts()
    time.sleep(seconds)
    b = hub.counts()
    dt, dcpu = b["t"] - a["t"], b["cpu"] - a["cpu"]
    return {
        "analysed_per_s": (b["analyzed"] - a["analyzed"]) / dt,
        "received_per_s": (b["frames"] - a["frames"]) / dt,
        "dropped": b["dropped"] - a["dropped"],
        "cpu_cores": dcpu / dt,
        "analysed_per_cpu_s": (b["analyzed"] - a["analyzed"]) / max(dcpu, 1e-9),
    }


def capacity(size: str, detail: str, cams: int, fps: float, warmup: float, seconds: float, tmp: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "size": size,
        "detail": detail,
        "cameras": cams,
        "offered_fps": cams * fps,
        "jpeg_kb": sum(p.stat().st_size for p in Path(frame_dir(size, detail)).glob("*.jpg")) / 30 / 1024,
    }
    for label, make, sub in (
        ("camnet", lambda: CamnetHub(), False),
        ("camnet_sub", lambda: CamnetHub(), True),
        ("seed", lambda: SeedHub(tmp), False),
    ):
        hub = make()
        senders = loads(hub.zmq, cams, fps, size, detail=detail, sub=sub)
        try:
            out[label] = window(hub, warmup, seconds)
        finally:
            stop(senders)
            hub.close()
    out["ratio_per_s"] = out["camnet"]["analysed_per_s"] / max(out["seed"]["analysed_per_s"], 1e-9)
    out["ratio_per_cpu_s"] = out["camnet"]["analysed_per_cpu_s"] / max(out["seed"]["analysed_per_cpu_s"], 1e-9)
    out["sub_ratio_per_cpu_s"] = out["camnet_sub"]["analysed_per_cpu_s"] / max(out["seed"]["analysed_per_cpu_s"], 1e-9)
    return out


def viewer_cost(counts: list[int], seconds: float, warmup: float) -> dict[str, Any]:
    """MJPEG viewers of one camera: ``/video_feed`` with the seed's overlay (rendered once a
    frame while anyone watches), and at the largest count also the sender's JPEGs untouched
    (``?overlay=0``: what Home Assistant and ffmpeg record), each viewer's own cost alone."""
    hub = CamnetHub()
    sender = loads(hub.zmq, 1, 30, "640x480")
    results: dict[str, Any] = {}
    runs = [(str(n), n, "/video_feed/cam-00") for n in counts]
    if counts[-1] >= 20:  # the full run: each viewer's own cost, without the overlay's render
        runs.append((f"{counts[-1]} (?overlay=0)", counts[-1], "/video_feed/cam-00?overlay=0"))
    try:
        base = window(hub, warmup, seconds)["cpu_cores"]
        results["idle_cpu_cores"] = base
        for label, n, path in runs:
            viewers = spawn(
                "bench.viewers",
                "--port",
                str(hub.http),
                "--mjpeg",
                path,
                "--count",
                str(n),
                "--seconds",
                str(seconds + 2 * warmup),
            )
            cpu = window(hub, warmup, seconds)["cpu_cores"]
            out, _ = viewers.communicate(timeout=seconds + 60)
            per = json.loads(out)["viewers"]
            fps = [v["fps"] for v in per]
            results[label] = {
                "added_millicores_per_viewer": 1000 * (cpu - base) / n,
                "hub_cpu_cores": cpu,
                "median_fps": statistics.median(fps),
                "min_fps": min(fps),
                "share_at_27fps": sum(f >= 27 for f in fps) / n,
                "duplicates": sum(v["dups"] for v in per),
            }
    finally:
        stop(sender)
        hub.close()
    return results


def page_streams(cams: int, fps: float, streams: int, seconds: float, warmup: float) -> dict[str, Any]:
    """``streams`` page streams, each watching its own 2 of ``cams`` cameras: each stream is
    woken only by its cameras, so the cost per stream follows its cameras, not the whole hub."""
    hub = CamnetHub()
    senders = loads(hub.zmq, cams, fps, "640x480", prefix="cam")
    subsets = [[f"cam-{i % cams:02d}", f"cam-{(i * 7 + 3) % cams:02d}"] for i in range(streams)]
    try:
        base = window(hub, warmup, seconds)
        viewers = spawn(
            "bench.viewers",
            "--port",
            str(hub.http),
            "--pages",
            ";".join(",".join(s) for s in subsets),
            "--seconds",
            str(seconds + 2 * warmup),
        )
        loaded = window(hub, warmup, seconds)
        out, _ = viewers.communicate(timeout=seconds + 60)
        per = json.loads(out)["pages"]
    finally:
        stop(senders)
        hub.close()
    span = seconds + 2 * warmup
    expected = [len(set(p["cameras"])) * fps for p in per]
    return {
        "cameras": cams,
        "fps": fps,
        "streams": streams,
        "idle_cpu_cores": base["cpu_cores"],
        "cpu_cores": loaded["cpu_cores"],
        "added_millicores_per_stream": 1000 * (loaded["cpu_cores"] - base["cpu_cores"]) / streams,
        "median_delivered_share": statistics.median(p["frames"] / span / e for p, e in zip(per, expected, strict=True)),
        "foreign_frames": sum(p["foreign"] for p in per),
    }


def latency(seconds: float, busy: int, busy_fps: float) -> dict[str, Any]:
    hub = CamnetHub()
    background = loads(hub.zmq, busy, busy_fps, "640x480", prefix="busy") if busy else []
    names = [f"lat-{i:02d}" for i in range(4)]
    stamped = loads(hub.zmq, 4, 15, "640x480", prefix="lat", stamp=True)
    try:
        time.sleep(2.0)
        viewer = spawn("bench.viewers", "--port", str(hub.http), "--page", ",".join(names), "--seconds", str(seconds))
        out, _ = viewer.communicate(timeout=seconds + 60)
        arrivals = json.loads(out)["arrivals"]
        sent = [json.loads(o.splitlines()[-1]) for o in stop(stamped)]
        load = window(hub, 0, 1.0) if busy else {}
    finally:
        stop(background)
        hub.close()
    delays = []
    for s in sent:
        got = arrivals.get(s["name"], {})
        for number, at in got.items():
            if number in s["sent_at"]:
                delays.append(1000 * (at - s["sent_at"][number]))
    delays.sort()
    pick = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] if delays else float("nan")  # noqa: E731
    return {
        "frames": len(delays),
        "p50_ms": pick(0.50),
        "p99_ms": pick(0.99),
        "max_ms": pick(1.0),
        "busy_cameras": busy,
        "busy_analysed_per_s": load.get("analysed_per_s"),
    }


def memory(cams: int, viewers: int, seconds: float, *extra: str, settle: float = 3.0) -> dict[str, Any]:
    hub = CamnetHub(*extra)
    senders = loads(hub.zmq, cams, 30, "640x480")
    groups = []
    try:
        time.sleep(settle)
        per = max(1, viewers // cams)
        for i in range(0, viewers, per):
            groups.append(
                spawn(
                    "bench.viewers",
                    "--port",
                    str(hub.http),
                    "--mjpeg",
                    f"/video_feed/cam-{(i // per) % cams:02d}",
                    "--count",
                    str(min(per, viewers - i)),
                    "--seconds",
                    str(seconds + 5),
                )
            )
        time.sleep(settle)
        samples = []
        for _ in range(int(seconds)):
            samples.append(psutil.Process(hub.proc.pid).memory_info().rss / 2**20)
            time.sleep(1)
    finally:
        stop(groups)
        stop(senders)
        hub.close()
    return {
        "cameras": cams,
        "viewers": viewers,
        "rss_mb_first": samples[0],
        "rss_mb_last": samples[-1],
        "rss_mb_max": max(samples),
        "growth_mb": samples[-1] - samples[0],
    }


def _sender_us_per_frame(width: int, seconds: float, sub_width: int) -> tuple[float, int, float]:
    """camnet-sender's CPU per frame into a camnet hub (``sub_width`` 0: no sub-images)."""
    hub = CamnetHub()
    name = f"s{width}-{sub_width}"
    proc = spawn("client.cli", "--server-ip", "127.0.0.1", "--server-port", str(hub.zmq), "--source", "synthetic",
                 "--width", str(width), "--fps", "30", "--name", name, "--sub-width", str(sub_width),
                 "--log-level", "warning")  # fmt: skip
    try:
        time.sleep(3)
        count = lambda: next(c["frames"] for c in hub.api("/api/cameras") if c["name"] == name)  # noqa: E731
        frames_a, cpu_a, t_a = count(), cpu_seconds(proc.pid), time.monotonic()
        time.sleep(seconds)
        frames_b, cpu_b = count(), cpu_seconds(proc.pid)
    finally:
        stop([proc])
        hub.close()
    sent = frames_b - frames_a
    return (cpu_b - cpu_a) / max(sent, 1) * 1e6, sent, sent / (time.monotonic() - t_a)


def hub_sub_cost(size: str = "640x480", n: int = 600, fps: float = 15.0, grid_fps: float = 5.0) -> dict[str, Any]:
    """A stock sender's frames (``fps`` a second) in the hub's worker, in this process: CPU of
    the analysis decode alone (nobody watches a small view), with the hub-made sub-image on
    every frame, and as the hub makes it, at most ``grid_fps`` a second while small tiles watch."""
    from common.motion import MotionAnalyzer
    from hub.store import Camera
    from hub.worker import CameraWorker

    jpegs = [p.read_bytes() for p in sorted(Path(frame_dir(size, "plain")).glob("*.jpg"))]
    width = int(size.split("x")[0])

    def per_frame(viewers: int, sub_fps: float) -> float:
        worker = CameraWorker(Camera("stock", 5.0), MotionAnalyzer(), sub_fps=sub_fps)
        worker.camera.sub_viewers = viewers
        started = time.process_time()
        for i in range(n):
            worker._decode_main(jpegs[i % len(jpegs)], width, i / fps)
        return (time.process_time() - started) / n * 1e6

    per_frame(0, 0)  # warm up
    plain = min(per_frame(0, 0) for _ in range(3))
    every = min(per_frame(1, 0) for _ in range(3))
    paced = min(per_frame(1, grid_fps) for _ in range(3))
    return {"size": size, "fps": fps, "grid_fps": grid_fps, "decode_us": plain, "every_frame_us": every,
            "with_sub_us": paced, "sub_extra_us": paced - plain, "per_sub_us": every - plain}  # fmt: skip


def sender_cost(width: int, seconds: float) -> dict[str, Any]:
    """camnet-sender's CPU per frame against a bare loop that makes and encodes the same
    synthetic frames at the same rate (both paced at 30 fps: an idle gap between frames costs
    CPU of its own, so a hot loop would flatter the bare figure); and its extra CPU for the
    320-wide sub-image, against the same sender with --sub-width 0, in the same run."""
    per_frame, sent, fps = _sender_us_per_frame(width, seconds, 320)
    without_sub, _, _ = _sender_us_per_frame(width, seconds, 0)
    bare_proc = spawn("bench.bare", "--width", str(width), "--fps", "30", "--frames", str(max(60, int(seconds * 30))))
    out, _ = bare_proc.communicate(timeout=seconds * 3 + 60)
    bare = json.loads(out)
    return {
        "width": width,
        "frames": sent,
        "fps": fps,
        "sender_us_per_frame": per_frame,
        "sender_no_sub_us_per_frame": without_sub,
        "sub_extra": per_frame / max(without_sub, 1e-9) - 1,
        "bare_encode_us": bare["encode"],
        "bare_capture_encode_us": bare["capture_encode"],
        "ratio": without_sub / bare["capture_encode"],
        "ratio_to_encode_only": without_sub / bare["encode"],
    }


def table(r: dict[str, Any]) -> str:
    lines = ["| figure | seed-style | camnet | ratio / target |", "|---|---|---|---|"]
    for cap in r.get("capacity", []):
        s, c = cap["seed"], cap["camnet"]
        what = f"{cap['size']} {cap['detail']} ({cap['jpeg_kb']:.0f} KB)"
        lines.append(
            f"| analysed/s, {cap['cameras']} cams x {cap['offered_fps'] / cap['cameras']:.0f} fps, {what} "
            f"| {s['analysed_per_s']:.0f} ({s['cpu_cores']:.2f} cores) | {c['analysed_per_s']:.0f} "
            f"({c['cpu_cores']:.2f} cores, received {c['received_per_s']:.0f}/s, dropped {c['dropped']}) "
            f"| {cap['ratio_per_s']:.1f}x |"
        )
        lines.append(
            f"| analysed per hub CPU-second, {what} | {s['analysed_per_cpu_s']:.0f} "
            f"| {c['analysed_per_cpu_s']:.0f} | **{cap['ratio_per_cpu_s']:.1f}x** (stock senders: no lower) |"
        )
        if "camnet_sub" in cap:
            cs = cap["camnet_sub"]
            lines.append(
                f"| analysed per hub CPU-second, {what}, camnet senders with sub-images "
                f"| {s['analysed_per_cpu_s']:.0f} "
                f"| {cs['analysed_per_cpu_s']:.0f} (received {cs['received_per_s']:.0f}/s, dropped {cs['dropped']}) "
                f"| **{cap['sub_ratio_per_cpu_s']:.1f}x** (target >= 10x) |"
            )
    for n, v in r.get("viewers", {}).items():
        if n == "idle_cpu_cores":
            continue
        lines.append(
            f"| {n} MJPEG viewers of one 30 fps camera | ~1 core each | "
            f"{v['added_millicores_per_viewer']:.1f} millicores/viewer, median {v['median_fps']:.1f} fps, "
            f"{v['share_at_27fps']:.0%} >= 27 fps, {v['duplicates']} duplicates | target <= 2 millicores at 100 |"
        )
    for lat in r.get("latency", []):
        busy = f" + {lat['busy_cameras']} cams x 100 fps" if lat["busy_cameras"] else ""
        lines.append(
            f"| latency sender->page, 4 cams x 15 fps{busy} | not measured | p50 {lat['p50_ms']:.1f} ms, "
            f"p99 {lat['p99_ms']:.1f} ms ({lat['frames']} frames) | target p99 <= "
            f"{50 if lat['busy_cameras'] else 15} ms |"
        )
    for p in [r["pages"]] if "pages" in r else []:
        lines.append(
            f"| {p['streams']} page streams, 2 of {p['cameras']} cams x {p['fps']:.0f} fps each | — | "
            f"{p['added_millicores_per_stream']:.1f} millicores/stream ({p['idle_cpu_cores']:.2f} -> "
            f"{p['cpu_cores']:.2f} cores), median {p['median_delivered_share']:.0%} of their frames, "
            f"{p['foreign_frames']} frames of unwatched cameras | woken only by watched cameras |"
        )
    for key, what, target in (("memory", "", 200), ("memory_objects", ", objects on", 250)):
        for m in [r[key]] if key in r else []:
            lines.append(
                f"| hub RSS, {m['cameras']} cams + {m['viewers']} viewers{what} | — | {m['rss_mb_first']:.0f} -> "
                f"{m['rss_mb_last']:.0f} MB (max {m['rss_mb_max']:.0f}) | target <= {target} MB, flat |"
            )
    for s in r.get("sender", []):
        lines.append(
            f"| sender CPU per frame, width {s['width']}, 30 fps, no sub-image | — | "
            f"{s['sender_no_sub_us_per_frame']:.0f} us vs bare capture+encode {s['bare_capture_encode_us']:.0f} us "
            f"(encode alone {s['bare_encode_us']:.0f} us) "
            f"| {s['ratio']:.2f}x ({s['ratio_to_encode_only']:.2f}x vs encode alone) (target <= 1.2x) |"
        )
        lines.append(
            f"| sender's extra CPU for a 320-wide sub-image, width {s['width']} | — | "
            f"{s['sender_us_per_frame']:.0f} us vs {s['sender_no_sub_us_per_frame']:.0f} us per frame "
            f"| +{100 * s['sub_extra']:.0f}% (target <= 10%) |"
        )
    if "hub_sub" in r:
        h = r["hub_sub"]
        lines.append(
            f"| hub-made sub-image for a stock sender, {h['size']} at {h['fps']:.0f} fps | "
            f"{h['decode_us']:.0f} us per frame (decode only) | {h['with_sub_us']:.0f} us per frame while small "
            f"tiles watch (one sub-image per {h['fps'] / h['grid_fps']:.0f} frames, {h['per_sub_us']:.0f} us each) "
            f"| +{h['sub_extra_us']:.0f} us (target <= 150 us) |"
        )
    from bench.variants import row

    if "curve" in r:
        lines.append(row("CURVE vs none", r["curve"]))
    if "mqtt" in r:
        lines.append(row("MQTT on vs off", r["mqtt"]))
    if "logins" in r:
        from bench.logins import row as logins_row

        lines.append(logins_row(r["logins"]))
    if "grid" in r:
        from bench.grid import rows as grid_rows

        lines += grid_rows(r["grid"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few seconds of each scenario, small loads")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "latest.json"))
    parser.add_argument(
        "--only",
        choices=SCENARIOS,
        action="append",
        help="run only these scenarios (repeatable)",
    )
    args = parser.parse_args(argv)
    smoke = args.smoke
    secs, warm = (1.5, 1.0) if smoke else (8.0, 4.0)
    cams, fps = (2, 20) if smoke else (16, 100)
    results: dict[str, Any] = {"smoke": smoke, "cpu_count": os.cpu_count(), "started": time.time()}
    want = set(args.only or SCENARIOS)
    if "capacity" in want:
        cases = (
            [("640x480", "plain")] if smoke else [("640x480", "plain"), ("640x480", "detailed"), ("1280x720", "plain")]
        )
        with tempfile.TemporaryDirectory() as tmp:
            results["capacity"] = [capacity(size, detail, cams, fps, warm, secs, tmp) for size, detail in cases]
    if "viewers" in want:
        results["viewers"] = viewer_cost([2] if smoke else [1, 20, 100], secs, warm if smoke else 2.0)
    if "pages" in want:
        results["pages"] = page_streams(4 if smoke else 16, 15, 6 if smoke else 50, secs, warm)
    if "latency" in want:
        results["latency"] = [latency(secs + 1, 0, 0), latency(secs + 1, 2 if smoke else 16, 20 if smoke else 100)]
    if "memory" in want:
        settle = 1.5 if smoke else 3.0
        results["memory"] = memory(2 if smoke else 16, 4 if smoke else 50, 3 if smoke else 20, settle=settle)
        from bench.objects import with_objects

        with with_objects() as data:  # the same load, with the object model's detect thread running
            results["memory_objects"] = memory(2 if smoke else 16, 4 if smoke else 50, 3 if smoke else 20,
                                               "--data-dir", data, settle=settle)  # fmt: skip
    if "sender" in want:
        results["sender"] = [sender_cost(w, secs) for w in ([640] if smoke else [640, 1280])]
        results["hub_sub"] = hub_sub_cost(n=100 if smoke else 600)
    if "curve" in want:
        from bench.variants import curve_cost

        results["curve"] = curve_cost(2 if smoke else 16, 20 if smoke else 30, warm, secs, 1 if smoke else 3)
    if "mqtt" in want:
        from bench.variants import mqtt_cost

        results["mqtt"] = mqtt_cost(2 if smoke else 16, 20 if smoke else 30, warm, secs, 1 if smoke else 3)
    if "logins" in want:
        from bench.logins import login_flood

        results["logins"] = login_flood(2.0 if smoke else 8.0)
    if "motion" in want:
        from bench import motion_quality, scenes

        chosen = tuple(s for s in scenes.SCENES if s.name in ("walker", "light on")) if smoke else scenes.SCENES
        results["motion"] = motion_quality.run(1 if smoke else 3, chosen)
        results["small_objects"] = motion_quality.small_objects(takes=1 if smoke else 2)
    if "recording" in want:
        from bench import recording

        results["recording"] = {
            "cost": recording.recording_cost(seconds=2.0 if smoke else 10.0),
            "listing": recording.listing(10_000 if smoke else 100_000),
            "timelapse": recording.timelapse_day(4 if smoke else 16, 60.0 if smoke else 300.0),
        }
    if "grid" in want:
        from bench.grid import grid

        results["grid"] = grid(4 if smoke else 16, 3 if smoke else 10, 1.5 if smoke else 3.0)
    if "portal" in want:
        from bench.portal import portal_cost

        results["portal"] = portal_cost(4 if smoke else 8, (1, 5) if smoke else (1, 20, 100), 2.0 if smoke else 6.0,
                                        1 if smoke else 5)  # fmt: skip
    if "objects" in want:
        from bench import object_scenes, objects

        chosen = (
            [s for s in object_scenes.suite() if s.name in ("person walking", "swaying foliage")] if smoke else None
        )
        results["objects"] = {
            "suite": objects.scene_suite(chosen),
            "saturation": objects.saturation(4 if smoke else 16, 3 if smoke else 6, 4 if smoke else 15, not smoke),
        }
    text = table(results)
    if "motion" in results:
        from bench import motion_quality

        text += "\n\nMotion quality on the scene suite (frame-level F1 after warm-up, false events):\n\n"
        text += motion_quality.table(results["motion"])
        text += "\n\nRecall of the robust detector on small far figures, by analysis width (1.0: every frame):\n\n"
        text += motion_quality.small_table(results["small_objects"])
    if "objects" in results:
        from bench import objects

        text += "\n\nObjects: the labelled scene set (real photos over a scene; motion that is no object), and "
        text += "16 cameras with the detector saturated, objects on vs off in the same run:\n\n"
        text += objects.table(results["objects"]["suite"], results["objects"]["saturation"])
    if "portal" in results:
        from bench import portal

        text += "\n\nThe portal: two hubs on one mosquitto, viewers of one forwarded camera, events reaching it:\n\n"
        text += portal.table(results["portal"])
    if "recording" in results:
        from bench import recording

        text += "\n\nRecording (the recorder thread, in process) and listing events from the index:\n\n"
        rec = results["recording"]
        text += recording.table(rec["cost"], rec["listing"], rec["timelapse"])
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**results, "table": text}, indent=2))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
