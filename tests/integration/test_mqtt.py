"""Home Assistant and friends: the hub against a real MQTT broker (Debian's mosquitto, started
here on a free loopback port) and real webhook receivers."""

from __future__ import annotations

import base64
import collections
import http.server
import json
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from hub.app import Hub
from hub.notify.discovery import slug, topic_level
from tests.conftest import RawSender, free_port, get, jpeg, read_mjpeg, scene, start_process, wait_until

HUB = "testhub"
STILL = [jpeg(scene(i, False, 320, 240)) for i in range(6)]
MOVING = [jpeg(scene(i, True, 320, 240)) for i in range(30)]


class Broker:
    """A mosquitto of our own: anonymous, no persistence, loopback only."""

    def __init__(self, directory: Path, port: int | None = None, persistent: bool = False) -> None:
        self.port = port or free_port()
        self.directory = directory
        self.persistent = persistent  # keeps durable sessions across a clean restart
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        conf = self.directory / "mosquitto.conf"
        keep = (
            f"persistence true\npersistence_location {self.directory}/\n" if self.persistent else "persistence false\n"
        )
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n{keep}")
        self.proc = subprocess.Popen([mosquitto, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._listening, timeout=10)

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        """A clean stop: a persistent broker saves its sessions."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"


class Listener:
    """A subscriber to everything, as Home Assistant would be; keeps each message in order."""

    def __init__(self, broker: Broker) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self.times: list[float] = []  # monotonic time each message arrived
        self._lock = threading.Lock()
        self.client = paho.Client(CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda c, *_: c.subscribe("#", qos=1)
        self.client.on_message = self._got
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def _got(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))
            self.times.append(time.monotonic())

    def on(self, topic: str) -> list[bytes]:
        with self._lock:
            return [payload for t, payload, _ in self.messages if t == topic]

    def last(self, topic: str) -> bytes | None:
        got = self.on(topic)
        return got[-1] if got else None

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    started = Broker(tmp_path)
    yield started
    started.kill()


@pytest.fixture
def listen(broker: Broker) -> Iterator[Callable[[], Listener]]:
    made: list[Listener] = []

    def make() -> Listener:
        made.append(Listener(broker))
        return made[-1]

    yield make
    for listener in made:
        listener.close()


def mqtt_hub(hub_factory: Callable[..., Hub], broker: Broker, **settings: object) -> Hub:
    return hub_factory(mqtt=broker.url, hub_name=HUB, pre_roll=0.5, post_roll=0.6, **settings)


def feed(sender: RawSender, name: str, frames: list[bytes], fps: float = 30) -> None:
    for data in frames:
        assert sender.frame(name, data) == b"OK"
        time.sleep(1 / fps)


def test_home_assistant_discovers_each_camera(hub_factory: Callable[..., Hub], broker: Broker, listen) -> None:  # type: ignore[no-untyped-def]
    listener = listen()
    hub = mqtt_hub(hub_factory, broker)
    sender = RawSender(hub.config.zmq_port)
    try:
        for name in ("garage", "Front door #2"):
            feed(sender, name, STILL[:2])
    finally:
        sender.close()
    node = f"homeassistant/{{}}/camnet_{HUB}/{{}}/config"
    for name in ("garage", "Front door #2"):
        cam = slug(name)
        topics = {
            "binary_sensor": node.format("binary_sensor", f"{cam}_motion"),
            "image": node.format("image", f"{cam}_snapshot"),
            "sensor": node.format("sensor", f"{cam}_status"),
        }
        wait_until(lambda topics=topics: all(listener.last(t) for t in topics.values()), timeout=10)
        configs = {component: json.loads(listener.last(t) or b"") for component, t in topics.items()}
        base = f"camnet/{HUB}/{topic_level(name)}"
        assert configs["binary_sensor"]["device_class"] == "motion"
        assert configs["binary_sensor"]["state_topic"] == f"{base}/motion"
        assert configs["image"]["image_topic"] == f"{base}/snapshot"
        assert configs["image"]["content_type"] == "image/jpeg"
        assert configs["sensor"]["state_topic"] == f"{base}/status"
        ids = {c["unique_id"] for c in configs.values()}
        assert len(ids) == 3
        for config in configs.values():
            assert config["device"]["name"] == name and config["device"]["via_device"] == f"camnet_{HUB}"
            assert config["origin"]["name"] == "camnet"
            assert {"topic": f"camnet/{HUB}/available"}.items() <= config["availability"][0].items()
        assert configs["binary_sensor"]["availability"][1]["topic"] == f"{base}/status"
    assert "+" not in topic_level("Front door #2") and "#" not in topic_level("Front door #2")
    assert listener.last(f"camnet/{HUB}/available") == b"online"
    hub_config = json.loads(listener.last(node.format("binary_sensor", "hub")) or b"")
    assert hub_config["device"]["identifiers"] == [f"camnet_{HUB}"]


def test_motion_on_then_off_and_nothing_for_a_still_camera(  # type: ignore[no-untyped-def]
    hub_factory: Callable[..., Hub], broker: Broker, listen
) -> None:
    listener = listen()
    hub = mqtt_hub(hub_factory, broker)
    sender = RawSender(hub.config.zmq_port)
    try:
        for i in range(12):
            feed(sender, "porch", STILL[i % 6 : i % 6 + 1])
            feed(sender, "shed", STILL[i % 6 : i % 6 + 1])
        for frame in MOVING[:25]:
            feed(sender, "porch", [frame])
            feed(sender, "shed", STILL[:1])
        for i in range(15):
            feed(sender, "porch", STILL[i % 6 : i % 6 + 1])
            feed(sender, "shed", STILL[i % 6 : i % 6 + 1])
    finally:
        sender.close()
    porch = f"camnet/{HUB}/porch/motion"
    wait_until(lambda: listener.on(porch)[-1:] == [b"OFF"] and b"ON" in listener.on(porch), timeout=10)
    assert listener.on(porch) == [b"OFF", b"ON", b"OFF"]
    assert set(listener.on(f"camnet/{HUB}/shed/motion")) == {b"OFF"}
    assert listener.last(f"camnet/{HUB}/porch/status") == b"online"
    wait_until(lambda: listener.last(f"camnet/{HUB}/porch/status") == b"offline", timeout=10)


def test_event_messages_match_the_api_and_carry_the_snapshot(  # type: ignore[no-untyped-def]
    hub_factory: Callable[..., Hub], broker: Broker, listen
) -> None:
    listener = listen()
    hub = mqtt_hub(hub_factory, broker, public_url="https://cams.example.net")
    sender = RawSender(hub.config.zmq_port)
    try:
        feed(sender, "gate", STILL * 2 + MOVING + STILL * 4, fps=20)
    finally:
        sender.close()
    topic = f"camnet/{HUB}/events"
    wait_until(lambda: any(json.loads(m)["type"] == "end" for m in listener.on(topic)), timeout=15)
    messages = [json.loads(m) for m in listener.on(topic)]
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "new" and kinds[-1] == "end" and set(kinds[1:-1]) <= {"update"}
    event = messages[-1]["event"]
    api = json.loads(get(hub, f"/api/events/{event['id']}")[1])
    at = f"https://cams.example.net/events/{event['id']}"
    assert event == {**api, "snapshot": f"{at}/snapshot.jpg", "thumb": f"{at}/thumb.jpg", "clip": f"{at}/clip.mkv",
                     "clips": [f"{at}/clip.mkv?part=1"]}  # fmt: skip
    assert messages[0]["event"]["id"] == event["id"] and messages[0]["event"]["end"] is None
    snapshot = listener.last(f"camnet/{HUB}/gate/snapshot")
    assert snapshot is not None and snapshot[:2] == b"\xff\xd8" and snapshot in MOVING


def test_republishes_when_home_assistant_comes_back(  # type: ignore[no-untyped-def]
    hub_factory: Callable[..., Hub], broker: Broker, listen
) -> None:
    listener = listen()
    hub = mqtt_hub(hub_factory, broker)
    sender = RawSender(hub.config.zmq_port)
    feed(sender, "attic", STILL[:2])
    sender.close()
    config = f"homeassistant/binary_sensor/camnet_{HUB}/attic_motion/config"
    wait_until(lambda: len(listener.on(config)) == 1, timeout=10)
    listener.client.publish("homeassistant/status", b"online", qos=1)
    wait_until(lambda: len(listener.on(config)) == 2, timeout=10)
    assert len(listener.on(f"camnet/{HUB}/attic/motion")) >= 2, "the state too"


def test_a_forgotten_camera_leaves_home_assistant(  # type: ignore[no-untyped-def]
    hub_factory: Callable[..., Hub], broker: Broker, listen
) -> None:
    listener = listen()
    hub = mqtt_hub(hub_factory, broker, offline_after=0.5)
    sender = RawSender(hub.config.zmq_port)
    feed(sender, "old-pi", STILL[:2])
    sender.close()
    config = f"homeassistant/sensor/camnet_{HUB}/{slug('old-pi')}_status/config"
    wait_until(lambda: listener.last(config), timeout=10)
    wait_until(lambda: hub.cameras.get("old-pi").status() == "offline", timeout=10)  # type: ignore[union-attr]
    assert hub.cameras.forget("old-pi")
    wait_until(lambda: listener.last(config) == b"", timeout=10)
    assert listener.last(f"camnet/{HUB}/old-pi/motion") == b""


def test_the_broker_going_away_costs_the_live_view_nothing(  # type: ignore[no-untyped-def]
    hub_factory: Callable[..., Hub], broker: Broker, listen
) -> None:
    hub = mqtt_hub(hub_factory, broker)
    sender = RawSender(hub.config.zmq_port)
    stop = threading.Event()

    def stream() -> None:
        i = 0
        while not stop.is_set():
            sender.frame("yard", STILL[i % 6])
            i += 1
            time.sleep(1 / 30)

    feeder = threading.Thread(target=stream, daemon=True)
    feeder.start()
    try:
        wait_until(lambda: hub.mqtt is not None and hub.mqtt.connected, timeout=10)
        broker.kill()
        wait_until(lambda: hub.mqtt is not None and not hub.mqtt.connected, timeout=10)
        before = hub.cameras.get("yard").analyzed  # type: ignore[union-attr]
        started = time.monotonic()
        assert len(read_mjpeg(hub, "/video_feed/yard?overlay=0", 30)) == 30
        rate = (hub.cameras.get("yard").analyzed - before) / (time.monotonic() - started)  # type: ignore[union-attr]
        assert rate > 15, f"analysis went on at {rate:.1f} fps with the broker gone"
        status, body, _ = get(hub, "/healthz")
        mqtt = json.loads(body)["notify"]["mqtt"]
        assert status == 200 and mqtt["connected"] is False
        broker.start()  # a fresh broker: it kept nothing
        listener = listen()
        wait_until(lambda: listener.last(f"camnet/{HUB}/yard/status") == b"online", timeout=40)
        assert listener.last(f"camnet/{HUB}/available") == b"online"
        assert listener.last(f"homeassistant/binary_sensor/camnet_{HUB}/yard_motion/config")
    finally:
        stop.set()
        feeder.join(timeout=5)
        sender.close()


def test_what_is_told_as_the_link_drops_reaches_home_assistant_once(  # type: ignore[no-untyped-def]
    hub_factory: Callable[..., Hub], tmp_path: Path
) -> None:
    (tmp_path / "broker").mkdir()
    broker = Broker(tmp_path / "broker", persistent=True)
    got: list[tuple[str, bytes]] = []
    ha = paho.Client(CallbackAPIVersion.VERSION2, client_id="home-assistant", clean_session=False)
    ha.on_connect = lambda c, *_: c.subscribe("#", qos=1)
    ha.on_message = lambda c, u, msg: got.append((msg.topic, bytes(msg.payload)))
    ha.reconnect_delay_set(1, 2)
    ha.connect("127.0.0.1", broker.port)
    ha.loop_start()
    events = f"camnet/{HUB}/events"
    try:
        hub = mqtt_hub(hub_factory, broker)
        wait_until(lambda: hub.mqtt is not None and hub.mqtt.connected, timeout=10)
        assert hub.mqtt is not None
        hub.mqtt.client.on_disconnect = None  # the bridge goes on publishing before paho tells it of the drop
        broker.stop()
        sender = RawSender(hub.config.zmq_port)
        try:
            feed(sender, "gate", STILL * 2 + MOVING + STILL * 4, fps=20)
        finally:
            sender.close()
        wait_until(lambda: [e.state for e in hub.events.events()] == ["done"], timeout=10)
        time.sleep(1.5)  # the bridge hands its messages to paho, which is not connected
        got.clear()
        broker.start()
        wait_until(lambda: [json.loads(p)["type"] for t, p in got if t == events] == ["new", "end"], timeout=40)
        time.sleep(3.0)  # a second copy would come right behind
        assert [json.loads(p)["type"] for t, p in got if t == events] == ["new", "end"], "each event once"
        copies = collections.Counter(got)
        most = max(copies.values())
        assert most <= 3, (
            f"{most} copies of {[t for (t, _), n in copies.items() if n == most]}: a message said again and again"
        )
    finally:
        ha.loop_stop()
        ha.disconnect()
        broker.kill()


def test_a_clean_stop_says_offline(hub_factory: Callable[..., Hub], broker: Broker, listen) -> None:  # type: ignore[no-untyped-def]
    hub = mqtt_hub(hub_factory, broker)
    wait_until(lambda: hub.mqtt is not None and hub.mqtt.connected, timeout=10)
    hub.stop()
    listener = listen()
    wait_until(lambda: listener.last(f"camnet/{HUB}/available") == b"offline", timeout=10)


def test_a_broker_that_is_not_there_does_not_stop_the_hub(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(mqtt=f"mqtt://127.0.0.1:{free_port()}", hub_name=HUB)
    sender = RawSender(hub.config.zmq_port)
    try:
        feed(sender, "cam", STILL[:3])
    finally:
        sender.close()
    wait_until(lambda: hub.mqtt is not None and hub.mqtt.last_error, timeout=10)
    status, body, _ = get(hub, "/healthz")
    assert status == 200 and json.loads(body)["notify"]["mqtt"]["connected"] is False
    assert hub.cameras.get("cam").analyzed == 3  # type: ignore[union-attr]


@pytest.mark.slow
def test_kill_9_leaves_a_retained_offline(broker: Broker, listen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = ["hub.cli", "--ip", "127.0.0.1", "--port", str(free_port()), "--zmq-port", str(free_port())]
    hub = start_process([*args, "--mqtt", broker.url, "--hub-name", HUB, "--data-dir", str(tmp_path / "hub")])
    try:
        listener = listen()
        wait_until(lambda: listener.last(f"camnet/{HUB}/available") == b"online", timeout=20)
        hub.send_signal(signal.SIGKILL)
        hub.wait(timeout=10)
    finally:
        if hub.poll() is None:
            hub.kill()
        hub.communicate(timeout=10)
    late = listen()  # connects after the death: sees what the broker retained
    wait_until(lambda: late.last(f"camnet/{HUB}/available") == b"offline", timeout=30)


class Receiver(http.server.ThreadingHTTPServer):
    """A webhook endpoint: keeps each JSON body, or (``hang``) never answers."""

    def __init__(self, hang: bool = False, authorization: str | None = None) -> None:
        self.bodies: list[dict] = []
        self.hang = threading.Event() if hang else None
        self.refused = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if outer.hang is not None:
                    outer.hang.wait(30)
                    return
                if authorization is not None and self.headers.get("Authorization") != authorization:
                    outer.refused += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                length = int(self.headers["Content-Length"])
                outer.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def close(self) -> None:
        if self.hang is not None:
            self.hang.set()
        self.shutdown()
        self.server_close()


def test_webhooks_get_each_event_and_a_hanging_one_costs_nothing(hub_factory: Callable[..., Hub]) -> None:
    good, hanging = Receiver(), Receiver(hang=True)
    try:
        hub = hub_factory(webhook=(hanging.url, good.url), pre_roll=0.5, post_roll=0.6)
        sender = RawSender(hub.config.zmq_port)
        started = time.monotonic()
        try:
            feed(sender, "drive", STILL * 2 + MOVING + STILL * 4, fps=20)
            feed(sender, "drive", MOVING + STILL * 4, fps=20)
        finally:
            sender.close()
        took = time.monotonic() - started
        wait_until(lambda: [b["type"] for b in good.bodies] == ["new", "end", "new", "end"], timeout=15)
        first_end = good.bodies[1]["event"]
        assert json.loads(get(hub, f"/api/events/{first_end['id']}")[1]) == first_end
        assert took < 12, f"sending took {took:.1f} s: something waited on a webhook"
        camera = hub.cameras.get("drive")
        assert camera is not None and camera.analyzed == camera.received
        slow = hub.webhooks[0].state()
        assert slow["sent"] == 0 and slow["url"] == hanging.url.rsplit("/", 1)[0]
        health = json.loads(get(hub, "/healthz")[1])
        assert [w["sent"] for w in health["notify"]["webhooks"]] == [0, 4]
    finally:
        good.close()
        hanging.close()


def test_a_webhook_url_with_credentials_sends_them_as_basic(hub_factory: Callable[..., Hub]) -> None:
    expected = "Basic " + base64.b64encode(b"hook:p@ss word").decode()
    guarded = Receiver(authorization=expected)
    try:
        port = guarded.server_address[1]
        hub = hub_factory(webhook=(f"http://hook:p%40ss%20word@127.0.0.1:{port}/hook",), pre_roll=0.5, post_roll=0.6)
        sender = RawSender(hub.config.zmq_port)
        try:
            feed(sender, "gate", STILL * 2 + MOVING + STILL * 4, fps=20)
        finally:
            sender.close()
        wait_until(lambda: [b["type"] for b in guarded.bodies] == ["new", "end"], timeout=15)
        assert guarded.refused == 0
        state = hub.webhooks[0].state()
        assert "p@ss" not in json.dumps(state) and "hook:" not in state["url"]
    finally:
        guarded.close()


def test_hung_webhooks_never_push_the_stop_past_its_deadline(hub_factory: Callable[..., Hub]) -> None:
    hung = [Receiver(hang=True) for _ in range(5)]
    try:
        hub = hub_factory(webhook=tuple(h.url for h in hung), pre_roll=0.5, post_roll=5.0)
        sender = RawSender(hub.config.zmq_port)
        try:
            feed(sender, "drive", STILL * 2 + MOVING, fps=20)  # an event opens: five hooks hang on "new"
        finally:
            sender.close()
        wait_until(lambda: hub.events.events() != [], timeout=5)
        for n in range(5):  # threads that ignore the stop, as a hook blocked on a trickling server would
            hub._spawn(f"stuck:{n}", lambda: time.sleep(30))
        started = time.monotonic()
        hub.stop()
        took = time.monotonic() - started
        assert took < hub.STOP_WITHIN + 1.0, f"stop took {took:.1f} s: systemd kills the hub at 10"
        [event] = hub.events.events()
        assert event.state == "done", "the open event was closed before the index"
    finally:
        for h in hung:
            h.close()
