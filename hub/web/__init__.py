"""The hub's web app: ``create_app(services)`` builds a Flask app around the hub's collaborators."""

from __future__ import annotations

import threading

from flask import Flask, Response

from hub.security.hosts import TrustedProxy
from hub.web import auth, events, masks, timeline
from hub.web.metrics import registry_for
from hub.web.services import Services
from hub.web.streams import Streams
from hub.web.views import bp

# Camera names come from senders: the page renders them as text and runs no inline script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
)


def create_app(services: Services) -> Flask:
    """A Flask app serving the cameras of ``services`` (the hub need not be started yet)."""
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["camnet.services"] = services
    streams = Streams(services)
    app.extensions["camnet.streams"] = streams
    app.extensions["camnet.metrics"] = registry_for(services, streams)
    auth.install(app, services.access)  # first: one guard in front of every route
    app.register_blueprint(bp)
    app.register_blueprint(masks.bp)
    app.register_blueprint(events.bp)
    app.register_blueprint(timeline.bp)
    app.extensions["camnet.replays"] = threading.BoundedSemaphore(events.MAX_REPLAYS)
    app.wsgi_app = TrustedProxy(app.wsgi_app, services.config.trusted_proxy)  # type: ignore[method-assign]

    harden(app)
    return app


def harden(app: Flask) -> None:
    """Every answer: no script but our own, no sniffing, no referrer (the hub and the portal)."""

    @app.after_request
    def secure(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response
