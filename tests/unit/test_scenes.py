"""The motion scene suite itself: deterministic footage, truth that matches what is drawn, and
a scorer that counts what it should."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bench.scenes import FPS, SCENES, WARMUP, false_events, score


def test_every_kind_of_footage_the_issue_names_is_there() -> None:
    names = {s.name for s in SCENES}
    assert names == {
        "walker", "still", "dusk", "light on", "lights off", "small far object", "slow walker",
        "flicker", "auto exposure", "two people", "night", "light on, walker",
        # issue 21: footage the detector was not tuned on
        "light on, clipping", "exposure hunting", "exposure hunting, walker",
    }  # fmt: skip


def test_takes_are_deterministic_and_differ_from_each_other() -> None:
    walker = next(s for s in SCENES if s.name == "walker")
    first = [j for j, _ in walker.frames(0)][:5]
    assert first == [j for j, _ in walker.frames(0)][:5]
    assert first != [j for j, _ in walker.frames(1)][:5]


@pytest.mark.slow
@pytest.mark.parametrize("scene", SCENES, ids=lambda s: s.name)
def test_truth_is_what_is_drawn(scene) -> None:  # type: ignore[no-untyped-def]
    frames = list(scene.frames())
    assert len(frames) == int(scene.seconds * FPS) > WARMUP + 2 * FPS
    truth = [t for _, t in frames]
    assert any(truth) == bool(scene.people)
    images = [cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_GRAYSCALE) for j, _ in frames]
    assert images[0].shape == (480, 640)
    if scene.people:  # a truly moving frame differs from the still room around it
        i = truth.index(True) + FPS
        still = truth.index(True) - 1
        light = scene.light(i / FPS) / scene.light(still / FPS)
        diff = np.abs(images[i].astype(float) - images[still].astype(float) * light)
        assert (diff > 25).sum() > 50, f"{scene.name}: nothing visible moves at frame {i}"


def test_score_counts_precision_recall_and_false_events() -> None:
    truth = [False] * 10 + [True] * 10 + [False] * 10
    perfect = score("x", truth, truth, warmup=0)
    assert (perfect.precision, perfect.recall, perfect.f1, perfect.false_events) == (1.0, 1.0, 1.0, 0)
    late = [False] * 15 + [True] * 5 + [False] * 10  # found half of it
    s = score("x", late, truth, warmup=0)
    assert (s.precision, s.recall, round(s.f1, 3), s.false_events) == (1.0, 0.5, 0.667, 0)
    fooled = [True] * 3 + [False] * 27  # a light switch, before anything moved
    assert score("x", fooled, truth, warmup=0).false_events == 1
    assert score("x", fooled, truth, warmup=5).false_events == 0, "the warm-up is not scored"
    assert score("still", [False] * 30, [False] * 30, warmup=0).f1 == 1.0
    assert false_events([True, True, False, True], [False, True, False, False]) == 1
    with pytest.raises(ValueError, match="2 answers for 3 frames"):
        score("x", [True, False], [True, False, True])
