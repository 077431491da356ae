"""systemd's notify protocol in a few lines: READY=1 once serving, WATCHDOG=1 heartbeats.

Does nothing unless systemd started the process with ``Type=notify`` (NOTIFY_SOCKET set).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends state lines to systemd; ``heartbeat()`` pings the watchdog at half its period."""

    def __init__(self, env: Mapping[str, str]) -> None:
        address = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        usec = env.get("WATCHDOG_USEC", "")
        self.interval = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else None
        self._last = 0.0

    def notify(self, state: str) -> None:
        if not self.address:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(state.encode(), self.address)
        except OSError as exc:  # systemd gone or socket not ours: nothing to tell
            log.debug("sd_notify %r failed: %s", state, exc)

    def ready(self, status: str) -> None:
        self.notify(f"READY=1\nSTATUS={status}")

    def stopping(self) -> None:
        self.notify("STOPPING=1")

    def heartbeat(self) -> None:
        """Call from the main loop while healthy; a wedged process stops calling and is restarted."""
        now = time.monotonic()
        if self.interval is not None and now - self._last >= self.interval:
            self._last = now
            self.notify("WATCHDOG=1")
