"""The portal over real processes: two hubs with two cameras each on one real mosquitto, and a
``camnet-portal``. It lists the four cameras with their hubs, forwards their streams (twenty
viewers, one upstream connection), merges the hubs' events, shows a killed hub offline within
10 s and live again when it is back, rebuilds everything from retained messages alone, and
says "not authorised" once a hub revokes its token."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port, start_process, wait_until
from tests.faults.conftest import HubProcess
from tests.faults.test_recording import Streamer
from tests.integration.test_mqtt import Broker

pytestmark = pytest.mark.slow


def command(*args: str, given: str | None = None) -> str:
    done = start_process(list(args), stdin=subprocess.PIPE if given is not None else None)
    out, _ = done.communicate(given.encode() if given is not None else None, timeout=30)
    assert done.returncode == 0, out.decode()
    return out.decode()


class PortalProcess:
    def __init__(self, broker: Broker, data: Path) -> None:
        self.broker, self.data, self.http = broker, data, free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.proc = start_process(
            ["hub.portal.cli", "--mqtt", self.broker.url, "--ip", "127.0.0.1", "--port", str(self.http),
             "--data-dir", str(self.data)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: self._answers(), timeout=20)

    def _answers(self) -> bool:
        try:
            return isinstance(self.api("/api/hubs"), list)
        except OSError:
            return False

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}{path}", timeout=5) as resp:
            return json.loads(resp.read())

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http}{path}", timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def hub_add(self, hub: str, token: str) -> None:
        command("hub.portal.cli", "hub", "--data-dir", str(self.data), "add", hub, token)


class Site:
    """Two hubs (``north``, ``south``) with two moving cameras each, a broker and a portal."""

    def __init__(self, tmp: Path) -> None:
        (tmp / "broker").mkdir()
        self.broker = Broker(tmp / "broker")
        self.hubs: dict[str, HubProcess] = {}
        self.tokens: dict[str, str] = {}
        self.streamers: list[Streamer] = []
        for name in ("north", "south"):
            data = tmp / name
            data.mkdir()
            made = command("hub.cli", "token", "add", "portal", "--data-dir", str(data))
            self.tokens[name] = next(w for w in made.split() if w.startswith("camnet_"))
            # a user: the hub now asks every request for credentials, the portal's token among them
            command("hub.cli", "user", "add", "owner", "--password-stdin", "--data-dir", str(data), given="s3cret-pw\n")
            self.hubs[name] = HubProcess("--data-dir", str(data), "--mqtt", self.broker.url, "--hub-name", name,
                                         "--pre-roll", "0.5", "--post-roll", "1",
                                         "--public-url", "http://127.0.0.1:{http}")  # fmt: skip
            for camera in (f"{name}-door", f"{name}-yard"):
                self.streamers.append(Streamer(self.hubs[name].zmq, camera))
        for streamer in self.streamers:
            streamer.start()
        self.portal = PortalProcess(self.broker, tmp / "portal")
        for name, token in self.tokens.items():
            self.portal.hub_add(name, token)

    def close(self) -> None:
        for streamer in self.streamers:
            streamer.done.set()
        for streamer in self.streamers:
            streamer.join(5)
        self.portal.stop()
        for hub in self.hubs.values():
            hub.stop()
        self.broker.kill()


@pytest.fixture
def site(tmp_path: Path) -> Any:
    made = Site(tmp_path)
    yield made
    made.close()


def states(portal: PortalProcess) -> dict[str, str]:
    return {h["name"]: h["state"] for h in portal.api("/api/hubs")}


def cameras(portal: PortalProcess) -> dict[str, tuple[str, str]]:
    return {c["name"]: (c["hub"], c["status"]) for c in portal.api("/api/cameras")}


def test_one_portal_over_two_hubs(site: Site, tmp_path: Path) -> None:
    portal = site.portal
    wait_until(lambda: len(cameras(portal)) == 4 and set(states(portal).values()) == {"online"}, timeout=20)
    assert {n: h for n, (h, _) in cameras(portal).items()} == {
        "north-door": "north", "north-yard": "north", "south-door": "south", "south-yard": "south"}  # fmt: skip
    wait_until(lambda: all(s == "online" for _, s in cameras(portal).values()), timeout=10)
    status, jpeg = portal.get("/snapshot/south/south-yard")
    assert status == 200 and jpeg[:2] == b"\xff\xd8", "a JPEG from the owning hub"
    assert portal.get("/snapshot/east/x")[0] == 404 and portal.get("/snapshot/north/nope")[0] == 404

    # Twenty viewers of one forwarded camera: one upstream connection to its hub.
    got: list[int] = []

    def watch() -> None:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{portal.http}/video_feed/north/north-door?sub=1", timeout=10
        ) as r:
            parts = 0
            while parts < 3:
                line = r.readline()
                parts += line.startswith(b"--")
            got.append(parts)

    viewers = [threading.Thread(target=watch) for _ in range(20)]
    for viewer in viewers:
        viewer.start()
    time.sleep(1.5)
    hubs = {h["name"]: h for h in portal.api("/api/hubs")}
    request = urllib.request.Request(f"http://127.0.0.1:{site.hubs['north'].http}/metrics",
                                     headers={"Authorization": f"Bearer {site.tokens['north']}"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as resp:
        metrics = resp.read().decode()
    for viewer in viewers:
        viewer.join(15)
    assert got == [3] * 20, "every viewer got frames"
    assert hubs["north"]["feeds"] == 1 and hubs["south"]["feeds"] == 0, hubs
    assert 'camnet_camera_viewers{camera="north-door"} 1.0' in metrics, "the hub serves the portal one stream"

    # Events of both hubs, merged newest first.
    wait_until(lambda: {e["hub"] for e in portal.api("/api/events")} == {"north", "south"}, timeout=20)
    events = portal.api("/api/events")
    assert [e["start"] for e in events] == sorted((e["start"] for e in events), reverse=True)
    assert all(e["reachable"] for e in events)
    assert all(e["thumb"] is None or e["thumb"].startswith(f"/events/{e['hub']}/") for e in events)
    assert {e["hub"] for e in portal.api("/api/events?hub=south")} == {"south"}
    wait_until(lambda: any(e["thumb"] for e in portal.api("/api/events?hub=south")), timeout=10)
    event = next(e for e in portal.api("/api/events?hub=south") if e["thumb"])
    status, thumb = portal.get(event["thumb"])
    assert status == 200 and thumb[:2] == b"\xff\xd8", "the event's thumbnail, from the hub that recorded it"
    assert portal.get(f"/events/south/{event['id']}/nothing")[0] == 404
    assert portal.get("/api/events?label=%3Cb%3E")[0] == 400

    # A hub killed: its cameras offline within 10 s, the other hub's live, its events kept.
    site.hubs["south"].kill9()
    killed = time.monotonic()
    wait_until(lambda: states(portal)["south"] == "offline", timeout=10)
    assert time.monotonic() - killed < 10
    shown = cameras(portal)
    assert shown["south-door"][1] == shown["south-yard"][1] == "offline"
    assert shown["north-door"][1] == "online"
    south = [e for e in portal.api("/api/events") if e["hub"] == "south"]
    assert south and not any(e["reachable"] for e in south), "still listed, marked unreachable"
    site.hubs["south"].start()  # its first record lists no camera yet: the tiles stay, offline
    wait_until(lambda: states(portal)["south"] == "online", timeout=20)
    assert cameras(portal)["south-door"][0] == "south"
    back = ("south", "online")
    wait_until(lambda: states(portal)["south"] == "online" and cameras(portal).get("south-door") == back, timeout=20)

    # A new portal with nothing of its own learns every hub and camera from retained messages.
    fresh = PortalProcess(site.broker, tmp_path / "fresh-portal")
    try:
        wait_until(lambda: len(cameras(fresh)) == 4, timeout=10)
        assert set(states(fresh).values()) <= {"online", "not-authorised"}
    finally:
        fresh.stop()

    # A token revoked on the hub: "not authorised", with what to do.
    command("hub.cli", "token", "revoke", "portal", "--data-dir", str(tmp_path / "north"))
    wait_until(lambda: states(portal)["north"] == "not-authorised", timeout=15)
    [north_hub] = [h for h in portal.api("/api/hubs") if h["name"] == "north"]
    assert "camnet-portal hub add north" in north_hub["reason"]


def test_restarts_rebuild_the_picture_a_slow_hub_never_holds_the_portal_and_its_own_users(
    site: Site, tmp_path: Path
) -> None:
    import socket

    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    portal = site.portal
    wait_until(lambda: len(cameras(portal)) == 4, timeout=20)
    portal.stop()
    portal.start()
    wait_until(lambda: set(states(portal).values()) == {"online"} and len(cameras(portal)) == 4, timeout=10)

    site.broker.kill()  # no persistence: every retained message is gone with it
    site.broker.start()
    fresh = PortalProcess(site.broker, tmp_path / "after-broker")
    for name, token in site.tokens.items():
        fresh.hub_add(name, token)
    try:  # the hubs said it all again on reconnecting: a new portal learns every camera
        wait_until(lambda: len(cameras(fresh)) == 4 and set(states(fresh).values()) == {"online"}, timeout=20)
    finally:
        fresh.stop()

    # A hub that accepts connections and never answers: the portal answers 504 in time and
    # the other hubs go on answering meanwhile.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    client = paho.Client(CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", site.broker.port)
    client.loop_start()
    gate = {"name": "gate", "status": "online", "recording": False, "labels": []}
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    record = {"name": "stuck", "public_url": url, "version": "x", "cameras": [gate], "offers": {}}
    client.publish("camnet/stuck/available", b"online", qos=1, retain=True).wait_for_publish(5)
    client.publish("camnet/stuck/hub", json.dumps(record).encode(), qos=1, retain=True).wait_for_publish(5)
    try:
        wait_until(lambda: "gate" in cameras(portal), timeout=10)
        answers: dict[str, tuple[int, float]] = {}

        def ask(path: str) -> None:
            started = time.monotonic()
            status, _ = portal.get(path)
            answers[path] = (status, time.monotonic() - started)

        asking = [
            threading.Thread(target=ask, args=(p,)) for p in ("/snapshot/stuck/gate", "/snapshot/north/north-door")
        ]
        for thread in asking:
            thread.start()
        for thread in asking:
            thread.join(15)
        assert answers["/snapshot/stuck/gate"][0] == 504 and answers["/snapshot/stuck/gate"][1] < 8, answers
        assert answers["/snapshot/north/north-door"] == (200, answers["/snapshot/north/north-door"][1])
        assert answers["/snapshot/north/north-door"][1] < 3, "never waiting behind the silent hub"
        wait_until(lambda: states(portal)["stuck"] == "unreachable", timeout=15)
    finally:
        client.loop_stop()
        client.disconnect()
        silent.close()

    # The portal's own users: once one exists, every request needs them (no hub account).
    command("hub.portal.cli", "user", "add", "ana", "--role", "viewer", "--password-stdin",
            "--data-dir", str(tmp_path / "portal"), given="portal-pw-1\n")  # fmt: skip
    assert portal.get("/api/cameras")[0] == 401
    import base64

    basic = base64.b64encode(b"ana:portal-pw-1").decode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{portal.http}/api/cameras", headers={"Authorization": f"Basic {basic}"}
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        assert resp.status == 200 and len(json.loads(resp.read())) >= 4
