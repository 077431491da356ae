"""A smoke run of the benchmark, so that `make bench` keeps working. No timing assertions: what
is checked is what a broken scenario would get wrong (frames not delivered, sent twice, or to
streams that did not ask for them), not how fast this shared machine is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.mark.timeout(450)
def test_bench_smoke_run_produces_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,  # about 210-250 s on this 2-core machine beside the rest of the suite
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    data = json.loads(out.read_text())
    cap = data["capacity"][0]
    camnet = cap["camnet"]
    assert camnet["analysed_per_s"] > 0.5 * camnet["received_per_s"] > 0, "the hub analysed what it received"
    assert cap["seed"]["analysed_per_s"] > 0
    with_sub = cap["camnet_sub"]
    assert with_sub["analysed_per_s"] > 0.5 * with_sub["received_per_s"] > 0, "sub-image senders were analysed"
    assert cap["ratio_per_cpu_s"] == camnet["analysed_per_cpu_s"] / cap["seed"]["analysed_per_cpu_s"]
    viewers = data["viewers"]["2"]
    assert viewers["duplicates"] == 0 and viewers["median_fps"] > 10, "a 30 fps camera reached its viewers"
    logins = data["logins"]
    assert logins["answered"] == 60 and set(logins["statuses"]) <= {"401", "429", "503"}, logins
    assert logins["burst"]["viewer_fps"] > 0, "the viewer was watching during the flood"
    pages = data["pages"]
    assert pages["foreign_frames"] == 0, "page streams get only the cameras they asked for"
    assert pages["median_delivered_share"] > 0.5
    assert all(lat["frames"] > 10 and lat["p50_ms"] <= lat["p99_ms"] for lat in data["latency"])
    assert data["memory"]["rss_mb_first"] <= data["memory"]["rss_mb_max"] < 1000
    assert data["sender"][0]["frames"] > 10 and data["sender"][0]["sender_no_sub_us_per_frame"] > 0
    curve = data["curve"]
    assert curve["curve"]["received_per_s"] > 0.5 * curve["none"]["received_per_s"] > 0, "CURVE senders got in"
    assert curve["hub_ratio"] == curve["curve"]["hub_us_per_frame"] / curve["none"]["hub_us_per_frame"]
    mqtt = data["mqtt"]
    assert mqtt["on"]["received_per_s"] > 0.5 * mqtt["off"]["received_per_s"] > 0
    motion = data["motion"]
    assert set(motion) == {"seed", "robust", "robust on sub-images", "mog2"}
    assert motion["seed"]["scenes"]["light on"]["false_events"] >= 1, "the light fools the tutorial's detector"
    assert motion["robust"]["scenes"]["light on"]["false_events"] == 0 and motion["robust"]["mean_f1"] > 0.9
    assert all(0 <= motion[d]["mean_f1"] <= 1 and motion[d]["ms_per_frame"] > 0 for d in motion)
    objects = data["objects"]
    assert [(s["scene"], s["right"]) for s in objects["suite"]["scenes"]] == [
        ("person walking", True),
        ("swaying foliage", True),
    ], objects["suite"]
    assert objects["suite"]["cpu_ms_per_inference"] > 0
    assert data["memory_objects"]["rss_mb_max"] < 1000
    moving = objects["saturation"]["moving"]
    assert (
        moving["on"]["inferences_per_s"] > 0 and moving["on"]["received_per_s"] > 0.5 * moving["off"]["received_per_s"]
    )
    small = data["small_objects"]
    assert set(small) == {"160", "320", "160 from sub-images"} and all(
        0 <= r <= 1 for w in small.values() for r in w.values()
    )
    portal = data["portal"]
    assert portal["5"]["upstreams"] == 1 and portal["5"]["median_fps"] > 5, "one upstream for five viewers"
    assert portal["event_to_portal_ms"]["events"] == 1
    lapse = data["recording"]["timelapse"]
    assert 80_000 <= lapse["frames_per_camera_day"] <= 87_000, "a frame a second of each still camera"
    assert 0.9 * lapse["jpeg_bytes"] * 86400 <= lapse["bytes_per_camera_day"] <= 1.2 * lapse["jpeg_bytes"] * 86400
    assert lapse["cpu_s_per_camera_day"] >= 0 and data["recording"]["listing"]["timeline"] > 0
    rows = (
        "| figure |",
        "time-lapse (1 fps) per camera-day",
        "viewer(s) of one forwarded camera",
        "page streams",
        "MJPEG viewers",
        "latency",
        "hub RSS",
        "sender CPU",
        "sub-image",
        "CURVE vs none",
        "MQTT on vs off",
        "| walker |",
        "26 px figure",
        "| person walking |",
        "objects on",
    )
    for row in rows:
        assert row in result.stdout, f"the table lacks {row!r}"


def test_bench_frames_are_private_and_follow_their_generator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import run

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = Path(run.frame_dir("160x120", "plain"))
    assert len(list(first.glob("*.jpg"))) == 30
    assert (tmp_path / "camnet-bench").stat().st_mode & 0o777 == 0o700, "no other user may plant frames"
    monkeypatch.setattr(run, "generator_key", lambda: "another-scene")
    second = Path(run.frame_dir("160x120", "plain"))
    assert second != first and second.is_dir(), "a changed bench/scene.py draws new frames"
