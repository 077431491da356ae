"""The one guard in front of every route, and the login and logout routes.

Deny by default: a request gets through only if its route is on the public list (the login
page, static files, a minimal ``/healthz``) or it carries a session cookie, a token
(``Authorization: Bearer``, ``?token=``, or as the password of HTTP Basic) or a user's
password in HTTP Basic. A new route is protected without anyone remembering to. Pages send
people to ``/login``; media and API routes answer 401 with ``WWW-Authenticate: Basic``, the
answer Home Assistant, VLC and ffmpeg retry on. A viewer may only read; an admin may change.

Every state-changing request must come from this origin (``Origin`` or ``Sec-Fetch-Site``)
and carry JSON: a page elsewhere in the owner's browser cannot make the hub do anything.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
import urllib.parse
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, redirect, render_template, request

from hub.security.access import LOOPBACK, OPEN, Access
from hub.security.hosts import FORWARDING, host_name, is_loopback
from hub.security.logins import Busy
from hub.security.sessions import COOKIE, LIFETIME
from hub.security.users import TOKEN_PREFIX, Principal
from hub.web.answers import error

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
PUBLIC = frozenset(
    {"static", "auth.login_page", "auth.login", "auth.logout", "camnet.healthz", "camnet.favicon", "portal.healthz"}
)
PAGES = frozenset(
    {"camnet.index", "camnet.camera_page", "events.events_page", "timeline.timeline_page",
     "portal.index", "portal.camera_page", "portal.events_page"}
)  # fmt: skip  # anonymous: to /login
VIEWER_MAY_POST = frozenset(
    {"camnet.api_stream", "camnet.api_stream_painted", "auth.login", "auth.logout"}
)  # change no camera or event
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
REALM = 'Basic realm="camnet", charset="UTF-8"'


class Throttled(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def install(app: Flask, access: Access) -> None:
    """Put the guard in front of every route of ``app``."""
    app.extensions["camnet.access"] = access
    app.register_blueprint(bp)
    app.before_request(_guard)
    app.after_request(_end_when_revoked)
    app.after_request(_private)

    @app.context_processor
    def who() -> dict[str, Any]:
        principal = g.get("principal")
        return {
            "user": principal if principal is not None and principal.kind == "user" else None,
            "role": principal.role if principal is not None else "viewer",  # the page hides what it may not do
        }


def _access() -> Access:
    return current_app.extensions["camnet.access"]  # type: ignore[no-any-return]


def _guard() -> Any:
    access = _access()
    if not access.hosts.allows(request.host):
        return error(
            403,
            f"this hub answers only requests addressed to its own names and addresses, not {request.host!r} "
            "(DNS rebinding); if that is a name of this hub, start it with --allowed-hosts "
            f"{host_name(request.host) or 'NAME'}",
        )
    refused = _cross_site(access)
    if refused is not None:
        return refused
    if not access.required():
        if access.mode == LOOPBACK:
            refused = _open_loopback_only()
            if refused is not None:
                return refused
        g.principal = OPEN
        return None
    try:
        g.principal = _identify(access)
    except Throttled as exc:
        return _throttled(exc.seconds)
    except Busy as exc:
        return _busy(exc)
    endpoint = request.endpoint or ""
    if g.principal is None:
        if endpoint in PUBLIC:
            return None
        if endpoint in PAGES and request.method in SAFE:
            return redirect("/login?" + urllib.parse.urlencode({"next": _without_token()}))
        response = error(401, "log in: send a token (Bearer, ?token= or as the Basic password) or a user's password")
        if request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate":
            # Players and an address bar get the challenge they retry on; a page's own fetch()
            # and <img> do not, or the browser would pop up its password dialog over the page.
            response.headers["WWW-Authenticate"] = REALM
        return response
    if request.method not in SAFE and endpoint not in VIEWER_MAY_POST and not g.principal.admin:
        return error(403, f"{g.principal.name!r} is a viewer: only an admin may change or delete things")
    return None


def _open_loopback_only() -> Response | None:
    """With no users the hub is open on loopback: only to this machine, never through a proxy."""
    if not is_loopback(host_name(request.host)):
        return error(
            403,
            f"this hub has no users, so it answers only requests addressed to localhost, not {request.host!r} "
            "(DNS rebinding). Add a user (camnet-hub user add NAME --role admin) to open it to the network",
        )
    forwarded = [name for name in FORWARDING if name in request.headers]
    if forwarded:
        return error(
            403,
            f"this hub has no users and is open on loopback only, but this request came through a proxy or "
            f"tunnel ({', '.join(forwarded)}), which would publish it: add a user "
            "(camnet-hub user add NAME --role admin) before putting a proxy in front",
        )
    return None


def _identify(access: Access) -> Principal | None:
    """Who sent this request: by session cookie, token or HTTP Basic; None if nobody known.
    Also leaves in ``g.recheck`` how to tell later that the credential still holds."""
    cookie = request.cookies.get(COOKIE)
    if cookie:
        found = access.sessions.find(cookie)
        if found is not None:
            g.recheck = lambda: access.sessions.find(cookie) is not None
            return found
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    # ?token= is for players and <img> (media and API routes), never a page's address bar
    token = value.strip() if scheme.lower() == "bearer" else None
    if token is None and request.endpoint not in PAGES:
        token = request.args.get("token")
    if scheme.lower() == "basic" and not token:
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if not password.startswith(TOKEN_PREFIX):
            found, stored = _basic(access, user, password)
            if found is not None:
                g.recheck = lambda: access.users.hash_of(user) == stored  # a new password ends it
            return found
        token = password  # any user name: players put the token in the password
    if token:
        g.recheck = lambda: access.tokens.check(token) is not None
        return access.tokens.check(token)
    return None


def _basic(access: Access, user: str, password: str) -> tuple[Principal | None, str | None]:
    """A user's password in HTTP Basic: checked once, then remembered for a few minutes as long
    as the password stays the same; returns who it is and the hash it was checked against."""
    remembered = access.verified.find(user, password)
    if remembered is not None:
        if access.users.hash_of(user) == remembered.stored and access.throttle.wait(user, _client()) <= 0:
            return Principal(remembered.user, remembered.role, "user"), remembered.stored
        access.verified.forget(user, password)
    stored = access.users.hash_of(user)
    found = _password(access, user, password, by="HTTP Basic")
    if found is not None and stored is not None:
        access.verified.keep(user, password, found.role, stored)
    return found, stored


def _client() -> str:
    """The client's address (the real one behind a --trusted-proxy)."""
    return request.remote_addr or "unknown"


def _password(access: Access, user: str, password: str, by: str = "the login form") -> Principal | None:
    """Check a user's password, through the throttle and the checker's slots (form and Basic
    alike): a wait or a full checker is an answer at once, never a queue on a web thread."""
    client = _client()
    wait = access.throttle.wait(user, client)
    if wait > 0:
        raise Throttled(wait)
    if access.throttle.full():
        raise Busy("too many failing logins are being tracked; try again in a minute", 503)
    with access.checks.slot(client):
        role = access.users.verify(user, password)
    if role is None:
        access.throttle.failed(user, client)
        log.info("login failed for %r from %s (%s)", user[:64], client, by)
        return None
    access.throttle.succeeded(user, client)
    # a player's Basic password is checked again every few minutes: not worth a line each time
    log.log(logging.INFO if by == "the login form" else logging.DEBUG, "%r logged in from %s (%s)", user, client, by)
    return Principal(user, role, "user")


def _without_token() -> str:
    """This request's path and query, without any ``token`` (a page never takes one)."""
    query = urllib.parse.urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "token"])
    return request.path + (f"?{query}" if query else "")


def _private(response: Response) -> Response:
    """What the hub answers depends on who asks: no shared cache may keep it for someone else.
    Static files (the same for everyone) stay cacheable."""
    if request.endpoint != "static":
        response.cache_control.public = False
        if not response.cache_control.no_store:
            response.cache_control.private = True
        response.vary.update(("Cookie", "Authorization"))
    return response


STREAMS = frozenset({"multipart/x-mixed-replace", "application/octet-stream"})


def _end_when_revoked(response: Response) -> Response:
    """Streams outlive their request: end one once its session, token or password is gone."""
    recheck = g.get("recheck")
    if recheck is not None and response.mimetype in STREAMS and response.is_streamed:
        response.response = Revocable(response.response, recheck)  # type: ignore[assignment]
    return response


class Revocable:
    """A stream's iterable that stops at the next part after its credential was revoked
    (logout, a new password, a removed user or a revoked token), checked every ``EVERY`` s."""

    EVERY = 5.0

    def __init__(self, inner: Any, still_valid: Any) -> None:
        self._inner = inner
        self._parts = iter(inner)
        self._still_valid = still_valid
        self._due = time.monotonic() + self.EVERY

    def __iter__(self) -> Revocable:
        return self

    def __next__(self) -> Any:
        part = next(self._parts)
        if time.monotonic() >= self._due:
            self._due = time.monotonic() + self.EVERY
            if not self._still_valid():
                raise StopIteration
        return part

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


def _throttled(seconds: float) -> Response:
    response = error(429, f"too many failed logins for this account from here; try again in {seconds:.0f} s")
    response.headers["Retry-After"] = str(max(1, round(seconds + 0.5)))
    return response


def _busy(exc: Busy) -> Response:
    response = error(exc.status, exc.reason)
    response.headers["Retry-After"] = "1"
    return response


def _cross_site(access: Access) -> Response | None:
    """Refuse a state-changing request from another site, or without a JSON body."""
    if request.method in SAFE:
        return None
    origin = request.headers.get("Origin")
    if origin is not None:
        if not access.hosts.same_origin(origin, request.host, request.scheme):
            return error(403, f"cross-site request refused: it comes from {origin!r}, not this hub's page")
    elif request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        return error(403, "cross-site request refused: it does not come from this hub's page")
    has_body = bool(request.content_length) or bool(request.mimetype)
    if (request.method != "DELETE" or has_body) and request.mimetype != "application/json":
        return error(415, "send a JSON body (Content-Type: application/json) with every change")
    return None


@bp.get("/login")
def login_page() -> Any:
    if not _access().required():
        return redirect("/")
    return render_template("login.html")


@bp.post("/login")
def login() -> Response:
    """Body ``{"user": NAME, "password": PASSWORD}``; sets the session cookie."""
    access = _access()
    body = request.get_json(silent=True)
    user, password = (body.get("user"), body.get("password")) if isinstance(body, dict) else (None, None)
    if not isinstance(user, str) or not isinstance(password, str):
        return error(400, 'send JSON {"user": NAME, "password": PASSWORD}')
    try:
        found = _password(access, user, password)
    except Throttled as exc:
        return _throttled(exc.seconds)
    except Busy as exc:
        return _busy(exc)
    if found is None:
        return error(401, "wrong user name or password")
    response = jsonify({"user": found.name, "role": found.role})
    response.set_cookie(
        COOKIE, access.sessions.start(found.name), max_age=int(LIFETIME), httponly=True, samesite="Lax",
        secure=request.is_secure, path="/",
    )  # fmt: skip
    return response


@bp.post("/logout")
def logout() -> Response:
    cookie = request.cookies.get(COOKIE)
    if cookie:
        _access().sessions.end(cookie)
    response = Response(status=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax", secure=request.is_secure)
    return response
