"""Event routes: the events page, the JSON API, snapshots, clips (with Range) and replay.

Every file served here is found through the index by event id; nothing in a URL becomes
part of a path. Deleting goes through the recorder's thread, the index's one writer.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, send_file

from common.protocol import ProtocolError, validate_name
from hub.events.api import describe
from hub.events.clips import remux, replay
from hub.events.index import RECORDING, Event
from hub.frames import MJPEG_BOUNDARY, mjpeg_part
from hub.web.answers import error as _error
from hub.web.answers import file_name
from hub.web.answers import number_arg as _number
from hub.web.answers import services_of as _services

bp = Blueprint("events", __name__)
LABEL = re.compile(r"[a-z][a-z ]{1,30}")
MAX_REPLAYS = 8  # clips replayed at once; each reads its file on a web thread


@bp.get("/api/events")
def list_events() -> Response:
    """Newest first. ``camera``, ``since``/``until`` (Unix seconds, on the start), ``limit``
    (1-500, default 50), ``before`` (an id: the next page after the last one seen), ``label``
    (repeatable: events that saw any of them) and ``alert=1`` (alerts only)."""
    camera = request.args.get("camera") or None
    labels = [label.replace("_", " ") for label in request.args.getlist("label") if label]
    try:
        if camera is not None:
            validate_name(camera)
        since, until = _number("since", float, 0, 1e11), _number("until", float, 0, 1e11)
        limit = _number("limit", int, 1, 500) or 50
        before = _number("before", int, 1, 2**62)
        alert = _number("alert", int, 0, 1) == 1
        bad = [label for label in labels if not LABEL.fullmatch(label)]
        if bad or len(labels) > 20:
            raise ValueError(f"label must be an object label like person or traffic_light (at most 20), got {bad!r}")
    except (ValueError, ProtocolError) as exc:
        return _error(400, getattr(exc, "reason", None) or str(exc))
    events = _services().events.events(camera, since, until, before, limit, labels, alert)
    counts = _services().events.clip_counts([e.id for e in events])
    return jsonify([describe(e, counts.get(e.id, 1)) for e in events])


def _event(event_id: int) -> Event | Response:
    event = _services().events.event(event_id)
    if event is None:
        return _error(404, f"no event {event_id}; it may have been deleted by retention (see /api/events)")
    return event


@bp.get("/api/events/<int:event_id>")
def get_event(event_id: int) -> Response:
    found = _event(event_id)
    if isinstance(found, Response):
        return found
    return jsonify(describe(found, len(_services().events.clips(event_id)) or 1))


@bp.delete("/api/events/<int:event_id>")
def delete_event(event_id: int) -> Response:
    found = _event(event_id)
    if isinstance(found, Response):
        return found
    if found.state == RECORDING:
        return _error(409, f"event {event_id} is still recording; delete it once it has ended")
    if not _services().recorder.maintenance.delete(event_id):
        return _error(503, "the recorder is busy (its work queue is full); retry in a few seconds")
    return Response(status=202)  # the maintenance worker deletes it in a moment


def _file(relative: str | None, mimetype: str, **options: Any) -> Response:
    if not relative:
        return _error(404, "this event has no such file (yet)")
    path = _services().data_dir / relative
    if not path.is_file():
        return _error(404, "the file is gone (deleted by retention, or the disk is missing)")
    return send_file(path, mimetype=mimetype, conditional=True, max_age=3600, **options)


@bp.get("/events/<int:event_id>/snapshot.jpg")
def snapshot(event_id: int) -> Response:
    found = _event(event_id)
    return found if isinstance(found, Response) else _file(found.snapshot, "image/jpeg")


@bp.get("/events/<int:event_id>/thumb.jpg")
def thumb(event_id: int) -> Response:
    found = _event(event_id)
    return found if isinstance(found, Response) else _file(found.thumb, "image/jpeg")


@bp.get("/events/<int:event_id>/clip.mkv")
def clip(event_id: int) -> Response:
    """The whole event as one Matroska file: the original clip byte for byte when it has one
    (Range requests work), its parts remuxed into one (the same JPEG bytes and times) when a
    long event has several. ``?part=N`` gives one part as stored."""
    found = _event(event_id)
    if isinstance(found, Response):
        return found
    clips = _services().events.clips(event_id)
    try:
        part = _number("part", int, 1, max(len(clips), 1))
    except ValueError as exc:
        return _error(404, str(exc))
    if not clips:
        return _error(404, f"event {event_id} has no clip")
    chosen = clips if part is None else [clips[part - 1]]
    if any(c.state == RECORDING for c in chosen):
        return _error(409, f"event {event_id} is still recording; download it once it has ended (replay works now)")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(found.start))
    safe = file_name(found.camera)
    name = f"{safe}-{stamp}" + (f"-{part}" if part is not None and len(clips) > 1 else "") + ".mkv"
    if len(chosen) == 1:
        return _file(chosen[0].path, "video/x-matroska", as_attachment=True, download_name=name)
    hub = _services()
    files = [(hub.data_dir / c.path, c.start - found.start) for c in chosen]
    fps = found.frames / max(sum((c.end or c.start) - c.start for c in chosen), 0.1)
    return Response(
        remux(files, fps),
        mimetype="video/x-matroska",
        headers={"Content-Disposition": f"attachment; filename={name}", "Cache-Control": "private, no-store"},
    )


def _replay_of(event_id: int) -> tuple[float, list[tuple[Path, float]]] | Response:
    """``t`` (seconds into the event) and the event's clips with where each starts in it."""
    found = _event(event_id)
    if isinstance(found, Response):
        return found
    try:
        at = _number("t", float, 0, 86400 * 7) or 0.0
    except ValueError as exc:
        return _error(400, str(exc))
    hub = _services()
    return at, [(hub.data_dir / c.path, c.start - found.start) for c in hub.events.clips(event_id)]


@bp.get("/events/<int:event_id>/play")
def play(event_id: int) -> Response:
    """The event replayed as MJPEG at its real pace from ``t`` seconds in (an ``<img>`` plays it)."""
    found = _replay_of(event_id)
    if isinstance(found, Response):
        return found
    slots = current_app.extensions["camnet.replays"]
    if not slots.acquire(blocking=False):
        return _error(503, f"{MAX_REPLAYS} replays are running; close one and retry")
    start, files = found
    return Response(
        _Paced(files, start, _services().stopping, slots),
        mimetype=f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
        headers={"Cache-Control": "no-store"},
    )


@bp.get("/events/<int:event_id>/frame.jpg")
def frame(event_id: int) -> Response:
    """The event's frame at ``t`` seconds (the paused player shows it)."""
    found = _replay_of(event_id)
    if isinstance(found, Response):
        return found
    at, files = found
    for _, jpeg in replay(files, at):
        return Response(jpeg, mimetype="image/jpeg", headers={"Cache-Control": "max-age=3600"})
    return _error(404, f"event {event_id} has no frame at {at:g} s")


class _Paced:
    """The replay's MJPEG parts at the clip's own pace. Its slot is given back on close(),
    which the server calls even when the client leaves before the first part (a generator's
    ``finally`` would never run then, and the slot would be lost for good)."""

    def __init__(
        self, files: list[tuple[Path, float]], start: float, stopping: threading.Event, slots: threading.Semaphore
    ) -> None:
        self.start, self.stopping = start, stopping
        self._slots: threading.Semaphore | None = slots
        self._frames = replay(files, start)
        self._seq = 0
        self._began: float | None = None

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._began is None:
            self._began = time.monotonic()
        offset, jpeg = next(self._frames)
        if self.stopping.wait(max(0.0, (offset - self.start) - (time.monotonic() - self._began))):
            raise StopIteration
        self._seq += 1
        return mjpeg_part(jpeg, self._seq)

    def close(self) -> None:
        slots, self._slots = self._slots, None
        if slots is not None:
            self._frames.close()
            slots.release()


@bp.get("/events")
def events_page() -> str:
    """Opens on alerts once a model is installed (motion-only events stay a click away)."""
    hub = _services()
    return render_template("events.html", objects_on=hub.objects is not None, labels=sorted(hub.config.objects))
