"""A camera's motion state over time -> events: open, extend, split into clips, close. No I/O.

Motion starting opens an event; motion within ``post_roll`` seconds of the last extends it;
``post_roll`` seconds after the last motion it ends. An event longer than ``max_event``
seconds goes on in a new clip (the frame that crosses the limit is the new clip's first).
"""

from __future__ import annotations

import enum


class Step(enum.Enum):
    NOTHING = "nothing"
    OPEN = "open"  # a new event: its first clip starts with the pre-roll
    SPLIT = "split"  # the event goes on in a new clip, starting with this frame
    CLOSE = "close"  # the event ended before this frame (this frame is not part of it)


class EventTracker:
    def __init__(self, post_roll: float, max_event: float) -> None:
        self.post_roll = post_roll
        self.max_event = max_event
        self.open = False
        self.last_motion = 0.0
        self.clip_start = 0.0

    def update(self, t: float, motion: bool) -> Step:
        """Feed one frame's time and motion state; returns what to do with it."""
        if not self.open:
            if not motion:
                return Step.NOTHING
            self.open, self.last_motion, self.clip_start = True, t, t
            return Step.OPEN
        if motion:
            self.last_motion = t
        elif t - self.last_motion > self.post_roll:
            self.open = False
            return Step.CLOSE
        if t - self.clip_start >= self.max_event:
            self.clip_start = t
            return Step.SPLIT
        return Step.NOTHING

    def close(self) -> bool:
        """End the event now (the camera went offline, the hub stops); True if one was open."""
        was, self.open = self.open, False
        return was
