"""The sender's REQ socket and identity, against real ZeroMQ sockets on loopback."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
import zmq

from client import cli
from client.reach import hub_address
from client.sender import Sender
from client.sources import SyntheticSource
from common.config import ConfigError, SenderConfig
from common.redact import redact
from tests.conftest import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_backoff_grows_with_failures_and_resets_after_a_healthy_period() -> None:
    port = free_port()
    clock = Clock()
    sender = Sender(f"tcp://127.0.0.1:{port}", timeout=0.05, healthy_after=10.0, clock=clock)
    rep = zmq.Context.instance().socket(zmq.REP)
    rep.setsockopt(zmq.LINGER, 0)
    try:
        backoffs = []
        for _ in range(6):  # nobody listens: every send times out
            assert sender.send([b"x"]) is None
            backoffs.append(sender.backoff())
        assert backoffs == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
        rep.bind(f"tcp://127.0.0.1:{port}")
        answer = threading.Thread(target=lambda: [rep.send(rep.recv()) for _ in range(2)], daemon=True)
        answer.start()
        sender.timeout_ms = 3000
        assert sender.send([b"a"]) == b"a"
        assert sender.backoff() == 1.0, "one answer is not yet a healthy period"
        clock.now += 11
        assert sender.send([b"b"]) == b"b"
        assert sender.failures == 0 and sender.backoff() == 0.1, "a later outage starts from the bottom again"
        assert sender.reconnects == 6
        answer.join(5)  # a ZeroMQ socket must not be closed while another thread uses it
    finally:
        sender.close()
        rep.close(linger=0)


def test_sender_id_is_stable_per_machine_and_source(tmp_path: Path) -> None:
    machine = tmp_path / "machine-id"
    machine.write_text("0123456789abcdef0123456789abcdef\n")
    a = cli.sender_id("picamera", str(machine))
    assert a == cli.sender_id("picamera", str(machine)), "the same after a restart"
    assert a != cli.sender_id("/dev/video0", str(machine)), "another camera of the same machine"
    machine.write_text("fedcba9876543210fedcba9876543210\n")
    assert a != cli.sender_id("picamera", str(machine)), "another machine"
    assert len(a) == 16


def test_a_name_conflict_tells_the_user_to_set_a_name(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    rep = zmq.Context.instance().socket(zmq.REP)
    rep.setsockopt(zmq.LINGER, 0)
    rep.bind(f"tcp://127.0.0.1:{port}")
    stop = threading.Event()

    def refuse() -> None:
        for _ in range(2):
            rep.recv_multipart()
            rep.send(b"ERROR name-conflict: camera name 'raspberrypi' is in use by another sender")
        stop.set()

    refuser = threading.Thread(target=refuse, daemon=True)
    refuser.start()
    cfg = SenderConfig(server_ip="127.0.0.1", server_port=port, source="synthetic", name="raspberrypi", fps=50)
    sender = Sender(f"tcp://127.0.0.1:{port}", 3.0)
    try:
        with caplog.at_level(logging.WARNING):
            cli.stream(cfg, SyntheticSource(160), sender, stop, lambda: SyntheticSource(160), ident="x")
    finally:
        refuser.join(5)
        sender.close()
        rep.close(linger=0)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "--name NAME" in errors[0] and "'raspberrypi'" in errors[0]


@pytest.mark.parametrize(
    "text, shown",
    [
        ("cannot open 'rtsp://admin:S3cret@10.0.0.5:554/s1'", "cannot open 'rtsp://admin:***@10.0.0.5:554/s1'"),
        ("rtsp://admin:p&ss|w0rd@cam/x and http://u:v@h/", "rtsp://admin:***@cam/x and http://u:***@h/"),
        ("rtsp://cam.local/stream and rtsp://user@cam/", "rtsp://cam.local/stream and rtsp://user@cam/"),
        ("mqtt://ha:@broker", "mqtt://ha:***@broker"),
    ],
)
def test_passwords_are_redacted_from_urls(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_server_ip_may_carry_its_port() -> None:
    assert hub_address("hub.local", 5555, False) == ("hub.local", 5555)
    assert hub_address("127.0.0.1:6000", 5555, False) == ("127.0.0.1", 6000)
    assert hub_address("tcp://hub.local:7000", 5555, False) == ("hub.local", 7000)
    assert hub_address("[::1]:6000", 5555, False) == ("::1", 6000)
    assert hub_address("127.0.0.1:6000", 6000, True) == ("127.0.0.1", 6000)
    with pytest.raises(ConfigError, match="names port 6000 but server_port is 5555"):
        hub_address("127.0.0.1:6000", 5555, True)
