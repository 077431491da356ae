"""The hub's ZeroMQ REP socket: receive a message, answer it at once, hand the frame on.

A REP socket that misses one reply is stuck for good, so every message gets an answer:
``b"OK"`` or ``b"ERROR <kind>: <reason>"``. Bad messages are counted by kind and logged at
most once per kind every 10 seconds.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable

import zmq

from common.protocol import REPLY_OK, Message, ProtocolError, parse
from common.throttle import Throttle

log = logging.getLogger(__name__)
RCVHWM = 2  # messages queued per peer


def max_message_bytes(max_frame_bytes: int) -> int:
    """The largest message part ZeroMQ reads before dropping the peer."""
    return 2 * max_frame_bytes + 65536


class Receiver:
    """Binds the REP socket and runs the receive loop on a thread named ``recv``."""

    def __init__(
        self,
        address: str,
        route: Callable[[Message], None],
        stop: threading.Event,
        max_frame_bytes: int,
        context: zmq.Context | None = None,
    ) -> None:
        self.address = address
        self.route = route
        self.stop = stop
        self.max_frame_bytes = max_frame_bytes
        self.errors: collections.Counter[str] = collections.Counter()
        self.messages = 0
        self.last_loop = time.monotonic()  # liveness, for /healthz and the systemd watchdog
        self._context = context or zmq.Context.instance()
        self._socket: zmq.Socket | None = None
        self._throttle = Throttle(10.0)

    def bind(self) -> None:
        """Open the socket now, so that a port in use fails the start, not a thread later."""
        sock = self._context.socket(zmq.REP)
        sock.setsockopt(zmq.LINGER, 0)
        # Bound what one peer can make the hub hold: a REQ sender has one message in flight,
        # but a peer that pipelines (a DEALER) would otherwise get 1,000 queued messages. Up to
        # twice the frame limit is read and answered "too-large"; past that ZeroMQ drops the
        # peer before buffering it. Memory per peer: about (RCVHWM + 1) x MAXMSGSIZE.
        sock.setsockopt(zmq.RCVHWM, RCVHWM)
        sock.setsockopt(zmq.MAXMSGSIZE, max_message_bytes(self.max_frame_bytes))
        try:
            sock.bind(self.address)
        except zmq.ZMQError as exc:
            sock.close()
            raise OSError(
                f"cannot listen for senders on {self.address}: {exc}; is another hub running? "
                "choose another port with --zmq-port"
            ) from None
        self._socket = sock

    def run(self) -> None:
        """Receive until ``stop`` is set. Never leaves a message unanswered."""
        sock = self._socket
        assert sock is not None, "bind() first"
        try:
            while not self.stop.is_set():
                self.last_loop = time.monotonic()
                if not sock.poll(200, zmq.POLLIN):
                    continue
                parts = sock.recv_multipart()
                sock.send(self.handle(parts))
        finally:
            sock.close(linger=0)

    def handle(self, parts: list[bytes]) -> bytes:
        """Parse and route one message; return the reply for the sender."""
        self.messages += 1
        try:
            self.route(parse(parts, self.max_frame_bytes, received=time.time()))
            return REPLY_OK
        except ProtocolError as exc:
            self._count(exc.kind, exc.reason)
            return exc.reply()
        except Exception as exc:  # a bug must cost one message, never the socket
            self._count("internal", repr(exc))
            log.exception("error handling a message")
            return b"ERROR internal: the hub failed to handle this message; see the hub's log"

    def _count(self, kind: str, reason: str) -> None:
        self.errors[kind] += 1
        held = self._throttle.ready(kind)
        if held is not None:
            more = f" ({held} more like it since the last report)" if held else ""
            log.warning("dropped a message (%s): %s%s", kind, reason, more)
