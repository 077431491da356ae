"""The camera registry with a controlled clock: names bound to senders, forgetting, motion time,
and page streams woken only by the cameras they watch."""

from __future__ import annotations

import threading
import time
import types

import pytest

from common.motion import BLOCKED, QUIET, Motion
from common.protocol import ProtocolError
from hub.frames import Frame
from hub.montage import Montage
from hub.store import OFFLINE, ONLINE, VIEW_BLOCKED, Cameras
from hub.web.streams import Streams


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def frame(name: str, seq: int, moving: bool) -> Frame:
    found = Motion(True, (1, 2, 3, 4), ((1, 2, 3, 4),)) if moving else QUIET
    return Frame.build(name, seq, b"\xff\xd8\xff\xd9", 640, 480, 0.0, found)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_second_sender_under_a_live_name_is_refused(clock: Clock) -> None:
    cameras = Cameras(8, offline_after=5.0, clock=clock)
    cam, _ = cameras.get_or_add("raspberrypi")
    cam.claim("pi-one")
    cam.heard({}, None)
    with pytest.raises(ProtocolError) as refused:
        cam.claim("pi-two")
    assert refused.value.kind == "name-conflict" and "--name" in refused.value.reason
    assert cam.sender_id == "pi-one" and cam.conflicts == 1 and cam.name_conflict()
    assert cam.describe()["name_conflict"] is True
    cam.claim("pi-one")  # the holder goes on
    cam.claim(None)  # a stock imagezmq sender carries no id: never refused (documented)
    clock.now += 6  # the holder went silent: the name is free for the other sender
    cam.claim("pi-two")
    assert cam.sender_id == "pi-two"
    clock.now += 20
    assert not cam.name_conflict(), "the conflict shows only while it goes on"


def test_cameras_offline_past_forget_after_are_forgotten(clock: Clock) -> None:
    cameras = Cameras(8, offline_after=5.0, forget_after=60.0, clock=clock)
    cameras.get_or_add("renamed-pi")
    clock.now += 30
    cameras.get_or_add("garage")
    assert cameras.sweep() == []
    clock.now += 31
    assert cameras.sweep() == ["renamed-pi"]
    assert [c.name for c in cameras.all()] == ["garage"] and cameras.forgotten == 1
    assert Cameras(8, forget_after=0, clock=clock).sweep() == [], "0: never forget"


def test_at_the_limit_the_longest_offline_camera_makes_room(clock: Clock) -> None:
    cameras = Cameras(3, offline_after=5.0, clock=clock)
    for name in ("junk-1", "junk-2"):
        cameras.get_or_add(name)
        clock.now += 1
    clock.now += 10  # both junk names are offline now, junk-1 the longest
    cameras.get_or_add("garage")
    cameras.get_or_add("porch")  # a live camera is not refused
    assert [c.name for c in cameras.all()] == ["garage", "junk-2", "porch"]
    cameras.get_or_add("yard")
    assert [c.name for c in cameras.all()] == ["garage", "porch", "yard"] and cameras.forgotten == 2
    with pytest.raises(ProtocolError, match="live cameras"):
        cameras.get_or_add("shed")  # refused only when every camera is live
    assert [c.name for c in cameras.all()] == ["garage", "porch", "yard"]


def test_motion_time_stops_when_the_camera_goes_offline(clock: Clock) -> None:
    cameras = Cameras(4, offline_after=5.0, clock=clock)
    cam, _ = cameras.get_or_add("door")
    for seq in range(1, 11):  # ten seconds of motion at 1 fps
        cam.heard({}, None)
        cam.publish(frame("door", seq, True))
        clock.now += 1
    assert cam.describe()["motion_seconds"] == pytest.approx(10, abs=0.01)
    clock.now += 3600  # silent for an hour while in motion
    assert cam.status() == OFFLINE
    assert cam.describe()["motion_seconds"] == pytest.approx(9 + 5, abs=0.01), "closed at offline_after"
    cam.heard({}, None)
    cam.publish(frame("door", 11, False))  # back, still
    assert cam.status() == ONLINE and cam.describe()["motion_seconds"] == pytest.approx(14, abs=0.01)
    clock.now += 100
    assert cam.describe()["motion_seconds"] == pytest.approx(14, abs=0.01)


def test_a_page_stream_is_woken_only_by_the_cameras_it_watches(clock: Clock) -> None:
    cameras = Cameras(8, clock=clock)
    a, _ = cameras.get_or_add("a")
    b, _ = cameras.get_or_add("b")
    waker = cameras.watch(["a", "later"])
    b.publish(frame("b", 1, False))
    assert not waker.wait(0.05), "a camera it does not watch does not wake it"
    a.publish(frame("a", 1, False))
    assert waker.wait(0.05)
    later, _ = cameras.get_or_add("later")  # a camera that connects after the page asked for it
    later.publish(frame("later", 1, False))
    assert waker.wait(0.05)
    cameras.unwatch(waker)
    a.publish(frame("a", 2, False))
    assert not waker.wait(0.05)
    assert not a.watchers and not cameras._watchers, "nothing left behind by a closed page"


def test_wake_all_releases_every_waiting_page(clock: Clock) -> None:
    cameras = Cameras(8, clock=clock)
    waker = cameras.watch(["x"])
    woke = []
    t = threading.Thread(target=lambda: woke.append(waker.wait(5)))
    t.start()
    cameras.wake_all()
    t.join(2)
    assert woke == [True]


def test_the_montage_keeps_tiles_only_for_present_cameras(clock: Clock) -> None:
    cameras = Cameras(4, offline_after=5.0, forget_after=60.0, clock=clock)
    montage = Montage(cameras, 5.0, threading.Event())
    for n in range(40):  # names come and go: a renamed Pi, junk senders
        cameras.get_or_add(f"junk-{n}")
        montage.compose()
        clock.now += 6  # offline: the next name may take its place
    assert len(montage._tiles) == len(cameras.all()) == 4, "a tile for every name ever seen would grow forever"


def test_a_blocked_view_is_a_camera_state(clock: Clock) -> None:
    cameras = Cameras(4, offline_after=5.0, clock=clock)
    camera, _ = cameras.get_or_add("doorbell")
    camera.heard({}, None)
    camera.publish(frame("doorbell", 1, True))
    assert camera.status() == ONLINE
    camera.publish(Frame.build("doorbell", 2, b"\xff\xd8\xff\xd9", 640, 480, 0.0, BLOCKED))
    assert camera.status() == VIEW_BLOCKED and camera.describe()["motion"] is False
    assert b'"blocked":true' in camera.frame.packet  # type: ignore[union-attr]
    camera.publish(frame("doorbell", 3, False))
    assert camera.status() == ONLINE


def test_the_camera_list_record_is_built_once_for_every_page_that_finds_it_stale(clock: Clock) -> None:
    cameras = Cameras(4, clock=clock)
    cameras.get_or_add("porch")
    built = []
    real = cameras.all

    def counted() -> list:  # type: ignore[type-arg]
        built.append(1)
        time.sleep(0.01)  # describing many cameras takes a while
        return real()

    cameras.all = counted  # type: ignore[method-assign]
    streams = Streams(types.SimpleNamespace(config=types.SimpleNamespace(max_streams=10), cameras=cameras))  # type: ignore[arg-type]
    barrier = threading.Barrier(16)
    records: list[bytes] = []

    def page() -> None:
        barrier.wait()
        records.append(streams.state_record())

    threads = [threading.Thread(target=page) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(records) == 16 and len(set(records)) == 1
    assert len(built) == 1, "one page thread rebuilds it, the others use it"
