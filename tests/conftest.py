"""Fixtures that build real objects: a started Hub on free loopback ports, senders, HTTP readers."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import zmq

from common import protocol
from common.config import HubConfig
from hub.app import Hub
from hub.objects.install import install
from hub.objects.model import MODEL_FILE

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.05) -> object:
    """Poll ``predicate`` until it is truthy; fail the test with a clear message on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s: {getattr(predicate, '__name__', predicate)}")


def scene(seq: int, moving: bool, width: int = 640, height: int = 480) -> np.ndarray:
    """A synthetic frame: textured background with noise; a square that moves if ``moving``."""
    rng = np.random.default_rng(seq)
    yy, xx = np.mgrid[0:height, 0:width]
    base = (70 + 60 * xx / width + 30 * np.sin(yy / 17.0)).astype(np.float32)
    frame = np.clip(np.dstack([base, base, base]) + rng.normal(0, 3, (height, width, 3)), 0, 255).astype(np.uint8)
    if moving:
        x = 40 + (seq * 12) % (width - 200)
        cv2.rectangle(frame, (x, 150), (x + 90, 260), (30, 220, 250), -1)
    return frame


def jpeg(frame: np.ndarray, quality: int = 85) -> bytes:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


class RawSender:
    """A bare REQ socket on loopback that can send anything, with a receive timeout."""

    def __init__(self, port: int, timeout_ms: int = 3000) -> None:
        self.sock = zmq.Context.instance().socket(zmq.REQ)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVTIMEO, timeout_ms)
        self.sock.setsockopt(zmq.SNDTIMEO, timeout_ms)
        self.sock.connect(f"tcp://127.0.0.1:{port}")

    def send(self, parts: list[bytes]) -> bytes:
        self.sock.send_multipart(parts)
        return bytes(self.sock.recv())

    def frame(self, name: str, data: bytes, **info: object) -> bytes:
        return self.send(protocol.encode(name, data, dict(info)))

    def close(self) -> None:
        self.sock.close(linger=0)


def model_file() -> Path:
    """The object model `make test` installed once (camnet-hub model install, from npm)."""
    path = Path(os.environ.get("CAMNET_TEST_MODEL") or ROOT / ".venv/camnet-model/models" / MODEL_FILE)
    if not path.is_file():
        pytest.fail(f"no object model at {path}: run `make model` (make test does) or set CAMNET_TEST_MODEL")
    return path


def with_model(data_dir: Path) -> Path:
    """Install the object model into a hub's data directory, as `camnet-hub model install --file` does."""
    install(data_dir, model_file())
    return data_dir


@pytest.fixture
def hub_factory(tmp_path: Path) -> Iterator[Callable[..., Hub]]:
    """Start in-process hubs on free ports; all are stopped at the end of the test.
    ``objects=...`` or ``model=True`` give the hub the object model."""
    hubs: list[Hub] = []

    def make(model: bool = False, **overrides: object) -> Hub:
        if model or "objects" in overrides:
            with_model(tmp_path / f"hub{len(hubs)}")
        cfg = dataclasses.replace(
            HubConfig(
                ip="127.0.0.1",
                port=0,
                zmq_port=free_port(),
                frame_count=5,
                offline_after=1.5,
                data_dir=str(tmp_path / f"hub{len(hubs)}"),
            ),
            **overrides,
        )
        hub = Hub(cfg)
        hub.start()
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.stop()


@pytest.fixture
def hub(hub_factory: Callable[..., Hub]) -> Hub:
    return hub_factory()


@pytest.fixture
def raw_sender(hub: Hub) -> Iterator[RawSender]:
    sender = RawSender(hub.config.zmq_port)
    yield sender
    sender.close()


def url(hub: Hub, path: str) -> str:
    return f"http://127.0.0.1:{hub.web.port}{path}"


def get(hub: Hub, path: str, timeout: float = 5.0) -> tuple[int, bytes, dict[str, str]]:
    """GET a path; returns (status, body, headers) for any status."""
    try:
        with urllib.request.urlopen(url(hub, path), timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


def read_mjpeg(hub: Hub, path: str, count: int, timeout: float = 10.0) -> list[bytes]:
    """Read ``count`` JPEG parts from an MJPEG stream, using each part's Content-Length."""
    parts: list[bytes] = []
    with urllib.request.urlopen(url(hub, path), timeout=timeout) as resp:
        assert resp.headers["Content-Type"].startswith("multipart/x-mixed-replace")
        while len(parts) < count:
            line = resp.readline()
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
                while resp.readline() not in (b"\r\n", b""):  # the rest of the part's headers
                    pass
                parts.append(resp.read(length))
    return parts


def start_process(args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
    """Run a camnet command as a real process with this interpreter and the repo on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    if "--data-dir" not in args:  # each hub its own state, never the user's own ~/.local/state
        env.setdefault("CAMNET_DATA_DIR", tempfile.mkdtemp(prefix="camnet-test-"))
    kwargs = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, **kwargs}
    return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env, **kwargs)  # type: ignore[call-overload]


class Output:
    """A process's output, read on a thread so the test can wait for a line."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc, self.text = proc, ""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, b""):
            self.text += line.decode(errors="replace")

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self._thread.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.text


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount real small file systems (tmpfs of ``size``, like "4m"; the tests run as root)."""
    mounts: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"disk{len(mounts)}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], check=True, timeout=10)
        mounts.append(point)
        return point

    yield mount
    for point in mounts:
        subprocess.run(["umount", "-l", str(point)], check=False, timeout=10)
