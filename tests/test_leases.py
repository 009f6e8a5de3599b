"""Named leases on SQLite and PostgreSQL: one holder at a time, takeover only after expiry,
fencing of a holder that lost its lease; and concurrent claims of inbox and outbox rows by
several workers, each row to exactly one."""

from __future__ import annotations

import threading
import time

import pytest

from bot.errors import LeaseLost
from bot.store import leases
from bot.store import messages as box

NAME = leases.COMMENT_POLLER


def test_only_one_worker_holds_a_lease_and_its_holder_renews_it(factory):
    assert leases.acquire(factory, NAME, "w1", 30)
    assert not leases.acquire(factory, NAME, "w2", 30)
    assert leases.acquire(factory, NAME, "w1", 30)  # renewal
    assert leases.holder_of(factory, NAME) == "w1"


def test_an_expired_lease_is_taken_over_and_its_old_holder_is_fenced_off(factory):
    assert leases.acquire(factory, NAME, "w1", 0.2)
    time.sleep(0.3)
    assert leases.holder_of(factory, NAME) is None
    assert leases.acquire(factory, NAME, "w2", 30)
    assert not leases.acquire(factory, NAME, "w1", 30)
    with factory.begin() as session, pytest.raises(LeaseLost, match="no longer held by w1"):
        leases.fence(session, NAME, "w1")


def test_a_released_lease_is_free_at_once(factory):
    assert leases.acquire(factory, NAME, "w1", 30)
    leases.release(factory, NAME, "w2")  # not its lease: nothing changes
    assert leases.holder_of(factory, NAME) == "w1"
    leases.release(factory, NAME, "w1")
    assert leases.acquire(factory, NAME, "w2", 30)


def _race(workers: int, attempt) -> list:
    """Run `attempt(worker_id)` in several threads at once; what each returned."""
    start = threading.Barrier(workers)
    results: list = [None] * workers

    def run(i: int) -> None:
        start.wait()
        results[i] = attempt(f"w{i}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_of_workers_racing_for_a_free_lease_exactly_one_gets_it(factory):
    won = _race(6, lambda worker: leases.acquire(factory, NAME, worker, 30))
    assert won.count(True) == 1


@pytest.mark.parametrize("claim, fill", [
    (lambda f, w: box.claim_inbound(f, 7, w),
     lambda f, n: box.store_inbound(f, box.Inbound("dm", f"k{n}", "1", "1", "你好", {}))),
    (lambda f, w: box.claim_due(f, 7, w),
     lambda f, n: box.enqueue_reply(f, f"r{n}", {"channel": "dm", "receiver_id": "1", "text": "您好"})),
], ids=["inbox", "outbox"])
def test_workers_claiming_at_once_each_get_different_rows(factory, claim, fill):
    for n in range(40):
        fill(factory, n)
    taken: list = []
    for _ in range(3):  # a few rounds: every worker takes a batch each round
        for rows in _race(4, lambda worker: claim(factory, worker)):
            taken += [(row["id"], row["worker_id"]) for row in rows]
    ids = [i for i, _ in taken]
    assert len(ids) == len(set(ids)) == 40  # every row to exactly one worker
