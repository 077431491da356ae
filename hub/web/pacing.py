"""Client-paced page streams: a tile is sent its next frame once the page says it painted the
last one, so a slow link (a phone on 3G) never fills the network's buffers with frames that
would be shown seconds late; it shows the present, less often.

The page opens ``/api/stream`` with ``"paced": true``; the stream's first record names it
(``{"type": "stream", "id": ...}``, an unguessable id), and the page posts what it painted to
``/api/stream/<id>/painted``, one request in flight at a time carrying every tile painted since.
A frame whose word never comes (a lost request) stops holding its tile after ``LOST_AFTER``.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable

from hub.store import Waker

LOST_AFTER = 3.0  # seconds a tile waits for word of its last frame before it is sent the next anyway


class Pacer:
    """One page stream's frames in flight, one per tile at most: the stream's thread asks and
    marks, the painted requests (web threads) clear; a lock guards the little shared."""

    def __init__(self, names: Iterable[str], waker: Waker) -> None:
        self.id = secrets.token_urlsafe(16)
        self.names = frozenset(names)
        self._waker = waker
        self._lock = threading.Lock()
        self._in_flight: dict[str, tuple[int, float]] = {}  # camera -> (seq sent, monotonic time)

    def ready(self, name: str, now: float) -> bool:
        """May the stream send this tile a frame now?"""
        with self._lock:
            sent = self._in_flight.get(name)
        return sent is None or now - sent[1] >= LOST_AFTER

    def sent(self, name: str, seq: int, now: float) -> None:
        with self._lock:
            self._in_flight[name] = (seq, now)

    def painted(self, seqs: dict[str, int]) -> None:
        """The page painted these frames (camera -> seq): their tiles may have the next."""
        with self._lock:
            for name, seq in seqs.items():
                sent = self._in_flight.get(name)
                if sent is not None and seq >= sent[0]:
                    del self._in_flight[name]
        self._waker.ring()


class Pacers:
    """The open paced streams by id (registered by the stream, looked up by painted requests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Pacer] = {}

    def add(self, pacer: Pacer) -> None:
        with self._lock:
            self._by_id[pacer.id] = pacer

    def remove(self, pacer: Pacer) -> None:
        with self._lock:
            self._by_id.pop(pacer.id, None)

    def get(self, stream_id: str) -> Pacer | None:
        with self._lock:
            return self._by_id.get(stream_id)
