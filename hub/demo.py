"""``camnet-demo``: a hub and N synthetic cameras as real processes over ZeroMQ on loopback."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from common.config import Polygon
from hub.masks import SavedMasks
from hub.objects.install import InstallError, install


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="camnet-demo",
        description="Start a camnet hub and synthetic cameras as real processes on this machine (loopback "
        "only), print the page's URL, and stop them all on Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=8000, help="HTTP port of the hub (default: 8000)")
    parser.add_argument("--zmq-port", type=int, default=5555, help="ZeroMQ port (default: 5555)")
    parser.add_argument("--cameras", type=int, default=4, help="synthetic cameras to start (default: 4)")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (default: run until Ctrl-C)")
    parser.add_argument("--model", metavar="FILE", help="install this copy of the object model first (make demo does)")
    args = parser.parse_args(argv)
    py = sys.executable
    # The synthetic cameras never stop moving: keep the demo's clips apart and small.
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "camnet-demo"
    mask_the_clocks(state, args.cameras)
    if args.model:
        try:
            install(state, Path(args.model))
        except InstallError as exc:
            print(f"camnet-demo: {exc}; the demo runs without objects", file=sys.stderr)
    hub = subprocess.Popen(
        [
            py,
            "-m",
            "hub.cli",
            "--ip",
            "127.0.0.1",
            "--port",
            str(args.port),
            "--zmq-port",
            str(args.zmq_port),
            "--data-dir",
            str(state),
            "--retain-size",
            "500MB",
        ]
    )
    procs = [hub]
    url = f"http://127.0.0.1:{args.port}/"
    try:
        if not _wait_for(url + "healthz", hub, 15.0):
            print("camnet-demo: the hub did not start; see its messages above", file=sys.stderr)
            return 1
        for i in range(args.cameras):
            source = "synthetic" if _moving(i) else "synthetic:still"
            procs.append(
                subprocess.Popen(
                    [
                        py,
                        "-m",
                        "client.cli",
                        "--server-ip",
                        "127.0.0.1",
                        "--server-port",
                        str(args.zmq_port),
                        "--source",
                        source,
                        "--name",
                        f"demo-{i + 1}",
                        "--fps",
                        "15",
                    ]
                )
            )
        print(f"\ncamnet demo running: open {url}  (Ctrl-C to stop)\n", flush=True)
        terminated: list[int] = []
        signal.signal(signal.SIGTERM, lambda signum, _: terminated.append(signum))
        deadline = time.monotonic() + args.seconds if args.seconds else float("inf")
        while time.monotonic() < deadline and hub.poll() is None and not terminated:
            time.sleep(0.2)
        return hub.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()


# The synthetic scene burns a clock into its bottom-left corner (as real cameras do). A clock
# changes every second: left unmasked, every demo event's motion box spans the clock and the
# square, and a newcomer never sees what the detector really found.
CLOCK_MASK: Polygon = ((0.0, 0.88), (0.36, 0.88), (0.36, 1.0), (0.0, 1.0))


def mask_the_clocks(state: Path, cameras: int) -> None:
    """Save a mask over the burned-in clock of every moving demo camera (as if drawn on its
    page), unless that camera already has saved masks of its own."""
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    saved = SavedMasks(state)
    for i in range(cameras):
        name = f"demo-{i + 1}"
        if _moving(i) and not saved.get(name):
            saved.set(name, [CLOCK_MASK])


def _moving(i: int) -> bool:
    return i % 4 != 3


def _wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


if __name__ == "__main__":
    sys.exit(main())
