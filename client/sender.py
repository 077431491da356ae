"""The sender's REQ socket: one request, one reply, and a fresh socket after any timeout.

This is the ZeroMQ guide's "Lazy Pirate": a REQ socket that missed its reply can never send
again, so on timeout we close it (LINGER 0, nothing left queued) and open a new one. The
caller then sends a *fresh* frame; nothing is buffered while the hub is away.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import zmq

log = logging.getLogger(__name__)


class Sender:
    """Sends one message at a time to the hub and returns its reply, or None on timeout.

    ``backoff()`` is how long to wait before the next try after a timeout: it doubles with
    each failure in a row, up to a second, and starts again from 0.1 s once the hub has
    answered for ``healthy_after`` seconds, so one bad hour does not slow every later outage.
    """

    def __init__(
        self,
        address: str,
        timeout: float,
        context: zmq.Context | None = None,
        healthy_after: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.address = address
        self.timeout_ms = max(1, int(timeout * 1000))
        self.healthy_after = healthy_after
        self._clock = clock
        self._context = context or zmq.Context.instance()
        self._socket: zmq.Socket | None = None
        self.down_since: float | None = None  # monotonic time the hub stopped answering
        self.reconnects = 0  # in all, for the log and tests
        self.failures = 0  # recent failures; drives the backoff
        self._answering_since: float | None = None

    def send(self, parts: list[bytes]) -> bytes | None:
        """Send ``parts`` and wait for the hub's reply; None if it did not come in time."""
        sock = self._socket or self._connect()
        try:
            sock.send_multipart(parts, copy=False)
            if sock.poll(self.timeout_ms, zmq.POLLIN):
                reply = sock.recv()
                self._answered()
                return reply
        except zmq.ZMQError as exc:
            log.debug("socket error talking to %s: %s", self.address, exc)
        self._lost()
        return None

    def _connect(self) -> zmq.Socket:
        sock = self._context.socket(zmq.REQ)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SNDTIMEO, self.timeout_ms)
        sock.setsockopt(zmq.RCVTIMEO, self.timeout_ms)
        sock.setsockopt(zmq.RECONNECT_IVL, 100)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        sock.connect(self.address)
        self._socket = sock
        return sock

    def backoff(self) -> float:
        """Seconds to wait before trying again after a timeout."""
        return min(1.0, 0.1 * 2 ** min(max(self.failures - 1, 0), 4))

    def _answered(self) -> None:
        now = self._clock()
        if self.down_since is not None:
            log.info("hub %s answering again after %.1f s", self.address, now - self.down_since)
            self.down_since = None
        if self._answering_since is None:
            self._answering_since = now
        elif self.failures and now - self._answering_since >= self.healthy_after:
            self.failures = 0

    def _lost(self) -> None:
        if self.down_since is None:
            self.down_since = self._clock()
            log.warning("hub %s did not answer within %d ms; reconnecting until it does", self.address, self.timeout_ms)
        self.reconnects += 1
        self.failures += 1
        self._answering_since = None
        self.close()

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
