"""What `journalctl -u camnet-hub -f` shows: who may log in, cameras coming and going, events,
logins and failed logins, each as one line."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import Output, RawSender, free_port, jpeg, scene, start_process, wait_until

pytestmark = pytest.mark.slow


def test_the_hub_says_what_it_does(tmp_path) -> None:  # type: ignore[no-untyped-def]
    http, zmq_port = free_port(), free_port()
    args = ["hub.cli", "--ip", "127.0.0.1", "--port", str(http), "--zmq-port", str(zmq_port), "--frame-count", "5",
            "--offline-after", "1", "--pre-roll", "0.5", "--post-roll", "0.5",
            "--data-dir", str(tmp_path / "hub")]  # fmt: skip
    hub = Output(start_process(args))
    sender = RawSender(zmq_port)
    try:
        wait_until(lambda: "web logins not required" in hub.text, timeout=20)
        for i in range(10):
            sender.frame("porch", jpeg(scene(i, False, 320, 240)))
            time.sleep(0.05)
        for i in range(20):
            sender.frame("porch", jpeg(scene(i, True, 320, 240)))
            time.sleep(0.05)
        for i in range(20):
            sender.frame("porch", jpeg(scene(i, False, 320, 240)))
            time.sleep(0.05)
        wait_until(lambda: "event 1 ended" in hub.text and "offline: no message" in hub.text, timeout=15)
        sender.frame("porch", jpeg(scene(0, False, 320, 240)))
        wait_until(lambda: "'porch' back online" in hub.text, timeout=10)
    finally:
        sender.close()
        text = hub.stop()
    lines = text.splitlines()
    expected_lines = (
        "camera 'porch' connected",
        "camera 'porch': motion, event 1 opened",
        "camera 'porch': event 1 ended",
        "camera 'porch' offline: no message for",
        "camera 'porch' back online",
        "hub stopped",
    )
    for expected in expected_lines:
        assert any(expected in line for line in lines), f"no line says {expected!r}:\n{text}"


def test_logins_and_failed_logins_are_logged(tmp_path) -> None:  # type: ignore[no-untyped-def]
    http = free_port()
    add = start_process(["hub.cli", "user", "add", "ada", "--role", "admin", "--password-stdin", "--data-dir",
                         str(tmp_path / "hub")], stdin=subprocess.PIPE)  # fmt: skip
    add.communicate(b"ada-password-1\n", timeout=30)
    assert add.returncode == 0
    hub = Output(start_process(["hub.cli", "--ip", "127.0.0.1", "--port", str(http), "--zmq-port", str(free_port()),
                                "--data-dir", str(tmp_path / "hub")]))  # fmt: skip
    try:
        wait_until(lambda: "web logins required: 1 user(s), 1 of them admin" in hub.text, timeout=20)
        for password in ("wrong-password", "ada-password-1"):
            body = json.dumps({"user": "ada", "password": password}).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{http}/login", body, {"Content-Type": "application/json"}
            )
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(request, timeout=5).close()
        wait_until(lambda: "'ada' logged in from 127.0.0.1" in hub.text, timeout=5)
    finally:
        text = hub.stop()
    assert "login failed for 'ada' from 127.0.0.1" in text and "ada-password-1" not in text
