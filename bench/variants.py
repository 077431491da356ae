"""What a feature costs per frame: the same cameras at the same rate into two hubs that differ
in one setting, one after the other in the same run. CPU per received frame of the hub and of
the senders, compared as a ratio: CURVE against none, MQTT on against off."""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.run import ENV, ROOT, CamnetHub, cpu_seconds, frame_dir, spawn, stop
from common.curve import load_or_create

Setup = Callable[[Path, int], tuple[list[str], Callable[[int], list[str]]]]  # -> hub args, sender args


def _measure(setup: Setup, cams: int, fps: float, warmup: float, seconds: float, tmp: Path) -> dict[str, Any]:
    hub_args, sender_args = setup(tmp, cams)
    hub = CamnetHub("--data-dir", str(tmp / "state"), *hub_args)
    senders = [
        spawn(
            "bench.load", "--port", str(hub.zmq), "--name", f"cam-{i:02d}", "--fps", str(fps),
            "--frames", frame_dir("640x480", "plain"), *sender_args(i),
        )
        for i in range(cams)
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 30  # every sender started and through its handshake
        while len(hub.api("/api/cameras")) < cams and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(warmup)
        a, sent_a = hub.counts(), sum(cpu_seconds(p.pid) for p in senders)
        time.sleep(seconds)
        b, sent_b = hub.counts(), sum(cpu_seconds(p.pid) for p in senders)
    finally:
        stop(senders)
        hub.close()
    frames = max(b["frames"] - a["frames"], 1)
    return {
        "received_per_s": frames / (b["t"] - a["t"]),
        "hub_us_per_frame": (b["cpu"] - a["cpu"]) / frames * 1e6,
        "sender_us_per_frame": (sent_b - sent_a) / frames * 1e6,
    }


def _compare(
    setups: dict[str, Setup], cams: int, fps: float, warmup: float, seconds: float, rounds: int
) -> dict[str, Any]:
    """Alternate the two hubs ``rounds`` times (A B A B ...) and keep each one's median: this
    shared machine drifts by 10-20 % between windows, the alternation cancels the drift."""
    out: dict[str, Any] = {"cameras": cams, "fps": fps, "rounds": rounds}
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in setups}
    for _ in range(rounds):
        for label, setup in setups.items():
            with tempfile.TemporaryDirectory() as tmp:
                runs[label].append(_measure(setup, cams, fps, warmup, seconds, Path(tmp)))
    for label, measured in runs.items():
        out[label] = {key: statistics.median(m[key] for m in measured) for key in measured[0]}
    first, second = list(setups)
    out["hub_ratio"] = out[second]["hub_us_per_frame"] / max(out[first]["hub_us_per_frame"], 1e-9)
    out["sender_ratio"] = out[second]["sender_us_per_frame"] / max(out[first]["sender_us_per_frame"], 1e-9)
    return out


def _plain(tmp: Path, cams: int) -> tuple[list[str], Callable[[int], list[str]]]:
    return [], lambda i: []


def _curve(tmp: Path, cams: int) -> tuple[list[str], Callable[[int], list[str]]]:
    """A curve hub with every bench sender's key allowed, as `camnet-hub sender allow` does."""
    state = ["--data-dir", str(tmp / "state")]
    hub_cli = [sys.executable, "-m", "hub.cli"]
    hub_key = subprocess.run([*hub_cli, "keys", *state], env=ENV, cwd=ROOT, capture_output=True, check=True)
    for i in range(cams):
        public, _, _ = load_or_create(tmp / f"cam-{i:02d}.key_secret")
        allow = [*hub_cli, "sender", "allow", f"cam-{i:02d}", public.decode(), *state]
        subprocess.run(allow, env=ENV, cwd=ROOT, capture_output=True, check=True)
    key = hub_key.stdout.decode().strip()
    return ["--sender-auth", "curve"], lambda i: ["--hub-key", key, "--key-file", str(tmp / f"cam-{i:02d}.key_secret")]


def curve_cost(cams: int, fps: float, warmup: float, seconds: float, rounds: int = 3) -> dict[str, Any]:
    return _compare({"none": _plain, "curve": _curve}, cams, fps, warmup, seconds, rounds)


class _Mosquitto:
    """A broker for the MQTT comparison (Debian's mosquitto, as `make test` installs it)."""

    def __init__(self, tmp: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        conf = tmp / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def mqtt_cost(cams: int, fps: float, warmup: float, seconds: float, rounds: int = 3) -> dict[str, Any]:
    """The synthetic cameras move all the time: every camera is in one long event, publishing
    an "update" every 2 s, its motion and status, and discovery at the start."""
    with tempfile.TemporaryDirectory() as tmp:
        broker = _Mosquitto(Path(tmp))

        def on(tmp: Path, cams: int) -> tuple[list[str], Callable[[int], list[str]]]:
            return ["--mqtt", f"mqtt://127.0.0.1:{broker.port}"], lambda i: []

        try:
            return _compare({"off": _plain, "on": on}, cams, fps, warmup, seconds, rounds)
        finally:
            broker.close()


def row(name: str, c: dict[str, Any]) -> str:
    first, second = (k for k in c if isinstance(c[k], dict))
    return (
        f"| {name}, {c['cameras']} cams x {c['fps']:.0f} fps 640x480 | {first}: hub "
        f"{c[first]['hub_us_per_frame']:.0f} us, sender {c[first]['sender_us_per_frame']:.0f} us per frame | "
        f"{second}: hub {c[second]['hub_us_per_frame']:.0f} us ({c['hub_ratio']:.2f}x), sender "
        f"{c[second]['sender_us_per_frame']:.0f} us ({c['sender_ratio']:.2f}x); {c[second]['received_per_s']:.0f} "
        f"of {c[first]['received_per_s']:.0f} frames/s | median of {c['rounds']} alternating runs |"
    )
