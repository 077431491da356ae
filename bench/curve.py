"""What CURVE costs: the same cameras at the same rate into a hub with ``--sender-auth none``
and into one with ``curve`` (every sender's key allowed), in one run. CPU per received frame of
the hub and of the senders, so the figure is a ratio measured side by side."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.run import ENV, ROOT, CamnetHub, cpu_seconds, frame_dir, spawn, stop


def _senders(hub: CamnetHub, cams: int, fps: float, keys: Path | None) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(cams):
        args = [
            "--port",
            str(hub.zmq),
            "--name",
            f"cam-{i:02d}",
            "--fps",
            str(fps),
            "--frames",
            frame_dir("640x480", "plain"),
        ]
        if keys is not None:
            args += [
                "--hub-key",
                (keys / "hub").read_text().strip(),
                "--key-file",
                str(keys / f"cam-{i:02d}.key_secret"),
            ]
        procs.append(spawn("bench.load", *args))
    return procs


def _run(label: str, cams: int, fps: float, warmup: float, seconds: float, tmp: Path) -> dict[str, Any]:
    keys: Path | None = None
    extra: list[str] = ["--data-dir", str(tmp / label)]
    if label == "curve":
        keys = tmp / "keys"
        keys.mkdir()
        hub_cli = [sys.executable, "-m", "hub.cli"]
        public = subprocess.run([*hub_cli, "keys", *extra], env=ENV, cwd=ROOT, capture_output=True, check=True)
        (keys / "hub").write_bytes(public.stdout)
        for i in range(cams):
            from common.curve import load_or_create

            sender_public, _, _ = load_or_create(keys / f"cam-{i:02d}.key_secret")
            subprocess.run(
                [*hub_cli, "sender", "allow", f"cam-{i:02d}", sender_public.decode(), *extra],
                env=ENV, cwd=ROOT, capture_output=True, check=True,
            )  # fmt: skip
        extra += ["--sender-auth", "curve"]
    hub = CamnetHub(*extra)
    senders = _senders(hub, cams, fps, keys)
    try:
        time.sleep(warmup)
        a, sent_cpu_a = hub.counts(), sum(cpu_seconds(p.pid) for p in senders)
        time.sleep(seconds)
        b, sent_cpu_b = hub.counts(), sum(cpu_seconds(p.pid) for p in senders)
    finally:
        stop(senders)
        hub.close()
    frames = max(b["frames"] - a["frames"], 1)
    return {
        "received_per_s": frames / (b["t"] - a["t"]),
        "hub_us_per_frame": (b["cpu"] - a["cpu"]) / frames * 1e6,
        "sender_us_per_frame": (sent_cpu_b - sent_cpu_a) / frames * 1e6,
    }


def curve_cost(cams: int, fps: float, warmup: float, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out: dict[str, Any] = {"cameras": cams, "fps": fps}
        for label in ("none", "curve"):
            out[label] = _run(label, cams, fps, warmup, seconds, Path(tmp))
    out["hub_ratio"] = out["curve"]["hub_us_per_frame"] / max(out["none"]["hub_us_per_frame"], 1e-9)
    out["sender_ratio"] = out["curve"]["sender_us_per_frame"] / max(out["none"]["sender_us_per_frame"], 1e-9)
    return out


def row(c: dict[str, Any]) -> str:
    return (
        f"| CURVE vs none, {c['cameras']} cams x {c['fps']:.0f} fps 640x480 | none: hub "
        f"{c['none']['hub_us_per_frame']:.0f} us, sender {c['none']['sender_us_per_frame']:.0f} us per frame | "
        f"curve: hub {c['curve']['hub_us_per_frame']:.0f} us ({c['hub_ratio']:.2f}x), sender "
        f"{c['curve']['sender_us_per_frame']:.0f} us ({c['sender_ratio']:.2f}x); {c['curve']['received_per_s']:.0f} "
        f"of {c['none']['received_per_s']:.0f} frames/s | the price of encryption, per frame |"
    )
