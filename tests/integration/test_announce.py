"""The hub's own record for portals, on a real mosquitto: retained at ``<prefix>/<hub>/hub``,
with the names the portal reads (name, public_url, version, cameras with online, recording and
labels, offers), said again when a camera comes, never more than once a second."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable

import pytest

from common import __version__
from hub.app import Hub
from tests.conftest import RawSender, wait_until
from tests.integration.test_mqtt import HUB, STILL, Broker, broker, feed, listen  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def test_the_hub_announces_itself_for_portals(hub_factory: Callable[..., Hub], broker: Broker, listen) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    listener = listen()
    hub = hub_factory(mqtt=broker.url, hub_name=HUB, public_url="http://cams.example.net:8000")
    topic = f"camnet/{HUB}/hub"
    sender = RawSender(hub.config.zmq_port)
    try:
        feed(sender, "garage", STILL[:3])
        wait_until(lambda: listener.last(topic) and json.loads(listener.last(topic) or b"{}")["cameras"], timeout=10)
        feed(sender, "porch", STILL[:3], fps=10)
        record = {}

        def lists_both() -> bool:
            nonlocal record
            record = json.loads(listener.last(topic) or b"{}")
            return [c["name"] for c in record["cameras"]] == ["garage", "porch"]

        wait_until(lists_both, timeout=10)
    finally:
        sender.close()
    assert record["name"] == HUB and record["public_url"] == "http://cams.example.net:8000"
    assert record["version"] == __version__
    assert record["cameras"][0] == {"name": "garage", "online": True, "status": "online", "recording": False,
                                    "labels": []}  # fmt: skip
    assert set(record["offers"]) == {"events", "timeline", "objects", "sub"}
    later = listen()  # a portal started now: the broker hands it the record, marked retained
    wait_until(lambda: any(t == topic and r for t, _, r in later.messages), timeout=5)
    # The senders stopped: the cameras go offline, and the record says so.
    wait_until(lambda: not any(c["online"] for c in json.loads(listener.last(topic) or b"{}")["cameras"]), timeout=10)
    said = [when for when, (t, _, _) in zip(listener.times, listener.messages, strict=True) if t == topic]
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(said)), "at most once a second"
    time.sleep(1.5)
    assert len(listener.on(topic)) == len(said), "nothing changed, nothing said"
