"""What bounds one portal: its CPU per forwarded viewer (one upstream per camera, however
many watch) and the time from an event on a hub to its listing in the portal.

Two real hubs with synthetic cameras on a real mosquitto, and a ``camnet-portal`` process;
viewers are ``bench.viewers`` processes reading the portal's forwarded MJPEG.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.run import CamnetHub, cpu_seconds, free_port, loads, spawn, stop
from bench.variants import _Mosquitto


def _get(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
        return json.loads(resp.read())


def _until(predicate: Any, timeout: float, step: float = 0.02) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return time.monotonic()
        except OSError:
            pass
        time.sleep(step)
    raise RuntimeError("the portal bench timed out")


def _has(events: list[dict[str, Any]], prefix: str) -> bool:
    return any(e["camera"].startswith(prefix) for e in events)


def _cpu(pid: int, seconds: float) -> float:
    before, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - t0)


def portal_cost(
    cams: int = 8, viewers: tuple[int, ...] = (1, 20), seconds: float = 6.0, events: int = 3
) -> dict[str, Any]:
    procs: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        broker = _Mosquitto(Path(tmp))
        url = f"mqtt://127.0.0.1:{broker.port}"
        hubs = {name: CamnetHub("--mqtt", url, "--hub-name", name, "--public-url", "http://127.0.0.1:{http}",
                                "--pre-roll", "0.5", "--post-roll", "1") for name in ("north", "south")}  # fmt: skip
        http = free_port()
        portal = spawn("hub.portal.cli", "--mqtt", url, "--ip", "127.0.0.1", "--port", str(http),
                       "--data-dir", str(Path(tmp) / "portal"), "--log-level", "warning")  # fmt: skip
        out: dict[str, Any] = {"cameras": cams}
        try:
            for name, hub in hubs.items():
                procs += loads(hub.zmq, cams // 2, 15, "640x480", prefix=name)
            _until(lambda: len(_get(http, "/api/cameras")) == cams, 30, 0.2)
            idle = _cpu(portal.pid, seconds)
            out["idle_cpu_cores"] = idle
            for n in viewers:
                watching = spawn("bench.viewers", "--port", str(http), "--mjpeg", "/video_feed/north/north-00",
                                 "--count", str(n), "--seconds", str(seconds + 3))  # fmt: skip
                time.sleep(1.5)
                cpu = _cpu(portal.pid, seconds)
                feeds = {h["name"]: h["feeds"] for h in _get(http, "/api/hubs")}
                result, _ = watching.communicate(timeout=seconds + 60)
                fps = [v["fps"] for v in json.loads(result)["viewers"]]
                out[str(n)] = {"added_millicores_per_viewer": 1000 * (cpu - idle) / n, "portal_cpu_cores": cpu,
                               "median_fps": statistics.median(fps), "upstreams": feeds.get("north", 0)}  # fmt: skip
                time.sleep(IDLE_WAIT)
            lags = []
            for i in range(events):  # a new camera: its first event, on the hub and then in the portal
                name = f"late-{i}"
                procs += loads(hubs["north"].zmq, 1, 15, "640x480", prefix=name)
                on_hub = _until(lambda n=name: _has(hubs["north"].api("/api/events"), n), 30)  # type: ignore[misc]
                in_portal = _until(lambda n=name: _has(_get(http, "/api/events"), n), 30)  # type: ignore[misc]
                lags.append(1000 * (in_portal - on_hub))
            out["event_to_portal_ms"] = {"median": statistics.median(lags), "max": max(lags), "events": len(lags)}
        finally:
            stop([*procs, portal])
            for hub in hubs.values():
                hub.close()
            broker.close()
    return out


IDLE_WAIT = 1.0  # seconds between two viewer counts


def table(r: dict[str, Any]) -> str:
    lines = ["| figure | measured |", "|---|---|", f"| portal CPU idle, {r['cameras']} cameras of 2 hubs | "
             f"{1000 * r['idle_cpu_cores']:.1f} millicores |"]  # fmt: skip
    for key, v in r.items():
        if isinstance(v, dict) and "added_millicores_per_viewer" in v:
            each = v["added_millicores_per_viewer"]
            cost = f"{each:.1f} millicores each" if each > 0 else "within the idle noise"
            lines.append(f"| {key} viewer(s) of one forwarded camera (640x480, 15 fps) | "
                         f"{cost}, {v['median_fps']:.1f} fps, "
                         f"{v['upstreams']} upstream connection(s) |")  # fmt: skip
    lag = r["event_to_portal_ms"]
    lines.append(f"| an event on a hub to its listing in the portal | median {lag['median']:.0f} ms, "
                 f"max {lag['max']:.0f} ms ({lag['events']} events) |")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(portal_cost()))
