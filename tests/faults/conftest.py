"""Real processes for the fault suite: a hub that can be killed -9 and restarted on the same
ports, senders, and viewers that read (or stall)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator

import psutil
import pytest

from tests.conftest import free_port, start_process, wait_until


class HubProcess:
    """``camnet-hub`` as a real process on fixed loopback ports."""

    def __init__(self, *flags: str) -> None:
        self.http, self.zmq = free_port(), free_port()
        self.flags = flags
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> float:
        """Start and wait until /healthz answers; returns the monotonic time it did."""
        self.proc = start_process(
            [
                "hub.cli",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.http),
                "--zmq-port",
                str(self.zmq),
                "--offline-after",
                "2",
                "--frame-count",
                "5",
                *(flag.replace("{http}", str(self.http)) for flag in self.flags),  # its own URL, as --public-url
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: self.healthy(), timeout=20)
        return time.monotonic()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def api(self, path: str) -> object:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}{path}", timeout=3) as resp:
            return json.loads(resp.read())

    def healthy(self) -> bool:
        try:
            return self.api("/healthz")["status"] == "ok"  # type: ignore[index]
        except OSError:
            return False

    def cameras(self) -> dict[str, dict]:
        try:
            return {c["name"]: c for c in self.api("/api/cameras")}  # type: ignore[union-attr]
        except OSError:
            return {}

    def usage(self) -> dict[str, float]:
        assert self.proc is not None
        p = psutil.Process(self.proc.pid)
        return {"rss_mb": p.memory_info().rss / 2**20, "threads": p.num_threads(), "fds": p.num_fds()}


@pytest.fixture
def hub_process() -> Iterator[HubProcess]:
    hub = HubProcess()
    yield hub
    hub.stop()


def sender(
    hub: HubProcess,
    name: str,
    source: str = "synthetic",
    fps: float = 10,
    *flags: str,
    output: int = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    """``camnet-sender`` as a real process (320 wide unless ``flags`` say otherwise)."""
    return start_process(
        [
            "client.cli",
            "--server-ip",
            "127.0.0.1",
            "--server-port",
            str(hub.zmq),
            "--source",
            source,
            "--name",
            name,
            "--fps",
            str(fps),
            "--width",
            "320",
            "--timeout",
            "1.0",
            *flags,
        ],
        stdout=output,
        stderr=subprocess.STDOUT if output == subprocess.PIPE else subprocess.DEVNULL,
    )


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class Viewer(threading.Thread):
    """An MJPEG viewer that reads (counting parts) or, with ``stall``, connects and never reads."""

    def __init__(self, hub: HubProcess, path: str, stall: bool = False) -> None:
        super().__init__(daemon=True)
        self.hub, self.path, self.stall = hub, path, stall
        self.parts = 0
        self.errors = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                with socket.socket() as sock:
                    if self.stall:  # a tiny window: the hub's writes block almost at once
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                    sock.settimeout(3)
                    sock.connect(("127.0.0.1", self.hub.http))
                    sock.sendall(f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                    if self.stall:
                        self.done.wait()
                        return
                    while not self.done.is_set():
                        data = sock.recv(1 << 16)
                        if not data:
                            break
                        self.parts += data.count(b"X-Camnet-Seq")
            except OSError:
                self.errors += 1
                self.done.wait(0.3)  # the hub is restarting: come back
