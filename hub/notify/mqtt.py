"""The hub's MQTT client: motion, camera status, snapshots and events, Home Assistant discovery.

Topics under ``<prefix>/<hub>/``: ``available`` (``online``; ``offline`` as the retained last
will and on a clean stop), ``hub`` (the hub's record for portals: its URL, cameras and what it
offers, ``announce.py``), ``<camera>/motion`` (``ON``/``OFF``), ``<camera>/status``,
``<camera>/snapshot`` (the JPEG of an event as it opens), ``<camera>/<label>`` (how many such
objects are in view, with objects on) — all retained — and ``events`` (one JSON message per
event opening, growing and ending; only alerts with ``--notify-on alerts``).

The hub never waits on the broker. Workers and the recorder hand their news over in O(1) and
the ``mqtt`` thread does the rest; paho's own thread connects and reconnects with backoff. The
retained state is kept here and published whole on every (re)connect and when Home Assistant
announces itself, so nothing depends on the broker having kept it. Event messages wait in a
bounded queue while the broker is away; past ``QUEUE`` the oldest are dropped, counted.
"""

from __future__ import annotations

import collections
import json
import logging
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from common.config import ConfigError
from common.throttle import Throttle
from hub.events.api import message
from hub.events.index import EventIndex
from hub.frames import Frame
from hub.notify.announce import Announcer, record
from hub.notify.discovery import Topics, camera_entities, hub_entities, object_entities, topic_level
from hub.store import ONLINE, Cameras

log = logging.getLogger(__name__)
_throttle = Throttle(60.0)


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool

    @classmethod
    def parse(cls, url: str) -> Broker:
        """From ``mqtt://[user:pass@]host[:1883]`` or ``mqtts://...`` (TLS, port 8883)."""
        parts = urllib.parse.urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname or port == -1:
            raise ConfigError(f"mqtt: {url!r} is not a broker URL; write mqtt://[user:pass@]host[:1883]", "mqtt")
        tls = parts.scheme == "mqtts"
        user = urllib.parse.unquote(parts.username) if parts.username else None
        password = urllib.parse.unquote(parts.password) if parts.password else None
        return cls(parts.hostname, port or (8883 if tls else 1883), user, password, tls)

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"  # never the password


class MqttBridge:
    """Publishes the hub's state and events; runs on a thread named ``mqtt``."""

    QUEUE = 1000  # event messages kept while the broker is away
    TICK = 0.25  # seconds between looks at the cameras' status (offline is a matter of time)

    def __init__(
        self,
        broker: Broker,
        topics: Topics,
        discovery: bool,
        cameras: Cameras,
        events: EventIndex,
        data_dir: Path,
        stop: threading.Event,
        base_url: str = "",
        labels: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        """``labels``: the object labels a camera tracks (None: objects are off)."""
        self.broker, self.topics, self.discovery = broker, topics, discovery
        self.cameras, self.events, self.data_dir, self.stop = cameras, events, data_dir, stop
        self.base_url = base_url
        self.labels = labels
        self.connected = False
        self.published = 0
        self.dropped = 0
        self._dropped_lock = threading.Lock()
        self.last_error: str | None = None
        self._wake = threading.Event()
        self._resync = threading.Event()  # set by paho's thread, taken by the mqtt thread
        # Workers append, the mqtt thread pops, each end on its own thread: deque's append and
        # popleft are thread-safe, so nothing is ever swapped out from under a writer.
        self._flips: collections.deque[tuple[str, bool]] = collections.deque(maxlen=self.QUEUE)
        self._news: collections.deque[tuple[str, int, str]] = collections.deque(maxlen=self.QUEUE)
        self._outbox: collections.deque[tuple[str, bytes, bool]] = collections.deque()
        self._retained: dict[str, bytes] = {}  # topic -> payload, the state a reconnect republishes
        self._motion: dict[str, bool] = {}  # as the workers saw it, per camera (one worker at a time each)
        self._taken: dict[str, bool] = {}  # as the mqtt thread took it from the flips, per camera
        self._shown: dict[str, tuple[str, bool]] = {}  # camera -> (status, motion) as published
        self._counts: collections.deque[tuple[str, dict[str, int]]] = collections.deque(maxlen=self.QUEUE)
        self._tracked: dict[str, tuple[str, ...]] = {}  # camera -> the labels whose counts it publishes
        self._announcer = Announcer()
        self.client = self._client()

    # --- any thread, O(1) ---------------------------------------------------------------
    def saw(self, frame: Frame) -> None:
        """A worker published ``frame``: note a change of the camera's motion."""
        if self._motion.get(frame.camera) != frame.motion:
            self._motion[frame.camera] = frame.motion
            self._flips.append((frame.camera, frame.motion))
            self._wake.set()

    def counts(self, camera: str, counts: dict[str, int]) -> None:
        """The object detector's counts for a camera changed (labels not given are 0)."""
        self._counts.append((camera, counts))
        self._wake.set()

    def event(self, kind: str, event_id: int, camera: str) -> None:
        """The recorder opened, grew or ended an event."""
        if len(self._news) == self.QUEUE:
            self._count_dropped()
        self._news.append((kind, event_id, camera))
        self._wake.set()

    def _count_dropped(self) -> None:
        with self._dropped_lock:  # the record thread (events) and the mqtt thread (outbox) both drop
            self.dropped += 1

    def state(self) -> dict[str, Any]:
        return {
            "broker": str(self.broker),
            "connected": self.connected,
            "published": self.published,
            "dropped": self.dropped,
            "queued": len(self._outbox),
            "last_error": self.last_error,
        }

    # --- the mqtt thread ----------------------------------------------------------------
    def run(self) -> None:
        # keepalive 5 s: a hub cut off the network is "offline" (its last will) within 7.5 s
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=5)
        self.client.loop_start()
        try:
            while not self.stop.is_set():
                self._wake.wait(self.TICK)
                self._wake.clear()
                try:
                    self._step()
                except Exception:  # a bug or the index's disk: never worth the hub
                    if _throttle.ready("step") is not None:
                        log.exception("mqtt: could not publish; going on")
        finally:
            self._goodbye()

    def _step(self) -> None:
        if self._resync.is_set():
            self._resync.clear()
            self._outbox = collections.deque(m for m in self._outbox if not m[2])  # stale state out
            self._outbox.extendleft(reversed([(t, p, True) for t, p in self._retained.items()]))
        self._follow_cameras()
        said = self._announcer.due(
            record(self.topics.hub, self.base_url, self.cameras.all(), self.labels is not None), time.monotonic()
        )
        if said is not None:
            self._retain(self.topics.record, said)
        while self._news:
            self._tell(*self._news.popleft())
        self._flush()

    def _follow_cameras(self) -> None:
        now = {camera.name: camera for camera in self.cameras.all()}
        for name in [n for n in self._shown if n not in now]:  # forgotten: its entities go too
            self._forget(name)
        for name in now:
            if name not in self._shown:
                self._shown[name] = ("", False)
                self._tracked[name] = tuple(self.labels(name)) if self.labels else ()
                if self.discovery:
                    entities = camera_entities(self.topics, name)
                    entities.update(object_entities(self.topics, name, self._tracked[name]))
                    for topic, config in entities.items():
                        self._retain(topic, config)
                for label in self._tracked[name]:
                    self._retain(self.topics.camera(name, topic_level(label)), b"0")
        while self._flips:  # in order: a short ON/OFF is published as both
            name, moving = self._flips.popleft()
            self._taken[name] = moving
            if name in now:
                self._show(name, now[name].status(), moving)
        for name, camera in now.items():  # status changes; motion as far as the flips have told
            self._show(name, camera.status(), self._taken.get(name, False))
        while self._counts:
            name, counts = self._counts.popleft()
            for label in self._tracked.get(name, ()):
                self._retain(self.topics.camera(name, topic_level(label)), str(counts.get(label, 0)).encode())

    def _show(self, name: str, status: str, moving: bool) -> None:
        moving = moving and status == ONLINE
        shown_status, shown_motion = self._shown.get(name, ("", False))
        if status != shown_status:
            self._retain(self.topics.camera(name, "status"), status.encode())
        if moving != shown_motion or not shown_status:
            self._retain(self.topics.camera(name, "motion"), b"ON" if moving else b"OFF")
        self._shown[name] = (status, moving)

    def _forget(self, name: str) -> None:
        del self._shown[name]
        self._motion.pop(name, None)
        self._taken.pop(name, None)
        labels = self._tracked.pop(name, ())
        levels = ("motion", "status", "snapshot", *map(topic_level, labels))
        topics = [self.topics.camera(name, what) for what in levels]
        for topic in [*topics, *camera_entities(self.topics, name), *object_entities(self.topics, name, labels)]:
            if self._retained.pop(topic, None) is not None:
                self._queue(topic, b"", retain=True)  # an empty retained message deletes it

    def _tell(self, kind: str, event_id: int, camera: str) -> None:
        body = message(self.events, kind, event_id, self.base_url)
        if body is None:
            return
        if kind == "new" and body["event"]["snapshot"]:
            found = self.events.event(event_id)
            try:
                jpeg = (self.data_dir / found.snapshot).read_bytes() if found and found.snapshot else None
            except OSError:
                jpeg = None
            if jpeg:
                self._retain(self.topics.camera(camera, "snapshot"), jpeg)
        self._queue(self.topics.events, json.dumps(body).encode(), retain=False)

    def _retain(self, topic: str, payload: bytes) -> None:
        self._retained[topic] = payload
        if self.connected:  # otherwise the next connect publishes the state as it is then
            self._queue(topic, payload, retain=True)

    def _queue(self, topic: str, payload: bytes, retain: bool) -> None:
        if len(self._outbox) >= self.QUEUE:
            self._outbox.popleft()
            self._count_dropped()
        self._outbox.append((topic, payload, retain))

    def _flush(self) -> None:
        while self._outbox and self.connected:
            topic, payload, retain = self._outbox[0]
            info = self.client.publish(topic, payload, qos=1, retain=retain)
            self._outbox.popleft()
            # NO_CONN (the link dropped before paho's thread told us): paho keeps a qos-1 message
            # and sends it after the reconnect itself; publishing it again would say it twice
            if info.rc in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
                self.published += 1
            else:  # paho's own queue is full: the broker is too slow
                self._count_dropped()

    def _goodbye(self) -> None:
        """A clean stop: say offline ourselves (a clean disconnect sends no last will)."""
        try:
            if self.connected:
                self.client.publish(self.topics.available, b"offline", qos=1, retain=True).wait_for_publish(2.0)
            self.client.disconnect()
        except (RuntimeError, ValueError, OSError) as exc:
            log.debug("mqtt: leaving: %s", exc)
        self.client.loop_stop()

    # --- paho's thread -----------------------------------------------------------------------
    def _client(self) -> paho.Client:
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"camnet-{self.topics.hub}")
        if self.broker.username is not None:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set_context(ssl.create_default_context())
        client.will_set(self.topics.available, b"offline", qos=1, retain=True)
        client.reconnect_delay_set(1, 30)
        client.max_queued_messages_set(self.QUEUE)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._retained[self.topics.available] = b"online"
        if self.discovery:
            self._retained.update(hub_entities(self.topics))
        return client

    def _on_connect(self, client: paho.Client, _: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self.last_error = f"the broker refused us: {reason}"
            if _throttle.ready("refused") is not None:
                log.error("mqtt: %s refused the connection: %s; check --mqtt's user and password", self.broker, reason)
            return
        log.info("mqtt: connected to %s", self.broker)
        self.connected, self.last_error = True, None
        client.subscribe(self.topics.ha_status, qos=1)
        self._resync.set()
        self._wake.set()

    def _on_connect_fail(self, client: paho.Client, _: Any) -> None:
        self.last_error = "cannot reach the broker"
        if _throttle.ready("unreachable") is not None:
            log.warning("mqtt: cannot reach %s; retrying with backoff (live view is not affected)", self.broker)

    def _on_disconnect(self, client: paho.Client, _: Any, flags: Any, reason: Any, properties: Any) -> None:
        was, self.connected = self.connected, False
        if was and not self.stop.is_set():
            self.last_error = f"disconnected: {reason}"
            log.warning("mqtt: lost %s (%s); reconnecting with backoff", self.broker, reason)

    def _on_message(self, client: paho.Client, _: Any, msg: paho.MQTTMessage) -> None:
        if msg.topic == self.topics.ha_status and msg.payload == b"online":
            self._resync.set()  # Home Assistant restarted: discovery and state again
            self._wake.set()
