"""The hub's ZeroMQ ROUTER socket: receive a message, hand the frame on, answer the sender.

Senders are REQ sockets (imagezmq's and camnet's): each waits for its answer before it sends
again, and every message gets one: ``b"OK"`` or ``b"ERROR <kind>: <reason>"``. Bad messages
are answered at once, counted by kind and logged at most once per kind every 10 seconds.

A frame is answered when an analysis thread takes it, not when it arrives: a sender whose
camera already has a frame waiting is held until that frame is taken. So a camera sends no
faster than the hub analyses it, and no frame is received only to be thrown away (the seed's
REQ/REP had the same back-pressure, but held the one receive thread while it analysed). The
taking thread cannot use the socket: it queues the answer and rings a pipe the receive loop
polls beside the socket.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import zmq
from zmq.utils.monitor import recv_monitor_message

from common.protocol import REPLY_OK, REPLY_OK_SUB, Message, ProtocolError, parse
from common.throttle import Throttle

if TYPE_CHECKING:
    from hub.security.keys import SenderGuard

log = logging.getLogger(__name__)
HANDSHAKE_FAILURES = (
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)
RCVHWM = 2  # messages queued per peer


def max_message_bytes(max_frame_bytes: int) -> int:
    """The largest message part ZeroMQ reads before dropping the peer."""
    return 2 * max_frame_bytes + 65536


class Receiver:
    """Binds the REP socket and runs the receive loop on a thread named ``recv``."""

    def __init__(
        self,
        address: str,
        route: Callable[[Message, Callable[[], None]], bool],
        stop: threading.Event,
        max_frame_bytes: int,
        context: zmq.Context | None = None,
        guard: SenderGuard | None = None,
    ) -> None:
        self.address = address
        self.route = route  # True: the frame waits, and the given callable answers it once taken
        self.stop = stop
        self.max_frame_bytes = max_frame_bytes
        self.errors: collections.Counter[str] = collections.Counter()
        self.messages = 0
        self.last_loop = time.monotonic()  # liveness, for /healthz and the systemd watchdog
        self._context = context or zmq.Context.instance()
        self._socket: zmq.Socket | None = None
        self._monitor: zmq.Socket | None = None
        self._throttle = Throttle(10.0)
        self.guard = guard  # CURVE: only allowed keys, each under its own camera names
        self._later: collections.deque[list[bytes]] = collections.deque()  # answers queued by other threads
        self._bell_read, self._bell = os.pipe()  # rung by the thread that queued an answer
        os.set_blocking(self._bell, False)
        os.set_blocking(self._bell_read, False)

    def bind(self) -> None:
        """Open the socket now, so that a port in use fails the start, not a thread later."""
        sock = self._context.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        # Bound what one peer can make the hub hold: a REQ sender has one message in flight,
        # but a peer that pipelines (a DEALER) would otherwise get 1,000 queued messages. Up to
        # twice the frame limit is read and answered "too-large"; past that ZeroMQ drops the
        # peer before buffering it. Memory per peer: about (RCVHWM + 1) x MAXMSGSIZE.
        sock.setsockopt(zmq.RCVHWM, RCVHWM)
        sock.setsockopt(zmq.MAXMSGSIZE, max_message_bytes(self.max_frame_bytes))
        if self.guard is not None:
            self.guard.start(self._context)
            self.guard.secure(sock)
            self._monitor = sock.get_monitor_socket(HANDSHAKE_FAILURES)
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
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        poller.register(self._bell_read, zmq.POLLIN)
        if self._monitor is not None:
            poller.register(self._monitor, zmq.POLLIN)
        try:
            while not self.stop.is_set():
                self.last_loop = time.monotonic()
                ready = dict(poller.poll(200))
                if self._monitor is not None and self._monitor in ready:
                    self._handshake_failed(self._monitor)
                if self._bell_read in ready:
                    self._send_later(sock)
                if sock not in ready:
                    continue
                if self.guard is None:
                    self._receive(sock, sock.recv_multipart(), None)
                    continue
                frames = sock.recv_multipart(copy=False)
                self._receive(sock, [f.bytes for f in frames], _user_id(frames[0]))
        finally:
            if self._monitor is not None:
                sock.disable_monitor()
                self._monitor.close(linger=0)
            sock.close(linger=0)
            os.close(self._bell_read)
            os.close(self._bell)
            if self.guard is not None:
                self.guard.stop()

    def _receive(self, sock: zmq.Socket, frames: list[bytes], key: str | None) -> None:
        """One message off the ROUTER: the peer's envelope (its routing id, an empty delimiter)
        and the sender's parts. Answered now, or by whoever takes its frame."""
        try:
            split = frames.index(b"", 1)
        except ValueError:  # not a REQ peer: no delimiter; answered like one all the same
            split = 1
            frames.insert(1, b"")
        envelope, parts = frames[: split + 1], frames[split + 1 :]
        reply, held = self.handle(parts, key, lambda answer: self._answer_later(envelope, answer))
        if not held:
            sock.send_multipart([*envelope, reply])

    def handle(
        self, parts: list[bytes], key: str | None = None, later: Callable[[bytes], None] = lambda reply: None
    ) -> tuple[bytes, bool]:
        """Parse and route one message (sent with the CURVE public ``key``, when the hub
        authenticates senders). Returns the reply and whether the router holds it: then
        ``later`` is called with it once the frame is taken."""
        self.messages += 1
        try:
            message = parse(parts, self.max_frame_bytes, received=time.time(), mono=time.monotonic())
            if self.guard is not None:
                self.guard.check(key, message.name)
            reply = REPLY_OK_SUB if message.info.get("sub") else REPLY_OK
            return reply, bool(self.route(message, lambda: later(reply)))
        except ProtocolError as exc:
            self._count(exc.kind, exc.reason)
            return exc.reply(), False
        except Exception as exc:  # a bug must cost one message, never the socket
            self._count("internal", repr(exc))
            log.exception("error handling a message")
            return b"ERROR internal: the hub failed to handle this message; see the hub's log", False

    def _answer_later(self, envelope: list[bytes], reply: bytes) -> None:
        """From any thread: queue an answer for the receive loop and ring its bell."""
        self._later.append([*envelope, reply])
        with contextlib.suppress(BlockingIOError):  # the pipe is full: the loop is already being rung
            os.write(self._bell, b"!")

    def _send_later(self, sock: zmq.Socket) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._bell_read, 4096):
                pass
        while self._later:
            sock.send_multipart(self._later.popleft())

    def _handshake_failed(self, monitor: zmq.Socket) -> None:
        event = recv_monitor_message(monitor)
        if event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            self.errors["handshake-refused"] += 1  # the authenticator logs the key it refused
            return
        self._count(
            "handshake",
            "a sender failed the CURVE handshake: it has a wrong --hub-key (the hub's is printed by "
            "`camnet-hub keys`), or it is a sender without CURVE (give it --hub-key)",
        )

    def _count(self, kind: str, reason: str) -> None:
        self.errors[kind] += 1
        held = self._throttle.ready(kind)
        if held is not None:
            more = f" ({held} more like it since the last report)" if held else ""
            log.warning("dropped a message (%s): %s%s", kind, reason, more)


def _user_id(frame: zmq.Frame) -> str | None:
    """The CURVE public key (Z85) the authenticator gave this message's connection."""
    try:
        return str(frame.get("User-Id"))
    except zmq.ZMQError:  # no ZAP answer was ever attached: treat as unknown
        return None
