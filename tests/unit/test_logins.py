"""The login throttle and the checker's slots, with a clock the test moves."""

from __future__ import annotations

import threading

import pytest

from hub.security.logins import Busy, Checks, LoginThrottle, Verified


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: LoginThrottle, name: str, address: str, times: int) -> None:
    for _ in range(times):
        throttle.failed(name, address)


def test_an_old_password_on_one_device_locks_only_that_device() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    fail(throttle, "admin", "10.0.0.9", 12)  # a player left with the old password
    assert throttle.wait("admin", "10.0.0.9") > 60
    assert throttle.wait("admin", "10.0.0.2") == 0, "the owner's phone is not locked out"
    assert throttle.wait("Admin", "10.0.0.9") > 0, "names are compared case-insensitively"


def test_a_stranger_can_hold_an_account_a_minute_at_most() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    for n in range(200):  # guesses from many addresses
        throttle.failed("admin", f"10.1.{n // 250}.{n % 250}")
    left = throttle.wait("admin", "192.168.1.5")
    assert 0 < left <= LoginThrottle.ACCOUNT_LONGEST
    clock.now += LoginThrottle.ACCOUNT_LONGEST + 0.1
    assert throttle.wait("admin", "192.168.1.5") == 0


def test_inventing_names_buys_no_fresh_guesses() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    fail(throttle, "admin", "10.0.0.66", 6)
    locked = throttle.wait("admin", "10.0.0.66")
    assert locked > 0
    for n in range(LoginThrottle.ENTRIES + 500):  # from addresses of its own, to pass the address cap
        throttle.failed(f"invented{n}", f"10.2.{n // 250 % 250}.{n % 250}")
    assert throttle.wait("admin", "10.0.0.66") == pytest.approx(locked), "a locked entry is never evicted"
    fail(throttle, "someone", "10.0.0.77", LoginThrottle.ADDRESS_FREE + 1)
    assert throttle.wait("anyone-else", "10.0.0.77") > 0, "one address spraying names is locked too"


def test_a_success_clears_its_account_and_pair_but_not_other_pairs() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    fail(throttle, "ada", "10.0.0.1", 3)
    fail(throttle, "ada", "10.0.0.2", 5)
    throttle.succeeded("ada", "10.0.0.1")
    throttle.failed("ada", "10.0.0.1")
    assert throttle.wait("ada", "10.0.0.1") == 0, "counting starts again after a success"
    assert throttle.wait("ada", "10.0.0.2") > 0


def test_checks_refuse_at_once_when_full_never_queue() -> None:
    checks = Checks()
    with checks.slot("10.0.0.1"):
        with pytest.raises(Busy) as same:
            checks.slot("10.0.0.1")
        assert same.value.status == 429
        with checks.slot("10.0.0.2"):
            with pytest.raises(Busy) as full:
                checks.slot("10.0.0.3")
            assert full.value.status == 503
    with checks.slot("10.0.0.1"), checks.slot("10.0.0.3"):
        pass  # every slot was given back
    assert checks.refused_total == 2


def test_checks_count_right_under_many_threads() -> None:
    checks = Checks()
    got, refused = [], []
    barrier = threading.Barrier(16)

    def one(n: int) -> None:
        barrier.wait()
        try:
            with checks.slot(f"10.0.0.{n}"):
                got.append(n)
                barrier_after.wait()
        except Busy:
            refused.append(n)
            barrier_after.wait()

    barrier_after = threading.Barrier(16)
    threads = [threading.Thread(target=one, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(got) == Checks.AT_ONCE and len(refused) == 16 - Checks.AT_ONCE


def test_verified_credentials_expire_and_are_keyed_by_the_whole_credential() -> None:
    clock = Clock()
    verified = Verified(clock)
    verified.keep("ada", "right-password", "admin", "$argon2id$stored")
    assert verified.find("ada", "right-password") is not None
    assert verified.find("ada", "right-passwordX") is None and verified.find("adb", "right-password") is None
    clock.now += Verified.KEEP + 1
    assert verified.find("ada", "right-password") is None
