"""How every route answers: with this app's services and streams, and with errors as JSON for
API callers and plain text for people and players."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
