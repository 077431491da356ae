"""The sender's REQ socket: one request, one reply, and a fresh socket after any timeout.

This is the ZeroMQ guide's "Lazy Pirate": a REQ socket that missed its reply can never send
again, so on timeout we close it (LINGER 0, nothing left queued) and open a new one. The
caller then sends a *fresh* frame; nothing is buffered while the hub is away.
"""

from __future__ import annotations

import logging
import time

import zmq

log = logging.getLogger(__name__)


class Sender:
    """Sends one message at a time to the hub and returns its reply, or None on timeout."""

    def __init__(self, address: str, timeout: float, context: zmq.Context | None = None) -> None:
        self.address = address
        self.timeout_ms = max(1, int(timeout * 1000))
        self._context = context or zmq.Context.instance()
        self._socket: zmq.Socket | None = None
        self.down_since: float | None = None  # monotonic time the hub stopped answering
        self.reconnects = 0

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

    def _answered(self) -> None:
        if self.down_since is not None:
            log.info("hub %s answering again after %.1f s", self.address, time.monotonic() - self.down_since)
            self.down_since = None

    def _lost(self) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning("hub %s did not answer within %d ms; reconnecting until it does", self.address, self.timeout_ms)
        self.reconnects += 1
        self.close()

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
