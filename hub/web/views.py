"""HTTP routes: the grid page, one camera, MJPEG streams, snapshots and the JSON API."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request
from prometheus_client import CONTENT_TYPE_LATEST

from common.protocol import ProtocolError, validate_name
from hub.frames import MJPEG_BOUNDARY
from hub.store import OFFLINE, Camera
from hub.web.answers import error as _error
from hub.web.answers import services_of as _services
from hub.web.answers import streams_of as _streams
from hub.web.metrics import exposition
from hub.web.streams import Stream

bp = Blueprint("camnet", __name__)
MJPEG_TYPE = f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}"
NO_STORE = {"Cache-Control": "no-store, no-cache, must-revalidate", "Pragma": "no-cache", "X-Accel-Buffering": "no"}


def _camera(name: str) -> Camera | Response:
    camera = _services().cameras.get(name)
    if camera is not None:
        return camera
    known = ", ".join(repr(c.name) for c in _services().cameras.all()) or "none yet"
    return _error(
        404, f"no camera named {name!r}; cameras connected: {known}. Check the sender's --name, or see /api/cameras"
    )


def _streaming(body: Stream | None, mimetype: str) -> Response:
    if body is None:
        response = _error(
            503,
            f"all {_streams().limit} stream slots are in use (max_streams); close another viewer or raise max_streams",
        )
        response.headers["Retry-After"] = "5"
        return response
    return Response(body, mimetype=mimetype, headers=NO_STORE, direct_passthrough=True)


@bp.get("/")
def index() -> str:
    return render_template("index.html", camera=None)


@bp.get("/camera/<name>")
def camera_page(name: str) -> Any:
    found = _camera(name)
    if isinstance(found, Response):
        return found
    return render_template("index.html", camera=found.name)


@bp.get("/video_feed")
def first_feed() -> Response:
    cameras = _services().cameras.all()
    if not cameras:
        return _error(503, "no camera has connected yet; start a sender (camnet-sender --server-ip HUB ...)")
    return _streaming(_streams().mjpeg(cameras[0], overlay=True), MJPEG_TYPE)


@bp.get("/video_feed/all")
def montage_feed() -> Response:
    """Every camera in one MJPEG stream, composed on the hub (for clients without JavaScript)."""
    return _streaming(_streams().montage(), MJPEG_TYPE)


@bp.get("/video_feed/<name>")
def video_feed(name: str) -> Response:
    found = _camera(name)
    if isinstance(found, Response):
        return found
    overlay = request.args.get("overlay", "1") not in ("0", "false", "no")
    sub = request.args.get("sub", "0") in ("1", "true", "yes")  # the small stream, as sent (no overlay)
    return _streaming(_streams().mjpeg(found, overlay, sub), MJPEG_TYPE)


@bp.get("/snapshot/<name>")
def snapshot(name: str) -> Response:
    found = _camera(name)
    if isinstance(found, Response):
        return found
    frame = found.frame
    if frame is None:
        return _error(503, f"camera {name!r} has not sent a decodable frame yet")
    body: bytes | None = frame.jpeg
    if request.args.get("sub", "0") in ("1", "true", "yes"):  # the small picture
        body = frame.sub or _services().renderer.small(frame)
        if body is None:
            return _error(503, f"could not make camera {name!r}'s small picture; retry, or omit ?sub=1")
    elif request.args.get("overlay", "0") in ("1", "true", "yes"):
        body = _services().renderer.render(frame)  # rendered once per frame, however many ask
        if body is None:
            return _error(503, f"could not draw the overlay on camera {name!r}'s frame; retry, or omit ?overlay=1")
    return Response(body, mimetype="image/jpeg", headers={**NO_STORE, "X-Camnet-Seq": str(frame.seq)})


@bp.get("/api/cameras")
def api_cameras() -> Response:
    hub = _services()
    return jsonify([c.describe() for c in hub.cameras.all()])


@bp.delete("/api/cameras/<name>")
def forget_camera(name: str) -> Response:
    """Drop a camera that is gone for good (a renamed or retired Pi): its tile and counters."""
    found = _camera(name)
    if isinstance(found, Response):
        return found
    hub = _services()
    if found.status() != OFFLINE:
        return _error(
            409,
            f"camera {name!r} is still sending and would come back at its next frame; "
            "stop its sender first, then forget it",
        )
    hub.cameras.forget(name)
    return Response(status=204)


@bp.post("/api/stream")
def api_stream() -> Response:
    """The page's stream. Body: ``{"cameras": {"<name>": <max fps, 0 for all>}, "sub": [names],
    "paced": bool}`` (``sub``: the cameras shown as small tiles, sent their sub-images; ``paced``:
    each tile's next frame waits for the page's word that it painted the last, hub/web/pacing.py)."""
    body = request.get_json(silent=True)
    wanted = body.get("cameras") if isinstance(body, dict) else None
    small = body.get("sub", []) if isinstance(body, dict) else []
    paced = body.get("paced", False) if isinstance(body, dict) else False
    if not isinstance(wanted, dict) or len(wanted) > _services().config.max_cameras:
        return _error(400, 'send JSON {"cameras": {"<name>": <max fps, 0 for every frame>}, "sub": ["<name>"]}')
    if not isinstance(small, list) or not all(isinstance(name, str) and name in wanted for name in small):
        return _error(400, '"sub" must list cameras of "cameras" (the ones shown as small tiles)')
    rates: dict[str, float] = {}
    for name, fps in wanted.items():
        try:
            validate_name(name)
        except ProtocolError as exc:
            return _error(400, exc.reason)
        if not isinstance(fps, (int, float)) or isinstance(fps, bool) or not 0 <= fps <= 120:
            return _error(400, f"rate for {name!r} must be a number of frames per second, 0 to 120")
        rates[name] = float(fps)
    if not isinstance(paced, bool):
        return _error(400, '"paced" must be true or false')
    return _streaming(_streams().page(rates, frozenset(small), paced), "application/octet-stream")


@bp.post("/api/stream/<stream_id>/painted")
def api_stream_painted(stream_id: str) -> Response:
    """A paced page stream's word of what it painted. Body: ``{"cameras": {"<name>": <seq>}}``."""
    pacer = _streams().pacers.get(stream_id)
    if pacer is None:
        return _error(404, "no such page stream (it has ended): open a new one with POST /api/stream")
    body = request.get_json(silent=True)
    seqs = body.get("cameras") if isinstance(body, dict) else None
    if not isinstance(seqs, dict) or not all(
        name in pacer.names and isinstance(seq, int) and not isinstance(seq, bool) for name, seq in seqs.items()
    ):
        return _error(400, 'send JSON {"cameras": {"<name>": <seq painted>}} for cameras of this stream')
    pacer.painted(seqs)
    return Response(status=204)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it on every page and stream: the page's icon (SVG) rather than a 404."""
    return current_app.send_static_file("favicon.svg")


@bp.get("/healthz")
def healthz() -> Response:
    """200 while the hub receives and serves, 503 with the reason otherwise."""
    hub = _services()
    problem = hub.health()
    if g.get("principal") is None:  # anonymous while logins are required: up or not, nothing more
        response = jsonify({"status": "ok" if problem is None else "failing"})
        response.status_code = 200 if problem is None else 503
        return response
    known = hub.cameras.all()
    cameras = [c.status() for c in known]
    body = {
        "status": "ok" if problem is None else "failing",
        "reason": problem,
        "cameras": len(cameras),
        "online": cameras.count("online"),
        "name_conflicts": [c.name for c in known if c.name_conflict()],
        "uptime": round(time.time() - hub.started_at, 1),
        "messages": hub.receiver.messages,
        "errors": dict(hub.receiver.errors),
        "streams": _streams().open,
        "recording": {
            "unavailable": hub.recorder.unavailable,  # why nothing records (start-up check failed); live view goes on
            "failing": hub.recorder.failing(),  # camera: why; live view and motion go on regardless
            "events": hub.events.count(),
            "clip_bytes": hub.events.total_bytes(),
            "free_bytes": hub.recorder.retention.free(),
            "reserve_bytes": hub.recorder.retention.reserve(),
            "dropped_frames": hub.recorder.dropped,
            "gap_frames": hub.recorder.counters.gap_frames,
            "errors": hub.recorder.errors,
        },
        "objects": (
            {"on": True, **hub.objects.state(), "labels": list(hub.config.objects)}
            if hub.objects
            else {"on": False, "why": hub.objects_off}
        ),
        "notify": {
            "mqtt": hub.mqtt.state() if hub.mqtt else None,  # broker, connected, published, dropped, ...
            "webhooks": [hook.state() for hook in hub.webhooks],
        },
    }
    response = jsonify(body)
    response.status_code = 200 if problem is None else 503
    return response


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus exposition of the hub's counters."""
    registry = current_app.extensions["camnet.metrics"]
    return Response(exposition(registry), mimetype=CONTENT_TYPE_LATEST)
