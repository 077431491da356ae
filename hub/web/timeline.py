"""Timeline routes: what was recorded of each camera over a range, and the frame at a moment.

Clips are found through the index by camera and time; nothing in a URL becomes a path.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, render_template, request

from common.protocol import ProtocolError, validate_name
from hub.events.clips import mux
from hub.timeline.frames import NEAR, estimate, frame_at, merged, sources
from hub.timeline.spans import MAX_RANGE, Rolls, TooMuch, timeline
from hub.web.answers import error as _error
from hub.web.answers import file_name, number_arg
from hub.web.answers import services_of as _services

bp = Blueprint("timeline", __name__)
MAX_EXPORT = 2 * 1024**3  # bytes of recordings one export may hold


def _time(name: str, default: float) -> float:
    value = number_arg(name, float, 0, 1e11)  # Unix seconds
    return default if value is None else float(value)


@bp.get("/timeline")
def timeline_page() -> str:
    """Lanes of a day per camera: recorded spans, events, activity, a playhead and playback."""
    return render_template("timeline.html")


@bp.get("/api/timeline")
def api_timeline() -> Response:
    """Per camera (``camera`` repeatable; all that recorded in the range when absent) its
    recorded spans and per-minute activity between ``start`` and ``end`` (Unix seconds;
    default: the last 24 hours)."""
    cameras = [name for name in request.args.getlist("camera") if name]
    try:
        for name in cameras:
            validate_name(name)
        now = time.time()
        end = _time("end", now)
        start = _time("start", end - 86400)
    except (ValueError, ProtocolError) as exc:
        return _error(400, exc.reason if isinstance(exc, ProtocolError) else str(exc))
    if not start < end:
        return _error(400, f"start must be before end (got start={start:g}, end={end:g})")
    if end - start > MAX_RANGE:
        return _error(400, f"a timeline spans at most {MAX_RANGE / 86400:g} days; ask for a shorter range")
    config = _services().config
    try:
        body = timeline(_services().events, cameras, start, end, Rolls(config.pre_roll, config.post_roll), now)
    except TooMuch as exc:
        return _error(400, str(exc))
    return jsonify(body)


@bp.get("/api/cameras/<name>/frame")
def frame(name: str) -> Response:
    """The camera's recorded JPEG nearest to ``at`` (Unix seconds), its time in
    ``X-Camnet-Time``; 404 when nothing was recorded within a few seconds of it."""
    try:
        validate_name(name)
        at = _time("at", -1.0)
    except (ValueError, ProtocolError) as exc:
        return _error(400, exc.reason if isinstance(exc, ProtocolError) else str(exc))
    if at < 0:
        return _error(400, "give the moment: ?at=<Unix seconds>")
    hub = _services()
    found = frame_at(hub.events, hub.data_dir, name, at)
    if found is None:
        return _error(404, f"camera {name!r} has no recorded frame within {NEAR:g} s of {at:.3f}")
    when, jpeg = found
    headers = {"X-Camnet-Time": f"{when:.3f}", "Cache-Control": "max-age=3600"}
    return Response(jpeg, mimetype="image/jpeg", headers=headers)


@bp.get("/api/cameras/<name>/export")
def export(name: str) -> Response:
    """One Matroska file of every frame the camera recorded between ``start`` and ``end``
    (Unix seconds): time-lapse and event frames merged in time order, the sender's JPEG bytes,
    timed from ``start`` (the file's creation_time). Streamed; 413 past ``MAX_EXPORT``."""
    try:
        validate_name(name)
        start, end = _time("start", -1.0), _time("end", -1.0)
    except (ValueError, ProtocolError) as exc:
        return _error(400, exc.reason if isinstance(exc, ProtocolError) else str(exc))
    if start < 0 or end < 0:
        return _error(400, "give the range: ?start=<Unix seconds>&end=<Unix seconds>")
    if not start < end or end - start > MAX_RANGE:
        return _error(400, f"start must be before end and at most {MAX_RANGE / 86400:g} days before it")
    hub = _services()
    found = sources(hub.events, hub.data_dir, name, start, end)
    size = estimate(found, start, end, time.time())
    if size > MAX_EXPORT:
        return _error(
            413,
            f"the range holds about {size / 1e9:.1f} GB of recordings; one export holds at most "
            f"{MAX_EXPORT / 1e9:.1f} GB: ask for a shorter range",
        )
    frames = merged(found, start, end)
    first = next(frames, None)
    if first is None:
        return _error(404, f"camera {name!r} recorded nothing between {start:.3f} and {end:.3f}")
    stamp = "-".join(time.strftime("%Y%m%d-%H%M%S", time.localtime(t)) for t in (start, end))
    safe = file_name(name)
    created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start)) + f".{int(start % 1 * 1e6):06d}Z"

    def timed() -> Iterator[tuple[float, bytes]]:
        yield first[0] - start, first[1]
        sent = len(first[1])
        for at, jpeg in frames:
            sent += len(jpeg)
            if sent > MAX_EXPORT:  # the estimate was short: end the file cleanly at the bound
                break
            yield at - start, jpeg

    camera = hub.cameras.get(name)
    fps = (camera.fps() if camera is not None else 0.0) or 15.0  # the rate players are told
    return Response(
        mux(timed(), fps, {"title": f"{name} {stamp}", "creation_time": created}),
        mimetype="video/x-matroska",
        headers={
            "Content-Disposition": f"attachment; filename={safe}-{stamp}.mkv",
            "Cache-Control": "private, no-store",
            "X-Camnet-Start": f"{start:.3f}",
            "X-Camnet-Estimate": str(size),  # about the bytes to come: the page's progress bar
        },
    )
