"""Password checks that a stranger cannot jam, and a throttle that cannot lock the owner out.

- ``Checks``: at most ``AT_ONCE`` argon2 checks run at a time and at most ``PER_CLIENT`` for
  one client address; a request past either is refused at once (``Busy``), never queued on a
  web thread, so a flood of wrong logins cannot hold the server's threads.
- ``Verified``: a successful HTTP Basic check is remembered for ``KEEP`` seconds under a keyed
  hash of the credential, so Home Assistant with a password pays argon2 once, not per request.
- ``LoginThrottle``: failures counted per (account, client address) with growing locks, plus a
  softer cap per account and one per address: a player with an old password locks only itself,
  a stranger cannot lock ``admin`` for long, and inventing names buys no fresh guesses (a
  locked entry is never evicted).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


class Busy(Exception):
    """No password check now: the checker or this client's share of it is full."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


class Checks:
    """Slots for password checks: a bounded total and a bounded share per client address."""

    AT_ONCE = 2  # an argon2 check costs ~0.1 s of one core and 64 MiB
    PER_CLIENT = 1

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards both counts: web threads take and give slots
        self._running = 0
        self._by_client: dict[str, int] = {}
        self.refused_total = 0  # for /metrics

    def slot(self, client: str) -> _Slot:
        """A slot to run one check in (``with checks.slot(addr): ...``); raises ``Busy``."""
        with self._lock:
            if self._by_client.get(client, 0) >= self.PER_CLIENT:
                self.refused_total += 1
                raise Busy(f"a password check from {client} is already running; try again in a second", 429)
            if self._running >= self.AT_ONCE:
                self.refused_total += 1
                raise Busy("the hub is checking other passwords; try again in a second", 503)
            self._running += 1
            self._by_client[client] = self._by_client.get(client, 0) + 1
        return _Slot(self, client)

    def _release(self, client: str) -> None:
        with self._lock:
            self._running -= 1
            left = self._by_client.pop(client) - 1
            if left:
                self._by_client[client] = left


class _Slot:
    def __init__(self, checks: Checks, client: str) -> None:
        self._checks, self._client = checks, client

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        self._checks._release(self._client)


@dataclass(frozen=True)
class Remembered:
    user: str
    role: str
    stored: str  # the user's hash when checked: a new password forgets it
    until: float


class Verified:
    """Successful HTTP Basic checks, kept for ``KEEP`` s under an HMAC of the credential
    (a random key of this process: the table reveals no password even in a memory dump)."""

    KEEP = 300.0
    MOST = 256

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()  # web threads read and write the table
        self._table: OrderedDict[bytes, Remembered] = OrderedDict()

    def _id(self, user: str, password: str) -> bytes:
        return hmac.new(self._key, f"{user}\0{password}".encode(), hashlib.sha256).digest()

    def find(self, user: str, password: str) -> Remembered | None:
        key = self._id(user, password)
        with self._lock:
            found = self._table.get(key)
            if found is not None and found.until < self._clock():
                del self._table[key]
                return None
            return found

    def keep(self, user: str, password: str, role: str, stored: str) -> None:
        key = self._id(user, password)
        with self._lock:
            self._table.pop(key, None)
            self._table[key] = Remembered(user, role, stored, self._clock() + self.KEEP)
            while len(self._table) > self.MOST:
                self._table.popitem(last=False)

    def forget(self, user: str, password: str) -> None:
        with self._lock:
            self._table.pop(self._id(user, password), None)


@dataclass
class _Count:
    failures: int = 0
    until: float = 0.0  # locked until (monotonic)


class LoginThrottle:
    """Failed logins with growing locks, at three levels (the longest wait applies):

    - per account and address: ``FREE`` failures, then 1, 2, 4 ... s up to ``LONGEST``;
    - per account, from any address: ``ACCOUNT_FREE`` failures, then up to ``ACCOUNT_LONGEST``
      (soft: a stranger can hold an account for a minute at most, not fifteen);
    - per address, on any name: ``ADDRESS_FREE`` failures, then up to ``LONGEST`` (inventing
      names buys no guesses).

    A success clears its account's and pair's counts. Unknown names count like real ones, so
    the answers say nothing about which names exist. Entries still locked are never evicted.
    """

    FREE, LONGEST = 3, 900.0
    ACCOUNT_FREE, ACCOUNT_LONGEST = 20, 60.0
    ADDRESS_FREE = 20
    ENTRIES = 30_000  # per level, at most (unlocked ones are evicted first)

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()  # web threads count concurrently
        self._levels: dict[str, OrderedDict[str, _Count]] = {"pair": OrderedDict(), "account": OrderedDict(),
                                                            "address": OrderedDict()}  # fmt: skip
        self.failed_total = 0  # wrong passwords, for /metrics
        self.throttled_total = 0  # tries refused while they wait

    @staticmethod
    def _keys(name: str, address: str) -> dict[str, str]:
        account = name.casefold()
        return {"pair": f"{account}\0{address}", "account": account, "address": address}

    def wait(self, name: str, address: str) -> float:
        """Seconds before ``name`` may be tried again from ``address`` (0: now)."""
        now = self._clock()
        with self._lock:
            left = 0.0
            for level, key in self._keys(name, address).items():
                count = self._levels[level].get(key)
                if count is not None:
                    left = max(left, count.until - now)
            self.throttled_total += left > 0
        return left

    def full(self) -> bool:
        """True when a level is full of locked entries: a new failure could not be counted."""
        with self._lock:
            return any(len(table) >= self.ENTRIES and not self._evictable(table) for table in self._levels.values())

    def failed(self, name: str, address: str) -> None:
        now = self._clock()
        rules = {"pair": (self.FREE, self.LONGEST), "account": (self.ACCOUNT_FREE, self.ACCOUNT_LONGEST),
                 "address": (self.ADDRESS_FREE, self.LONGEST)}  # fmt: skip
        with self._lock:
            self.failed_total += 1
            for level, key in self._keys(name, address).items():
                table = self._levels[level]
                count = table.pop(key, None) or _Count()
                count.failures += 1
                free, longest = rules[level]
                if count.failures > free:
                    count.until = now + min(longest, 2.0 ** (count.failures - free - 1))
                table[key] = count
                while len(table) > self.ENTRIES:
                    oldest = self._evictable(table)
                    if oldest is None:
                        break  # every entry is locked: keep them all (full() refuses new checks)
                    del table[oldest]

    def _evictable(self, table: OrderedDict[str, _Count]) -> str | None:
        """The least recently failed entry whose lock has run out, if any."""
        now = self._clock()
        for key, count in table.items():
            if count.until <= now:
                return key
        return None

    def succeeded(self, name: str, address: str) -> None:
        keys = self._keys(name, address)
        with self._lock:
            self._levels["pair"].pop(keys["pair"], None)
            self._levels["account"].pop(keys["account"], None)
