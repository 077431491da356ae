"""How every route answers: with this app's services and streams, and with errors as JSON for
API callers and plain text for people and players."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flask import Response, current_app, jsonify, request

if TYPE_CHECKING:
    from hub.web.services import Services
    from hub.web.streams import Streams


def services_of() -> Services:
    return current_app.extensions["camnet.services"]  # type: ignore[no-any-return]


def streams_of() -> Streams:
    return current_app.extensions["camnet.streams"]  # type: ignore[no-any-return]


def error(status: int, message: str) -> Response:
    """Errors are JSON for API callers and plain text for people and players."""
    if request.path.startswith("/api/"):
        response = jsonify({"error": message})
    else:
        response = Response(message + "\n", mimetype="text/plain")
    response.status_code = status
    return response


def number_arg(name: str, kind: type, lo: float, hi: float) -> Any:
    """The query argument ``name`` as an int or float in [lo, hi]; None when absent. Raises
    ValueError naming the argument and what it must be."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name} must be a {'whole ' if kind is int else ''}number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo:g} and {hi:g}, got {raw!r}")
    return value


def file_name(camera: str) -> str:
    """A camera's name as the start of a download's file name: letters, digits, _ and - only."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", camera).strip("_") or "camera"
