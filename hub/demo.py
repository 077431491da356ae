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
    args = parser.parse_args(argv)
    py = sys.executable
    # The synthetic cameras never stop moving: keep the demo's clips apart and small.
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "camnet-demo"
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
            source = "synthetic:still" if i % 4 == 3 else "synthetic"
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
