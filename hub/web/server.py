"""The production WSGI server (cheroot, CherryPy's) sized for many long-lived streams.

Every open stream holds one server thread, so the pool has ``max_streams`` threads plus a
few for pages and API calls; the app answers 503 past ``max_streams`` instead of queueing.
cheroot writes each chunk straight to the socket with a timeout, so a viewer that stops
reading is dropped after ``viewer_timeout`` seconds and never holds more than one frame.
On stop the sockets of responses still being written are shut down: a viewer that stopped
reading cannot hold the hub's shutdown for its write timeout.

Once a response's headers are out, each chunk goes to the socket in one ``sendmsg`` of its
chunk-size line, the bytes every viewer shares and the CRLF: cheroot's own path joins them,
copies them into a buffer and copies that again for each send, through Python's pure-Python
io module (a third of a viewer's CPU at 100 viewers). HTTPS keeps cheroot's path.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

log = logging.getLogger(__name__)
EXTRA_THREADS = 16  # pages, snapshots and API calls beside the streams


class _Responses:
    """The connections whose response is being written right now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()

    def gateway(self) -> type[wsgi.Gateway_10]:
        """A cheroot gateway class that keeps each response's socket here while it runs."""
        responses = self

        class Gateway(wsgi.Gateway_10):
            def respond(self) -> None:
                sock = self.req.conn.socket
                with responses._lock:
                    responses._sockets.add(sock)
                try:
                    super().respond()
                finally:
                    with responses._lock:
                        responses._sockets.discard(sock)

            def write(self, chunk: bytes) -> None:
                req = self.req
                sock = req.conn.socket
                if not (req.sent_headers and chunk and self.remaining_bytes_out is None) or isinstance(
                    sock, ssl.SSLSocket
                ):
                    super().write(chunk)
                    return
                parts = [b"%x\r\n" % len(chunk), chunk, b"\r\n"] if req.chunked_write else [chunk]
                send_all(sock, parts)

        return Gateway

    def cut(self) -> int:
        """Shut down every socket still being written to; returns how many."""
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed by the peer
                sock.shutdown(socket.SHUT_RDWR)  # a blocked send() returns with an error at once
        return len(sockets)


def send_all(sock: socket.socket, parts: list[bytes]) -> None:
    """Send every byte of ``parts`` in order, without joining them (the socket's timeout applies
    to each wait, as to cheroot's own writes)."""
    views = [memoryview(part) for part in parts]
    while views:
        sent = sock.sendmsg(views)
        while views and sent >= len(views[0]):
            sent -= len(views.pop(0))
        if sent:
            views[0] = views[0][sent:]


class WebServer:
    """Owns the listening socket and the cheroot thread pool."""

    def __init__(
        self,
        app: Callable[..., Any],
        host: str,
        port: int,
        max_streams: int,
        timeout: float,
        tls: tuple[str, str] | None = None,
    ) -> None:
        self.server = wsgi.Server(
            (host, port),
            app,
            numthreads=max_streams + EXTRA_THREADS,
            server_name="camnet",
            timeout=timeout,  # type: ignore[arg-type]  # a float works: it goes to socket.settimeout
            shutdown_timeout=1,
            request_queue_size=64,
        )
        if tls is not None:  # HTTPS from the hub's own server: (certificate chain, private key) PEM files
            try:
                self.server.ssl_adapter = BuiltinSSLAdapter(*tls)
            except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
                raise OSError(
                    f"cannot use {tls[0]} / {tls[1]} for HTTPS: {exc}; pass a PEM certificate and its key"
                ) from None
        self.scheme = "https" if tls else "http"
        self._responses = _Responses()
        self.server.gateway = self._responses.gateway()
        self.host = host
        self.port = port

    def bind(self) -> None:
        """Listen now, so a port in use fails the start with a clear message."""
        try:
            self.server.prepare()
        except OSError as exc:
            raise OSError(
                f"cannot serve http on {self.host}:{self.port}: {exc.strerror or exc}; "
                "is another hub running? choose another port with --port"
            ) from None
        bound = self.server.socket.getsockname() if self.server.socket else None
        if bound and isinstance(bound, tuple):
            self.port = bound[1]  # port 0 means any free port (tests)

    def serve(self) -> None:
        """Serve until ``stop()``; runs on the ``web`` thread."""
        self.server.serve()

    def stop(self) -> None:
        """Stop accepting, end every response (stalled viewers too) and join the threads."""
        cut = self._responses.cut()  # streams see hub.stopping and start no new long write
        if cut:
            log.info("closed %d open responses", cut)
        try:
            self.server.stop()
        except OSError as exc:  # already closed
            log.debug("web server stop: %s", exc)
