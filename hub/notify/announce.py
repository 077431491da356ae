"""The hub's own record for portals: retained JSON at ``<prefix>/<hub>/hub`` (no I/O here).

It says who the hub is (name, public URL, version), its cameras (online state, recording
state, sub-streams and the object labels in view) and what it offers (events, timeline,
objects). The MQTT thread builds it from the cameras every tick and publishes it when it
changed, at most once a second; whether the hub is up is ``available`` (``offline`` by the
last will and on a clean stop), so the record never has to be taken back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from common import __version__
from hub.store import Camera

EVERY = 1.0  # seconds at least between two records


def record(hub: str, url: str, cameras: Sequence[Camera], objects: bool) -> dict[str, Any]:
    """The hub's record (every camera has a sub-stream: the hub makes one for stock senders)."""
    return {
        "name": hub,
        "public_url": url,
        "version": __version__,
        "cameras": [
            {
                "name": c.name,
                "online": c.status() != "offline",
                "status": c.status(),
                "recording": bool(c.recording),
                "labels": sorted({str(o["label"]) for o in c.objects}) if objects else [],
            }
            for c in sorted(cameras, key=lambda c: c.name)
        ],
        "offers": {"events": True, "timeline": True, "objects": objects, "sub": True},
    }


class Announcer:
    """Says the record when it changed, at most once every ``EVERY`` seconds."""

    def __init__(self) -> None:
        self.said: bytes | None = None
        self.at = -1e18

    def due(self, body: dict[str, Any], now: float) -> bytes | None:
        payload = json.dumps(body, sort_keys=True).encode()
        if payload == self.said or now - self.at < EVERY:
            return None
        self.said, self.at = payload, now
        return payload
