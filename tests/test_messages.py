"""Inbox and outbox, on SQLite and PostgreSQL: dedupe, leases, retries with backoff, crash
recovery, comment cursors."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.errors import LeaseLost
from bot.store import messages as box
from bot.store.tables import inbox_events


def _in(key="k1", text="你好") -> box.Inbound:
    return box.Inbound("dm", key, "42", "42", text, {"created_at": "x"})


def test_duplicate_inbound_is_stored_once(factory):
    assert box.store_inbound(factory, _in()) is not None
    assert box.store_inbound(factory, _in()) is None
    assert box.counts(factory)["inbox"] == {"received": 1}


REPLY = {"channel": "dm", "receiver_id": "42", "text": "您好"}


def _finish(factory, lease: box.Lease, replies=(), outcome="answer/pre_sales") -> None:
    with factory.begin() as session:
        box.finish_leased(session, lease, list(replies), outcome)


def _events(factory) -> list:
    with factory() as session:
        return [(e.kind, e.worker_id, e.attempt) for e in session.execute(select(inbox_events)
                                                                       .order_by(inbox_events.c.id)).all()]


def test_a_leased_row_is_finished_once_with_its_replies(factory):
    inbox_id = box.store_inbound(factory, _in())
    [row] = box.claim_inbound(factory, 10, "w1")
    assert (row["id"], row["attempts"], row["worker_id"]) == (inbox_id, 1, "w1")
    assert box.claim_inbound(factory, 10, "w2") == []  # a leased row is not handed out twice
    lease = box.Lease.of(row)
    _finish(factory, lease, [REPLY])
    with pytest.raises(LeaseLost):
        _finish(factory, lease, [REPLY])  # a repeated finish is refused and adds nothing
    assert box.counts(factory) == {"inbox": {"done": 1}, "outbox": {"pending": 1}}
    assert box.get_inbound(factory, inbox_id)["outcome"] == "answer/pre_sales"
    assert _events(factory) == [("done", "w1", 1)]


def test_a_row_whose_lease_expired_goes_to_another_worker_and_the_stale_one_cannot_finish_or_release(factory):
    box.store_inbound(factory, _in())
    [first] = box.claim_inbound(factory, 10, "w1", lease_seconds=0)
    [second] = box.claim_inbound(factory, 10, "w2")
    assert (second["attempts"], second["worker_id"]) == (2, "w2")
    with pytest.raises(LeaseLost):
        _finish(factory, box.Lease.of(first), [REPLY])
    assert box.release_inbound(factory, box.Lease.of(first), "late") is False
    assert box.counts(factory) == {"inbox": {"processing": 1}, "outbox": {}}  # the stale worker wrote nothing
    _finish(factory, box.Lease.of(second), [REPLY])
    assert box.counts(factory) == {"inbox": {"done": 1}, "outbox": {"pending": 1}}


def test_a_released_row_is_claimed_again_with_the_next_attempt_number(factory):
    box.store_inbound(factory, _in())
    [row] = box.claim_inbound(factory, 10, "w1")
    assert box.release_inbound(factory, box.Lease.of(row), "rasa timed out") is True
    [again] = box.claim_inbound(factory, 10, "w1")
    assert again["attempts"] == 2 and again["error"] == "rasa timed out"
    assert _events(factory) == [("retry", "w1", 1)]


def test_send_retries_back_off_and_give_up(factory):
    box.enqueue_reply(factory, "r1", {"channel": "dm", "receiver_id": "1", "text": "hi"})
    assert box.enqueue_reply(factory, "r1", {"channel": "dm", "receiver_id": "1", "text": "hi"}) is None
    [row] = box.claim_due(factory, 5, "w1")
    delay = box.retry_delay(row["attempts"])
    assert delay == box.BACKOFF_SECONDS[0]
    box.mark_retry(factory, "w1", row["id"], delay, "503")
    assert box.claim_due(factory, 5, "w1") == []  # not due until the backoff passes
    assert 0 < box.next_due_in(factory) <= box.BACKOFF_SECONDS[0]
    assert box.retry_delay(box.MAX_SEND_ATTEMPTS) is None


def test_a_retry_with_a_variant_text_sends_the_variant(factory):
    box.enqueue_reply(factory, "r1", {"channel": "comment", "receiver_id": "1", "text": "价格 2999 元"})
    [row] = box.claim_due(factory, 5, "w1")
    box.mark_retry(factory, "w1", row["id"], 0.0, "repeated content", "亲，价格 2999 元")
    [again] = box.claim_due(factory, 5, "w1")
    assert (again["text"], again["attempts"]) == ("亲，价格 2999 元", 2)


def _recover(factory) -> list:
    with factory.begin() as session:
        return box.recover_sends(session)


def test_rows_a_live_worker_is_sending_are_left_alone(factory):
    box.enqueue_reply(factory, "r1", {"channel": "dm", "receiver_id": "1", "text": "hi"})
    box.claim_due(factory, 5, "w1")
    assert _recover(factory) == []  # another worker starting now must not flag them
    assert box.counts(factory)["outbox"] == {"sending": 1}


def test_rows_caught_sending_by_a_crash_are_never_resent(factory, monkeypatch):
    monkeypatch.setattr(box, "SEND_DEADLINE_SECONDS", 0.0)  # the worker died at once
    box.enqueue_reply(factory, "r1", {"channel": "dm", "receiver_id": "1", "text": "hi"})
    box.claim_due(factory, 5, "w1")
    [stuck] = _recover(factory)
    assert stuck["idempotency_key"] == "r1"
    assert box.claim_due(factory, 5, "w1") == []
    assert box.counts(factory)["outbox"] == {"uncertain": 1}


def test_comment_cursor_moves_with_the_stored_comments(factory):
    comments = [box.Inbound("comment", f"comment:{i}", "7", "p:7", f"评论{i}", {"cid": str(i), "post_id": "p"})
                for i in (101, 102)]
    assert box.store_comments(factory, "to_me", "102", comments) == 2
    assert box.get_cursor(factory, "to_me") == "102"
    assert box.store_comments(factory, "to_me", "102", comments[1:]) == 0  # overlap is not stored twice


def test_a_delivered_batch_is_marked_sent_in_one_call(factory):
    for n in range(3):
        box.enqueue_reply(factory, f"r{n}", {"channel": "dm", "receiver_id": "42", "text": f"回复{n}"})
    rows = box.claim_due(factory, 5, "w1")
    assert box.mark_sent(factory, "w1", *[r["id"] for r in rows[:2]]) == 2
    assert box.counts(factory)["outbox"] == {"sent": 2, "sending": 1}


def test_threads_share_a_database_without_losing_or_blocking_writes(factory):
    """Transactions take turns within the process; a failed one (a duplicate) releases its turn."""
    from concurrent.futures import ThreadPoolExecutor

    def store(n: int) -> bool:
        return box.store_inbound(factory, _in(key=f"k{n % 150}", text=f"消息{n}")) is not None

    with ThreadPoolExecutor(8) as pool:
        stored = list(pool.map(store, range(300), timeout=60))
    assert sum(stored) == 150
    assert box.counts(factory)["inbox"] == {"received": 150}


def test_a_worker_renews_only_the_leases_of_rows_it_is_still_working_on(factory):
    for key in ("k1", "k2"):
        box.store_inbound(factory, _in(key=key))
    first, second = box.claim_inbound(factory, 10, "w1", lease_seconds=1)
    assert box.renew_leases(factory, "w1", [first["id"]], lease_seconds=60) == 1
    assert box.renew_leases(factory, "w2", [second["id"]]) == 0  # not its lease
    time.sleep(1.1)  # the unrenewed lease runs out: its row goes to the next claim
    [again] = box.claim_inbound(factory, 10, "w2")
    assert (again["id"], again["attempts"]) == (second["id"], 2)


def test_recovery_runs_its_per_row_work_once_in_the_same_transaction(factory, monkeypatch):
    monkeypatch.setattr(box, "SEND_DEADLINE_SECONDS", 0.0)
    box.enqueue_reply(factory, "r1", {"channel": "dm", "receiver_id": "1", "text": "hi"})
    box.claim_due(factory, 5, "w1")
    seen = []
    with factory.begin() as session:
        box.recover_sends(session, lambda s, row: seen.append((s is session, row["idempotency_key"])))
    with factory.begin() as session:
        assert box.recover_sends(session, lambda s, row: seen.append(row)) == []  # already flagged
    assert seen == [(True, "r1")]


def test_a_send_belongs_to_the_worker_that_claimed_it(factory):
    box.enqueue_reply(factory, "r1", REPLY)
    [row] = box.claim_due(factory, 5, "w1")
    assert row["worker_id"] == "w1"
    assert box.mark_sent(factory, "w2", row["id"]) == 0  # another worker cannot settle it
    assert box.mark_retry(factory, "w2", row["id"], 0.0, "503") is False
    with factory.begin() as session:
        assert box.mark_undelivered(session, "w2", row["id"], "failed", "refused") is False
    assert box.counts(factory)["outbox"] == {"sending": 1}
    assert box.mark_sent(factory, "w1", row["id"]) == 1


def test_a_send_recovered_as_uncertain_is_not_marked_sent_or_retried_by_its_late_worker(factory, monkeypatch):
    monkeypatch.setattr(box, "SEND_DEADLINE_SECONDS", 0.0)  # the worker stalled past its deadline
    box.enqueue_reply(factory, "r1", REPLY)
    [row] = box.claim_due(factory, 5, "w1")
    assert len(_recover(factory)) == 1
    assert box.mark_retry(factory, "w1", row["id"], 0.0, "503") is False  # never sent again
    assert box.mark_sent(factory, "w1", row["id"]) == 0
    assert box.counts(factory)["outbox"] == {"uncertain": 1}


def test_a_worker_renews_the_deadline_of_only_its_own_sends(factory, monkeypatch):
    box.enqueue_reply(factory, "r1", REPLY)
    [row] = box.claim_due(factory, 5, "w1")
    assert box.renew_sends(factory, "w2", [row["id"]]) == 0
    assert box.renew_sends(factory, "w1", [row["id"]]) == 1
    assert _recover(factory) == []


def test_comments_are_stored_only_while_their_poller_holds_the_lease(factory):
    from bot.store import leases

    comments = [box.Inbound("comment", "comment:5", "7", "p:7", "评论", {"cid": "5", "post_id": "p"})]
    with pytest.raises(LeaseLost):
        box.store_comments(factory, "to_me", "5", comments, holder="w1")  # w1 never took the lease
    assert box.get_cursor(factory, "to_me") is None and box.counts(factory)["inbox"] == {}
    assert leases.acquire(factory, leases.COMMENT_POLLER, "w1", 30)
    assert box.store_comments(factory, "to_me", "5", comments, holder="w1") == 1
