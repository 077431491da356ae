"""What a new user meets: each sender mistake says what it is, a network camera that is down at
start is reported to the hub and retried, and no camera password is shown anywhere."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from hub.app import Hub
from tests.conftest import Output, free_port, start_process, wait_until

pytestmark = pytest.mark.slow
SECRET_URL = "rtsp://admin:S3cret-pw@127.0.0.1:{port}/stream1"


def sender(*args: str) -> Output:
    return Output(start_process(["client.cli", "--fps", "10", "--timeout", "0.5", *args]))


def test_a_network_camera_down_at_start_is_reported_and_its_password_shown_nowhere(hub: Hub) -> None:
    url = SECRET_URL.format(port=free_port())  # nothing listens there
    proc = sender("--server-ip", f"127.0.0.1:{hub.config.zmq_port}", "--source", url, "--name", "doorbell")
    try:

        def reported() -> dict[str, object] | None:
            camera = hub.cameras.get("doorbell")
            return camera.describe() if camera is not None and camera.camera_error else None

        described = wait_until(reported, timeout=30)
        assert proc.proc.poll() is None, "the sender keeps running and retrying"
        shown = json.dumps(described)
        assert "S3cret-pw" not in shown and "admin:***@127.0.0.1" in shown, shown
        assert "network camera" in shown
    finally:
        out = proc.stop()
    assert "S3cret-pw" not in out and "admin:***@" in out, out


def test_check_config_hides_passwords() -> None:
    url = SECRET_URL.format(port=554)
    check = start_process(["client.cli", "--server-ip", "h", "--source", url, "--check-config"])
    out, _ = check.communicate(timeout=20)
    assert check.returncode == 0 and b"S3cret-pw" not in out and b"admin:***@" in out
    hub = start_process(["hub.cli", "--check-config", "--mqtt", "mqtt://ha:Mqtt-S3cret@broker", "--webhook",
                         "https://u:Hook-S3cret@example.net/h"])  # fmt: skip
    out, _ = hub.communicate(timeout=20)
    assert hub.returncode == 0 and b"S3cret" not in out and b"mqtt://ha:***@broker" in out


@pytest.mark.parametrize(
    "target, expected",
    [
        (lambda hub: ("no-such-hub.invalid", str(free_port())), "does not resolve"),
        (lambda hub: ("127.0.0.1", str(free_port())), "nothing listens on 127.0.0.1"),
        (lambda hub: ("127.0.0.1", str(hub.web.port)), "is a web server"),
    ],
    ids=["unresolved", "nothing", "web-port"],
)
def test_the_sender_says_why_the_hub_does_not_answer(
    hub: Hub, target: Callable[[Hub], tuple[str, str]], expected: str
) -> None:
    host, port = target(hub)
    proc = sender("--server-ip", host, "--server-port", port, "--source", "synthetic", "--name", "lost")
    try:
        wait_until(lambda: "did not answer" in proc.text, timeout=20)
        time.sleep(0.2)
    finally:
        out = proc.stop()
    assert expected in out, out
