"""The portal's routes: one grid, one events list and one camera page over every hub, the API
behind them, and the hubs' streams and media forwarded.

Behind the hub's own guard (``hub/web/auth.py``: users, sessions, tokens, Host allow-list,
same-origin writes). A hub and a camera named in a URL must be known from the index; the
forwarded path is built from them (quoted) and fixed route parts, never from the raw URL.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Generator, Iterator
from http.client import HTTPResponse
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from hub.frames import MJPEG_BOUNDARY
from hub.portal.directory import LABEL
from hub.portal.upstream import Feed, Feeds, Refused, open_upstream
from hub.web.answers import error, number_arg

bp = Blueprint("portal", __name__)
MEDIA = ("snapshot.jpg", "thumb.jpg", "frame.jpg", "clip.mkv", "play")


def _portal() -> Any:
    return current_app.extensions["camnet.portal"]


def _known(hub: str, camera: str | None = None) -> Response | None:
    portal = _portal()
    if portal.index.hub(hub) is None:
        return error(404, f"no hub {hub!r} is known to this portal (GET /api/hubs lists them)")
    if camera is not None and not any(c["name"] == camera for c in portal.index.cameras(hub)):
        return error(404, f"hub {hub!r} has no camera {camera!r} (GET /api/cameras lists them)")
    return None


@bp.get("/")
def index() -> str:
    return render_template("portal.html", hub=None, camera=None)


@bp.get("/camera/<hub>/<camera>")
def camera_page(hub: str, camera: str) -> Any:
    unknown = _known(hub, camera)
    return unknown or render_template("portal.html", hub=hub, camera=camera)


@bp.get("/events")
def events_page() -> str:
    return render_template("portal_events.html")


@bp.get("/healthz")
def healthz() -> Response:
    directory = _portal().directory
    ok = directory.connected
    response = jsonify({"status": "ok" if ok else "degraded", "broker": "connected" if ok else directory.last_error})
    response.status_code = 200 if ok else 503
    return response


@bp.get("/api/hubs")
def api_hubs() -> Response:
    return jsonify(_portal().hubs())


@bp.get("/api/cameras")
def api_cameras() -> Response:
    portal = _portal()
    states = {h["name"]: h for h in portal.hubs()}
    out = []
    for camera in portal.index.cameras():
        hub = states.get(camera["hub"], {})
        live = hub.get("state") == "online"
        out.append({**camera, "status": camera["status"] if live else "offline", "hub_state": hub.get("state")})
    return jsonify(out)


@bp.get("/api/events")
def api_events() -> Response:
    portal = _portal()
    try:
        limit = number_arg("limit", int, 1, 500) or 50
        before = number_arg("before", float, 0, 1e11)
    except ValueError as exc:
        return error(400, str(exc))
    hub, camera, label = (request.args.get(k) or None for k in ("hub", "camera", "label"))
    if label is not None and not LABEL.fullmatch(label):
        return error(400, f"label {label[:40]!r} is not an object label (like person or car)")
    states = {h["name"]: h["state"] for h in portal.hubs()}
    out = []
    for event in portal.index.events(limit, before, hub, camera, label):
        at = f"/events/{urllib.parse.quote(event['hub'], safe='')}/{int(event['id'])}"
        media = {k: (f"{at}/{name}" if event.get(k) else None) for k, name in (("snapshot", "snapshot.jpg"),
                 ("thumb", "thumb.jpg"))}  # fmt: skip
        out.append({**event, **media, "clip": f"{at}/clip.mkv", "play": f"{at}/play",
                    "clips": [f"{at}/clip.mkv?part={n}" for n in range(1, len(event.get("clips") or [1]) + 1)],
                    "reachable": states.get(event["hub"]) == "online"})  # fmt: skip
    return jsonify(out)


def _camera_path(camera: str) -> str:
    return urllib.parse.quote(camera, safe="")


@bp.get("/snapshot/<hub>/<camera>")
def snapshot(hub: str, camera: str) -> Response:
    unknown = _known(hub, camera)
    if unknown is not None:
        return unknown
    sub = "?sub=1" if request.args.get("sub") == "1" else ""
    try:
        body, kind, _ = _feeds().fetch(hub, f"/snapshot/{_camera_path(camera)}{sub}")
    except Refused as exc:
        return error(exc.status, exc.reason)
    return Response(body, mimetype=kind, headers={"Cache-Control": "no-store"})


@bp.get("/video_feed/<hub>/<camera>")
def video_feed(hub: str, camera: str) -> Response:
    """The camera's MJPEG from its hub: one upstream connection however many watch."""
    unknown = _known(hub, camera)
    if unknown is not None:
        return unknown
    try:
        feed = _feeds().watch(hub, camera, request.args.get("sub") == "1")
    except Refused as exc:
        return error(exc.status, exc.reason)
    return Response(
        _Watching(feed, _portal().stopping),
        mimetype=f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
        headers={"Cache-Control": "no-store"},
    )


@bp.get("/events/<hub>/<int:event_id>/<what>")
def event_media(hub: str, event_id: int, what: str) -> Response:
    """An event's snapshot, thumbnail, frame, clip or replay, from the hub that recorded it."""
    unknown = _known(hub)
    if unknown is not None:
        return unknown
    if what not in MEDIA:
        return error(404, f"events have {', '.join(MEDIA)}; not {what[:40]!r}")
    query = {k: v for k, v in request.args.items() if k in ("t", "part") and re.fullmatch(r"[0-9.]{1,12}", v)}
    path = f"/events/{event_id}/{what}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    try:
        if what in ("clip.mkv", "play"):  # long answers: passed on as they come
            upstream = open_upstream(_portal().target(hub), path, timeout=10.0)
            headers = {k: v for k, v in upstream.headers.items() if k in ("Content-Disposition", "Content-Length")}
            return Response(_relay(upstream), status=upstream.status, headers={**headers, "Cache-Control": "no-store"},
                            mimetype=upstream.headers.get("Content-Type"))  # fmt: skip
        body, kind, headers = _feeds().fetch(hub, path)
    except Refused as exc:
        return error(exc.status, exc.reason)
    return Response(body, mimetype=kind, headers={**headers, "Cache-Control": "private, max-age=60"})


def _relay(upstream: HTTPResponse) -> Iterator[bytes]:
    with upstream:
        while chunk := upstream.read1(256 * 1024):  # what has come, up to 256 KB: no waiting to fill it
            yield chunk


def _feeds() -> Feeds:
    return _portal().feeds  # type: ignore[no-any-return]


class _Watching:
    """One viewer of a feed; ``close()`` (called by the server even when the client leaves
    before the first part) lets the feed go once nobody watches."""

    def __init__(self, feed: Feed, stopping: threading.Event) -> None:
        self._feed: Feed | None = feed
        self._parts: Generator[bytes, None, None] = feed.frames(stopping)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self._parts)

    def close(self) -> None:
        feed, self._feed = self._feed, None
        if feed is not None:
            self._parts.close()
            feed.leave()
