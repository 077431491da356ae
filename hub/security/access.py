"""Who may use the web side, decided once at start: users, open on loopback, or off.

- users: every route needs a session or a token (``hub/web/auth.py`` enforces it);
- loopback: no users yet and the hub listens on loopback only, so it stays open as before,
  answering only requests addressed to a loopback name (DNS rebinding); adding a user from
  the shell closes it from the next request on;
- off: ``--no-auth``, for a trusted LAN or behind an authenticating proxy.
With no users and a bind beyond loopback the first start creates ``admin`` with a random
password and logs it once: never silently open to the network.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from hub.security.db import AuthDB
from hub.security.hosts import AllowedHosts, is_loopback
from hub.security.logins import Checks, LoginThrottle, Verified
from hub.security.sessions import Sessions
from hub.security.users import Principal, Tokens, Users

log = logging.getLogger(__name__)
USERS, LOOPBACK, OFF = "users", "loopback", "off"
OPEN = Principal("anyone", "admin", "open")  # who a request is when no login is required


class Access:
    """The web side's security collaborators and the mode they work in."""

    def __init__(
        self, data_dir: Path, enabled: bool, bind: str, public_url: str = "", allowed_hosts: tuple[str, ...] = ()
    ) -> None:
        self.db = AuthDB(data_dir)
        self.users = Users(self.db)
        self.tokens = Tokens(self.db)
        self.sessions = Sessions(self.db)
        self.throttle = LoginThrottle()
        self.checks = Checks()
        self.verified = Verified()
        self.hosts = AllowedHosts(bind, public_url, allowed_hosts)
        self.bind = bind
        self.mode = OFF if not enabled else USERS if self.users.any() else LOOPBACK if is_loopback(bind) else ""

    def prepare(self) -> None:
        """Settle the mode at start: warn when off; create the first admin when needed; say
        in one line who may log in."""
        if self.mode == OFF:
            log.warning(
                "web authentication is OFF (--no-auth): anyone who can reach %s may watch every camera and "
                "delete events; use it only on a trusted network or behind an authenticating proxy",
                self.bind,
            )
        elif not self.mode:
            password = secrets.token_urlsafe(12)
            self.users.add("admin", password, "admin")
            self.mode = USERS
            log.warning(
                "no users yet and the hub listens on %s: created user admin with password %s (shown only "
                "this once; change it with `camnet-hub user passwd admin`)",
                self.bind,
                password,
            )
        if self.mode != OFF:
            self.users.prepare()
            users = self.users.list()
            admins = sum(role == "admin" for _, role in users)
            if self.required():
                log.info("web logins required: %d user(s), %d of them admin; %d token(s)", len(users), admins,
                         len(self.tokens.list()))  # fmt: skip
            else:
                log.info("web logins not required: no users yet and the hub listens on loopback %s only "
                         "(add one with `camnet-hub user add NAME --role admin`)", self.bind)  # fmt: skip

    def required(self) -> bool:
        """Does a request need credentials right now? (A user added from the shell counts at once.)"""
        return self.mode == USERS or (self.mode == LOOPBACK and self.users.any())

    def close(self) -> None:
        self.db.close()
