"""Timeline routes: what was recorded of each camera over a range, and the frame at a moment.

Clips are found through the index by camera and time; nothing in a URL becomes a path.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request

from common.protocol import ProtocolError, validate_name
from hub.timeline.frames import NEAR, frame_at
from hub.timeline.spans import MAX_RANGE, Rolls, TooMuch, timeline
from hub.web.answers import error as _error
from hub.web.answers import number_arg
from hub.web.answers import services_of as _services

bp = Blueprint("timeline", __name__)


def _time(name: str, default: float) -> float:
    value = number_arg(name, float, 0, 1e11)  # Unix seconds
    return default if value is None else float(value)


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
