"""Inbox and outbox: dedupe, retries with backoff, crash recovery, comment cursors."""

from __future__ import annotations

import pytest

from bot.store import messages as box
from bot.store.db import make_engine, make_session_factory, migrate


@pytest.fixture
def factory(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate(url)
    return make_session_factory(make_engine(url))


def _in(key="k1", text="你好") -> box.Inbound:
    return box.Inbound("dm", key, "42", "42", text, {"created_at": "x"})


def test_duplicate_inbound_is_stored_once(factory):
    assert box.store_inbound(factory, _in()) is not None
    assert box.store_inbound(factory, _in()) is None
    assert box.counts(factory)["inbox"] == {"received": 1}


def test_claim_then_finish_queues_replies_once(factory):
    inbox_id = box.store_inbound(factory, _in())
    [row] = box.claim_inbound(factory, 10)
    assert row["id"] == inbox_id and row["attempts"] == 1
    assert box.claim_inbound(factory, 10) == []  # processing rows are not handed out twice
    reply = {"channel": "dm", "receiver_id": "42", "text": "您好"}
    box.finish_inbound(factory, inbox_id, [reply], "answer/pre_sales")
    box.finish_inbound(factory, inbox_id, [reply], "answer/pre_sales")  # a repeated finish adds nothing
    assert box.counts(factory) == {"inbox": {"done": 1}, "outbox": {"pending": 1}}
    assert box.get_inbound(factory, inbox_id)["outcome"] == "answer/pre_sales"


def test_processing_rows_left_by_a_crash_are_retried_after_the_grace_period(factory):
    box.store_inbound(factory, _in())
    box.claim_inbound(factory, 10)
    assert box.claim_inbound(factory, 10, stale_after=60) == []
    [again] = box.claim_inbound(factory, 10, stale_after=0)
    assert again["attempts"] == 2


def test_send_retries_back_off_and_give_up(factory):
    box.enqueue_reply(factory, "r1", {"channel": "dm", "receiver_id": "1", "text": "hi"})
    assert box.enqueue_reply(factory, "r1", {"channel": "dm", "receiver_id": "1", "text": "hi"}) is None
    [row] = box.claim_due(factory, 5)
    assert box.mark_retry(factory, row["id"], row["attempts"], "503") is True
    assert box.claim_due(factory, 5) == []  # not due until the backoff passes
    assert 0 < box.next_due_in(factory) <= box.BACKOFF_SECONDS[0]
    assert box.mark_retry(factory, row["id"], box.MAX_SEND_ATTEMPTS, "503") is False
    assert box.counts(factory)["outbox"] == {"failed": 1}


def test_rows_caught_sending_by_a_crash_are_never_resent(factory):
    box.enqueue_reply(factory, "r1", {"channel": "dm", "receiver_id": "1", "text": "hi"})
    box.claim_due(factory, 5)
    [stuck] = box.recover_after_crash(factory)
    assert stuck["idempotency_key"] == "r1"
    assert box.claim_due(factory, 5) == []
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
    rows = box.claim_due(factory, 5)
    box.mark_sent(factory, *[r["id"] for r in rows[:2]])
    assert box.counts(factory)["outbox"] == {"sent": 2, "sending": 1}


def test_threads_share_a_sqlite_file_without_losing_or_blocking_writes(factory):
    """Transactions take turns within the process; a failed one (a duplicate) releases its turn."""
    from concurrent.futures import ThreadPoolExecutor

    def store(n: int) -> bool:
        return box.store_inbound(factory, _in(key=f"k{n % 150}", text=f"消息{n}")) is not None

    with ThreadPoolExecutor(8) as pool:
        stored = list(pool.map(store, range(300), timeout=60))
    assert sum(stored) == 150
    assert box.counts(factory)["inbox"] == {"received": 150}
