"""Mask routes: read and save the polygons inside which a camera's motion is ignored.

``GET /api/cameras/<name>/masks`` shows the masks in force, those from the hub's TOML file
(read-only here) and those saved from the page; ``PUT`` replaces the saved ones.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request

from common.config import ConfigError, parse_masks
from common.protocol import ProtocolError, validate_name
from hub.web.answers import error as _error
from hub.web.answers import services_of as _services

log = logging.getLogger(__name__)
bp = Blueprint("masks", __name__)


def _known(name: str) -> str | None:
    """Why masks cannot be kept for ``name``, or None: the camera must be connected or be
    named in the config file (masks for a typo would never apply)."""
    try:
        validate_name(name)
    except ProtocolError as exc:
        return exc.reason
    hub = _services()
    if hub.cameras.get(name) is None and name not in hub.config.cameras:
        known = ", ".join(repr(c.name) for c in hub.cameras.all()) or "none yet"
        return f"no camera named {name!r}; cameras connected: {known}"
    return None


def _state(name: str) -> dict[str, Any]:
    hub = _services()
    fixed = hub.config.cameras.get(name, {}).get("masks", ())
    return {"camera": name, "config": _listed(fixed), "saved": _listed(hub.masks.get(name))}


def _listed(masks: Any) -> list[list[list[float]]]:
    return [[list(corner) for corner in polygon] for polygon in masks]


@bp.get("/api/cameras/<name>/masks")
def get_masks(name: str) -> Response:
    problem = _known(name)
    if problem:
        return _error(404, problem)
    return jsonify(_state(name))


@bp.put("/api/cameras/<name>/masks")
def put_masks(name: str) -> Response:
    """Body ``{"masks": [[[x, y], ...], ...]}``, corners in 0-1 of the frame; [] removes them."""
    problem = _known(name)
    if problem:
        return _error(404, problem)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "masks" not in body:
        return _error(400, 'send JSON {"masks": [[[x, y], ...], ...]} with corners between 0 and 1')
    try:
        masks = parse_masks(body["masks"], "masks")
    except ConfigError as exc:
        return _error(400, str(exc))
    try:
        _services().save_masks(name, masks)
    except OSError as exc:
        log.error("could not save masks of camera %r: %s", name, exc)
        return _error(500, f"could not save the masks in the data directory: {exc.strerror}; check its disk")
    return jsonify(_state(name))
