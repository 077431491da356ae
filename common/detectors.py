"""The two motion detectors a camera can run: the seed tutorial's and camnet's robust one.

Both take small grayscale frames (already decoded at reduced scale) with their times and
return the moving regions, each as (box, area in pixels), in the frame's own pixels. No
threads and no I/O: a detector belongs to exactly one camera's ``MotionAnalyzer``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x1, y1, x2, y2
Region = tuple[Box, int]  # box, moving pixels
_KERNEL = np.ones((3, 3), np.uint8)  # what OpenCV uses when the seed passes None
# A 2x2 opening removes one-pixel lines (JPEG ringing along a saturated window's edge) yet
# keeps a far figure two pixels wide: a 3x3 one lost 16 px tall people at 160 px analysis.
_OPEN = np.ones((2, 2), np.uint8)
_HALO = np.ones((5, 5), np.uint8)  # keeps the blurred edge of a moving object out of the model
# The seed's 7x7 Gaussian blur as a separable filter: the same kernel, within one grey level
# of cv2.GaussianBlur's fixed-point path and half its cost (36 vs 64 us at 320x240).
_GAUSS_7 = cv2.getGaussianKernel(7, 0)
REFERENCE_FPS = 15.0  # accum_weight is the weight of one frame at this rate


class SingleMotionDetector:
    """Background subtraction with one bounding box around all motion (the seed's algorithm).

    ``update`` folds a frame into a running weighted average; ``detect`` thresholds the
    difference against it, cleans it with erosions and dilations and boxes every contour.
    """

    def __init__(self, accum_weight: float = 0.5) -> None:
        self.accum_weight = accum_weight
        self.bg: np.ndarray | None = None

    def update(self, image: np.ndarray) -> None:
        """Fold a grayscale frame into the background model (the first frame starts it)."""
        if self.bg is None:
            self.bg = image.astype(np.float32)
            return
        cv2.accumulateWeighted(image, self.bg, self.accum_weight)

    def detect(self, image: np.ndarray, t_val: int = 25) -> tuple[np.ndarray, Box] | None:
        """Return (threshold mask, box around all motion) for a grayscale frame, or None."""
        if self.bg is None:
            return None
        delta = cv2.absdiff(self.bg.astype(np.uint8), image)
        thresh = cv2.threshold(delta, t_val, 255, cv2.THRESH_BINARY)[1]
        thresh = cv2.erode(thresh, _KERNEL, iterations=2)
        thresh = cv2.dilate(thresh, _KERNEL, iterations=2)
        contours, _ = cv2.findContours(thresh, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not contours:
            return None
        x, y, w, h = cv2.boundingRect(np.concatenate(contours))
        return thresh, (x, y, x + w, y + h)


class SeedDetector:
    """The tutorial's pipeline step by step: 7x7 blur, ``frame_count`` frames of warm-up, then
    detect against the running average and fold the frame in. One region per contour; their
    union is exactly the seed's box."""

    DEFAULT_THRESHOLD = 25  # the tutorial's tVal

    def __init__(self, threshold: int = 0, accum_weight: float = 0.1, frame_count: int = 32) -> None:
        self.threshold = threshold or self.DEFAULT_THRESHOLD
        self.frame_count = frame_count
        self.model = SingleMotionDetector(accum_weight)
        self.total = 0

    def step(self, gray: np.ndarray, t: float, ignore: np.ndarray | None = None) -> list[Region]:
        gray = cv2.sepFilter2D(gray, -1, _GAUSS_7, _GAUSS_7)
        regions: list[Region] = []
        if self.total > self.frame_count:
            found = self.model.detect(gray, self.threshold)
            if found is not None:
                thresh = found[0] if ignore is None else cv2.bitwise_and(found[0], cv2.bitwise_not(ignore))
                contours, _ = cv2.findContours(thresh, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
                for contour in contours:
                    x, y, w, h = cv2.boundingRect(contour)
                    regions.append(((x, y, x + w, y + h), w * h))
        self.model.update(gray)
        self.total += 1
        return regions


class RobustDetector:
    """Background subtraction that light switches, auto exposure and slow walkers do not fool.

    Per frame:
    1. **Light.** The global gain between frame and background is the median ratio of a grid
       of pixels that were background last frame; the model is rescaled by it before the
       comparison, so dusk, flicker and auto exposure cancel out (saturated pixels compare
       clipped). If more than ``GLOBAL_SHARE`` of the view still differs, either the light
       changed in a way one gain cannot explain (a lamp in a corner, an IR cut filter) or
       something covers much of the view (a person close to a doorbell camera, a hand). Light
       moves brightness, not edges: where the scene's edges are still where they were
       (``EDGES_KEPT``, the correlation of gradient magnitudes over the changed area) the model
       is rebuilt from this frame and relearnt fast for ``RELEARN`` seconds, without reporting;
       otherwise it is an object, and reported as one. For ``LIGHT_SETTLE`` seconds after the
       light moved (by more than ``GAIN_MOVING`` in a frame), each changed region whose edges
       are the model's is light that one gain could not explain (clipping), and folded in.
    2. **Noise.** The threshold is the larger of ``threshold`` and ``NOISE_FACTOR`` times the
       noise measured on the same grid (a robust sigma, averaged over frames), so a dark
       high-gain night needs a bigger difference than a bright day.
    3. **Objects stay objects.** Pixels that differ, and a halo around them, are left out of
       the background update, so a slow walker is never absorbed and leaves no ghost. An
       object that stops moving altogether (a parked car) is absorbed after ``absorb_after``
       seconds without any of its pixels changing.
    4. **A covered lens.** A view that has lost most of its detail (``BLOCKED_TEXTURE`` of the
       scene's usual gradient energy, for ``BLOCKED_AFTER`` s) is ``blocked``: the camera shows
       "view blocked" instead of motion, and the model is rebuilt once it can see again.
    """

    DEFAULT_THRESHOLD = 10
    NOISE_FACTOR = 4.0
    NOISE_WEIGHT = 0.05  # of each frame's noise measurement in the running estimate
    GLOBAL_SHARE = 0.3
    RELEARN = 0.7  # seconds
    RELEARN_WEIGHT = 0.5  # per frame at REFERENCE_FPS, while relearning
    SAMPLE = 4  # gain and noise are measured on every 4th pixel of every 4th row
    SATURATED = 250.0
    STILL_CHECK = 1.0  # seconds between stillness checks
    EDGES_KEPT = 0.5  # correlation of edges, frame and model, above which a big change is light
    GAIN_MOVING = 0.02  # a frame whose light changed by more than this share: the light is moving
    LIGHT_SETTLE = 1.5  # seconds after the light moved in which a region with the model's edges is light
    TEXTURE_EVERY = 0.5  # seconds between measurements of the view's detail
    TEXTURE_WEIGHT = 0.02  # of each measurement in the scene's usual detail (minutes to follow dusk)
    BLOCKED_TEXTURE, CLEAR_TEXTURE = 0.25, 0.5  # of the usual detail: blocked below, clear again above
    BLOCKED_AFTER = 2.0  # seconds

    def __init__(
        self, threshold: int = 0, accum_weight: float = 0.1, frame_count: int = 32, absorb_after: float = 10.0
    ) -> None:
        self.threshold = float(threshold or self.DEFAULT_THRESHOLD)
        self.accum_weight = accum_weight
        self.frame_count = frame_count
        self.absorb_after = absorb_after
        self.total = 0
        self.bg: np.ndarray | None = None  # float32; may exceed 255 where the frame saturates
        self.ref: np.ndarray | None = None  # the frame of the last stillness check
        self.ref_t = 0.0
        self.still: np.ndarray | None = None  # seconds each foreground pixel has not changed
        self.was_fg: np.ndarray | None = None  # last frame's foreground, sampled
        self.last_t: float | None = None
        self.relearn_until = -math.inf
        self.gain = 1.0
        self.noise = 0.0  # robust sigma of the difference to the model, grey levels, smoothed
        self._measured = 0.0  # the same, measured on the newest frame
        self.level = self.threshold  # the difference that counted as motion in the last frame
        self.relearns = 0  # light changes one gain could not explain
        self.occlusions = 0  # big changes that moved the scene's edges: objects, not light
        self.blocked = False  # the view has lost its detail (a covered lens)
        self.texture: float | None = None  # the scene's usual detail: mean gradient, smoothed
        self._texture_t = -math.inf
        self._bare_since: float | None = None  # since when the view has had too little detail
        self._light_moved = -math.inf  # when the light last changed by more than GAIN_MOVING in a frame

    def step(self, gray: np.ndarray, t: float, ignore: np.ndarray | None = None) -> list[Region]:
        frame = gray.astype(np.float32)
        dt = 1.0 / REFERENCE_FPS if self.last_t is None else min(max(t - self.last_t, 1e-3), 5.0)
        self.last_t = t
        if self.bg is None or self.total < self.frame_count:
            self._warm_up(frame)
            return []
        if t - self._texture_t >= self.TEXTURE_EVERY and self._watch_view(frame, t):
            return []  # blocked: nothing in it is motion
        keep = None if ignore is None else cv2.bitwise_not(ignore)
        fg = self._compare(frame, keep)
        if abs(self.gain - 1.0) > self.GAIN_MOVING:
            self._light_moved = t
        changed = cv2.countNonZero(fg)
        if changed and t - self._light_moved <= self.LIGHT_SETTLE:
            fg = self._fold_in_light(frame, fg)
            changed = cv2.countNonZero(fg)
        if changed > self.GLOBAL_SHARE * (fg.size if keep is None else max(cv2.countNonZero(keep), 1)):
            if self._edges_kept(frame, fg) >= self.EDGES_KEPT:
                self._relearn(frame, t)
                return []
            self.occlusions += 1
        # Noise is learnt slowly and never from a frame the light changed: one such frame
        # would otherwise raise the threshold for seconds and hide whoever walks in.
        self.noise += self.NOISE_WEIGHT * (self._measured - self.noise)
        regions: list[Region] = []
        if changed:
            regions = self._objects(frame, fg, t)
            update = cv2.bitwise_not(cv2.dilate(fg, _HALO))
            self.was_fg = fg[:: self.SAMPLE, :: self.SAMPLE] > 0
        else:
            update = None
            self.still = self.ref = None
            self.was_fg = None
        self._learn(frame, update, dt, t)
        return [] if t < self.relearn_until else regions

    def _fold_in_light(self, frame: np.ndarray, fg: np.ndarray) -> np.ndarray:
        """While the light moves (a lamp, auto exposure hunting, a dimmer), one gain does not
        explain everything: where the frame clips at white, or a colour channel clips, the
        view stops brightening while the rest goes on (and the blur of a clipped edge spreads
        255, not the true level). A changed region whose edges are the model's is such light:
        folded into the model at once and not reported. A person walking in brings edges of
        its own and stays an object."""
        assert self.bg is not None
        count, labels = cv2.connectedComponents(fg, connectivity=8)
        for label in range(1, count):
            region = (labels == label).astype(np.uint8) * 255
            around = cv2.dilate(region, _HALO)  # its edges lie on its border
            if self._edges_kept(frame, around) >= self.EDGES_KEPT:
                inside = around > 0
                self.bg[inside] = frame[inside]
                fg[region > 0] = 0
        return fg

    def _edges_kept(self, frame: np.ndarray, fg: np.ndarray) -> float:
        """How well the frame's edges match the model's over the changed area (Pearson r of
        gradient magnitudes, sampled): near 1 when only the light changed, near 0 when
        something else stands there."""
        assert self.bg is not None
        s = self.SAMPLE // 2
        inside = fg[::s, ::s] > 0
        a, b = _gradient(frame)[::s, ::s][inside], _gradient(self.bg)[::s, ::s][inside]
        if a.size < 50:
            return 1.0
        a, b = a - a.mean(), b - b.mean()
        spread = float(np.sqrt((a * a).sum() * (b * b).sum()))
        return float((a * b).sum()) / spread if spread > 0 else 0.0

    def _watch_view(self, frame: np.ndarray, t: float) -> bool:
        """Measure the view's detail now and then; True while the view is blocked."""
        self._texture_t = t
        detail = float(cv2.mean(_gradient(frame))[0])
        if self.texture is None:
            self.texture = detail
        usual = max(self.texture, 1e-3)
        if not self.blocked:
            if detail < self.BLOCKED_TEXTURE * usual:
                self._bare_since = t if self._bare_since is None else self._bare_since
                self.blocked = t - self._bare_since >= self.BLOCKED_AFTER
            else:
                self._bare_since = None
                self.texture += self.TEXTURE_WEIGHT * (detail - self.texture)
        elif detail > self.CLEAR_TEXTURE * usual:
            self.blocked, self._bare_since = False, None
            self._relearn(frame, t)  # what it sees now is the scene, not an object
        return self.blocked

    def _warm_up(self, frame: np.ndarray) -> None:
        """The first frames only build the model: their plain average."""
        if self.bg is None:
            self.bg = frame.copy()
        else:
            cv2.accumulateWeighted(frame, self.bg, 1.0 / (self.total + 1))
        self.total += 1

    def _compare(self, frame: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
        """Rescale the model to this frame's light; return the foreground mask."""
        assert self.bg is not None
        s = self.SAMPLE
        fs, bs = frame[::s, ::s], self.bg[::s, ::s]
        ok = (bs > 8) & (bs < self.SATURATED) & (fs < self.SATURATED)
        if self.was_fg is not None:
            ok &= ~self.was_fg
        if keep is not None:
            ok &= keep[::s, ::s] > 0
        if np.count_nonzero(ok) >= 50:
            self.gain = _median(fs[ok] / bs[ok])
            self.bg *= self.gain
        diff = cv2.absdiff(frame, np.minimum(self.bg, 255.0))
        samples = diff[::s, ::s][ok]
        self._measured = 1.4826 * _median(samples) if samples.size else self.noise
        self.level = max(self.threshold, self.NOISE_FACTOR * self.noise)
        fg = cv2.compare(diff, self.level, cv2.CMP_GT)  # type: ignore[call-overload]  # a scalar is fine
        fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, _OPEN)
        if keep is not None:
            fg = cv2.bitwise_and(fg, keep)
        return fg

    def _objects(self, frame: np.ndarray, fg: np.ndarray, t: float) -> list[Region]:
        """Box each foreground blob. Once a second, blobs none of whose pixels changed over
        that second count as still; still for ``absorb_after``, they join the background.
        (Frame to frame, a slow walker's uniform coat does not change: a second shows it.)"""
        contours, _ = cv2.findContours(fg, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if self.ref is None or self.still is None:
            self.ref, self.ref_t = frame, t
            self.still = np.zeros(frame.shape, np.float32)
        elif t - self.ref_t >= self.STILL_CHECK:
            self._absorb_still(frame, fg, t)
        regions = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            # pixels inside a pixel outline: its area plus half its perimeter (Pick's theorem)
            pixels = cv2.contourArea(contour) + cv2.arcLength(contour, True) / 2 + 1
            regions.append(((x, y, x + w, y + h), round(pixels)))
        return regions

    def _absorb_still(self, frame: np.ndarray, fg: np.ndarray, t: float) -> None:
        assert self.bg is not None and self.ref is not None and self.still is not None
        count, labels = cv2.connectedComponents(fg, connectivity=8)
        inside = fg > 0
        moving = np.zeros(count, bool)
        moving[labels[inside & (cv2.absdiff(frame, self.ref) > self.level)]] = True
        self.still += t - self.ref_t
        self.still[~inside | moving[labels]] = 0.0
        absorb = self.still > self.absorb_after
        if absorb.any():
            self.bg[absorb] = frame[absorb]
            self.still[absorb] = 0.0
        self.ref, self.ref_t = frame, t

    def _learn(self, frame: np.ndarray, update: np.ndarray | None, dt: float, t: float) -> None:
        """Fold the frame into the model where it shows background. Where both frame and model
        are saturated the frame says nothing about the true level: keep the model's."""
        assert self.bg is not None
        fast = t < self.relearn_until
        weight = 1.0 - (1.0 - (self.RELEARN_WEIGHT if fast else self.accum_weight)) ** (dt * REFERENCE_FPS)
        saturated = cv2.compare(frame, self.SATURATED, cv2.CMP_GE)  # type: ignore[call-overload]  # a scalar is fine
        if cv2.countNonZero(saturated):
            saturated = cv2.bitwise_and(saturated, cv2.compare(self.bg, self.SATURATED, cv2.CMP_GE))  # type: ignore[call-overload]  # a scalar is fine
            unsaturated = cv2.bitwise_not(saturated)
            update = unsaturated if update is None else cv2.bitwise_and(update, unsaturated)
        if update is None:
            cv2.accumulateWeighted(frame, self.bg, weight)
        else:
            cv2.accumulateWeighted(frame, self.bg, weight, mask=update)

    def _relearn(self, frame: np.ndarray, t: float) -> None:
        self.bg = frame.copy()
        self.still = self.ref = None
        self.was_fg = None
        self.relearn_until = t + self.RELEARN
        self.relearns += 1


def _gradient(image: np.ndarray) -> np.ndarray:
    """Gradient magnitude (|dx| + |dy|, Sobel) of a float32 image."""
    return np.abs(cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)) + np.abs(cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3))


def _median(values: np.ndarray) -> float:
    """The (upper) median; np.median's sort-free path, without its NaN checks and copying."""
    k = values.size // 2
    return float(np.partition(values.ravel(), k)[k])
