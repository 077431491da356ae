"""The portal: every camera of every hub that shares an MQTT broker, in one page.

It owns no camera and no recording. The hubs' retained records on the broker tell it which
hubs and cameras exist (``directory.py``); it forwards streams and media from the owning hub
with a viewer token made there (``upstream.py``). A ``reach`` thread asks each hub that says
it is online whether it answers and accepts the token, every ``CHECK_EVERY`` seconds, and
fetches the events it missed when a hub comes back. Portals share nothing but the broker:
several can run behind a load balancer.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from flask import Flask

from common.config.portal import PortalConfig
from hub.notify.mqtt import Broker
from hub.portal.directory import Directory, parse_event
from hub.portal.index import PortalIndex
from hub.portal.upstream import Feeds, Refused, Target
from hub.security.access import Access
from hub.web import auth as guard
from hub.web import harden
from hub.web.server import WebServer

log = logging.getLogger(__name__)
CHECK_EVERY = 5.0  # seconds between two looks at each online hub
WEB = Path(__file__).resolve().parent.parent / "web"  # the hub's templates and static files, shared


class Portal:
    def __init__(self, config: PortalConfig, data_dir: Path) -> None:
        self.config, self.data_dir = config, data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        data_dir.chmod(0o700)
        self.index = PortalIndex(data_dir)
        self.stopping = threading.Event()
        self.reach: dict[str, tuple[str, str | None]] = {}  # hub -> (state, why) from the last look
        self._wake = threading.Event()
        self.directory = Directory(
            Broker.parse(config.mqtt), config.mqtt_prefix, self.index, f"camnet-portal-{id(self):x}", self._changed
        )
        self.feeds = Feeds(self.target)
        self.access = Access(data_dir, config.auth, config.ip, config.public_url, config.allowed_hosts)
        self.web = WebServer(self._app(), config.ip, config.port, config.max_streams, config.viewer_timeout)
        self._threads: list[threading.Thread] = []

    def target(self, hub: str) -> Target:
        found = self.index.hub(hub)
        if found is None:
            raise Refused(404, f"no hub {hub!r} is known to this portal")
        return Target(hub, found["url"], self.index.token(hub))

    def hubs(self) -> list[dict[str, Any]]:
        """Each hub with its state: online, offline, not-authorised, unreachable or no-token."""
        out = []
        cameras: dict[str, int] = {}
        for camera in self.index.cameras():
            cameras[camera["hub"]] = cameras.get(camera["hub"], 0) + 1
        for hub in self.index.hubs():
            state, why = ("offline", f"hub {hub['name']!r} is not connected to the broker") if not hub["available"] \
                else self.reach.get(hub["name"], ("online", None))  # fmt: skip
            out.append({**hub, "state": state, "reason": why, "cameras": cameras.get(hub["name"], 0),
                        "feeds": self.feeds.open().get(hub["name"], 0)})  # fmt: skip
        return out

    def _changed(self, hub: str) -> None:
        self._wake.set()  # a hub came, went or changed: look at it now

    # --- start and stop -----------------------------------------------------------------
    def start(self) -> None:
        self.access.prepare()
        self.web.bind()
        self.directory.start()
        for name, target in (("web", self.web.serve), ("reach", self._reach)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("portal serving http://%s:%d/ over the hubs under %s/ on %s", self.config.ip, self.web.port,
                 self.config.mqtt_prefix, self.directory.broker)  # fmt: skip

    def stop(self) -> None:
        self.stopping.set()
        self._wake.set()
        self.web.stop()
        self.directory.stop()
        for thread in self._threads:
            thread.join(timeout=3)
        self.access.close()
        self.index.close()

    # --- the reach thread ---------------------------------------------------------------
    def _reach(self) -> None:
        while not self.stopping.is_set():
            self._wake.wait(CHECK_EVERY)
            self._wake.clear()
            for hub in self.index.hubs():
                if self.stopping.is_set():
                    return
                if hub["available"]:
                    self._look(hub["name"])

    def _look(self, hub: str) -> None:
        """Ask the hub for its events (proves the token and the URL) and keep those missed."""
        before = self.reach.get(hub, ("", None))[0]
        since = self.index.refresh_from(hub)
        query = "/api/events?limit=200" + (f"&since={since - 1:.3f}" if since is not None else "")
        try:
            body, _, _ = self.feeds.fetch(hub, query, timeout=3.0)
            events = json.loads(body)
        except Refused as exc:
            state = "not-authorised" if "token" in exc.reason else "unreachable"
            self.reach[hub] = (state, exc.reason)
            if state != before:
                log.warning("portal: %s", exc.reason)
            return
        except ValueError as exc:
            self.reach[hub] = ("unreachable", f"hub {hub!r} answered something that is not an event list: {exc}")
            return
        kept = 0
        for event in events if isinstance(events, list) else []:
            try:
                self.index.event(hub, parse_event(json.dumps({"event": event}).encode()))
                kept += 1
            except ValueError:
                continue
        if before != "online":
            log.info("portal: hub %r answers (%d events fetched)", hub, kept)
        self.reach[hub] = ("online", None)

    # --- the web app --------------------------------------------------------------------
    def _app(self) -> Flask:
        from hub.portal import web

        app = Flask(__name__, template_folder=str(WEB / "templates"), static_folder=str(WEB / "static"))
        app.json.sort_keys = False  # type: ignore[attr-defined]
        app.extensions["camnet.portal"] = self
        guard.install(app, self.access)
        app.register_blueprint(web.bp)
        harden(app)
        return app
