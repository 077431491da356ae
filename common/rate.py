"""A frame-rate meter shared by the hub (fps per camera) and the sender (its own fps)."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable


class RateMeter:
    """Events per second over the last ``window`` seconds; 0 once events stop for that long."""

    def __init__(self, window: float = 2.0, clock: Callable[[], float] = time.monotonic, keep: int = 32) -> None:
        self.window = window
        self._clock = clock
        self._times: collections.deque[float] = collections.deque(maxlen=keep)

    def tick(self, now: float | None = None) -> None:
        self._times.append(self._clock() if now is None else now)

    def rate(self) -> float:
        times = list(self._times)  # a snapshot: the writer may append meanwhile
        if len(times) < 2 or self._clock() - times[-1] > self.window:
            return 0.0
        recent = [t for t in times if times[-1] - t <= self.window]
        return (len(recent) - 1) / max(recent[-1] - recent[0], 1e-6) if len(recent) > 1 else 0.0
