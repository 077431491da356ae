"""Rate limiting for repeated log lines: a flood of bad frames must not flood the journal."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Throttle:
    """Says yes to a key at most once per ``interval`` seconds, and counts what it held back."""

    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def ready(self, key: str) -> int | None:
        """None if ``key`` was let through recently; else the number held back since (0 or more)."""
        now = self._clock()
        with self._lock:
            if now - self._last.get(key, -1e18) < self.interval:
                self._held[key] = self._held.get(key, 0) + 1
                return None
            self._last[key] = now
            if len(self._last) > 4096:  # hostile senders could invent keys forever
                self._last = {key: now}
                self._held = {}
            return self._held.pop(key, 0)
