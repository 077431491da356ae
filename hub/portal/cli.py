"""``camnet-portal``: one page over every hub that shares an MQTT broker.

``camnet-portal --mqtt URL [--mqtt-prefix P] [--ip] [--port] [--data-dir]`` runs it;
``camnet-portal hub add HUB TOKEN | list | remove HUB`` keeps the viewer token made on each
hub (``camnet-hub token add portal``); ``camnet-portal user|token ...`` manage the portal's
own users and tokens, as ``camnet-hub user|token`` do for a hub.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from common import config
from common.config import ConfigError
from common.config.portal import PortalConfig
from common.systemd import Notifier

PROG = "camnet-portal"


def data_dir(cfg: PortalConfig) -> Path:
    return Path(cfg.data_dir).expanduser() if cfg.data_dir else config.state_home(os.environ, "camnet-portal")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "hub":
        return _hubs(argv[1:])
    if argv and argv[0] in ("user", "token"):  # the hub's own commands, on the portal's data directory
        from hub.security import manage

        if not any(a == "--data-dir" or a.startswith("--data-dir=") for a in argv):
            argv += ["--data-dir", str(data_dir(PortalConfig()))]
        return manage.main(argv)
    try:
        cfg, args = config.load(
            PortalConfig, argv, os.environ, PROG,
            "Show every camera of every camnet hub that publishes to one MQTT broker in one page. Also: "
            "`camnet-portal hub add HUB TOKEN|list|remove HUB` (a viewer token made on each hub with `camnet-hub "
            "token add portal`), `camnet-portal user|token ...` (the portal's own users and tokens).",
        )  # fmt: skip
    except ConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    cfg = dataclasses.replace(cfg, data_dir=str(data_dir(cfg)))
    if args.check_config:
        print(config.describe(cfg))
        return 0
    logging.basicConfig(level=cfg.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")  # fmt: skip
    from hub.portal.app import Portal

    try:
        portal = Portal(cfg, Path(cfg.data_dir))
        portal.start()
    except (ConfigError, OSError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: portal.stopping.set())
    systemd = Notifier(os.environ)
    systemd.ready(f"serving on port {portal.web.port}")
    while not portal.stopping.wait(5.0):
        systemd.heartbeat()
    systemd.stopping()
    portal.stop()
    return 0


def _hubs(argv: Sequence[str]) -> int:
    from hub.portal.index import PortalIndex

    top = argparse.ArgumentParser(prog=f"{PROG} hub", description="The token the portal uses on each hub.")
    top.add_argument("--data-dir", help="the portal's data directory (default: as camnet-portal resolves it)")
    actions = top.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="store the viewer token made on HUB (`camnet-hub token add portal`)")
    add.add_argument("hub")
    add.add_argument("token", help="the token, or - to read it from standard input")
    actions.add_parser("remove", help="forget HUB's token").add_argument("hub")
    actions.add_parser("list", help="hubs with a token (never the tokens)")
    args = top.parse_args(argv)
    directory = Path(args.data_dir).expanduser() if args.data_dir else data_dir(PortalConfig())
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    index = PortalIndex(directory)
    try:
        if args.action == "add":
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", args.hub):
                print(f"{PROG} hub add: {args.hub!r} is not a hub name (letters, digits, _ and -)", file=sys.stderr)
                return 2
            token = sys.stdin.readline().strip() if args.token == "-" else args.token.strip()
            if not re.fullmatch(r"[A-Za-z0-9_.~-]{16,200}", token):
                print(f"{PROG} hub add: that is not a camnet token; make one on the hub with "
                      "`camnet-hub token add portal`", file=sys.stderr)  # fmt: skip
                return 2
            index.set_token(args.hub, token)
            print(f"stored the token for hub {args.hub!r}; the running portal uses it from its next request")
        elif args.action == "remove":
            if not index.remove_token(args.hub):
                print(f"{PROG} hub remove: no token is stored for {args.hub!r}", file=sys.stderr)
                return 2
            print(f"forgot the token for hub {args.hub!r}")
        else:
            known = {h["name"]: h for h in index.hubs()}
            for hub, added in index.tokens():
                seen = known.get(hub)
                state = ("online" if seen["available"] else "offline") if seen else "not heard of yet"
                print(f"{hub}\ttoken added {time.strftime('%Y-%m-%d %H:%M', time.localtime(added))}\t{state}")
            for hub in sorted(set(known) - {h for h, _ in index.tokens()}):
                print(f"{hub}\tno token: camnet-portal hub add {hub} TOKEN")
    finally:
        index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
