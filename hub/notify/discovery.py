"""MQTT topic names and Home Assistant discovery payloads (no I/O).

Home Assistant finds an entity from a retained JSON config under
``<discovery prefix>/<component>/<node id>/<object id>/config``. Each camera is one device
(via the hub's device) with three entities: a motion ``binary_sensor``, an ``image`` fed from
the snapshot topic, and a status ``sensor``; with objects on, two more per label it tracks
(occupancy and count). The hub itself is a device with a connectivity
``binary_sensor`` on its ``available`` topic.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from common import __version__

STATUSES = ("online", "offline", "camera-error", "view-blocked")
ORIGIN = {"name": "camnet", "sw_version": __version__}


def slug(name: str) -> str:
    """An id made of [a-z0-9_] for ``name``; names that differ only in other characters get a
    short hash so that they never share an id."""
    plain = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "camera"
    if plain == name:
        return plain
    return f"{plain[:40]}_{hashlib.sha256(name.encode()).hexdigest()[:6]}"


def topic_level(name: str) -> str:
    """``name`` as one MQTT topic level: '+' and '#' are wildcards (and '/' splits levels), so a
    name holding them is replaced by its slug."""
    return slug(name) if set(name) & set("+#/\0") else name


@dataclass(frozen=True)
class Topics:
    """Every topic of one hub: ``<prefix>/<hub>/...``."""

    prefix: str
    hub: str
    discovery_prefix: str = "homeassistant"

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.hub}"

    @property
    def available(self) -> str:
        return f"{self.base}/available"

    @property
    def events(self) -> str:
        return f"{self.base}/events"

    @property
    def record(self) -> str:
        """The hub's own record for portals (``hub/notify/announce.py``)."""
        return f"{self.base}/hub"

    def camera(self, name: str, what: str) -> str:
        """``motion``, ``status`` or ``snapshot`` of a camera."""
        return f"{self.base}/{topic_level(name)}/{what}"

    @property
    def node(self) -> str:
        return f"camnet_{slug(self.hub)}"

    def config(self, component: str, object_id: str) -> str:
        return f"{self.discovery_prefix}/{component}/{self.node}/{object_id}/config"

    @property
    def ha_status(self) -> str:
        return f"{self.discovery_prefix}/status"


def hub_entities(topics: Topics) -> dict[str, bytes]:
    """The hub's own device: a connectivity sensor that is on while the hub is."""
    config = {
        "name": "Hub",
        "unique_id": f"{topics.node}_hub",
        "state_topic": topics.available,
        "payload_on": "online",
        "payload_off": "offline",
        "device_class": "connectivity",
        "device": {
            "identifiers": [topics.node],
            "name": f"camnet {topics.hub}",
            "manufacturer": "camnet",
            "model": "camnet hub",
            "sw_version": __version__,
        },
        "origin": ORIGIN,
    }
    return {topics.config("binary_sensor", "hub"): _json(config)}


def _device(topics: Topics, name: str) -> dict[str, object]:
    return {
        "identifiers": [f"{topics.node}_{slug(name)}"],
        "name": name,
        "manufacturer": "camnet",
        "model": "camnet camera",
        "via_device": topics.node,
    }


def camera_entities(topics: Topics, name: str) -> dict[str, bytes]:
    """Discovery topic -> retained config, for one camera's three entities."""
    cam = slug(name)
    device = _device(topics, name)
    hub_up = {"topic": topics.available, "payload_available": "online", "payload_not_available": "offline"}
    camera_up = {
        "topic": topics.camera(name, "status"),
        "value_template": "{{ 'online' if value == 'online' else 'offline' }}",
        "payload_available": "online",
        "payload_not_available": "offline",
    }
    both = {"availability": [hub_up, camera_up], "availability_mode": "all"}
    common = {"device": device, "origin": ORIGIN}
    motion = {
        "name": "Motion",
        "unique_id": f"{topics.node}_{cam}_motion",
        "state_topic": topics.camera(name, "motion"),
        "payload_on": "ON",
        "payload_off": "OFF",
        "device_class": "motion",
        **both,
        **common,
    }
    snapshot = {
        "name": "Snapshot",
        "unique_id": f"{topics.node}_{cam}_snapshot",
        "image_topic": topics.camera(name, "snapshot"),
        "content_type": "image/jpeg",
        **both,
        **common,
    }
    status = {
        "name": "Status",
        "unique_id": f"{topics.node}_{cam}_status",
        "state_topic": topics.camera(name, "status"),
        "device_class": "enum",
        "options": list(STATUSES),
        "availability": [hub_up],  # an offline camera must still show "offline"
        **common,
    }
    return {
        topics.config("binary_sensor", f"{cam}_motion"): _json(motion),
        topics.config("image", f"{cam}_snapshot"): _json(snapshot),
        topics.config("sensor", f"{cam}_status"): _json(status),
    }


def object_entities(topics: Topics, name: str, labels: Iterable[str]) -> dict[str, bytes]:
    """Per label a camera tracks: an occupancy ``binary_sensor`` and a count ``sensor``, both
    on the label's retained count topic."""
    cam, entities = slug(name), {}
    hub_up = {"topic": topics.available, "payload_available": "online", "payload_not_available": "offline"}
    common = {"device": _device(topics, name), "origin": ORIGIN, "availability": [hub_up]}
    for label in labels:
        tag, state = slug(label), topics.camera(name, topic_level(label))
        occupancy = {
            "name": f"{label.capitalize()} occupancy",
            "unique_id": f"{topics.node}_{cam}_{tag}_occupancy",
            "state_topic": state,
            "value_template": "{{ 'ON' if value | int(0) > 0 else 'OFF' }}",
            "device_class": "occupancy",
            **common,
        }
        count = {
            "name": f"{label.capitalize()} count",
            "unique_id": f"{topics.node}_{cam}_{tag}_count",
            "state_topic": state,
            "state_class": "measurement",
            "icon": "mdi:counter",
            **common,
        }
        entities[topics.config("binary_sensor", f"{cam}_{tag}_occupancy")] = _json(occupancy)
        entities[topics.config("sensor", f"{cam}_{tag}_count")] = _json(count)
    return entities


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
