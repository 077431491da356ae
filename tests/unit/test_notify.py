"""Names on the way out: broker URLs, topic levels and Home Assistant ids (no broker needed)."""

from __future__ import annotations

import pytest

from common.config import ConfigError
from hub.notify.discovery import Topics, camera_entities, slug, topic_level
from hub.notify.mqtt import Broker


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
