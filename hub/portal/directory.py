"""What the hubs say on the broker, written into the portal's index (paho's thread).

Subscribes to ``<prefix>/+/hub`` (each hub's retained record), ``<prefix>/+/available``
(``online``; ``offline`` by its last will or a clean stop) and ``<prefix>/+/events``. The
retained messages alone rebuild the picture after a broker or portal restart. Whatever a
message holds is checked before it is kept: a hub name must be a hub name, a record must be
JSON of the right shape and size; anything else is counted, logged at most once a minute
per kind, and dropped. The broker being away only freezes the picture.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from common.protocol import ProtocolError, validate_name
from common.throttle import Throttle
from hub.notify.mqtt import Broker
from hub.portal.index import PortalIndex

log = logging.getLogger(__name__)
_throttle = Throttle(60.0)
HUB_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # as camnet-hub's --hub-name allows
MAX_MESSAGE = 512 * 1024  # bytes: a record of hundreds of cameras is far smaller
LABEL = re.compile(r"[a-z][a-z _]{0,30}")
OFFERS = ("events", "timeline", "objects", "sub")
STATUSES = ("online", "offline", "camera-error", "view-blocked")


class BadMessage(ValueError):
    pass


def parse_record(hub: str, payload: bytes) -> dict[str, Any]:
    """A hub's record, checked: its name matches the topic, every camera has a valid name."""
    body = _json(payload)
    if body.get("name") != hub:
        raise BadMessage(f"the record under {hub!r} names hub {body.get('name')!r}")
    url = body.get("public_url")
    if not isinstance(url, str) or (url and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url)):
        raise BadMessage(f"hub {hub!r} announced a URL that is not http(s): {str(url)[:80]!r}")
    cameras = body.get("cameras")
    if not isinstance(cameras, list):
        raise BadMessage(f"hub {hub!r}: cameras must be a list")
    checked = []
    for camera in cameras:
        if not isinstance(camera, dict):
            raise BadMessage(f"hub {hub!r}: a camera must be an object")
        try:
            name = validate_name(str(camera.get("name", "")))
        except ProtocolError as exc:
            raise BadMessage(f"hub {hub!r}: {exc.reason}") from None
        status = camera.get("status") if camera.get("status") in STATUSES else "offline"
        labels = [
            str(x) for x in camera.get("labels", []) if isinstance(x, str) and re.fullmatch(r"[a-z][a-z _]{0,30}", x)
        ]
        checked.append({"name": name, "status": status, "recording": bool(camera.get("recording")), "labels": labels})
    given = body.get("offers")
    offers = {k: bool(v) for k, v in given.items() if k in OFFERS} if isinstance(given, dict) else {}
    return {"url": url.rstrip("/"), "version": str(body.get("version", ""))[:40], "offers": offers, "cameras": checked}


def parse_event(payload: bytes) -> dict[str, Any]:
    body = _json(payload)
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("id"), int) or event["id"] < 1:
        raise BadMessage("an event message needs event.id, a positive integer")
    if not isinstance(event.get("start"), (int, float)):
        raise BadMessage("an event message needs event.start, in Unix seconds")
    try:
        validate_name(str(event.get("camera", "")))
    except ProtocolError as exc:
        raise BadMessage(exc.reason) from None
    return event


def _json(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_MESSAGE:
        raise BadMessage(f"{len(payload)} bytes, more than {MAX_MESSAGE}")
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadMessage(f"not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadMessage("not a JSON object")
    return body


class Directory:
    """The portal's MQTT client: listens to every hub under ``prefix``."""

    def __init__(
        self, broker: Broker, prefix: str, index: PortalIndex, client_id: str,
        changed: Callable[[str], object] = lambda hub: None,
    ) -> None:  # fmt: skip
        self.broker, self.prefix, self.index, self.changed = broker, prefix, index, changed
        self.connected = False
        self.last_error: str | None = None
        self.refused: Counter[str] = Counter()  # messages dropped, by kind
        self.received = 0
        self._lock = threading.Lock()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if broker.username is not None:
            self.client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self.client.tls_set_context(ssl.create_default_context())
        self.client.reconnect_delay_set(1, 10)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def start(self) -> None:
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=15)
        self.client.loop_start()

    def stop(self) -> None:
        try:
            self.client.disconnect()
        except (RuntimeError, ValueError, OSError) as exc:
            log.debug("mqtt: leaving: %s", exc)
        self.client.loop_stop()

    def _on_connect(self, client: paho.Client, _: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self.last_error = f"the broker refused us: {reason}"
            if _throttle.ready("refused") is not None:
                log.error("mqtt: %s refused the portal: %s; check --mqtt's user and password", self.broker, reason)
            return
        self.connected, self.last_error = True, None
        log.info("mqtt: connected to %s; listening to every hub under %s/", self.broker, self.prefix)
        client.subscribe([(f"{self.prefix}/+/{what}", 1) for what in ("hub", "available", "events")])

    def _on_disconnect(self, client: paho.Client, _: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.connected = False
        self.last_error = f"disconnected: {reason}"
        if _throttle.ready("lost") is not None:
            log.warning("mqtt: lost %s (%s); reconnecting; the hubs are shown as last heard", self.broker, reason)

    def _on_message(self, client: paho.Client, _: Any, message: paho.MQTTMessage) -> None:
        self.received += 1
        levels = message.topic.split("/")
        hub, what = levels[-2], levels[-1]
        try:
            if not HUB_NAME.fullmatch(hub) or "/".join(levels[:-2]) != self.prefix:
                raise BadMessage(f"{message.topic!r} is not a hub's topic")
            self._take(hub, what, bytes(message.payload))
        except BadMessage as exc:
            self._refuse(what, f"{message.topic}: {exc}")
        except Exception:  # the index's disk, or a bug: one message lost, never the listener
            if _throttle.ready(f"crash:{what}") is not None:
                log.exception("mqtt: could not keep %s", message.topic)

    def _take(self, hub: str, what: str, payload: bytes) -> None:
        if what == "available":
            self.index.available(hub, payload == b"online")
        elif what == "hub":
            if not payload:
                return  # a record taken back: the hub stays listed with what was last known
            record = parse_record(hub, payload)
            self.index.hub_record(hub, record["url"], record["version"], record["offers"], record["cameras"])
        elif what == "events":
            self.index.event(hub, parse_event(payload))
        self.changed(hub)

    def _refuse(self, kind: str, why: str) -> None:
        with self._lock:
            self.refused[kind] += 1
        held = _throttle.ready(f"bad:{kind}")
        if held is not None:
            log.warning("mqtt: dropped %s (%d more of this kind not logged)", why, held)
