"""``/metrics``: Prometheus exposition, read from the hub's own counters at scrape time.

Nothing is counted twice and nothing is added to the per-frame path: a collector turns the
counters the hub keeps anyway into metric families when Prometheus asks. Labels are the
camera name (at most ``max_cameras`` of them) and the error kind (a fixed handful).
"""

from __future__ import annotations

import collections
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

if TYPE_CHECKING:
    from hub.web.services import Services
    from hub.web.streams import Streams

CAMERA_COUNTERS = {  # metric name: (description key, help)
    "camnet_camera_frames_received": ("frames", "Frames received from the camera's sender"),
    "camnet_camera_frames_analyzed": ("analyzed", "Frames run through the motion detector"),
    "camnet_camera_frames_analyzed_sub": ("analyzed_sub", "Frames analysed from the sender's sub-image"),
    "camnet_camera_main_decodes": ("main_decodes", "Main JPEGs decoded for motion analysis"),
    "camnet_camera_frames_dropped": ("dropped", "Frames replaced by a newer one before analysis"),
    "camnet_camera_bad_frames": ("bad_frames", "Frames that did not decode"),
    "camnet_camera_restarts": ("restarts", "Times the camera's analysis recovered from an error"),
    "camnet_camera_motion_seconds": ("motion_seconds", "Seconds with motion in view"),
    "camnet_camera_name_conflicts": ("conflicts", "Messages refused: another sender holds the camera's name"),
    "camnet_camera_model_resets": ("model_resets", "Times a lasting change of frame size rebuilt the motion model"),
}


class HubCollector:
    """Builds every metric family from the hub's state on each scrape."""

    def __init__(self, hub: Services, streams: Streams) -> None:
        self.hub = hub
        self.streams = streams

    def collect(self) -> Iterator[Metric]:
        hub = self.hub
        cams = [c.describe() for c in hub.cameras.all()]
        for name, (key, help_text) in CAMERA_COUNTERS.items():
            family = CounterMetricFamily(name, help_text, labels=["camera"])
            for c in cams:
                family.add_metric([c["name"]], c[key])
            yield family
        gauges = {
            "camnet_camera_fps": ("Frames analysed per second, recently", lambda c: c["fps"]),
            "camnet_camera_motion": ("1 while motion is in view", lambda c: int(c["motion"])),
            "camnet_camera_up": ("1 while the camera sends frames", lambda c: int(c["status"] == "online")),
            "camnet_camera_failing": (
                "1 while the sender reports a camera error",
                lambda c: int(c["status"] == "camera-error"),
            ),
            "camnet_camera_viewers": (
                "Open MJPEG streams of this camera",
                lambda c: self.streams.by_camera.get(c["name"], 0),
            ),
        }
        for name, (help_text, value) in gauges.items():
            gauge = GaugeMetricFamily(name, help_text, labels=["camera"])
            for c in cams:
                gauge.add_metric([c["name"]], value(c))
            yield gauge
        yield CounterMetricFamily("camnet_messages", "Messages received from senders", value=hub.receiver.messages)
        errors = CounterMetricFamily("camnet_bad_messages", "Messages refused, by kind", labels=["kind"])
        for kind, count in sorted(hub.receiver.errors.items()):
            errors.add_metric([kind], count)
        yield errors
        yield GaugeMetricFamily("camnet_cameras", "Cameras known to the hub", value=len(cams))
        yield CounterMetricFamily(
            "camnet_cameras_forgotten",
            "Cameras dropped: offline too long, evicted or forgotten by hand",
            value=hub.cameras.forgotten,
        )
        yield GaugeMetricFamily(
            "camnet_streams_open", "Open video streams (MJPEG, montage, page)", value=self.streams.open
        )
        yield CounterMetricFamily(
            "camnet_streams_refused", "Streams refused past max_streams", value=self.streams.refused
        )
        sent = CounterMetricFamily(
            "camnet_stream_bytes",
            "Bytes sent to viewers, by stream kind (mjpeg, mjpeg-sub, page, montage)",
            labels=["kind"],
        )
        for kind in ("mjpeg", "mjpeg-sub", "page", "montage"):
            sent.add_metric([kind], self.streams.sent_bytes.get(kind, 0))
        yield sent
        yield GaugeMetricFamily(
            "camnet_uptime_seconds", "Seconds since the hub started", value=time.time() - hub.started_at
        )
        yield from self._recording()
        yield from self._security()
        yield from self._notify()
        yield from self._objects(cams)

    def _objects(self, cams: list[dict[str, object]]) -> Iterator[Metric]:
        objects = self.hub.objects
        yield GaugeMetricFamily("camnet_objects_on", "1 while the object detector runs", value=int(objects is not None))
        if objects is None:
            return
        yield CounterMetricFamily("camnet_object_inferences", "Object model inferences", value=objects.inferences)
        yield CounterMetricFamily(
            "camnet_object_inference_seconds", "CPU seconds spent in the object model", value=objects.inference_seconds
        )
        yield CounterMetricFamily(
            "camnet_object_frames_dropped",
            "Motion frames replaced by a newer one before the detector got to them",
            value=objects.dropped,
        )
        seen = CounterMetricFamily("camnet_objects_seen", "Objects that counted, by label", labels=["label"])
        for label, count in sorted(objects.objects_seen.items()):
            seen.add_metric([label], count)
        yield seen
        present = GaugeMetricFamily("camnet_objects_present", "Objects in view now", labels=["camera", "label"])
        for c in cams:
            for label, count in sorted(collections.Counter(o["label"] for o in c["objects"]).items()):  # type: ignore[attr-defined]
                present.add_metric([str(c["name"]), label], count)
        yield present

    def _notify(self) -> Iterator[Metric]:
        mqtt = self.hub.mqtt
        if mqtt is not None:
            yield GaugeMetricFamily(
                "camnet_mqtt_connected", "1 while connected to the MQTT broker", value=mqtt.connected
            )
            yield CounterMetricFamily("camnet_mqtt_published", "MQTT messages published", value=mqtt.published)
            yield CounterMetricFamily(
                "camnet_mqtt_dropped",
                "MQTT messages dropped (queue full: broker away)",
                value=mqtt.dropped,
            )
        families = {
            "sent": CounterMetricFamily("camnet_webhook_sent", "Webhook messages delivered", labels=["url"]),
            "failed": CounterMetricFamily("camnet_webhook_failed", "Webhook messages given up", labels=["url"]),
            "dropped": CounterMetricFamily("camnet_webhook_dropped", "Webhook messages dropped", labels=["url"]),
        }
        for hook in self.hub.webhooks:
            for what, family in families.items():
                family.add_metric([hook.shown], getattr(hook, what))
        yield from families.values()

    def _security(self) -> Iterator[Metric]:
        throttle = self.hub.access.throttle
        yield CounterMetricFamily(
            "camnet_login_failures", "Wrong passwords (form and HTTP Basic)", value=throttle.failed_total
        )
        yield CounterMetricFamily(
            "camnet_logins_throttled", "Login tries refused while their account waits", value=throttle.throttled_total
        )
        yield CounterMetricFamily(
            "camnet_login_checks_refused",
            "Password checks refused at once because the checker (or this client's share) was busy",
            value=self.hub.access.checks.refused_total,
        )
        authenticator = self.hub.guard.authenticator if self.hub.guard else None
        yield CounterMetricFamily(
            "camnet_sender_keys_refused",
            "CURVE handshakes refused: the key is not allowed",
            value=authenticator.refused if authenticator else 0,
        )

    def _recording(self) -> Iterator[Metric]:
        recorder = self.hub.recorder
        yield CounterMetricFamily("camnet_events", "Events opened", value=recorder.events_opened)
        yield CounterMetricFamily("camnet_recorded_bytes", "JPEG bytes written to clips", value=recorder.bytes_written)
        totals = self.hub.events.totals()
        yield GaugeMetricFamily("camnet_clip_bytes", "Bytes of event clips kept", value=totals.get("clip_bytes", 0))
        yield GaugeMetricFamily(
            "camnet_timelapse_bytes", "Bytes of time-lapse segments kept", value=totals.get("segment_bytes", 0)
        )
        counters = recorder.counters
        yield CounterMetricFamily(
            "camnet_timelapse_frames", "Frames written to time-lapse segments", value=counters.timelapse_frames
        )
        yield CounterMetricFamily(
            "camnet_timelapse_recorded_bytes", "JPEG bytes written to time-lapse", value=counters.timelapse_bytes
        )
        gone = CounterMetricFamily(
            "camnet_timelapse_segments_deleted", "Time-lapse segments deleted, by reason", labels=["reason"]
        )
        for reason, count in sorted(recorder.retention.segments_deleted.items()):
            gone.add_metric([reason], count)
        yield gone
        yield GaugeMetricFamily(
            "camnet_free_bytes", "Free bytes on the data directory's disk", value=recorder.retention.free()
        )
        deleted = CounterMetricFamily("camnet_events_deleted", "Events deleted, by reason", labels=["reason"])
        for reason, count in sorted(recorder.retention.deleted.items()):
            deleted.add_metric([reason], count)
        yield deleted
        errors = CounterMetricFamily("camnet_recording_errors", "Recording errors, by kind", labels=["kind"])
        for kind, count in sorted(recorder.errors.items()):
            errors.add_metric([kind], count)
        yield errors
        yield CounterMetricFamily(
            "camnet_recorder_dropped_frames", "Frames the recorder's full queue refused", value=recorder.dropped
        )
        yield CounterMetricFamily(
            "camnet_event_gap_frames",
            "Frames missing from clips of events (the recorder's queue was full)",
            value=recorder.counters.gap_frames,
        )
        cut = CounterMetricFamily(
            "camnet_clips_deleted", "Parts of long events deleted while the event was kept", labels=["reason"]
        )
        for reason, count in sorted(recorder.retention.clips_cut.items()):
            cut.add_metric([reason], count)
        yield cut
        yield GaugeMetricFamily(
            "camnet_recording_unavailable", "1 while the start-up check fails and nothing records",
            value=1 if recorder.unavailable else 0,
        )  # fmt: skip


def registry_for(hub: Services, streams: Streams) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(hub, streams))  # type: ignore[arg-type]
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
