"""The Hub: receiver, per-camera workers and web server, started and stopped as a list of steps."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

import cv2

from common.config import HubConfig, Polygon, parse_size
from common.motion import MotionAnalyzer, MotionSettings
from common.protocol import Message
from hub.events.index import EventIndex
from hub.events.recorder import Recorder, RecordSettings
from hub.events.retention import Retention
from hub.frames import Frame
from hub.masks import SavedMasks, settings_for
from hub.montage import Montage
from hub.notify.discovery import Topics
from hub.notify.gate import NotifyGate
from hub.notify.mqtt import Broker, MqttBridge
from hub.notify.webhooks import Webhook
from hub.objects.model import ObjectModel
from hub.objects.pool import ObjectDetection, ObjectSettings, check_labels
from hub.overlay import Renderer
from hub.receiver import Receiver
from hub.security.access import Access, is_loopback
from hub.security.keys import SenderGuard, SenderKeys, hub_keypair
from hub.startup import host_name, state_directory, tls, zmq_host
from hub.store import Camera, Cameras
from hub.web import create_app
from hub.web.server import WebServer
from hub.web.services import Services
from hub.worker import CameraWorker, WorkerPool

log = logging.getLogger(__name__)


class Hub:
    """The running hub. ``start()`` reads as a table of contents; ``stop()`` undoes it."""

    STUCK_AFTER = 5.0  # seconds without a receive-loop turn before the hub counts as wedged

    def __init__(self, config: HubConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.stopping = threading.Event()
        self.failure: str | None = None
        self.started_at = time.time()
        self.data_dir = state_directory(config.data_dir)
        self.masks = SavedMasks(self.data_dir)
        model = ObjectModel.find(self.data_dir)  # or why objects are off
        self.objects_off = model if isinstance(model, str) else None
        if not isinstance(model, str):
            check_labels(config, model.names())
        self.events = EventIndex(self.data_dir)
        self.recorder = Recorder(
            self.data_dir,
            self.events,
            RecordSettings(config.pre_roll, config.post_roll, config.max_event),
            Retention(
                self.data_dir,
                self.events,
                self._retain_days,
                parse_size(config.retain_size),
                None if config.min_free == "auto" else parse_size(config.min_free),
                lambda: self.recorder.bytes_written,
                retain_motion_days=self._retain_motion_days,
                retain_timelapse_days=config.retain_timelapse_days,
            ),
            records=lambda camera: bool(config.cameras.get(camera, {}).get("record", True)),
            notify=self._recording,
            on_event=self._event,
            timelapse_fps=lambda camera: float(
                config.cameras.get(camera, {}).get("timelapse_fps", config.timelapse_fps)
            ),
        )
        self.cameras = Cameras(config.max_cameras, config.offline_after, config.forget_after, clock)
        self.name = config.hub_name or host_name()
        self.mqtt = (
            MqttBridge(
                Broker.parse(config.mqtt),
                Topics(config.mqtt_prefix, self.name, config.mqtt_discovery_prefix),
                config.mqtt_discovery,
                self.cameras,
                self.events,
                self.data_dir,
                self.stopping,
                config.public_url,
                None if self.objects_off else lambda camera: sorted(self.object_settings(camera).labels),
            )
            if config.mqtt
            else None
        )
        self.objects: ObjectDetection | None = None
        if not isinstance(model, str):
            self.objects = ObjectDetection(
                model, config.detect_threads, config.detect_fps, self.object_settings, self.cameras, self.stopping,
                self.recorder.saw_objects, self._counts,
            )  # fmt: skip
        alerts = config.notify_on == "alerts" or (config.notify_on == "auto" and self.objects is not None)
        self.gate = NotifyGate(alerts, lambda event: bool((found := self.events.event(event)) and found.alert))
        self.webhooks = [Webhook(url, self.events, self.stopping, config.public_url) for url in config.webhook]
        self.workers: dict[str, CameraWorker] = {}  # written only by the receive thread
        self._settings_lock = threading.Lock()  # a worker starts with the masks saved before it
        self.renderer = Renderer()
        self.montage = Montage(self.cameras, config.montage_fps, self.stopping)
        # Analysis is half Python: a second thread per core fights the first for the GIL (2 cores,
        # 1 thread vs 2: 7.2x vs 5.8x the seed per CPU-second on sub-images, 13.3x vs 9.4x at 720p).
        self.pool = WorkerPool(config.workers or max(1, (os.cpu_count() or 2) // 2), self.stopping)
        self.access = Access(self.data_dir, config.auth, config.ip, config.public_url, config.allowed_hosts)
        self.guard = self._sender_guard()
        self.receiver = Receiver(
            f"tcp://{zmq_host(config.ip)}:{config.zmq_port}",
            self.route,
            self.stopping,
            config.max_frame_bytes,
            guard=self.guard,
        )
        self.web = WebServer(
            create_app(self._services()),
            config.ip,
            config.port,
            config.max_streams,
            config.viewer_timeout,
            tls(config),
        )
        self._threads: list[threading.Thread] = []
        self._stopped = False

    def start(self) -> None:
        """Bind both ports, then start analysing, receiving and serving."""
        # Frames are analysed in parallel across cameras by the pool; OpenCV's own thread pool
        # on top only adds synchronisation (measured: 0.76 -> 0.59 ms of CPU per frame).
        cv2.setNumThreads(1)
        self.access.prepare()
        if self.guard is None and not is_loopback(self.config.ip):
            log.warning(
                "senders are not authenticated (sender_auth = none) and the hub listens on %s: anyone on the "
                "network can send frames under any camera's name. See README, 'Senders: CURVE keys'",
                self.config.ip,
            )
        self.receiver.bind()
        self.web.bind()
        self.recorder.check()  # a crash's leftovers, before anything records; a failure only stops recording
        self.pool.start()
        if self.objects is not None:
            self.objects.start()
            log.info("objects on: %s (%d detect thread(s), at most %g inferences a second per camera in motion)",
                     ", ".join(self.config.objects), self.config.detect_threads, self.config.detect_fps)  # fmt: skip
        else:
            log.info("%s", self.objects_off)
        self._spawn("maintain", self.recorder.maintenance.run)
        self._spawn("record", self.recorder.run)
        self._spawn("recv", self.receiver.run)
        self._spawn("web", self.web.serve)
        self._spawn("sweep", self._sweep)
        if self.mqtt is not None:
            self._spawn("mqtt", self.mqtt.run)
        for n, hook in enumerate(self.webhooks, 1):
            self._spawn(f"webhook:{n}", hook.run)
        log.info(
            "hub receiving on tcp port %d, serving %s://%s:%d/",
            self.config.zmq_port,
            self.web.scheme,
            self.config.ip,
            self.web.port,
        )

    STOP_WITHIN = 8.0  # seconds for the whole stop (systemd's TimeoutStopSec is 10)

    def stop(self) -> None:
        """Stop serving, receiving and analysing; then let the recorder record what it was
        handed and close its events, the maintenance worker finish, and close the index.

        One deadline covers it all. Takes about a second whatever the viewers do: the web
        server closes the sockets of viewers that stopped reading instead of waiting out their
        write timeout; a hung webhook costs its share of the deadline, never more.
        """
        if self._stopped:
            return
        self._stopped = True
        deadline = time.monotonic() + self.STOP_WITHIN
        self.stopping.set()
        self.cameras.wake_all()
        self.web.stop()
        self.pool.wake()
        if self.objects is not None:
            self.objects.wake()
        by_name = {t.name: t for t in self._threads}
        for name in ("web", "recv", "sweep"):
            _join(by_name.get(name), deadline)
        for thread in [*self.pool.threads, *(self.objects.threads if self.objects else ())]:
            _join(thread, deadline)  # no frame or sighting reaches the recorder after this
        self.recorder.finish()
        recorded = _join(by_name.get("record"), deadline)
        self.recorder.maintenance.finish()
        maintained = _join(by_name.get("maintain"), deadline)
        for thread in self._threads:
            _join(thread, deadline)
        self.renderer.close()
        if recorded and maintained:
            self.events.close()
        else:
            log.warning("the recorder did not finish within the stop deadline; the next start repairs its clips")
        self.access.close()
        log.info("hub stopped")

    def wait(self, heartbeat: Callable[[], None] | None = None) -> int:
        """Block until stopped or until a thread dies; return the process exit code."""
        while not self.stopping.wait(0.5):
            dead = [t.name for t in self._all_threads() if not t.is_alive()]
            if dead:
                self.fail(f"thread {', '.join(dead)} died")
            elif heartbeat is not None and self.health() is None:
                heartbeat()  # a wedged receive loop stops the heartbeat: systemd restarts us
        return 1 if self.failure else 0

    def health(self) -> str | None:
        """None while the hub receives and serves; otherwise what is wrong."""
        if self.failure:
            return self.failure
        if self.stopping.is_set():
            return "the hub is stopping"
        dead = [t.name for t in self._all_threads() if not t.is_alive()]
        if dead:
            return f"thread {', '.join(dead)} is not running"
        stuck = time.monotonic() - self.receiver.last_loop
        return f"the receive loop has not run for {stuck:.0f} s" if stuck > self.STUCK_AFTER else None

    def fail(self, reason: str) -> None:
        """Record why the hub cannot go on and make it stop (a half-alive hub is worse)."""
        if self.failure is None:
            self.failure = reason
            log.error("hub failing: %s; stopping so the service manager restarts it", reason)
        self.stopping.set()

    def route(self, message: Message, answer: Callable[[], None] = lambda: None) -> bool:
        """Called by the receiver for each valid message: note the camera, pass the frame on.
        True when a frame was passed on: ``answer`` tells its sender once a worker takes it
        (see hub/receiver.py); False: answer now."""
        camera, _ = self.cameras.get_or_add(message.name)
        camera.claim(message.sender_id)  # raises for a second sender under a name in use
        camera.heard(message.info, message.camera_error)
        if message.jpeg is None and message.pixels is None:
            return False  # a camera-error heartbeat
        camera.received += 1
        worker = self.workers.get(message.name)
        if worker is None or worker.camera is not camera:  # new, or forgotten and back
            worker = self._add_worker(camera)
        self.pool.offer(worker, message, answer)
        return True

    def _add_worker(self, camera: Camera) -> CameraWorker:
        # Drop the workers of forgotten cameras: junk names must not pile up motion models.
        self.workers = {n: w for n, w in self.workers.items() if self.cameras.get(n) is w.camera}
        with self._settings_lock:
            worker = CameraWorker(
                camera, MotionAnalyzer(self.motion_settings(camera.name)), self._published, sub_fps=self.config.grid_fps
            )
            self.workers = {**self.workers, camera.name: worker}
        log.info("camera %r connected", camera.name)
        return worker

    def motion_settings(self, camera: str) -> MotionSettings:
        """The camera's motion settings: hub-wide, its [cameras.<name>] table, its saved masks."""
        return settings_for(self.config, camera, self.masks.get(camera))

    def object_settings(self, camera: str) -> ObjectSettings:
        return ObjectSettings.of(self.config, camera, self.masks.get(camera))

    def save_masks(self, camera: str, masks: Sequence[Polygon]) -> MotionSettings:
        """Save the masks drawn on a camera's page and apply them from its next frame on."""
        with self._settings_lock:
            self.masks.set(camera, masks)
            settings = self.motion_settings(camera)
            worker = self.workers.get(camera)
            if worker is not None:
                worker.analyzer.configure(settings)
            if self.objects is not None:
                self.objects.configure(camera)
        log.info("camera %r: %d saved mask(s) in force", camera, len(masks))
        return settings

    def _published(self, frame: Frame) -> None:
        """A worker published ``frame``: hand it to the recorder and MQTT, O(1) each."""
        self.recorder.offer(frame)
        if self.objects is not None:
            self.objects.saw(frame)
        if self.mqtt is not None:
            self.mqtt.saw(frame)

    def _counts(self, camera: str, counts: dict[str, int]) -> None:
        if self.mqtt is not None:
            self.mqtt.counts(camera, counts)

    def _event(self, kind: str, event: int, camera: str) -> None:
        """The recorder opened, grew or ended an event: tell MQTT and the webhooks, O(1) each."""
        if kind == "new":
            log.info("camera %r: motion, event %d opened", camera, event)
        elif kind == "end":
            log.info("camera %r: event %d ended", camera, event)
        told = self.gate.passes(kind, event)  # --notify-on: all events, or alerts only
        if told is None:
            return
        if self.mqtt is not None:
            self.mqtt.event(told, event, camera)
        for hook in self.webhooks:
            hook.event(told, event, camera)

    def _recording(self, name: str, recording: bool, error: str | None) -> None:
        camera = self.cameras.get(name)
        if camera is not None:
            camera.recording, camera.recording_error = recording, error

    def _retain_days(self, camera: str) -> float:
        return float(self.config.cameras.get(camera, {}).get("retain_days", self.config.retain_days))

    def _retain_motion_days(self, camera: str) -> float:
        """Events that saw no object: their own limit once objects are on, else the same."""
        days = float(self.config.cameras.get(camera, {}).get("retain_motion_days", self.config.retain_motion_days))
        return self._retain_days(camera) if days < 0 or self.objects is None else days

    def _sweep(self) -> None:
        """Once a second: forget cameras offline for longer than forget_after."""
        while not self.stopping.wait(1.0):
            self.cameras.sweep()
            if self.objects is not None:
                self.objects.sweep()

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                target()
            except Exception as exc:
                log.exception("thread %s crashed", name)
                self.fail(f"thread {name} crashed: {exc!r}")
                return
            if not self.stopping.is_set():
                self.fail(f"thread {name} ended unexpectedly")

        thread = threading.Thread(target=guarded, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _all_threads(self) -> list[threading.Thread]:
        authenticator = self.guard.authenticator if self.guard else None
        watched = [authenticator.thread] if authenticator and authenticator.thread else []
        detect = self.objects.threads if self.objects else []
        return [*self._threads, *self.pool.threads, *detect, *watched]

    def _services(self) -> Services:
        """The collaborators the web side works with (it never sees the Hub itself)."""
        return Services(
            config=self.config,
            data_dir=self.data_dir,
            cameras=self.cameras,
            events=self.events,
            recorder=self.recorder,
            masks=self.masks,
            save_masks=self.save_masks,
            montage=self.montage,
            renderer=self.renderer,
            access=self.access,
            receiver=self.receiver,
            guard=self.guard,
            mqtt=self.mqtt,
            objects=self.objects,
            objects_off=self.objects_off,
            webhooks=self.webhooks,
            stopping=self.stopping,
            health=self.health,
            started_at=self.started_at,
        )

    def _sender_guard(self) -> SenderGuard | None:
        if self.config.sender_auth != "curve":
            return None
        public, secret, created = hub_keypair(self.data_dir)
        if created:
            log.info("created the hub's CURVE key pair in %s", self.data_dir / "keys")
        log.info("senders must use CURVE; the hub's public key (their --hub-key) is %s", public.decode())
        return SenderGuard(SenderKeys(self.access.db), public, secret)


def _join(thread: threading.Thread | None, deadline: float) -> bool:
    """Join ``thread`` until ``deadline`` (monotonic); True if it ended (or never started)."""
    if thread is None or thread.ident is None:
        return True
    thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return not thread.is_alive()
