"""Objects without the model: where to look, the score gate, stationary objects, which news go out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from common.config import ConfigError, HubConfig, make
from hub.notify.gate import NotifyGate
from hub.objects.install import InstallError, install
from hub.objects.model import MODEL_FILE, ObjectModel, coco_labels
from hub.objects.pool import ObjectSettings, check_labels, masked, merge
from hub.objects.regions import MIN_SIDE, regions
from hub.objects.tracker import STILL_FOR, Detection, ObjectTracker


def test_a_small_motion_is_looked_at_in_a_300_px_square_around_it() -> None:
    (crop,) = regions([(100, 200, 130, 260)], 640, 480)
    x1, y1, x2, y2 = crop
    assert x2 - x1 == y2 - y1 == MIN_SIDE
    assert x1 <= 100 and x2 >= 130 and y1 <= 200 and y2 >= 260


def test_a_crop_stays_inside_the_frame_and_a_huge_motion_gets_the_whole_frame() -> None:
    (corner,) = regions([(600, 440, 640, 480)], 640, 480)
    assert corner == (340, 180, 640, 480)
    assert regions([(0, 0, 620, 470)], 640, 480) == [(0, 0, 640, 480)]


def test_near_boxes_are_looked_at_together_and_far_ones_apart() -> None:
    assert len(regions([(100, 100, 140, 200), (150, 110, 190, 210)], 1280, 720)) == 1
    assert len(regions([(50, 100, 90, 200), (1100, 400, 1150, 500)], 1280, 720)) == 2
    many = [(x, 300, x + 8, 308) for x in range(0, 1280, 100)]
    assert 1 <= len(regions(many, 1280, 720)) <= 4


def person(x: int, score: float, label: str = "person") -> Detection:
    return Detection(label, score, (x, 100, x + 40, 220))


def test_one_lucky_frame_does_not_make_a_person() -> None:
    tracker = ObjectTracker(min_score=0.7)
    assert tracker.update([person(100, 0.95)], [], 0.0, 1000.0) == []
    assert tracker.counts() == {}
    assert tracker.update([], [(0, 0, 640, 480)], 0.2, 1000.2) == []
    news = tracker.update([person(104, 0.9)], [], 0.4, 1000.4)  # two of three looks: the median is 0.9
    assert [o.label for o in news] == ["person"] and tracker.counts() == {"person": 1}


def test_a_far_person_moving_more_than_its_width_is_one_object() -> None:
    tracker = ObjectTracker(min_score=0.7)
    for i in range(6):  # 40 px wide, 60 px further at each look
        tracker.update([person(60 * i, 0.9)], [], i * 0.25, 1000 + i * 0.25)
    assert len(tracker.objects) == 1 and tracker.objects[0].confirmed


def test_a_parked_car_stops_counting_and_counts_again_when_it_drives_off() -> None:
    tracker = ObjectTracker(min_score=0.7)
    t = 0.0
    for x in (400, 340, 280, 220):  # drives in
        tracker.update([person(x, 0.9, "car")], [], t, 1000 + t)
        t += 0.25
    assert tracker.counts() == {"car": 1}
    while t < 0.75 + STILL_FOR + 0.5:  # stands
        tracker.update([person(220, 0.9, "car")], [], t, 1000 + t)
        t += 0.25
    assert tracker.counts() == {} and tracker.objects[0].stationary
    assert not tracker.expire(t + 60)  # remembered while nothing looks at it
    news = tracker.update([person(160, 0.9, "car")], [], t + 60, 1060 + t)  # drives off
    assert [o.label for o in news] == ["car"] and tracker.counts() == {"car": 1}


def test_a_moving_object_unseen_is_gone_and_a_parked_one_only_when_a_look_misses_it() -> None:
    tracker = ObjectTracker(min_score=0.5, lost_after=2.0)
    tracker.update([person(100, 0.9), person(100, 0.9)], [], 0.0, 1000.0)
    assert len(tracker.objects) == 2
    tracker.objects[1].stationary = True
    assert tracker.expire(3.0) and len(tracker.objects) == 1 and tracker.objects[0].stationary
    tracker.update([], [(400, 0, 640, 480)], 4.0, 1004.0)  # looked elsewhere
    assert len(tracker.objects) == 1
    tracker.update([], [(0, 0, 300, 300)], 5.0, 1005.0)  # looked where it stood: gone
    assert tracker.objects == []


def test_overlapping_crops_give_one_detection_and_masks_hide_what_lies_inside() -> None:
    merged = merge([person(100, 0.8), person(102, 0.9), person(400, 0.7)])
    assert sorted(d.score for d in merged) == [0.7, 0.9]
    mask = np.array([[0, 0], [300, 0], [300, 300], [0, 300]], np.int32)
    assert masked((10, 10, 100, 100), [mask])
    assert not masked((250, 250, 350, 350), [mask])  # only partly inside: still seen


def test_settings_come_from_the_hub_then_the_camera() -> None:
    cfg = make(HubConfig, {"objects": ("person", "traffic_light"), "min_score": 0.6})
    cfg = HubConfig(**{**cfg.__dict__, "cameras": {"door": {"objects": ("dog",), "min_object_area": 0.01}}})
    assert ObjectSettings.of(cfg, "yard").labels == {"person", "traffic light"}
    door = ObjectSettings.of(cfg, "door")
    assert door.labels == {"dog"} and door.min_score == 0.6 and door.min_area == 0.01
    check_labels(cfg, set(coco_labels().values()))
    with pytest.raises(ConfigError, match="'persn' is not a label of the object model"):
        check_labels(make(HubConfig, {"objects": ("persn",)}), set(coco_labels().values()))


def test_alerts_only_announces_an_event_once_it_becomes_an_alert() -> None:
    alerts: set[int] = set()
    gate = NotifyGate(True, lambda event: event in alerts)
    assert gate.passes("new", 1) is None  # motion so far
    assert gate.passes("update", 1) is None
    alerts.add(1)
    assert gate.passes("update", 1) == "new"  # a person: announced now
    assert gate.passes("update", 1) == "update"
    assert gate.passes("end", 1) == "end"
    assert gate.passes("end", 2) is None  # motion only, never told
    assert NotifyGate(False, lambda event: False).passes("new", 3) == "new"


def test_a_file_that_is_not_the_model_is_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    fake = tmp_path / MODEL_FILE
    fake.write_bytes(b"\0" * 1000)
    with pytest.raises(InstallError, match=r"sha256 is .* not the model's 7046f31a"):
        install(tmp_path / "data", fake)
    assert not (tmp_path / "data" / "models" / MODEL_FILE).exists()
    cli = subprocess.run(
        [sys.executable, "-m", "hub.cli", "model", "install", "--file", str(fake), "--data-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 2 and "refused" in cli.stderr and "sha256" in cli.stderr


def test_a_wrong_model_file_in_the_data_directory_turns_objects_off_with_the_reason(tmp_path: Path) -> None:
    assert "no object model" in str(ObjectModel.find(tmp_path))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / MODEL_FILE).write_bytes(b"not a model")
    why = ObjectModel.find(tmp_path)
    assert isinstance(why, str) and "not the expected model" in why and "camnet-hub model install" in why
