"""Evidence kept: one event per motion, its clip the sender's own JPEGs with pre- and post-roll,
its snapshot, the API that lists, serves and deletes it."""

from __future__ import annotations

import functools
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import imagezmq
import pytest

from hub.app import Hub
from hub.events.clips import frames_of
from tests.conftest import get, jpeg, scene, url, wait_until

FPS = 15


@functools.cache
def footage() -> tuple[list[bytes], list[bytes]]:
    """Still frames (with sensor noise) and frames of a square crossing the view."""
    return [jpeg(scene(i, False)) for i in range(8)], [jpeg(scene(i, True)) for i in range(40)]


def send(sender: imagezmq.ImageSender, name: str, frames: list[bytes], log: list[tuple[float, bytes]]) -> None:
    """Send at 15 fps, noting when each frame left."""
    for data in frames:
        started = time.monotonic()
        log.append((time.time(), data))
        assert sender.send_jpg(name, data) == b"OK"
        time.sleep(max(0.0, 1 / FPS - (time.monotonic() - started)))


def events(hub: Hub, query: str = "") -> list[dict]:
    status, body, _ = get(hub, "/api/events" + query)
    assert status == 200, body
    return json.loads(body)  # type: ignore[no-any-return]


def record_one_event(hub: Hub, name: str = "garage") -> tuple[list[tuple[float, bytes]], float, float]:
    """Still 3 s, motion 2 s, still 3 s from a stock imagezmq sender; returns what was sent and
    when the motion started and ended."""
    still, moving = footage()
    sender = imagezmq.ImageSender(f"tcp://127.0.0.1:{hub.config.zmq_port}")
    sent: list[tuple[float, bytes]] = []
    try:
        send(sender, name, [still[i % 8] for i in range(45)], sent)
        motion_start = time.time()
        send(sender, name, moving[:30], sent)
        motion_end = sent[-1][0]
        send(sender, name, [still[i % 8] for i in range(45)], sent)
    finally:
        sender.close()
    wait_until(lambda: [e["state"] for e in events(hub) if e["camera"] == name] == ["done"], timeout=15)
    return sent, motion_start, motion_end


def test_one_event_keeps_the_senders_jpegs_with_pre_and_post_roll(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(pre_roll=2.0, post_roll=1.0)
    sent, motion_start, motion_end = record_one_event(hub)
    [event] = events(hub)
    clip = frames_of(hub.data_dir / hub.events.clips(event["id"])[0].path)
    datas = [d for _, d in sent]
    first = next(i for i in range(len(sent)) if datas[i : i + len(clip)] == [d for _, d in clip])
    assert [d for _, d in clip] == datas[first : first + len(clip)], "byte-identical, nothing lost or added"
    starts, ends = sent[first][0], sent[first + len(clip) - 1][0]
    assert motion_start - 2.0 - 0.4 <= starts <= motion_start - 2.0 + 0.4, starts - motion_start
    assert motion_end + 1.0 - 0.3 <= ends <= motion_end + 1.0 + 0.6, ends - motion_end
    pts = [p for p, _ in clip]
    assert pts[0] == 0 and all(b > a for a, b in itertools.pairwise(pts))
    assert abs(pts[-1] / 1000 - (ends - starts)) < 0.2, "real timestamps"
    assert event["camera"] == "garage" and event["frames"] == len(clip) and event["end"] > event["start"]
    assert event["bytes"] == (hub.data_dir / hub.events.clips(event["id"])[0].path).stat().st_size
    status, snapshot, _headers = get(hub, event["snapshot"])
    assert status == 200 and snapshot in footage()[1], "the sender's own JPEG of a moving frame"
    assert get(hub, event["thumb"])[0] == 200
    assert json.loads(get(hub, f"/api/events/{event['id']}")[1]) == event


def test_clips_download_with_range_and_a_safe_name(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(pre_roll=1.0, post_roll=0.5)
    record_one_event(hub, name="front door: (north)")
    [event] = events(hub)
    status, body, headers = get(hub, event["clip"])
    assert status == 200 and len(body) == event["bytes"] and body[:4] == b"\x1a\x45\xdf\xa3"  # EBML
    assert headers["Content-Disposition"].startswith("attachment; filename=front_door_north-2")
    request = urllib.request.Request(url(hub, event["clip"]), headers={"Range": "bytes=100-199"})
    with urllib.request.urlopen(request, timeout=5) as resp:
        assert resp.status == 206 and resp.read() == body[100:200]
    status, frame, _ = get(hub, f"/events/{event['id']}/frame.jpg?t=0.5")
    assert status == 200 and frame in footage()[0] + footage()[1]
    with urllib.request.urlopen(url(hub, f"/events/{event['id']}/play?t=1"), timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("multipart/x-mixed-replace")
        assert b"Content-Type: image/jpeg" in resp.read(4000)


def test_the_api_pages_filters_and_refuses_bad_queries(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(pre_roll=0.5, post_roll=0.3)
    record_one_event(hub, "a")
    record_one_event(hub, "b")
    assert [e["camera"] for e in events(hub)] == ["b", "a"], "newest first"
    assert [e["camera"] for e in events(hub, "?camera=a")] == ["a"]
    first = events(hub, "?limit=1")
    assert [e["camera"] for e in first] == ["b"]
    assert [e["camera"] for e in events(hub, f"?limit=1&before={first[0]['id']}")] == ["a"]
    start_b = first[0]["start"]
    assert [e["camera"] for e in events(hub, f"?since={start_b}")] == ["b"]
    assert [e["camera"] for e in events(hub, f"?until={start_b}")] == ["a"]
    for query, message in [
        ("?limit=0", "limit must be between 1 and 500"),
        ("?limit=x", "limit must be a whole number"),
        ("?since=yesterday", "since must be a number"),
        ("?camera=a%2Fb", "has a '/'"),
    ]:
        status, body, _ = get(hub, "/api/events" + query)
        assert status == 400 and message in json.loads(body)["error"], (query, body)
    assert get(hub, "/api/events/999")[0] == 404
    assert get(hub, "/events/999/clip.mkv")[0] == 404


def test_deleting_an_event_removes_its_files(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(pre_roll=0.5, post_roll=0.3)
    record_one_event(hub)
    [event] = events(hub)
    files = [hub.data_dir / p for p in hub.events.files_of(event["id"])]
    assert len(files) == 3 and all(f.exists() for f in files)
    request = urllib.request.Request(url(hub, f"/api/events/{event['id']}"), method="DELETE")
    with urllib.request.urlopen(request, timeout=5) as resp:
        assert resp.status == 202, "accepted: the maintenance worker deletes it"
    wait_until(lambda: events(hub) == [], timeout=5)
    assert not any(f.exists() for f in files)
    assert hub.events.totals()["clip_bytes"] == 0, "its clip bytes are counted out (the time-lapse goes on)"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    err.value.close()
    assert err.value.code == 404


def test_a_camera_with_record_false_keeps_no_events(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(pre_roll=0.5, post_roll=0.3, cameras={"private": {"record": False}})
    still, moving = footage()
    sender = imagezmq.ImageSender(f"tcp://127.0.0.1:{hub.config.zmq_port}")
    try:
        send(sender, "private", [still[i % 8] for i in range(20)] + moving[:20] + still[:8], [])
    finally:
        sender.close()

    def all_handled() -> bool:  # analysed, or replaced by a newer frame while both cores were busy
        camera = hub.cameras.get("private")
        return camera is not None and camera.analyzed + camera.dropped >= 48

    wait_until(all_handled)
    assert hub.cameras.get("private").motion_total() > 0, "motion was seen"
    time.sleep(0.5)
    assert events(hub) == []


def test_an_event_still_recording_replays_but_is_not_downloadable_or_deletable(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(pre_roll=0.5, post_roll=5.0)
    still, moving = footage()
    sender = imagezmq.ImageSender(f"tcp://127.0.0.1:{hub.config.zmq_port}")
    try:
        sent: list[tuple[float, bytes]] = []
        send(sender, "porch", [still[i % 8] for i in range(15)] + moving + moving[:10], sent)  # 3.3 s of motion
        wait_until(lambda: events(hub) != [], timeout=5)
        [event] = events(hub)
        assert event["state"] == "recording" and event["end"] is None
        wait_until(lambda: events(hub)[0]["frames"] > 0, timeout=5)  # the part is checkpointed every 2 s
        assert events(hub)[0]["bytes"] > 0
        status, frame, _ = get(hub, f"/events/{event['id']}/frame.jpg?t=0.5")
        assert status == 200 and frame in [d for _, d in sent], "replay reads the part being written"
        with urllib.request.urlopen(url(hub, f"/events/{event['id']}/play?t=0"), timeout=10) as resp:
            assert b"Content-Type: image/jpeg" in resp.read(30_000)
        status, body, _ = get(hub, event["clip"])
        assert status == 409 and b"still recording" in body
        request = urllib.request.Request(url(hub, f"/api/events/{event['id']}"), method="DELETE")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=5)
        err.value.close()
        assert err.value.code == 409
    finally:
        sender.close()


def test_a_long_event_downloads_whole_as_one_file(hub_factory: Callable[..., Hub], tmp_path: Path) -> None:
    hub = hub_factory(pre_roll=0.5, post_roll=0.5, max_event=1.0)
    record_one_event(hub)
    [event] = events(hub)
    parts = hub.events.clips(event["id"])
    assert len(parts) >= 2 and len(event["clips"]) == len(parts)
    stored = [d for c in parts for _, d in frames_of(hub.data_dir / c.path)]
    status, body, headers = get(hub, event["clip"])
    assert status == 200 and headers["Content-Disposition"].startswith("attachment; filename=garage-")
    whole = tmp_path / "whole.mkv"
    whole.write_bytes(body)
    merged = frames_of(whole)
    assert [d for _, d in merged] == stored, "every part's frames, byte-identical, in order"
    assert all(b > a for (a, _), (b, _) in itertools.pairwise(merged)), "one time line across the parts"
    status, second, _ = get(hub, event["clips"][1])
    assert status == 200 and second == (hub.data_dir / parts[1].path).read_bytes(), "a part as stored"


def test_a_delete_while_the_recorder_is_busy_answers_503_never_a_late_500(hub_factory: Callable[..., Hub]) -> None:
    import threading

    hub = hub_factory(pre_roll=0.5, post_roll=0.3)
    record_one_event(hub)
    [event] = events(hub)
    held, busy = threading.Event(), threading.Event()
    maintenance = hub.recorder.maintenance
    maintenance.jobs.put(lambda: (busy.set(), held.wait(10)))  # busy: a long retention sweep, say
    assert busy.wait(5)
    while maintenance.jobs.qsize() < maintenance.QUEUE:
        maintenance.jobs.put_nowait(lambda: None)
    request = urllib.request.Request(url(hub, f"/api/events/{event['id']}"), method="DELETE")
    started = time.monotonic()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    err.value.close()
    assert err.value.code == 503 and time.monotonic() - started < 2, "at once, with the reason"
    held.set()
    wait_until(lambda: maintenance.jobs.empty(), timeout=10)
    with urllib.request.urlopen(request, timeout=5) as resp:
        assert resp.status == 202
    wait_until(lambda: events(hub) == [], timeout=5)


def test_event_media_and_live_answers_are_never_kept_by_a_shared_cache(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(pre_roll=1.0, post_roll=1.0)
    record_one_event(hub)
    [event] = events(hub)
    paths = [f"/events/{event['id']}/{name}" for name in ("snapshot.jpg", "thumb.jpg", "frame.jpg?t=0.5", "clip.mkv")]
    for path in (*paths, "/snapshot/garage", "/api/cameras", "/", "/api/events"):
        status, _, headers = get(hub, path)
        control = headers.get("Cache-Control", "")
        assert status == 200 and "public" not in control, (path, control)
        assert "private" in control or "no-store" in control, (path, control)
        assert {"cookie", "authorization"} <= {v.strip().lower() for v in headers.get("Vary", "").split(",")}, path
    _, _, static = get(hub, "/static/app.css")
    assert "private" not in static.get("Cache-Control", ""), "static files are the same for everyone"
