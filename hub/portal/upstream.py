"""Forwarding to the hubs: one upstream MJPEG connection per hub camera however many people
watch it, and bounded, timed requests for everything else.

A ``Feed`` is read from its hub by one thread and handed to every viewer through one
``Condition`` (one writer, many readers, as the hub's own cameras are): each viewer waits for a
newer frame and writes the same bytes. It closes a few seconds after its last viewer leaves.
Requests carry the token stored for the hub (``camnet-portal hub add``); a hub that refuses it
is "not authorised", one that does not answer "unreachable". A slow hub never holds a web
thread past the timeouts, and each hub has its own bound on feeds and requests.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Generator
from dataclasses import dataclass
from http.client import HTTPResponse

from common.throttle import Throttle
from hub.frames import mjpeg_part

log = logging.getLogger(__name__)
_throttle = Throttle(30.0)
TIMEOUT = 5.0  # seconds to connect to a hub and between two reads from it
IDLE_AFTER = 5.0  # seconds a feed stays open without viewers
FEEDS_PER_HUB = 32  # upstream streams one hub is asked for at once
REQUESTS_PER_HUB = 4  # other requests forwarded to one hub at once
MAX_PART = 16 * 1024 * 1024  # bytes: a JPEG larger than this is not a camera frame


class Refused(Exception):
    """A forward that cannot be made: ``status`` and what to do are for the client."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def not_authorised(hub: str) -> str:
    return (
        f"hub {hub!r} did not accept the portal's token: make a viewer token on that hub "
        f"(`camnet-hub token add portal`) and give it to the portal (`camnet-portal hub add {hub} TOKEN`)"
    )


@dataclass(frozen=True)
class Target:
    """Where a hub is and the token the portal uses there (None: none stored)."""

    hub: str
    url: str
    token: str | None

    def request(self, path: str) -> urllib.request.Request:
        if not self.url:
            raise Refused(503, f"hub {self.hub!r} has not announced its URL (start it with --public-url)")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}  # none: an open hub
        return urllib.request.Request(self.url + path, headers=headers)


def open_upstream(target: Target, path: str, timeout: float = TIMEOUT) -> HTTPResponse:
    """The hub's answer to ``path`` (raises Refused with what to tell the client)."""
    try:
        return urllib.request.urlopen(target.request(path), timeout=timeout)  # type: ignore[no-any-return]  # http(s): an HTTPResponse
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code in (401, 403):
            raise Refused(502, not_authorised(target.hub)) from None
        if exc.code == 404:
            raise Refused(404, f"hub {target.hub!r} has no such thing: {path}") from None
        raise Refused(502, f"hub {target.hub!r} answered {exc.code} {exc.reason}") from None
    except (OSError, ValueError) as exc:  # refused, timed out, DNS
        raise Refused(504, f"hub {target.hub!r} at {target.url} is unreachable: {exc}") from None


class Feed:
    """One camera of one hub, read by one thread, watched by many."""

    def __init__(self, target: Target, camera: str, sub: bool, ended: Callable[[Feed], object]) -> None:
        self.target, self.camera, self.sub, self._ended = target, camera, sub, ended
        quoted = urllib.parse.quote(camera, safe="")
        self.path = f"/video_feed/{quoted}" + ("?sub=1" if sub else "")
        self.cond = threading.Condition()
        self.seq = 0
        self.jpeg = b""
        self.viewers = 0
        self.error: str | None = None
        self.done = False
        self.upstreams = 0  # connections opened to the hub (a test counts them)
        self._left_at = time.monotonic()
        self.thread = threading.Thread(target=self._run, name=f"upstream:{target.hub}/{camera}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def frames(self, stopping: threading.Event) -> Generator[bytes, None, None]:
        """MJPEG parts for one viewer, newest frame first, until it leaves or the feed ends."""
        seen = 0
        while not stopping.is_set():
            with self.cond:
                if self.seq <= seen and not self.done:
                    self.cond.wait(1.0)
                if self.done and self.seq <= seen:
                    return
                if self.seq <= seen:
                    continue
                seen, jpeg = self.seq, self.jpeg
            yield mjpeg_part(jpeg, seen)

    def join(self) -> None:
        with self.cond:
            self.viewers += 1

    def leave(self) -> None:
        with self.cond:
            self.viewers -= 1
            self._left_at = time.monotonic()

    def _idle(self) -> bool:
        with self.cond:
            return self.viewers <= 0 and time.monotonic() - self._left_at > IDLE_AFTER

    def _run(self) -> None:
        try:
            while not self._idle():
                try:
                    self._read()
                except Refused as exc:
                    self._fail(exc.reason)
                except (OSError, ValueError) as exc:  # the hub went away mid-stream
                    self._fail(f"hub {self.target.hub!r} stopped sending {self.camera!r}: {exc}")
                time.sleep(1.0)
        finally:
            with self.cond:
                self.done = True
                self.cond.notify_all()
            self._ended(self)

    def _fail(self, reason: str) -> None:
        self.error = reason
        if _throttle.ready(f"{self.target.hub}/{self.camera}") is not None:
            log.warning("portal: %s", reason)

    def _read(self) -> None:
        with open_upstream(self.target, self.path) as resp:
            self.upstreams += 1
            self.error = None
            while not self._idle():
                length = 0
                line = resp.readline(1024)
                if not line:
                    raise OSError("the stream ended")
                if not line.startswith(b"--"):
                    continue
                while True:  # the part's headers
                    header = resp.readline(1024)
                    if not header:
                        raise OSError("the stream ended in a part's headers")
                    if header in (b"\r\n", b"\n"):
                        break
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if not 0 < length <= MAX_PART:
                    raise ValueError(f"a part of {length} bytes")
                jpeg = resp.read(length)
                if len(jpeg) < length:
                    raise OSError("the stream ended in a frame")
                with self.cond:
                    self.seq += 1
                    self.jpeg = jpeg
                    self.cond.notify_all()


class Feeds:
    """Every open feed, by (hub, camera, sub); at most ``FEEDS_PER_HUB`` per hub."""

    def __init__(self, target: Callable[[str], Target]) -> None:
        self.target = target
        self._feeds: dict[tuple[str, str, bool], Feed] = {}
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    def watch(self, hub: str, camera: str, sub: bool) -> Feed:
        """The feed of a camera, joined (call ``leave`` when done); raises Refused."""
        target = self.target(hub)
        with self._lock:
            feed = self._feeds.get((hub, camera, sub))
            if feed is None or feed.done:
                if sum(1 for key in self._feeds if key[0] == hub) >= FEEDS_PER_HUB:
                    raise Refused(503, f"{FEEDS_PER_HUB} streams of hub {hub!r} are open; close one and retry")
                feed = self._feeds[(hub, camera, sub)] = Feed(target, camera, sub, self._ended)
                feed.join()
                feed.start()
            else:
                feed.join()
        return feed

    def _ended(self, feed: Feed) -> None:
        with self._lock:
            key = (feed.target.hub, feed.camera, feed.sub)
            if self._feeds.get(key) is feed:
                del self._feeds[key]

    def open(self) -> dict[str, int]:
        """Open feeds per hub (for /metrics and the tests)."""
        with self._lock:
            out: dict[str, int] = {}
            for hub, _, _ in self._feeds:
                out[hub] = out.get(hub, 0) + 1
            return out

    def feeds(self) -> list[Feed]:
        with self._lock:
            return list(self._feeds.values())

    def fetch(self, hub: str, path: str, timeout: float = TIMEOUT) -> tuple[bytes, str, dict[str, str]]:
        """(body, content type, headers worth passing on) of a small answer from the hub,
        at most ``REQUESTS_PER_HUB`` at once per hub."""
        with self._lock:
            slots = self._slots.setdefault(hub, threading.BoundedSemaphore(REQUESTS_PER_HUB))
        if not slots.acquire(timeout=1.0):
            raise Refused(503, f"hub {hub!r} is busy answering the portal; retry")
        try:
            with open_upstream(self.target(hub), path, timeout) as resp:
                body = resp.read(64 * 1024 * 1024)
                kept = {k: v for k, v in resp.headers.items() if k in ("X-Camnet-Time", "Content-Disposition")}
                return body, resp.headers.get("Content-Type", "application/octet-stream"), kept
        except (OSError, ValueError) as exc:
            raise Refused(504, f"hub {hub!r} stopped answering: {exc}") from None
        finally:
            slots.release()
