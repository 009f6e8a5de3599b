"""The sign-in throttle, from the log of attempts (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.store import operators, sign_ins
from bot.store.tables import web_sessions

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def _fail(factory, times: int, name: str = "alice", address: str = "10.0.0.1", start: datetime = T0) -> datetime:
    at = start
    for i in range(times):
        at = start + timedelta(seconds=i)
        sign_ins.record(factory, name, address, sign_ins.FAILED, at)
    return at


def test_five_failures_in_a_row_are_heard_then_each_try_waits_longer(factory):
    last = _fail(factory, sign_ins.ACCOUNT_FREE_FAILURES - 1)
    assert sign_ins.wait_seconds(factory, "alice", "10.0.0.1", last) == 0
    last = _fail(factory, 1, start=last + timedelta(seconds=1))
    assert sign_ins.wait_seconds(factory, "alice", "10.0.0.9", last) == pytest.approx(2)
    last = _fail(factory, 1, start=last + timedelta(seconds=2))
    assert sign_ins.wait_seconds(factory, "alice", "10.0.0.9", last) == pytest.approx(4)
    assert sign_ins.wait_seconds(factory, "alice", "10.0.0.9", last + timedelta(seconds=4)) == 0
    assert sign_ins.wait_seconds(factory, "bob", "10.0.0.9", last) == 0  # another account is not held up


def test_the_wait_is_capped_and_a_successful_sign_in_clears_it(factory):
    last = _fail(factory, 40)
    assert sign_ins.wait_seconds(factory, "alice", "10.0.0.2", last) == pytest.approx(sign_ins.MAX_WAIT.total_seconds())
    sign_ins.record(factory, "alice", "10.0.0.2", sign_ins.OK, last + timedelta(minutes=20))
    assert sign_ins.wait_seconds(factory, "alice", "10.0.0.2", last + timedelta(minutes=20, seconds=1)) == 0


def test_throttled_tries_do_not_prolong_the_lock(factory):
    last = _fail(factory, sign_ins.ACCOUNT_FREE_FAILURES)
    for i in range(20):
        sign_ins.record(factory, "alice", "10.0.0.1", sign_ins.THROTTLED, last + timedelta(milliseconds=10 * i))
    assert sign_ins.wait_seconds(factory, "alice", "10.0.0.1", last + timedelta(seconds=2)) == 0


def test_one_address_guessing_many_accounts_is_held_for_the_window(factory):
    for i in range(sign_ins.ADDRESS_FREE_FAILURES):
        sign_ins.record(factory, f"user{i}", "10.0.0.7", sign_ins.FAILED, T0 + timedelta(seconds=i))
    at = T0 + timedelta(seconds=sign_ins.ADDRESS_FREE_FAILURES)
    assert sign_ins.wait_seconds(factory, "someone", "10.0.0.7", at) == pytest.approx(
        (sign_ins.WINDOW - timedelta(seconds=sign_ins.ADDRESS_FREE_FAILURES)).total_seconds())
    assert sign_ins.wait_seconds(factory, "someone", "10.0.0.8", at) == 0


def test_opening_a_session_purges_the_expired_ones(factory):
    operators.add(factory, "alice", "correct-horse-1", role="operator")
    with factory.begin() as session:
        session.execute(web_sessions.insert().values(token_hash="old", operator="alice", csrf_token="x",
                                                     created_at=T0 - timedelta(days=3),
                                                     expires_at=T0 - timedelta(days=2)))
    operators.open_session(factory, "alice")
    with factory() as session:
        hashes = session.execute(select(web_sessions.c.token_hash)).scalars().all()
        assert "old" not in hashes and session.execute(select(func.count()).select_from(web_sessions)).scalar() == 1
