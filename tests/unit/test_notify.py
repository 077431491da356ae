"""Names on the way out: broker URLs, topic levels and Home Assistant ids (no broker needed)."""

from __future__ import annotations

import collections
import itertools
import threading
import time
from pathlib import Path

import pytest

from common.config import ConfigError
from common.motion import QUIET, Motion
from hub.events.index import EventIndex
from hub.frames import Frame
from hub.notify.discovery import Topics, camera_entities, slug, topic_level
from hub.notify.mqtt import Broker, MqttBridge
from hub.store import Cameras

MOVING = Motion(True, (1, 2, 3, 4), ((1, 2, 3, 4),))


def test_broker_urls() -> None:
    assert Broker.parse("mqtt://broker") == Broker("broker", 1883, None, None, False)
    assert Broker.parse("mqtts://u%40x:p%3Aw@10.0.0.2:8884") == Broker("10.0.0.2", 8884, "u@x", "p:w", True)
    assert Broker.parse("mqtts://b").port == 8883
    assert "p:w" not in str(Broker.parse("mqtt://u:p:w@b")), "the password never reaches a log line"
    for bad in ("http://b", "mqtt://", "mqtt://b:99999", "b:1883"):
        with pytest.raises(ConfigError, match="mqtt://"):
            Broker.parse(bad)


def test_odd_camera_names_make_valid_and_distinct_ids() -> None:
    names = ["Front door", "front-door", "front_door", "Garage #2", "a+b", "カメラ"]
    ids = [slug(n) for n in names]
    assert len(set(ids)) == len(ids), "names that differ never share an entity"
    assert all(i.replace("_", "").isalnum() and i.isascii() for i in ids)
    assert slug("garage") == "garage"
    assert topic_level("Front door") == "Front door"
    assert all(c not in topic_level(n) for n in names for c in "+#/")


def test_each_camera_gets_three_entities_with_unique_ids() -> None:
    topics = Topics("camnet", "home")
    one, two = camera_entities(topics, "garage"), camera_entities(topics, "porch")
    assert len(one) == len(two) == 3 and not set(one) & set(two)
    assert all(t.startswith("homeassistant/") and t.endswith("/config") for t in one)


class Preempted(collections.deque):  # type: ignore[type-arg]
    """A deque whose writer is preempted between finding it and appending to it."""

    def append(self, item: object) -> None:
        time.sleep(0.0002)
        super().append(item)


def test_no_motion_flip_is_lost_while_the_mqtt_thread_takes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers note flips while the mqtt thread takes them: every flip is published, in order."""
    monkeypatch.setattr(collections, "deque", Preempted)
    cameras = Cameras(4, offline_after=3600)
    cameras.get_or_add("porch")
    events = EventIndex(tmp_path)
    bridge = MqttBridge(Broker.parse("mqtt://127.0.0.1:1"), Topics("camnet", "hub", "homeassistant"), False,
                        cameras, events, tmp_path, threading.Event())  # fmt: skip
    published: list[bytes] = []

    def retain(topic: str, payload: bytes) -> None:  # a slow broker: flips come while it publishes
        if topic.endswith("/motion"):
            published.append(payload)
            time.sleep(0.0005)

    bridge._retain = retain  # type: ignore[method-assign]
    flips = 1000
    done = threading.Event()

    def worker() -> None:
        for n in range(flips):
            bridge.saw(Frame.build("porch", n, b"", 640, 480, 0.0, MOVING if n % 2 == 0 else QUIET))
        done.set()

    bridge._follow_cameras()  # the camera appears: motion OFF
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        while not done.is_set():
            bridge._follow_cameras()
            time.sleep(0.001)  # several flips (a short ON and OFF) come between two looks
        thread.join()
        bridge._follow_cameras()
    finally:
        events.close()
    assert len(published) == flips + 1, "the first OFF, then every ON and OFF"
    assert all(a != b for a, b in itertools.pairwise(published)), "in order"
