"""The sd_notify client against a real datagram socket standing in for systemd's."""

from __future__ import annotations

import socket
from pathlib import Path

from common.systemd import Notifier


def test_ready_and_watchdog_reach_the_notify_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        server.settimeout(2)
        notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"})
        assert notifier.interval == 1.0
        notifier.ready("serving")
        assert server.recv(100) == b"READY=1\nSTATUS=serving"
        notifier.heartbeat()
        notifier.heartbeat()  # within the interval: not sent again
        notifier.stopping()
        assert server.recv(100) == b"WATCHDOG=1"
        assert server.recv(100) == b"STOPPING=1"


def test_without_systemd_nothing_happens() -> None:
    notifier = Notifier({})
    notifier.ready("x")
    notifier.heartbeat()
    assert notifier.interval is None
