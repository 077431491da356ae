"""Who may feed the hub: CURVE senders on the allow-list, each only under its own camera name."""

from __future__ import annotations

import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import zmq

from client.sender import Curve, Sender
from common import protocol
from common.curve import load_or_create
from hub import cli
from hub.app import Hub
from hub.receiver import Receiver
from hub.security.db import AuthDB
from hub.security.keys import SenderGuard, SenderKeys, hub_keypair
from tests.conftest import RawSender, free_port, jpeg, scene, start_process, wait_until

FRAME = jpeg(scene(0, False, 160, 120))


def curve_hub(hub_factory: Callable[..., Hub]) -> Hub:
    return hub_factory(sender_auth="curve")


def sender_for(hub: Hub, tmp_path: Path, name: str = "garage", hub_key: bytes | None = None) -> Sender:
    public, secret, _ = load_or_create(tmp_path / f"{name}.key_secret")
    curve = Curve(hub_key or hub.guard.public, public, secret)  # type: ignore[union-attr]
    return Sender(f"tcp://127.0.0.1:{hub.config.zmq_port}", 1.0, curve=curve, name=name)


def frame(name: str) -> list[bytes]:
    return protocol.encode(name, FRAME, {"id": "curve-test"})


def allow(hub: Hub, camera: str, public: bytes) -> None:
    assert cli.main(["sender", "allow", camera, public.decode(), "--data-dir", str(hub.data_dir)]) == 0


def test_an_allowed_sender_streams_encrypted(hub_factory: Callable[..., Hub], tmp_path: Path) -> None:
    hub = curve_hub(hub_factory)
    sender = sender_for(hub, tmp_path)
    allow(hub, "garage", sender.curve.public)  # type: ignore[union-attr]
    try:
        assert all(sender.send(frame("garage")) == protocol.REPLY_OK for _ in range(5))
    finally:
        sender.close()
    camera = hub.cameras.get("garage")
    assert camera is not None and camera.received == 5


def test_strangers_get_nothing_in_and_each_is_told_why(
    hub_factory: Callable[..., Hub], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hub = curve_hub(hub_factory)
    stranger = sender_for(hub, tmp_path, "stranger")
    wrong_hub = sender_for(hub, tmp_path, "garage", hub_key=zmq.curve_keypair()[0])
    allow(hub, "garage", wrong_hub.curve.public)  # type: ignore[union-attr]  # its own key is fine
    plain = Sender(f"tcp://127.0.0.1:{hub.config.zmq_port}", 1.0, name="plain")  # no CURVE at all
    stock = RawSender(hub.config.zmq_port, timeout_ms=1500)  # imagezmq's REQ, as stock senders use it
    try:
        assert stranger.send(frame("stranger")) is None
        assert "refused this sender's key" in (stranger.problem or "")
        assert f"camnet-hub sender allow -- 'stranger' {stranger.curve.public.decode()}" in stranger.problem  # type: ignore[union-attr,operator]
        assert wrong_hub.send(frame("garage")) is None
        assert "hub_key is not this hub's public key" in (wrong_hub.problem or "")
        assert plain.send(frame("plain")) is None
        assert "the hub requires CURVE keys" in (plain.problem or "")
        with pytest.raises(zmq.Again):
            stock.send(frame("stock"))
    finally:
        for s in (stranger, wrong_hub, plain):
            s.close()
        stock.close()
    assert hub.cameras.all() == [] and hub.receiver.messages == 0
    assert hub.guard.authenticator.refused >= 1  # type: ignore[union-attr]
    assert any("not allowed" in r.message and "sender allow -- CAMERA" in r.message for r in caplog.records)
    wait_until(lambda: hub.receiver.errors["handshake"] >= 2)  # the wrong hub key and the plain sender


def test_a_key_sends_only_under_its_own_name_and_revocation_is_live(
    hub_factory: Callable[..., Hub], tmp_path: Path
) -> None:
    hub = curve_hub(hub_factory)
    sender = sender_for(hub, tmp_path)
    allow(hub, "garage", sender.curve.public)  # type: ignore[union-attr]
    try:
        assert sender.send(frame("garage")) == protocol.REPLY_OK
        reply = sender.send(frame("front-door"))
        assert reply is not None and reply.startswith(b"ERROR auth: this sender's key may send as 'garage'")
        assert hub.cameras.get("front-door") is None and hub.receiver.errors["auth"] == 1
        assert cli.main(["sender", "revoke", "garage", "--data-dir", str(hub.data_dir)]) == 0
        wait_until(lambda: (sender.send(frame("garage")) or b"").startswith(b"ERROR auth"), timeout=6)
        allow(hub, "garage", sender.curve.public)  # type: ignore[union-attr]
        wait_until(lambda: sender.send(frame("garage")) == protocol.REPLY_OK, timeout=6)
    finally:
        sender.close()


def test_a_key_allowed_while_the_hub_runs_gets_in_within_seconds(
    hub_factory: Callable[..., Hub], tmp_path: Path
) -> None:
    hub = curve_hub(hub_factory)
    sender = sender_for(hub, tmp_path)
    try:
        assert sender.send(frame("garage")) is None
        allow(hub, "garage", sender.curve.public)  # type: ignore[union-attr]
        wait_until(lambda: sender.send(frame("garage")) == protocol.REPLY_OK, timeout=10)
    finally:
        sender.close()


class _DeadAuthenticator(SenderGuard):
    """A guard whose authenticator never runs (it died, or was started on another context)."""

    def start(self, context: zmq.Context) -> None:
        pass


def test_without_a_running_authenticator_every_key_is_refused(tmp_path: Path) -> None:
    keys = SenderKeys(AuthDB(tmp_path))
    public, secret, _ = hub_keypair(tmp_path)
    mine, my_secret, _ = load_or_create(tmp_path / "sender.key_secret")
    keys.allow("garage", mine.decode())
    got: list[object] = []
    stop = threading.Event()
    port = free_port()
    receiver = Receiver(
        f"tcp://127.0.0.1:{port}",
        lambda m, answer: got.append(m),
        stop,
        1_000_000,
        guard=_DeadAuthenticator(keys, public, secret),
    )
    receiver.bind()
    thread = threading.Thread(target=receiver.run, daemon=True)
    thread.start()
    stranger = zmq.curve_keypair()
    sender = Sender(f"tcp://127.0.0.1:{port}", 1.0, curve=Curve(public, *stranger), name="x")
    allowed = Sender(f"tcp://127.0.0.1:{port}", 1.0, curve=Curve(public, mine, my_secret), name="garage")
    try:
        assert sender.send(frame("x")) is None, "an unknown key must not get in when nobody checks keys"
        assert allowed.send(frame("garage")) is None, "fail closed: nobody may get in"
        assert got == [] and receiver.messages == 0
    finally:
        sender.close()
        allowed.close()
        stop.set()
        thread.join(timeout=5)


def test_the_hub_stops_when_its_authenticator_dies(hub_factory: Callable[..., Hub]) -> None:
    hub = curve_hub(hub_factory)
    assert hub.health() is None
    hub.guard.authenticator._auth.stop()  # type: ignore[union-attr]  # the thread ends as if it crashed
    wait_until(lambda: hub.health() is not None)
    assert "zap" in (hub.health() or "")


def test_key_files_are_private(tmp_path: Path) -> None:
    hub_keypair(tmp_path)
    load_or_create(tmp_path / "s" / "sender.key_secret")
    for secret in (tmp_path / "keys" / "hub.key_secret", tmp_path / "s" / "sender.key_secret"):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert (tmp_path / "keys" / "hub.key").read_text().count("secret-key") == 0


@pytest.mark.slow
def test_a_key_that_starts_with_a_dash_can_be_allowed_as_the_hint_says(tmp_path: Path) -> None:
    key = "-" + "bcdefghijklmnopqrstuvwxyz0123456789ABCD"  # Z85 has "-": one key in 85 starts with it
    assert cli.main(["sender", "allow", "--data-dir", str(tmp_path), "--", "porch", key]) == 0
    assert cli.main(["sender", "list", "--data-dir", str(tmp_path)]) == 0


def test_a_refused_sender_process_says_what_to_do_in_one_line(tmp_path: Path) -> None:
    """The real camnet-sender against a real curve hub: one clear log line, then it retries."""
    data, http, zport = tmp_path / "hub", free_port(), free_port()
    assert cli.main(["keys", "--data-dir", str(data)]) == 0
    public, _, _ = hub_keypair(data)
    hub = start_process(
        ["hub.cli", "--ip", "127.0.0.1", "--port", str(http), "--zmq-port", str(zport), "--sender-auth", "curve",
         "--data-dir", str(data)]
    )  # fmt: skip
    args = ["client.cli", "--server-ip", "127.0.0.1", "--server-port", str(zport), "--source", "synthetic"]
    sender = start_process(
        [*args, "--name", "porch", f"--hub-key={public.decode()}", "--key-file", str(tmp_path / "s.key_secret")]
    )
    try:
        lines: list[str] = []
        assert sender.stdout is not None
        while not any("sender allow" in line for line in lines):
            line = sender.stdout.readline().decode()
            assert line, "the sender ended without saying why it got no frame in:\n" + "".join(lines)
            lines.append(line)
        said = next(line for line in lines if "sender allow" in line)
        sender_public = (tmp_path / "s.key").read_text().split('"')[1]
        assert f"camnet-hub sender allow -- 'porch' {sender_public}" in said
        assert sender.poll() is None, "it keeps retrying"
    finally:
        for proc in (sender, hub):
            proc.terminate()
            proc.communicate(timeout=10)
