"""The object model: find it in the data directory, check it, and run it. No threads here.

The model is SSD MobileNet V2 COCO, quantised, with its post-processing inside (Google's
Coral / TF Object Detection API weights, Apache-2.0; see ``NOTICE`` in the models
directory). It takes a 300x300 RGB crop and gives up to 20 boxes with a class and a score.
``camnet-hub model install`` (``install.py``) puts it in ``<data-dir>/models/``; nothing is
downloaded at run time. ``ObjectModel.find`` says why objects are off when they are: no file,
a file that is not the model, or no ``ai-edge-litert`` on this platform.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "mobilenet_ssd_v2_coco_quant_postprocess.tflite"
MODEL_SHA256 = "7046f31a72ec0045a57b94199144c96cf5840c7dc106b808b64a1ed5559aa0cd"
MODEL_BYTES = 6_175_408
INPUT = 300  # the model's input is 1 x 300 x 300 x 3, uint8 RGB
ENABLE = "run `camnet-hub model install` (see README, 'Objects') to enable them"


def models_dir(data_dir: Path) -> Path:
    return data_dir / "models"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def coco_labels() -> dict[int, str]:
    """The model's class ids and names (``coco_labels.txt``, shipped with camnet)."""
    text = importlib.resources.files("hub.objects").joinpath("coco_labels.txt").read_text()
    labels = {}
    for line in text.splitlines():
        number, _, name = line.strip().partition(" ")
        if number:
            labels[int(number)] = name.strip()
    return labels


@dataclass(frozen=True)
class ObjectModel:
    """The verified model file and its labels."""

    path: Path
    labels: dict[int, str]

    @classmethod
    def find(cls, data_dir: Path) -> ObjectModel | str:
        """The installed model, or why objects are off (one sentence that says what to do)."""
        path = models_dir(data_dir) / MODEL_FILE
        if not path.is_file():
            return f"objects are off: no object model in {path.parent}; {ENABLE}"
        try:
            digest = sha256_of(path)
        except OSError as exc:
            return f"objects are off: cannot read {path}: {exc.strerror}"
        if digest != MODEL_SHA256:
            return f"objects are off: {path} is not the expected model (sha256 {digest[:12]}...); {ENABLE} again"
        try:
            import ai_edge_litert.interpreter  # noqa: F401
        except ImportError:
            return (
                "objects are off: the runtime ai-edge-litert is not installed (pip install ai-edge-litert; "
                "it has wheels for Linux x86_64 and aarch64)"
            )
        return cls(path, coco_labels())

    def names(self) -> set[str]:
        return set(self.labels.values())

    def runner(self) -> Runner:
        """A new interpreter: one per detect thread (an interpreter is not thread-safe)."""
        return Runner(self)


class Runner:
    """One interpreter: ``detect`` a 300x300 RGB crop into (label, score, box in 0-1)."""

    def __init__(self, model: ObjectModel) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.labels = model.labels
        self._interpreter: Any = Interpreter(model_path=str(model.path), num_threads=1)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]["index"]
        # TFLite_Detection_PostProcess: boxes [1, 20, 4] (ymin, xmin, ymax, xmax), classes, scores, count
        self._outputs = [d["index"] for d in self._interpreter.get_output_details()]

    def detect(self, rgb: np.ndarray, floor: float) -> list[tuple[str, float, tuple[float, float, float, float]]]:
        """Detections scoring at least ``floor``: (label, score, (x1, y1, x2, y2) in 0-1 of the crop)."""
        assert rgb.shape == (INPUT, INPUT, 3) and rgb.dtype == np.uint8
        self._interpreter.set_tensor(self._input, rgb[np.newaxis])
        self._interpreter.invoke()
        boxes, classes, scores, count = (self._interpreter.get_tensor(i) for i in self._outputs)
        found = []
        for k in range(min(int(count[0]), len(scores[0]))):
            score = float(scores[0][k])
            label = self.labels.get(int(classes[0][k]))
            if score < floor or label is None:
                continue
            y1, x1, y2, x2 = (min(max(float(v), 0.0), 1.0) for v in boxes[0][k])
            if x2 > x1 and y2 > y1:
                found.append((label, score, (x1, y1, x2, y2)))
        return found
