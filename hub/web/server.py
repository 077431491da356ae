"""The production WSGI server (cheroot, CherryPy's) sized for many long-lived streams.

Every open stream holds one server thread, so the pool has ``max_streams`` threads plus a
few for pages and API calls; the app answers 503 past ``max_streams`` instead of queueing.
cheroot writes each chunk straight to the socket with a timeout, so a viewer that stops
reading is dropped after ``viewer_timeout`` seconds and never holds more than one frame.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from cheroot import wsgi

log = logging.getLogger(__name__)
EXTRA_THREADS = 16  # pages, snapshots and API calls beside the streams


class WebServer:
    """Owns the listening socket and the cheroot thread pool."""

    def __init__(self, app: Callable[..., Any], host: str, port: int, max_streams: int, timeout: float) -> None:
        self.server = wsgi.Server(
            (host, port),
            app,
            numthreads=max_streams + EXTRA_THREADS,
            server_name="camnet",
            timeout=int(max(1, timeout)),
            shutdown_timeout=1,
            request_queue_size=64,
        )
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
        try:
            self.server.stop()
        except OSError as exc:  # already closed
            log.debug("web server stop: %s", exc)
