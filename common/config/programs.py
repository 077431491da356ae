"""The two programs' settings: ``HubConfig`` and ``SenderConfig``, one field per setting."""

from __future__ import annotations

import dataclasses
from typing import Any

from common.config.fields import setting

LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclasses.dataclass(frozen=True)
class HubConfig:
    """Settings of ``camnet-hub``."""

    ip: str = setting(
        "0.0.0.0", "address the web page and the ZeroMQ port listen on (0.0.0.0: every interface)", short="-i"
    )
    port: int = setting(8000, "HTTP port of the web page and streams (0: any free port)", short="-o", lo=0, hi=65535)
    zmq_port: int = setting(5555, "ZeroMQ port the senders connect to (imagezmq's default)", lo=1, hi=65535)
    auth: bool = setting(
        True,
        "require a login or token for every page, stream and API call once users exist or the hub listens beyond "
        "loopback (the first such start creates user admin); --no-auth: open to anyone who can reach it, for a "
        "trusted LAN or behind an authenticating proxy",
    )
    sender_auth: str = setting(
        "none",
        "how senders are checked: none (any sender, any name: stock imagezmq works) or curve (ZeroMQ CURVE "
        "encryption; only keys allowed with `camnet-hub sender allow CAMERA KEY`, each under its own camera name)",
        choices=("none", "curve"),
    )
    allowed_hosts: tuple[str, ...] = setting(
        (),
        "another name people reach the hub by (repeat the flag for several): the hub answers only its own "
        "names and addresses, the bind address and the host of public_url (against DNS rebinding)",
        pattern=r"[A-Za-z0-9._:\[\]-]+",
    )
    trusted_proxy: tuple[str, ...] = setting(
        (),
        "address of a reverse proxy in front of the hub (repeat for several): its X-Forwarded-For and "
        "X-Forwarded-Proto are believed (the real client for the login throttle; Secure cookies behind TLS)",
        pattern=r"[0-9A-Fa-f.:]+",
    )
    tls_cert: str = setting("", "PEM certificate (chain) file: serve HTTPS instead of HTTP (with tls_key)")
    tls_key: str = setting("", "PEM private key file of tls_cert")
    detector: str = setting(
        "robust",
        "motion detector: robust (not fooled by light changes, keeps slow walkers) or seed (the tutorial's)",
        choices=("robust", "seed"),
    )
    threshold: int = setting(
        0,
        "pixel difference from the background that counts as motion (0: the detector's own: 25 for seed, "
        "the tutorial's tVal; 10 for robust, which raises it further in a noisy scene)",
        lo=0,
        hi=255,
    )
    min_area: float = setting(
        0.0003, "share of the frame a moving region must cover to count, so specks never start motion", lo=0, hi=1
    )
    start_frames: int = setting(2, "frames with motion in a row before a camera shows motion", lo=1, hi=100)
    end_frames: int = setting(3, "frames without motion in a row before a camera's motion ends", lo=1, hi=1000)
    frame_count: int = setting(
        32, "frames used to build each camera's background model before detecting", short="-f", lo=1, hi=10000
    )
    accum_weight: float = setting(
        0.1, "weight of each new frame in the background average (robust: per frame at 15 fps)", lo=0.001, hi=1.0
    )
    absorb_after: float = setting(
        10.0, "seconds an object must stand still before the robust detector makes it background", lo=0.5, hi=86400
    )
    motion_width: int = setting(
        0,
        "frames are analysed at about this width, by JPEG scaled decode (0: the detector's own: 160 robust, 320 seed)",
        lo=0,
        hi=4096,
    )
    analysis_fps: float = setting(
        0.0,
        "analyse at most this many frames a second per camera; all are still streamed (0: every frame)",
        lo=0,
        hi=240,
    )
    workers: int = setting(0, "threads that analyse frames (0: one per two CPU cores, at least one)", lo=0, hi=64)
    offline_after: float = setting(5.0, "seconds without a message before a camera shows offline", lo=0.5, hi=3600)
    forget_after: float = setting(
        7 * 86400.0,
        "seconds offline after which a camera is dropped from the hub (0: never)",
        lo=0,
        hi=10 * 365 * 86400.0,
    )
    max_cameras: int = setting(
        64, "most cameras the hub tracks; past it the longest-offline one is dropped", lo=1, hi=1024
    )
    max_frame_bytes: int = setting(8_000_000, "largest frame accepted from a sender, in bytes", lo=1024, hi=100_000_000)
    max_streams: int = setting(200, "most concurrent video streams; more get HTTP 503", lo=1, hi=2000)
    viewer_timeout: float = setting(
        10.0, "seconds a stalled viewer may block a write before it is dropped", lo=0.5, hi=600
    )
    montage_fps: float = setting(5.0, "frame rate of the server-side montage /video_feed/all", lo=0.2, hi=30)
    grid_fps: float = setting(
        5.0, "most frames a second a small tile of the page's grid is sent (its sub-stream; 0: no cap)", lo=0, hi=120
    )
    pre_roll: float = setting(5.0, "seconds of video kept from before the motion that opens an event", lo=0, hi=60)
    post_roll: float = setting(
        5.0, "seconds after the last motion that an event ends; new motion meanwhile extends it", lo=0, hi=600
    )
    max_event: float = setting(
        300.0, "seconds after which a long event goes on in a new clip (no frame lost)", lo=10, hi=86400
    )
    retain_days: float = setting(14.0, "days events are kept (0: no age limit)", lo=0, hi=36500)
    retain_motion_days: float = setting(
        -1.0,
        "days events with no object are kept, once objects are on (-1: as retain_days; 0: no age limit)",
        lo=-1,
        hi=36500,
    )
    timelapse_fps: float = setting(
        1.0, "frames a second each camera records between events, the time-lapse (0: none)",
        lo=0, hi=30,
    )  # fmt: skip
    retain_timelapse_days: float = setting(7.0, "days time-lapse segments are kept (0: no age limit)", lo=0, hi=36500)
    retain_size: str = setting(
        "0", "most bytes of clips and time-lapse kept, like 20GB; the oldest go first (0: no limit)", size=True
    )
    min_free: str = setting(
        "auto",
        "free space kept on the data directory's disk, like 2GB (auto: the larger of 5% and an hour of "
        "recording at the observed rate; 0: none)",
        size=True,
    )
    data_dir: str = setting(
        "",
        "directory of the hub's state: the event index, clips, snapshots and masks saved from the page",
        shown="$STATE_DIRECTORY under systemd, else ~/.local/state/camnet",
    )
    public_url: str = setting(
        "",
        "URL at which people reach this hub, like https://cams.example.net: makes the links in MQTT and "
        "webhook messages absolute",
        pattern=r"https?://[^\s/]+(/\S*)?",
    )
    mqtt: str = setting(
        "",
        "MQTT broker URL mqtt://[user:pass@]host[:1883] or mqtts://... (TLS): publish motion, camera status "
        "and events, with Home Assistant discovery (empty: off)",
        pattern=r"mqtts?://([^\s@/]*@)?[^\s@/:]+(:[0-9]{1,5})?/?",
    )
    mqtt_prefix: str = setting("camnet", "first level of this hub's MQTT topics", pattern=r"[^\s#+]+")
    hub_name: str = setting(
        "",
        "this hub's name in MQTT topics and Home Assistant (hubs sharing a broker need their own)",
        shown="the host name",
        pattern=r"[A-Za-z0-9_-]{1,64}",
    )
    mqtt_discovery: bool = setting(
        True, "announce each camera to Home Assistant by MQTT discovery (--no-mqtt-discovery: only the topics)"
    )
    mqtt_discovery_prefix: str = setting(
        "homeassistant", "Home Assistant's discovery prefix (its MQTT integration's setting)", pattern=r"[^\s#+]+"
    )
    webhook: tuple[str, ...] = setting(
        (),
        "URL POSTed the event JSON when an event opens and ends (repeat the flag for several; a list in TOML; "
        "space-separated in the environment)",
        pattern=r"https?://\S+",
    )
    objects: tuple[str, ...] = setting(
        ("person", "car", "dog", "cat", "bicycle", "motorcycle"),
        "labels of the object model to track and alert on (repeat the flag; _ for a space: traffic_light)",
        pattern=r"[a-z][a-z _]{1,30}",
    )
    min_score: float = setting(
        0.7, "median score an object must reach over its recent sightings to count", lo=0.05, hi=1.0
    )
    min_object_area: float = setting(0.0, "smallest object box that counts, as a share of the frame", lo=0, hi=1)
    detect_fps: float = setting(5.0, "most object inferences a second per camera in motion", lo=0.1, hi=60)
    detect_threads: int = setting(1, "threads that run the object model (each holds one copy)", lo=1, hi=16)
    notify_on: str = setting(
        "auto",
        "which events webhooks and MQTT event messages announce: alerts (an object was seen) or all events "
        "(auto: alerts when the object model is installed)",
        choices=("auto", "alerts", "events"),
    )
    log_level: str = setting("info", "log verbosity", choices=LOG_LEVELS)
    # [cameras.<name>] tables: one camera's motion settings (CAMERA_KEYS) and masks
    cameras: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class SenderConfig:
    """Settings of ``camnet-sender``."""

    server_ip: str = setting(None, "hub address (host name or IP)", required=True)
    server_port: int = setting(5555, "hub's ZeroMQ port", lo=1, hi=65535)
    source: str = setting(
        None,
        "picamera, a device index or path (0, /dev/video0), a video file, an rtsp:// or http:// URL, or synthetic",
        required=True,
    )
    name: str = setting("", "camera name shown on the hub; give each camera its own", shown="this machine's host name")
    width: int = setting(
        640,
        "frame width sent; height keeps the aspect ratio (0: as captured; the Pi camera then uses its "
        "default video size, the synthetic scene is 640 wide)",
        lo=0,
        hi=8192,
    )
    fps: float = setting(15.0, "most frames sent per second", lo=0.1, hi=240)
    quality: int = setting(85, "JPEG quality", lo=10, hi=100)
    sub_width: int = setting(
        320,
        "width of the sub-image (a small JPEG of each frame, the camera's sub-stream) sent to a camnet hub, "
        "which analyses it and fills its grid with it; the Pi camera's lores stream gives it free (0: none)",
        lo=0,
        hi=1920,
    )
    timeout: float = setting(1.5, "seconds to wait for the hub's reply before reconnecting", lo=0.1, hi=60)
    hub_key: str = setting(
        "", "the hub's CURVE public key (`camnet-hub keys` prints it): encrypt and authenticate to a curve hub"
    )
    key_file: str = setting(
        "",
        "this sender's CURVE key pair (secret file; the public key is beside it, in <file> without _secret), "
        "created on first use",
        shown="$STATE_DIRECTORY/sender.key_secret under systemd, else ~/.local/state/camnet-sender/sender.key_secret",
    )
    loop: bool = setting(False, "restart a video file from the beginning when it ends")
    log_level: str = setting("info", "log verbosity", choices=LOG_LEVELS)
