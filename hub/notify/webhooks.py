"""Webhooks: the event JSON POSTed to each ``--webhook`` URL when an event opens and ends.

Each URL has its own thread and bounded queue: a dead or hanging endpoint holds only its own
messages (a timeout per try, a few retries with backoff, then the message is given up, counted),
never the hub, never another URL.
"""

from __future__ import annotations

import base64
import collections
import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from common import __version__
from common.throttle import Throttle
from hub.events.api import message
from hub.events.index import EventIndex

log = logging.getLogger(__name__)
_throttle = Throttle(60.0)


class Webhook:
    """One URL's sender, on a thread named ``webhook:N``."""

    QUEUE = 100
    TIMEOUT = 5.0  # seconds per try
    BACKOFF = (1.0, 2.0, 4.0)  # seconds before each retry

    def __init__(self, url: str, events: EventIndex, stop: threading.Event, base_url: str = "") -> None:
        self.events, self.stop, self.base_url = events, stop, base_url
        parts = urllib.parse.urlsplit(url)
        self.shown = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"  # no secrets
        # urllib ignores user:pass@ in a URL: send them as a Basic header, and the URL without them
        self.url = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        self._authorization: str | None = None
        if parts.username is not None:
            user, password = urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or "")
            self._authorization = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self.last_error: str | None = None
        # the record thread appends, this hook's thread pops: deque's append/popleft are thread-safe
        self._queue: collections.deque[tuple[str, int]] = collections.deque()
        self._wake = threading.Event()

    def event(self, kind: str, event_id: int, camera: str) -> None:
        """The recorder opened, grew or ended an event (O(1)); only openings and ends go out."""
        if kind not in ("new", "end"):
            return
        if len(self._queue) >= self.QUEUE:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append((kind, event_id))
        self._wake.set()

    def state(self) -> dict[str, Any]:
        return {
            "url": self.shown,
            "sent": self.sent,
            "failed": self.failed,
            "dropped": self.dropped,
            "queued": len(self._queue),
            "last_error": self.last_error,
        }

    def run(self) -> None:
        while not self.stop.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            while self._queue and not self.stop.is_set():
                kind, event_id = self._queue.popleft()
                try:
                    body = message(self.events, kind, event_id, self.base_url)
                except Exception:  # the index's disk: this message is lost, the next may not be
                    log.exception("webhook %s: could not read event %d", self.shown, event_id)
                    continue
                if body is not None:
                    self._deliver(json.dumps(body).encode())

    def _deliver(self, body: bytes) -> None:
        for wait in (0.0, *self.BACKOFF):
            if wait and self.stop.wait(wait):
                return
            try:
                self._post(body)
            except (OSError, ValueError) as exc:  # URLError, HTTPError and timeouts are OSErrors
                self.last_error = str(exc)
                continue
            self.sent += 1
            self.last_error = None
            return
        self.failed += 1
        held = _throttle.ready(self.url)
        if held is not None:
            log.warning(
                "webhook %s: gave up on a message after %d tries: %s%s",
                self.shown,
                len(self.BACKOFF) + 1,
                self.last_error,
                f" ({held} more given up since the last report)" if held else "",
            )

    def _post(self, body: bytes) -> None:
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": f"camnet/{__version__}"},
        )
        if self._authorization is not None:
            request.add_header("Authorization", self._authorization)
        with urllib.request.urlopen(request, timeout=self.TIMEOUT) as response:
            response.read(65536)
