"""Who may watch: logins, sessions, tokens, roles, cross-site refusal and hardened routes,
against a real hub on a free loopback port (raw HTTP, so no client tidies a path up)."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import re
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from werkzeug.routing import Rule

from hub.app import Hub
from hub.security.access import Access
from hub.web.auth import PUBLIC, VIEWER_MAY_POST, Revocable
from tests.conftest import Output, RawSender, free_port, jpeg, scene, start_process, wait_until

ADMIN, VIEWER = ("ada", "ada-password-1"), ("vic", "vic-password-1")


class Answer:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> object:
        return json.loads(self.body)


def call(
    hub: Hub,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    limit: int | None = None,
) -> Answer:
    """One raw HTTP request; ``limit`` reads only that many bytes (for streams)."""
    conn = http.client.HTTPConnection("127.0.0.1", hub.web.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Answer(resp.status, resp.headers, resp.read(limit) if limit else resp.read())
    finally:
        conn.close()


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def login(hub: Hub, user: str, password: str) -> Answer:
    body = json.dumps({"user": user, "password": password}).encode()
    return call(hub, "POST", "/login", {"Content-Type": "application/json"}, body)


def cookie_of(answer: Answer) -> dict[str, str]:
    value = answer.headers["Set-Cookie"].split(";")[0]
    return {"Cookie": value}


@pytest.fixture
def locked(hub_factory: Callable[..., Hub]) -> Hub:
    """A hub with an admin, a viewer, and one camera sending."""
    hub = hub_factory()
    hub.access.users.add(*ADMIN, role="admin")
    hub.access.users.add(*VIEWER, role="viewer")
    sender = RawSender(hub.config.zmq_port)
    sender.frame("garage", jpeg(scene(0, False, 320, 240)))
    sender.close()
    return hub


def sample_path(rule: Rule) -> str:
    values = {"name": "garage", "event_id": 1, "filename": "app.js"}
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values.get(m.group(1), "x")), rule.rule)


def methods_of(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def test_every_route_outside_the_public_list_refuses_strangers(locked: Hub) -> None:
    rules = [r for r in locked.web.server.wsgi_app.url_map.iter_rules() if r.endpoint not in PUBLIC]
    assert len(rules) >= 15, "the list is the app's own URL map"
    walked = set()
    for rule in rules:
        for method in methods_of(rule):
            walked.add(method)
            answer = call(locked, method, sample_path(rule), {"Content-Type": "application/json"}, b"{}")
            if answer.status == 302:
                assert method == "GET" and answer.headers["Location"].startswith("/login?next="), rule.rule
            else:
                assert answer.status == 401, f"{method} {rule.rule} answered {answer.status}"
                assert answer.headers["WWW-Authenticate"].startswith("Basic")
            assert b"garage" not in answer.body or answer.status == 302
    assert {"GET", "POST", "PUT", "DELETE"} <= walked, "every method the app answers was tried"


def test_a_viewer_is_refused_every_change_the_url_map_offers(locked: Hub) -> None:
    viewer = {**basic(*VIEWER), "Content-Type": "application/json"}
    changes = [
        (method, rule)
        for rule in locked.web.server.wsgi_app.url_map.iter_rules()
        for method in methods_of(rule)
        if method not in ("GET",) and rule.endpoint not in VIEWER_MAY_POST and rule.endpoint not in PUBLIC
    ]
    assert len(changes) >= 3
    for method, rule in changes:
        answer = call(locked, method, sample_path(rule), viewer, b"{}")
        assert answer.status == 403, f"a viewer's {method} {rule.rule} answered {answer.status}"


def test_public_routes_and_a_healthz_that_names_no_camera(locked: Hub) -> None:
    assert call(locked, "GET", "/login").status == 200
    assert call(locked, "GET", "/static/app.css").status == 200
    icon = call(locked, "GET", "/favicon.ico")
    assert icon.status == 200 and icon.headers["Content-Type"].startswith("image/svg+xml"), "no 404 on every page"
    health = call(locked, "GET", "/healthz")
    assert health.status == 200 and health.json() == {"status": "ok"}
    full = call(locked, "GET", "/healthz", basic(*VIEWER)).json()
    assert isinstance(full, dict) and full["cameras"] == 1


def test_tokens_open_streams_as_players_use_them(locked: Hub) -> None:
    token = locked.access.tokens.add("home-assistant")
    stream = call(locked, "GET", "/video_feed/garage", basic("anything", token), limit=2000)
    assert stream.status == 200 and stream.headers["Content-Type"].startswith("multipart/x-mixed-replace")
    assert b"Content-Type: image/jpeg" in stream.body
    assert call(locked, "GET", f"/snapshot/garage?token={token}").status == 200
    assert call(locked, "GET", "/api/cameras", {"Authorization": f"Bearer {token}"}).status == 200
    assert call(locked, "GET", "/metrics", {"Authorization": f"Bearer {token}"}).status == 200
    for bad in (basic("x", token[:-2] + "AA"), {"Authorization": "Bearer nope"}):
        answer = call(locked, "GET", "/video_feed/garage", bad)
        assert answer.status == 401 and answer.headers["WWW-Authenticate"].startswith('Basic realm="camnet"')
    assert call(locked, "GET", "/snapshot/garage?token=camnet_wrong").status == 401
    from_page = call(locked, "GET", "/api/cameras", {"Sec-Fetch-Mode": "cors"})
    assert from_page.status == 401 and "WWW-Authenticate" not in from_page.headers, "no password popup over the page"
    assert call(locked, "GET", "/api/cameras", basic(*VIEWER)).status == 200, "a user's password works in Basic"
    locked.access.tokens.revoke("home-assistant")
    assert call(locked, "GET", f"/snapshot/garage?token={token}").status == 401


def test_tokens_and_passwords_never_reach_the_hubs_output(tmp_path: Path) -> None:
    """The hub as a real process at debug level: everything it writes is searched, not only
    Python's logging (cheroot and tracebacks write there too)."""
    data = tmp_path / "hub"
    add = start_process(["hub.cli", "token", "add", "vlc", "--data-dir", str(data)])
    out, _ = add.communicate(timeout=30)
    token = re.search(rb"camnet_\S+", out).group(0).decode()  # type: ignore[union-attr]
    http, zmq_port = free_port(), free_port()
    hub = Output(start_process(["hub.cli", "--ip", "127.0.0.1", "--port", str(http), "--zmq-port", str(zmq_port),
                                "--log-level", "debug", "--data-dir", str(data)]))  # fmt: skip
    try:
        wait_until(lambda: "serving http" in hub.text, timeout=20)
        sender = RawSender(zmq_port)
        sender.frame("garage", jpeg(scene(0, False, 320, 240)))
        sender.close()
        for path, headers in (
            (f"/video_feed/garage?token={token}", {}),
            (f"/nowhere?token={token}", {}),
            (f"/video_feed/nobody?token={token}", {}),
            (f"/events/99/clip.mkv?token={token}", {}),
            ("/api/cameras", basic("ada", "a-secret-password")),
            ("/api/cameras", {"Authorization": f"Bearer {token}x"}),
        ):
            conn = http_client(http)
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read(500)
            conn.close()
            assert token.encode() not in body and b"a-secret-password" not in body, path
    finally:
        text = hub.stop()
    assert "GET" in text or "serving" in text, "the hub did write its log"
    assert token not in text and token[7:] not in text and "a-secret-password" not in text


def http_client(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def test_login_session_logout_and_revocation(locked: Hub) -> None:
    answer = login(locked, *ADMIN)
    assert answer.status == 200 and answer.json() == {"user": "ada", "role": "admin"}
    flags = answer.headers["Set-Cookie"].lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags, "plain HTTP: a Secure cookie would never come back"
    session = cookie_of(answer)
    page = call(locked, "GET", "/", session)
    assert page.status == 200 and b'id="logout"' in page.body and b"ada" in page.body
    assert call(locked, "GET", "/api/cameras", session).status == 200
    out = call(locked, "POST", "/logout", {**session, "Content-Type": "application/json"}, b"{}")
    assert out.status == 204
    assert call(locked, "GET", "/api/cameras", session).status == 401, "logout ends the session on the hub"
    second = cookie_of(login(locked, *ADMIN))
    assert call(locked, "GET", "/api/cameras", second).status == 200
    locked.access.users.passwd("ada", "a-new-password-2")
    assert call(locked, "GET", "/api/cameras", second).status == 401, "a new password ends every session"
    assert call(locked, "GET", "/").headers["Location"] == "/login?next=%2F"


def test_failed_logins_are_throttled_per_account_and_unknown_names_look_the_same(locked: Hub) -> None:
    def timed(name: str) -> tuple[Answer, float]:
        started = time.monotonic()
        return login(locked, name, "not-her-password"), time.monotonic() - started

    wrong, known_time = timed("ada")
    unknown, _ = timed("nobody")
    unknown_times = sorted([timed("nobody2")[1], timed("nobody3")[1], timed("nobody4")[1]])
    assert (wrong.status, wrong.body) == (unknown.status, unknown.body) == (401, b"wrong user name or password\n")
    # One argon2 check takes ~0.1-0.5 s here, an answer without one ~1 ms: 0.25 keeps that apart
    # on a loaded machine (0.6 failed once with browsers running beside it: 0.19 s vs 0.46 s).
    assert unknown_times[1] > known_time * 0.25, "an unknown name is checked against a real hash too"
    for _ in range(2):
        assert login(locked, "ada", "still-wrong").status == 401
    call(locked, "GET", "/api/cameras", basic("ada", "wrong-by-basic"))  # Basic counts on the same throttle
    answer = login(locked, "ada", ADMIN[1])
    assert answer.status == 429 and int(answer.headers["Retry-After"]) >= 1, "even the right password waits"
    basic_try = call(locked, "GET", "/api/cameras", basic(*ADMIN))
    assert basic_try.status == 429 and "Retry-After" in basic_try.headers
    assert login(locked, *VIEWER).status == 200, "another account is not locked"
    for _ in range(4):
        login(locked, "nobody", "x" * 8)
    assert login(locked, "nobody", "x" * 8).status == 429, "unknown names are throttled alike"
    metrics = call(locked, "GET", "/metrics", basic(*VIEWER)).body.decode()
    failures = float(re.search(r"^camnet_login_failures_total (\S+)$", metrics, re.M).group(1))  # type: ignore[union-attr]
    assert failures >= 8 and re.search(r"^camnet_logins_throttled_total [1-9]", metrics, re.M)
    wait_until(lambda: login(locked, *ADMIN).status == 200, timeout=5, interval=0.3)


def test_a_viewer_watches_but_cannot_change_anything(locked: Hub) -> None:
    json_type = {"Content-Type": "application/json"}
    viewer = {**basic(*VIEWER), **json_type}
    assert call(locked, "DELETE", "/api/events/1", viewer).status == 403
    assert call(locked, "PUT", "/api/cameras/garage/masks", viewer, b'{"masks": []}').status == 403
    assert call(locked, "DELETE", "/api/cameras/garage", viewer).status == 403
    stream = call(locked, "POST", "/api/stream", viewer, b'{"cameras": {"garage": 1}}', limit=100)
    assert stream.status == 200, "the page's stream is a POST that changes nothing"
    as_viewer = {**cookie_of(login(locked, *VIEWER)), **json_type}
    again = json.dumps({"user": ADMIN[0], "password": ADMIN[1]}).encode()
    assert call(locked, "POST", "/login", as_viewer, again).status == 200, "a viewer may log in as someone else"
    admin = {**basic(*ADMIN), **json_type}
    assert call(locked, "PUT", "/api/cameras/garage/masks", admin, b'{"masks": []}').status == 200
    assert call(locked, "DELETE", "/api/events/1", admin).status == 404  # allowed; there is no such event


def test_cross_site_and_non_json_changes_are_refused(locked: Hub) -> None:
    admin = basic(*ADMIN)
    body = b'{"masks": []}'
    path = "/api/cameras/garage/masks"
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{locked.web.port + 1}"):
        headers = {**admin, "Origin": origin, "Content-Type": "application/json"}
        assert call(locked, "PUT", path, headers, body).status == 403, origin
    headers = {**admin, "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}
    assert call(locked, "PUT", path, headers, body).status == 403
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        assert call(locked, "PUT", path, {**admin, "Content-Type": kind}, body).status == 415, kind
    assert call(locked, "POST", "/login", {"Content-Type": "text/plain"}, b'{"user":"ada"}').status == 415
    same = {**admin, "Origin": f"http://127.0.0.1:{locked.web.port}", "Content-Type": "application/json"}
    assert call(locked, "PUT", path, same, body).status == 200


TRAVERSALS = [
    "/static/../auth.db",
    "/static/%2e%2e/%2e%2e/auth.db",
    "/static/..%2F..%2Fauth.db",
    "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/static//etc/passwd",
    "/static/%2Fetc%2Fpasswd",
    "/static/app.css%00.db",
    "/events/..%2F..%2Fauth.db/snapshot.jpg",
    "/events/1/..%2F..%2F..%2Fauth.db",
    "/events/%2e%2e/clip.mkv",
    "/events/1/clip.mkv?part=../../auth.db",
    "/events/-1/snapshot.jpg",
    "/events/1e3/snapshot.jpg",
    "/snapshot/..%2F..%2Fetc%2Fpasswd",
    "/video_feed/..%2Fauth.db",
    "/api/cameras/%2e%2e/masks",
    "/events/1/frame.jpg?t=/etc/passwd",
    "/etc/passwd",
    "/%00",
]


def test_traversal_paths_return_no_file(locked: Hub) -> None:
    admin = basic(*ADMIN)
    for path in TRAVERSALS:
        answer = call(locked, "GET", path, admin)
        assert answer.status in (400, 404, 308), f"{path} answered {answer.status}"
        assert b"SQLite format" not in answer.body and b"root:" not in answer.body, path


def test_headers_on_every_answer(locked: Hub) -> None:
    for path in ("/", "/login", "/api/cameras", "/healthz", "/static/app.js", "/nowhere"):
        headers = call(locked, "GET", path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"


def test_open_on_loopback_answers_only_loopback_names(hub: Hub) -> None:
    assert call(hub, "GET", "/api/cameras").status == 200, "no users, loopback bind: open as before"
    for host in ("localhost", f"localhost:{hub.web.port}", "[::1]:80", "127.0.0.1"):
        assert call(hub, "GET", "/api/cameras", {"Host": host}).status == 200, host
    for host in ("evil.example", f"evil.example:{hub.web.port}", "127.0.0.1.evil.example", "192.168.1.10:8000"):
        answer = call(hub, "GET", "/api/cameras", {"Host": host})
        assert answer.status == 403 and b"DNS rebinding" in answer.body, host
    hub.access.users.add("late", "late-password", "admin")
    assert call(hub, "GET", "/api/cameras").status == 401, "a user added from the shell closes the hub at once"


def test_a_hub_open_to_the_network_creates_an_admin_and_logs_its_password_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    access = Access(tmp_path, enabled=True, bind="0.0.0.0")
    access.prepare()
    [line] = [r.getMessage() for r in caplog.records if "password" in r.getMessage()]
    password = re.search(r"password (\S+) ", line).group(1)  # type: ignore[union-attr]
    assert "admin" in line and access.users.verify("admin", password) == "admin"
    assert access.required()
    caplog.clear()
    again = Access(tmp_path, enabled=True, bind="0.0.0.0")
    again.prepare()
    assert not [r for r in caplog.records if "password" in r.getMessage()], "printed once, at the first start"
    (tmp_path / "off").mkdir()
    off = Access(tmp_path / "off", enabled=False, bind="0.0.0.0")
    off.prepare()
    assert not off.required() and "OFF" in caplog.text


def test_https_from_the_hubs_own_server(hub_factory: Callable[..., Hub], tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    hub = hub_factory(tls_cert=str(cert), tls_key=str(key))
    hub.access.users.add(*ADMIN, role="admin")
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    conn = http.client.HTTPSConnection("127.0.0.1", hub.web.port, timeout=10, context=context)
    try:
        conn.request(
            "POST", "/login", json.dumps({"user": ADMIN[0], "password": ADMIN[1]}), {"Content-Type": "application/json"}
        )
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200 and "secure" in resp.headers["Set-Cookie"].lower()
    finally:
        conn.close()


def test_open_streams_end_when_their_credential_is_revoked(locked: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Revocable, "EVERY", 0.5)
    feeder = RawSender(locked.config.zmq_port)
    token = locked.access.tokens.add("frigid")
    session = cookie_of(login(locked, *VIEWER))
    conns = []
    for headers in (basic("x", token), session, basic(*ADMIN)):
        conn = http.client.HTTPConnection("127.0.0.1", locked.web.port, timeout=10)
        conn.request("GET", "/video_feed/garage?overlay=0", headers=headers)
        conns.append((conn, conn.getresponse()))
    try:
        for i in range(3):
            feeder.frame("garage", jpeg(scene(i, False, 320, 240)))
        assert all(resp.status == 200 and resp.read(200) for _, resp in conns)
        locked.access.tokens.revoke("frigid")
        locked.access.users.remove("vic")
        locked.access.users.passwd("ada", "ada-password-2")
        ended = [False] * 3
        deadline = time.monotonic() + 8
        i = 3
        while not all(ended) and time.monotonic() < deadline:
            i += 1
            feeder.frame("garage", jpeg(scene(i, False, 320, 240)))
            for n, (_, resp) in enumerate(conns):
                if not ended[n] and resp.fp is not None and not resp.read1(65536):
                    ended[n] = True
        assert all(ended), "token, session and password streams all end after revocation"
    finally:
        feeder.close()
        for conn, _ in conns:
            conn.close()


def test_a_flood_of_wrong_logins_neither_jams_the_server_nor_slows_viewers(
    hub_factory: Callable[..., Hub],
) -> None:
    hub = hub_factory(max_streams=4)  # 20 server threads: a queue of checks would take them all
    hub.access.users.add(*ADMIN, role="admin")
    feeder = RawSender(hub.config.zmq_port)
    feeder.frame("garage", jpeg(scene(0, False, 320, 240)))
    token = hub.access.tokens.add("viewer")
    stop = threading.Event()
    frames, health = [], []

    def feed() -> None:
        i = 0
        while not stop.is_set():
            feeder.frame("garage", jpeg(scene(i, False, 320, 240)))
            i += 1
            time.sleep(0.05)

    def watch() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", hub.web.port, timeout=10)
        conn.request("GET", f"/video_feed/garage?overlay=0&token={token}")
        resp = conn.getresponse()
        while not stop.is_set():
            if resp.read1(65536):
                frames.append(time.monotonic())
        conn.close()

    def probe() -> None:
        while not stop.is_set():
            started = time.monotonic()
            call(hub, "GET", "/healthz")
            health.append(time.monotonic() - started)
            time.sleep(0.05)

    answers: list[tuple[int, float]] = []

    def wrong(n: int) -> None:
        started = time.monotonic()
        by_basic = call(hub, "GET", "/api/cameras", basic(f"u{n}", "x" * 9)) if n % 2 == 0 else None
        status = (by_basic or login(hub, "admin", f"guess-{n}")).status
        answers.append((status, time.monotonic() - started))

    helpers = [threading.Thread(target=f, daemon=True) for f in (feed, watch, probe)]
    for t in helpers:
        t.start()
    wait_until(lambda: len(frames) > 5)
    flood = [threading.Thread(target=wrong, args=(n,)) for n in range(60)]
    during = len(frames), time.monotonic()
    for t in flood:
        t.start()
    for t in flood:
        t.join(20)
    frames_during = (len(frames) - during[0]) / (time.monotonic() - during[1])
    stop.set()
    for t in helpers:
        t.join(12)
    feeder.close()
    assert len(answers) == 60 and {s for s, _ in answers} <= {401, 429, 503}, answers
    assert max(took for _, took in answers) < 5, "every request of the flood is answered within seconds"
    assert max(health) < 1.5, f"/healthz took {max(health):.2f} s during the flood"
    assert frames_during > 3, "the live viewer kept receiving frames"


def test_a_basic_password_is_checked_once_then_remembered_until_it_changes(
    locked: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = []
    real = locked.access.users.verify
    monkeypatch.setattr(locked.access.users, "verify", lambda *a: checks.append(a) or real(*a))
    for _ in range(10):
        assert call(locked, "GET", "/api/cameras", basic(*VIEWER)).status == 200
    assert len(checks) == 1, "Home Assistant with a password pays argon2 once, not per request"
    assert call(locked, "GET", "/api/cameras", basic(VIEWER[0], "vic-password-2")).status == 401
    locked.access.users.passwd(VIEWER[0], "vic-password-2")
    assert call(locked, "GET", "/api/cameras", basic(*VIEWER)).status == 401, "a new password forgets the old one"
    assert call(locked, "GET", "/api/cameras", basic(VIEWER[0], "vic-password-2")).status == 200


def test_the_dummy_hash_is_made_at_start(locked: Hub) -> None:
    assert locked.access.users._dummy is not None, "a first burst of unknown names runs no hashing of its own"


@pytest.mark.parametrize("auth", [True, False], ids=["users", "no-auth"])
def test_only_this_hubs_names_are_answered_and_origins_are_compared_with_them(
    hub_factory: Callable[..., Hub], auth: bool
) -> None:
    hub = hub_factory(auth=auth, allowed_hosts=("cams.home.arpa",), public_url="https://cams.example.net/")
    if auth:
        hub.access.users.add(*ADMIN, role="admin")
    sender = RawSender(hub.config.zmq_port)
    sender.frame("garage", jpeg(scene(0, False, 320, 240)))
    sender.close()
    who = basic(*ADMIN) if auth else {}
    port = hub.web.port
    evil = {"Host": f"rebind.evil.example:{port}", "Origin": f"http://rebind.evil.example:{port}"}
    mask = b'{"masks": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}'
    json_type = {"Content-Type": "application/json"}
    answer = call(hub, "GET", "/api/cameras", {**who, "Host": evil["Host"]})
    assert answer.status == 403 and b"--allowed-hosts rebind.evil.example" in answer.body
    assert call(hub, "PUT", "/api/cameras/garage/masks", {**who, **evil, **json_type}, mask).status == 403
    for host in (f"cams.home.arpa:{port}", "cams.example.net", f"127.0.0.1:{port}", f"localhost:{port}"):
        assert call(hub, "GET", "/api/cameras", {**who, "Host": host}).status == 200, host
    same = {"Host": f"cams.home.arpa:{port}", "Origin": f"http://cams.home.arpa:{port}"}
    assert call(hub, "PUT", "/api/cameras/garage/masks", {**who, **same, **json_type}, b'{"masks": []}').status == 200
    crossed = {"Host": f"cams.home.arpa:{port}", "Origin": f"http://rebind.evil.example:{port}"}
    assert call(hub, "PUT", "/api/cameras/garage/masks", {**who, **crossed, **json_type}, mask).status == 403
    assert hub.masks.get("garage") == (), "no mask was saved by a foreign page"


def test_open_on_loopback_refuses_what_came_through_a_proxy(hub: Hub) -> None:
    assert call(hub, "GET", "/api/cameras").status == 200
    for header in ("X-Forwarded-For", "Forwarded", "Via"):
        answer = call(hub, "GET", "/api/cameras", {header: "203.0.113.7"})
        assert answer.status == 403 and header.encode() in answer.body, header


def test_a_trusted_proxy_names_the_client_and_the_scheme(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(trusted_proxy=("127.0.0.1",))
    hub.access.users.add(*ADMIN, role="admin")
    body = json.dumps({"user": ADMIN[0], "password": ADMIN[1]}).encode()
    behind_tls = {"Content-Type": "application/json", "X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}
    answer = call(hub, "POST", "/login", behind_tls, body)
    assert answer.status == 200 and "secure" in answer.headers["Set-Cookie"].lower()
    wrong = json.dumps({"user": ADMIN[0], "password": "not-the-password"}).encode()
    for _ in range(4):
        call(hub, "POST", "/login", {**behind_tls, "X-Forwarded-For": "198.51.100.66"}, wrong)
    assert call(hub, "POST", "/login", {**behind_tls, "X-Forwarded-For": "198.51.100.66"}, body).status == 429
    assert call(hub, "POST", "/login", behind_tls, body).status == 200, "the owner's address is not locked"
    untrusted = hub_factory()
    untrusted.access.users.add(*ADMIN, role="admin")
    plain = call(untrusted, "POST", "/login", behind_tls, body)
    assert plain.status == 200 and "secure" not in plain.headers["Set-Cookie"].lower(), "no proxy trusted: ignored"


def test_a_page_never_takes_a_token_and_its_login_link_drops_it(locked: Hub) -> None:
    token = locked.access.tokens.add("kiosk")
    answer = call(locked, "GET", f"/?cols=2&token={token}")
    assert answer.status == 302 and answer.headers["Location"] == "/login?next=%2F%3Fcols%3D2"
    wrong = call(locked, "GET", "/events?token=camnet_wrong")
    assert wrong.status == 302 and "token" not in wrong.headers["Location"]
    assert call(locked, "GET", f"/api/cameras?token={token}").status == 200, "media and API routes take it"
