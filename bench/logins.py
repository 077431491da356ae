"""A flood of wrong logins against a real hub process: /healthz latency and a live viewer's
frame rate during a burst of 60 wrong logins (form and HTTP Basic, 60 at once), beside the
same figures without it, measured in the same run."""

from __future__ import annotations

import base64
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.run import ENV, ROOT, CamnetHub, loads, stop

BURST = 60


def _manage(data: Path, *args: str, stdin: bytes = b"") -> bytes:
    done = subprocess.run([sys.executable, "-m", "hub.cli", *args, "--data-dir", str(data)], cwd=ROOT, env=ENV,
                          input=stdin, capture_output=True, timeout=60, check=True)  # fmt: skip
    return done.stdout


def _call(port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


class Watch:
    """A live MJPEG viewer and a /healthz probe, each on a thread, counting what they see."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.frames: list[float] = []
        self.health: list[tuple[float, float]] = []  # (when, seconds it took)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=f, daemon=True) for f in (self._view, self._probe)]
        for t in self.threads:
            t.start()

    def _view(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", f"/video_feed/cam-00?overlay=0&token={self.token}")
        resp = conn.getresponse()
        while not self.stop.is_set():
            line = resp.fp.readline()
            if not line:
                return
            if line.startswith(b"--frame"):
                self.frames.append(time.monotonic())
        conn.close()

    def _probe(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            _call(self.port, "GET", "/healthz", {})
            self.health.append((started, time.monotonic() - started))
            time.sleep(0.05)

    def window(self, start: float, end: float) -> dict[str, float]:
        took = [t for at, t in self.health if start <= at < end]
        frames = [t for t in self.frames if start <= t < end]
        return {
            "healthz_p50_ms": 1000 * statistics.median(took) if took else float("nan"),
            "healthz_max_ms": 1000 * max(took) if took else float("nan"),
            "viewer_fps": len(frames) / (end - start),
        }

    def close(self) -> None:
        self.stop.set()


def login_flood(quiet_seconds: float = 5.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "hub"
        _manage(data, "user", "add", "ada", "--role", "admin", "--password-stdin", stdin=b"ada-password-1\n")
        token = _manage(data, "token", "add", "viewer").decode().split()[-1]
        hub = CamnetHub("--data-dir", str(data))
        senders = loads(hub.zmq, 1, 15, "640x480")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _call(hub.http, "GET", f"/snapshot/cam-00?token={token}", {}) != 200:
            time.sleep(0.2)  # the camera is there before anyone watches it
        watch = Watch(hub.http, token)
        try:
            time.sleep(2.0)  # the viewer is streaming
            quiet_start = time.monotonic()
            time.sleep(quiet_seconds)
            quiet = watch.window(quiet_start, time.monotonic())
            answers: list[tuple[int, float]] = []

            def wrong(n: int) -> None:
                started = time.monotonic()
                if n % 2:
                    body = json.dumps({"user": "ada", "password": f"guess-{n}"}).encode()
                    status = _call(hub.http, "POST", "/login", {"Content-Type": "application/json"}, body)
                else:
                    basic = base64.b64encode(f"user{n}:guess-{n}".encode()).decode()
                    status = _call(hub.http, "GET", "/api/cameras", {"Authorization": f"Basic {basic}"})
                answers.append((status, time.monotonic() - started))

            flood = [threading.Thread(target=wrong, args=(n,)) for n in range(BURST)]
            burst_start = time.monotonic()
            for t in flood:
                t.start()
            for t in flood:
                t.join(60)
            time.sleep(1.0)
            burst = watch.window(burst_start, time.monotonic())
        finally:
            watch.close()
            stop(senders)
            hub.close()
    statuses: dict[str, int] = {}
    for status, _ in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "quiet": quiet,
        "burst": burst,
        "answered": len(answers),
        "statuses": statuses,
        "slowest_answer_s": max((t for _, t in answers), default=float("nan")),
    }


def row(r: dict[str, Any]) -> str:
    q, b = r["quiet"], r["burst"]
    codes = ", ".join(f"{n}x {code}" for code, n in sorted(r["statuses"].items()))

    def seen(w: dict[str, float]) -> str:
        health = f"/healthz p50 {w['healthz_p50_ms']:.1f} ms, max {w['healthz_max_ms']:.0f} ms"
        return f"{health}, viewer {w['viewer_fps']:.1f} fps"

    return (
        f"| /healthz and a 15 fps viewer, quiet vs {BURST} wrong logins at once | /healthz 9.25 s during the burst "
        f"(before the fix) | quiet: {seen(q)}; burst: {seen(b)}; {r['answered']} answered ({codes}), slowest "
        f"{r['slowest_answer_s']:.2f} s | every answer within seconds, viewer unslowed |"
    )
