"""Settings of ``camnet-portal``: one page over every hub that shares an MQTT broker."""

from __future__ import annotations

import dataclasses

from common.config.fields import setting
from common.config.programs import LOG_LEVELS


@dataclasses.dataclass(frozen=True)
class PortalConfig:
    """Settings of ``camnet-portal``."""

    mqtt: str = setting(
        "",
        "MQTT broker URL the hubs publish to, mqtt://[user:pass@]host[:1883] or mqtts://... (TLS)",
        pattern=r"mqtts?://([^\s@/]*@)?[^\s@/:]+(:[0-9]{1,5})?/?",
        required=True,
    )
    mqtt_prefix: str = setting(
        "camnet", "first level of the hubs' MQTT topics (their --mqtt-prefix)", pattern=r"[^\s#+]+"
    )
    ip: str = setting("0.0.0.0", "address the portal's page listens on (0.0.0.0: every interface)", short="-i")
    port: int = setting(8100, "HTTP port of the portal's page and streams (0: any free port)", short="-o", lo=0,
                        hi=65535)  # fmt: skip
    auth: bool = setting(
        True,
        "require a login or token (the portal's own users, as a hub's) once users exist or the portal listens "
        "beyond loopback; --no-auth: open to anyone who can reach it",
    )
    allowed_hosts: tuple[str, ...] = setting(
        (), "another name people reach the portal by (repeat the flag for several)", pattern=r"[A-Za-z0-9._:\[\]-]+"
    )
    public_url: str = setting("", "URL at which people reach this portal", pattern=r"https?://[^\s/]+(/\S*)?")
    data_dir: str = setting(
        "", "directory of the portal's state: its index of hubs, cameras and events, tokens, users",
        shown="$STATE_DIRECTORY under systemd, else ~/.local/state/camnet-portal",
    )  # fmt: skip
    max_streams: int = setting(200, "most streams the portal serves at once", lo=1, hi=10000)
    viewer_timeout: float = setting(30.0, "seconds a viewer that stops reading is kept", lo=1, hi=3600)
    log_level: str = setting("info", "log verbosity", choices=LOG_LEVELS)
