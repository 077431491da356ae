"""Which event news go out to webhooks and MQTT event messages (``--notify-on``).

``events``: every opening, growth and end, as the recorder tells them. ``alerts``: only
events in which an object was seen. Such an event is not an alert when it opens (the first
label comes a fraction of a second later), so its "new" goes out when it becomes one, with
its labels and the snapshot of the object; its "update"s and its "end" follow. An event that
never becomes an alert is never announced. Retained motion state is not gated.
"""

from __future__ import annotations

from collections.abc import Callable


class NotifyGate:
    """Runs on the maintenance thread (which tells listeners, in order)."""

    KEEP = 10_000  # announced events remembered until their end; a bound against lost ends

    def __init__(self, alerts_only: bool, is_alert: Callable[[int], bool]) -> None:
        self.alerts_only = alerts_only
        self.is_alert = is_alert
        self._announced: dict[int, None] = {}  # insertion-ordered: the oldest go first past KEEP

    def passes(self, kind: str, event: int) -> str | None:
        """The kind of message to send for this news, or None to send nothing."""
        if not self.alerts_only:
            return kind
        if event in self._announced:
            if kind == "end":
                del self._announced[event]
            return kind
        if kind == "end" or not self.is_alert(event):
            return None
        self._announced[event] = None
        while len(self._announced) > self.KEEP:
            del self._announced[next(iter(self._announced))]
        return "new"
