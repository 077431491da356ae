"""Know what moved: the real model and runtime on photos moving over a scene, sent by stock
imagezmq senders; events, MQTT, webhooks and the API say what was seen."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import imagezmq
import pytest

from bench.object_scenes import LABELS, Scene
from hub.app import Hub
from tests.conftest import get, wait_until
from tests.integration.test_mqtt import HUB, Broker, Listener, Receiver, broker, listen  # noqa: F401

pytestmark = pytest.mark.slow
FPS = 15


def play(hub: Hub, camera: str, scene: Scene) -> None:
    """Send a scene at its frame rate from a stock imagezmq sender (frames made beforehand)."""
    frames = list(scene.jpegs(FPS))
    sender = imagezmq.ImageSender(f"tcp://127.0.0.1:{hub.config.zmq_port}")
    try:
        started = time.monotonic()
        for i, data in enumerate(frames):
            assert sender.send_jpg(camera, data) == b"OK"
            time.sleep(max(0.0, started + (i + 1) / FPS - time.monotonic()))
    finally:
        sender.close()


def events_of(hub: Hub, camera: str, query: str = "") -> list[dict]:
    status, body, _ = get(hub, f"/api/events?camera={camera}{query}")
    assert status == 200, body
    return json.loads(body)  # type: ignore[no-any-return]


def ended(hub: Hub, camera: str) -> list[dict]:
    return wait_until(  # type: ignore[return-value]
        lambda: (found := events_of(hub, camera)) and all(e["state"] == "done" for e in found) and found,
        timeout=20,
    )


def test_a_person_crossing_the_view_is_an_alert_and_foliage_is_motion_only(
    hub_factory: Callable[..., Hub],
    broker: Broker,  # noqa: F811
    listen: Callable[[], Listener],  # noqa: F811
) -> None:
    hook = Receiver()
    try:
        hub = hub_factory(model=True, mqtt=broker.url, hub_name=HUB, post_roll=1.5, webhook=(hook.url,), frame_count=20)
        mqtt = listen()
        count = f"camnet/{HUB}/door/person"
        walks = threading.Thread(target=play, args=(hub, "door", Scene("p", "person", "person", 10, 2, "walk")))
        walks.start()
        play(hub, "garden", Scene("f", None, None, 10, 2, "foliage"))
        walks.join()

        (door,) = ended(hub, "door")
        assert door["labels"] == ["person"] and door["alert"] is True
        (seen,) = door["objects"]
        assert seen["label"] == "person" and seen["score"] >= 0.7
        assert door["start"] <= seen["first"] <= seen["last"] <= door["end"]
        x1, y1, x2, y2 = seen["box"]
        assert 0 <= x1 < x2 <= 640 and 0 <= y1 < y2 <= 480
        wait_until(lambda: mqtt.last(count) == b"0", timeout=10)
        assert mqtt.on(count)[0] == b"0" and b"1" in mqtt.on(count)  # 0 -> 1 -> 0
        discovery = f"homeassistant/binary_sensor/camnet_{HUB}/door_person_occupancy/config"
        config = json.loads(mqtt.last(discovery) or b"{}")
        assert config["state_topic"] == count and config["device_class"] == "occupancy"

        (garden,) = ended(hub, "garden")  # swaying leaves: motion, recorded, no alert
        assert garden["labels"] == [] and garden["alert"] is False and garden["objects"] == []

        wait_until(lambda: [b["type"] for b in hook.bodies] == ["new", "end"], timeout=10)
        assert {b["event"]["id"] for b in hook.bodies} == {door["id"]}  # --notify-on auto: alerts only
        assert hook.bodies[0]["event"]["labels"] == ["person"] and hook.bodies[0]["event"]["alert"] is True
        told = [json.loads(m) for m in mqtt.on(f"camnet/{HUB}/events")]
        assert {m["event"]["id"] for m in told} == {door["id"]}

        assert [e["id"] for e in events_of(hub, "door", "&alert=1")] == [door["id"]]
        assert events_of(hub, "garden", "&alert=1") == []
        assert [e["id"] for e in events_of(hub, "door", "&label=person&label=dog")] == [door["id"]]
        assert events_of(hub, "door", "&label=cat") == []
        status, body, _ = get(hub, "/api/events?label=../etc")
        assert status == 400 and b"label must be an object label" in body
        status, body, _ = get(hub, "/healthz")
        health = json.loads(body)["objects"]
        assert health["on"] is True and health["inferences"] > 0
        status, body, _ = get(hub, "/metrics")
        assert b'camnet_objects_seen_total{label="person"} 1.0' in body
    finally:
        hook.close()


def test_a_truck_that_parks_stops_counting_and_keeps_no_event_open(
    hub_factory: Callable[..., Hub],
    broker: Broker,  # noqa: F811
    listen: Callable[[], Listener],  # noqa: F811
) -> None:
    hub = hub_factory(objects=LABELS, mqtt=broker.url, hub_name=HUB, post_roll=1.0, frame_count=20, absorb_after=4.0)
    mqtt = listen()
    count = f"camnet/{HUB}/drive/truck"
    play(hub, "drive", Scene("t", "truck", "truck", 16, 2, "park", size=110, still=0.0))  # ends parked
    assert b"1" in mqtt.on(count)
    wait_until(lambda: mqtt.last(count) == b"0", timeout=10)  # parked: no longer counts
    camera = hub.cameras.get("drive")
    assert camera is not None and camera.objects == ()  # not shown as present either
    (event,) = ended(hub, "drive")  # the motion ended and so did the event, the truck still there
    assert event["labels"] == ["truck"]


def test_without_a_model_the_hub_runs_as_before_and_says_how_to_enable_objects(
    hub_factory: Callable[..., Hub],
) -> None:
    hub = hub_factory()
    _, body, _ = get(hub, "/healthz")
    objects = json.loads(body)["objects"]
    assert objects["on"] is False and "camnet-hub model install" in objects["why"]
    _, body, _ = get(hub, "/metrics")
    assert b"camnet_objects_on 0.0" in body
