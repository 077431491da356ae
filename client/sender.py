"""The sender's REQ socket: one request, one reply, and a fresh socket after any timeout.

This is the ZeroMQ guide's "Lazy Pirate": a REQ socket that missed its reply can never send
again, so on timeout we close it (LINGER 0, nothing left queued) and open a new one. The
caller then sends a *fresh* frame; nothing is buffered while the hub is away.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import zmq
from zmq.utils.monitor import recv_monitor_message

log = logging.getLogger(__name__)
HANDSHAKE = (
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_SUCCEEDED
)


@dataclass(frozen=True)
class Curve:
    """The keys of a CURVE sender: the hub's public key and this sender's own pair (Z85)."""

    hub: bytes
    public: bytes
    secret: bytes


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
        curve: Curve | None = None,
        name: str = "NAME",
        explain: Callable[[], str] | None = None,
    ) -> None:
        self.address = address
        self._explain = explain  # why the hub is silent (client/reach.py), asked once per outage
        self.curve = curve
        self.name = name  # the camera's, for the hint a refused key gets
        self.timeout_ms = max(1, int(timeout * 1000))
        self.healthy_after = healthy_after
        self._clock = clock
        self._context = context or zmq.Context.instance()
        self._socket: zmq.Socket | None = None
        self.down_since: float | None = None  # monotonic time the hub stopped answering
        self.reconnects = 0  # in all, for the log and tests
        self.failures = 0  # recent failures; drives the backoff
        self._answering_since: float | None = None
        self._monitor: zmq.Socket | None = None
        self.problem: str | None = None  # why the last handshake failed, as logged

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
        if self.curve is not None:
            sock.curve_serverkey = self.curve.hub
            sock.curve_publickey = self.curve.public
            sock.curve_secretkey = self.curve.secret
        # Handshake events tell a refused key from a wrong hub key from a hub that is away;
        # they happen once per connection, so the monitor costs nothing per frame.
        self._monitor = sock.get_monitor_socket(HANDSHAKE)
        sock.connect(self.address)
        self._socket = sock
        return sock

    def backoff(self) -> float:
        """Seconds to wait before trying again after a timeout (longer while the hub refuses
        our key: that needs a person, and each try costs the hub a handshake)."""
        limit = 10.0 if self.problem else 1.0
        return min(limit, 0.1 * 2 ** min(max(self.failures - 1, 0), 7))

    def _diagnose(self) -> str | None:
        """Why the handshake failed, from the monitor's events; None if it never got that far."""
        failed = None
        while self._monitor is not None and self._monitor.poll(0):
            event = recv_monitor_message(self._monitor)["event"]
            failed = None if event == zmq.EVENT_HANDSHAKE_SUCCEEDED else event
        if failed == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            public = self.curve.public.decode() if self.curve else "KEY"
            return (
                f"the hub refused this sender's key: allow it on the hub with "
                f"`camnet-hub sender allow -- {self.name!r} {public}`; retrying with backoff"
            )
        if failed == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            return (
                "the CURVE handshake failed: hub_key is not this hub's public key (run `camnet-hub keys` on the "
                "hub and copy its output exactly); retrying with backoff"
            )
        if failed == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL and self.curve is not None:
            return (
                "the hub does not use CURVE (its sender_auth is none): remove hub_key, or restart the hub "
                "with --sender-auth curve"
            )
        if failed == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
            return (
                "the hub requires CURVE keys: pass --hub-key (`camnet-hub keys` on the hub prints it), then allow "
                "this sender's key (`camnet-sender --show-key`) on the hub"
            )
        return None

    def _answered(self) -> None:
        now = self._clock()
        self.problem = None
        if self.down_since is not None:
            log.info("hub %s answering again after %.1f s", self.address, now - self.down_since)
            self.down_since = None
        if self._answering_since is None:
            self._answering_since = now
        elif self.failures and now - self._answering_since >= self.healthy_after:
            self.failures = 0

    def _lost(self) -> None:
        problem = self._diagnose()
        if problem is not None and problem != self.problem:
            log.error("hub %s: %s", self.address, problem)
        self.problem = problem or self.problem
        if self.down_since is None:
            self.down_since = self._clock()
            if problem is None:
                why = self._explain() if self._explain is not None else ""
                log.warning(
                    "hub %s did not answer within %d ms%s; reconnecting until it does",
                    self.address,
                    self.timeout_ms,
                    f": {why}" if why else "",
                )
        self.reconnects += 1
        self.failures += 1
        self._answering_since = None
        self.close()

    def close(self) -> None:
        if self._socket is not None:
            self._socket.disable_monitor()
            self._socket.close(linger=0)
            self._socket = None
        if self._monitor is not None:
            self._monitor.close(linger=0)
            self._monitor = None
