"""``camnet-hub``: parse settings, start the Hub, wait for a signal or a failure, stop.

``camnet-hub user|token|sender|keys ...`` manage users, tokens and keys instead (see
``hub/security/manage.py``)."""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import sys
from collections.abc import Sequence

from common import config
from common.config import ConfigError, HubConfig
from common.redact import redact
from common.systemd import Notifier


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("user", "token", "sender", "keys", "model"):  # management, beside running the hub
        from hub.security import manage

        return manage.main(argv)
    try:
        cfg, args = config.load(
            HubConfig,
            argv,
            os.environ,
            "camnet-hub",
            "Receive every camnet camera, detect motion, serve the live page. Also: `camnet-hub user "
            "add|passwd|remove|list`, `camnet-hub token add|list|revoke`, `camnet-hub sender allow|list|revoke`, "
            "`camnet-hub keys` manage web users, player tokens and CURVE sender keys, `camnet-hub model install` the "
            "object model (each with --help).",
        )
    except ConfigError as exc:
        print(f"camnet-hub: {exc}", file=sys.stderr)
        return 2
    cfg = dataclasses.replace(cfg, data_dir=str(config.data_dir(cfg, os.environ)))
    if args.check_config:
        print(redact(config.describe(cfg)))
        return 0
    logging.basicConfig(
        level=cfg.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s",
    )
    from hub.app import Hub  # after logging is set up; keeps --help fast

    try:
        hub = Hub(cfg)
    except (ConfigError, OSError) as exc:
        print(f"camnet-hub: {exc}", file=sys.stderr)
        return 2
    try:
        hub.start()
    except OSError as exc:
        print(f"camnet-hub: {exc}", file=sys.stderr)
        hub.stop()
        return 1
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: hub.stopping.set())
    systemd = Notifier(os.environ)
    systemd.ready(f"serving {hub.web.scheme} on port {hub.web.port}, receiving on {cfg.zmq_port}")
    code = hub.wait(heartbeat=systemd.heartbeat)
    systemd.stopping()
    hub.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
