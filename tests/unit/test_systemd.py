"""The sd_notify client against a real datagram socket standing in for systemd's."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import pytest

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


def test_without_systemd_nothing_is_sent(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sent: list[object] = []
    monkeypatch.setattr(socket.socket, "sendto", lambda self, *args: sent.append(args))
    notifier = Notifier({"WATCHDOG_USEC": "2000000"})  # a watchdog but no socket: still nothing
    notifier.ready("x")
    notifier.heartbeat()
    notifier.stopping()
    assert sent == [] and notifier.address == ""


def test_a_vanished_notify_socket_is_not_an_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="common.systemd")
    path = tmp_path / "notify"
    notifier = Notifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "1000"})
    notifier.ready("x")  # logged at debug level, never raised: systemd may restart meanwhile
    notifier.heartbeat()
    failed = [r for r in caplog.records if "sd_notify" in r.getMessage() and "failed" in r.getMessage()]
    assert len(failed) == 2 and all(r.levelno == logging.DEBUG for r in failed)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:  # systemd is back
        server.bind(str(path))
        server.settimeout(2)
        time.sleep(0.01)  # past the 0.5 ms watchdog interval
        notifier.heartbeat()
        assert server.recv(100) == b"WATCHDOG=1", "the notifier goes on once the socket is there again"
