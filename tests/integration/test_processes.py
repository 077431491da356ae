"""The two commands as real processes: start, stream, stop on SIGTERM, refuse bad input."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request

import pytest

from tests.conftest import free_port, start_process, wait_until

pytestmark = pytest.mark.slow


def api(port: int, path: str) -> object:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as resp:
        return json.loads(resp.read())


def stop_within(proc: subprocess.Popen[bytes], seconds: float) -> tuple[int, float, str]:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=seconds + 5)
    return proc.returncode, time.monotonic() - started, out.decode(errors="replace")


def test_hub_and_senders_run_and_stop_cleanly_on_sigterm() -> None:
    http, zmq_port = free_port(), free_port()
    hub = start_process(
        ["hub.cli", "--ip", "127.0.0.1", "--port", str(http), "--zmq-port", str(zmq_port), "--frame-count", "5"]
    )
    senders = [
        start_process(
            [
                "client.cli",
                "--server-ip",
                "127.0.0.1",
                "--server-port",
                str(zmq_port),
                "--source",
                src,
                "--name",
                name,
                "--fps",
                "20",
            ]
        )
        for name, src in (("moving", "synthetic"), ("still", "synthetic:still"))
    ]
    try:

        def both_online() -> bool:
            try:
                cams = {c["name"]: c for c in api(http, "/api/cameras")}  # type: ignore[union-attr]
            except OSError:
                return False
            return all(cams.get(n, {}).get("analyzed", 0) > 20 for n in ("moving", "still"))

        wait_until(both_online, timeout=20)
        viewer = urllib.request.urlopen(f"http://127.0.0.1:{http}/video_feed/moving", timeout=5)
        viewer.read(1000)
        cams = {c["name"]: c for c in api(http, "/api/cameras")}  # type: ignore[union-attr]
        assert cams["moving"]["sender"]["source"] == "synthetic"
        assert cams["still"]["motion"] is False
        for proc in senders:
            code, took, out = stop_within(proc, 2.0)
            assert code == 0 and took < 2.5, (code, took, out)
        code, took, out = stop_within(hub, 2.0)
        assert code == 0 and took < 2.5, (code, took, out)
        assert "hub stopped" in out
        viewer.close()
    finally:
        for proc in [hub, *senders]:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--server-ip", "127.0.0.1", "--source", "webcam"], 1, "unknown source 'webcam'"),
        (
            ["--server-ip", "127.0.0.1", "--source", "/tmp/no-such-clip.mp4"],
            1,
            "video file '/tmp/no-such-clip.mp4' not found",
        ),
        (["--server-ip", "127.0.0.1:5555", "--server-port", "6000", "--source", "synthetic"], 2, "names port 5555"),
        (["--server-ip", "hub.local:http", "--source", "synthetic"], 2, "'http' is not a port"),
        (["--server-ip", "127.0.0.1", "--source", "synthetic", "--name", "a/b"], 2, "--name: camera name"),
        (["--source", "synthetic"], 2, "server_ip is required"),
        (["--server-ip", "h", "--source", "synthetic", "--fps", "0"], 2, "fps must be between"),
    ],
)
def test_sender_refuses_bad_input_with_one_line(args: list[str], code: int, message: str) -> None:
    proc = start_process(["client.cli", *args])
    out, _ = proc.communicate(timeout=20)
    text = out.decode()
    assert proc.returncode == code and message in text, text
    assert len(text.strip().splitlines()) == 1, text


def test_hub_reports_a_busy_port_and_bad_config() -> None:
    http = free_port()
    first = start_process(["hub.cli", "--ip", "127.0.0.1", "--port", str(http), "--zmq-port", str(free_port())])
    try:
        wait_until(lambda: _up(http), timeout=15)
        second = start_process(["hub.cli", "--ip", "127.0.0.1", "--port", str(http), "--zmq-port", str(free_port())])
        out, _ = second.communicate(timeout=20)
        assert second.returncode == 1 and b"cannot serve http on 127.0.0.1" in out, out
    finally:
        first.terminate()
        first.communicate(timeout=5)
    bad = start_process(["hub.cli", "--offline-after", "0"])
    out, _ = bad.communicate(timeout=20)
    assert bad.returncode == 2 and b"offline_after must be between 0.5 and 3600" in out
    check = start_process(["hub.cli", "--check-config", "--port", "8123"])
    out, _ = check.communicate(timeout=20)
    assert check.returncode == 0 and b"port = 8123" in out


def _up(port: int) -> bool:
    try:
        return api(port, "/healthz")["status"] == "ok"  # type: ignore[index]
    except OSError:
        return False


@pytest.mark.parametrize("module, prog", [("hub.cli", "camnet-hub"), ("client.cli", "camnet-sender")])
def test_version(module: str, prog: str) -> None:
    from common import __version__

    proc = start_process([module, "--version"])
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0 and out.decode().strip() == f"{prog} {__version__}"
