"""Where to look: a camera's motion boxes -> square crops of the full frame. No I/O.

Boxes that overlap (once grown) are clustered; each cluster becomes one square about
``GROW`` times its larger side, at least ``MIN_SIDE`` pixels (or the frame's smaller side if
the frame is smaller), centred on the cluster and shifted to lie inside the frame; a cluster
larger than any square that fits gets the whole frame. The model sees 300x300: a square
crop keeps a person's shape, and a crop about the size of the motion keeps a far person
large enough to be found.
"""

from __future__ import annotations

from collections.abc import Sequence

from common.motion import Box

GROW = 1.3
MIN_SIDE = 300
MAX_REGIONS = 4  # crops per inference round; more clusters are merged into the fewest boxes


def _overlap(a: Box, b: Box, margin: float) -> bool:
    return a[0] - margin < b[2] and b[0] - margin < a[2] and a[1] - margin < b[3] and b[1] - margin < a[3]


def _union(a: Box, b: Box) -> Box:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def cluster(boxes: Sequence[Box], margin: float) -> list[Box]:
    """Merge boxes closer than ``margin`` pixels until no two are."""
    merged = list(boxes)
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                if _overlap(merged[i], merged[j], margin):
                    merged[i] = _union(merged[i], merged.pop(j))
                    changed = True
                    break
            if changed:
                break
    return merged


def square(box: Box, width: int, height: int) -> Box:
    """The square crop for one cluster, inside the frame (the whole frame if it cannot be)."""
    x1, y1, x2, y2 = box
    side = max(GROW * max(x2 - x1, y2 - y1), MIN_SIDE)
    if side > min(width, height):
        if max(x2 - x1, y2 - y1) > min(width, height):
            return 0, 0, width, height  # taller or wider than any square that fits: all of it
        side = min(width, height)
    side = round(side)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    left = round(min(max(cx - side / 2, 0), width - side))
    top = round(min(max(cy - side / 2, 0), height - side))
    return left, top, left + side, top + side


def regions(boxes: Sequence[Box], width: int, height: int) -> list[Box]:
    """The crops to run the model on for one frame's motion boxes (full-frame pixels)."""
    if not boxes or width <= 0 or height <= 0:
        return []
    margin = 0.05 * max(width, height)
    clusters = cluster(boxes, margin)
    while len(clusters) > MAX_REGIONS:  # many scattered specks: merge the two closest
        clusters = cluster(clusters, margin := margin * 2)
    return [square(c, width, height) for c in clusters]  # crops may overlap: the detector merges what both see
