"""The handoff queue on SQLite and on PostgreSQL: lifecycle, audit trail, concurrency."""

from __future__ import annotations

import threading

import pytest

from bot.errors import QueueError
from bot.store import queue
from bot.store.db import migrate
from bot.store.queue import NewTicket


def _ticket(conversation="c1", department="after_sales", priority=0, text="屏幕有绿线") -> NewTicket:
    return NewTicket(channel="dm", fan_id="fan-1", conversation_id=conversation, department=department,
                     reason="needs_human", original_text=text, normalised_text=text,
                     intent="device_fault", confidence=0.9, priority=priority)


def test_migrate_creates_the_folder_of_a_new_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'var' / 'nested' / 'bot.sqlite3'}"
    migrate(url)
    assert (tmp_path / "var" / "nested" / "bot.sqlite3").exists()


def test_migration_is_idempotent(factory):
    url = str(factory.kw["bind"].url)
    migrate(url)  # second run changes nothing and does not fail


def test_new_ticket_waits_with_defaults_and_a_created_event(factory):
    ticket_id = queue.submit(factory, _ticket())
    with factory() as session:
        ticket = queue.get(session, ticket_id)
        assert ticket["status"] == "waiting"
        assert ticket["assignee"] is None
        assert ticket["created_at"].tzinfo is not None or factory.kw["bind"].dialect.name == "sqlite"
        assert [e["kind"] for e in queue.events(session, ticket_id)] == ["created"]
        assert [m["original_text"] for m in queue.messages(session, ticket_id)] == ["屏幕有绿线"]


def test_later_messages_attach_to_the_open_ticket_of_the_conversation(factory):
    first = queue.submit(factory, _ticket(text="第一条"))
    second = queue.submit(factory, _ticket(text="第二条", priority=2))
    other = queue.submit(factory, _ticket(conversation="c2", text="别的粉丝"))
    assert first == second != other
    with factory() as session:
        assert [m["original_text"] for m in queue.messages(session, first)] == ["第一条", "第二条"]
        assert queue.get(session, first)["priority"] == 2
        assert [e["kind"] for e in queue.events(session, first)] == ["created", "message_attached"]


def test_a_closed_conversation_gets_a_new_ticket(factory):
    first = queue.submit(factory, _ticket())
    queue.close(factory, first, "alice")
    assert queue.submit(factory, _ticket()) != first


def test_lifecycle_claim_reply_close_is_audited(factory):
    ticket_id = queue.submit(factory, _ticket())
    queue.claim(factory, ticket_id, "alice")
    queue.record_reply(factory, ticket_id, "alice", "您好，请到服务中心检测")
    closed = queue.close(factory, ticket_id, "alice")
    assert closed["status"] == "closed" and closed["closed_at"] is not None
    with factory() as session:
        kinds = [(e["kind"], e["from_status"], e["to_status"]) for e in queue.events(session, ticket_id)]
    assert kinds == [("created", None, "waiting"), ("claimed", "waiting", "claimed"),
                     ("answered", "claimed", "answered"), ("closed", "answered", "closed")]


@pytest.mark.parametrize("action,message", [
    (lambda f, t: queue.claim(f, t, "bob"), "already claimed by alice"),
    (lambda f, t: queue.close(f, t, "bob"), "claimed by alice"),
    (lambda f, t: queue.record_reply(f, t, "bob", "hi"), "claimed by alice"),
])
def test_another_operator_cannot_act_on_a_claimed_ticket(factory, action, message):
    ticket_id = queue.submit(factory, _ticket())
    queue.claim(factory, ticket_id, "alice")
    with pytest.raises(QueueError, match=message):
        action(factory, ticket_id)


def test_closed_ticket_cannot_be_claimed_or_dismissed(factory):
    ticket_id = queue.submit(factory, _ticket())
    queue.dismiss(factory, ticket_id, "alice", "spam")
    with pytest.raises(QueueError, match="dismissed"):
        queue.claim(factory, ticket_id, "bob")
    with pytest.raises(QueueError, match="cannot closed"):
        queue.close(factory, ticket_id, "bob")


def test_reassign_moves_ticket_to_another_department_unclaimed(factory):
    ticket_id = queue.submit(factory, _ticket())
    queue.claim(factory, ticket_id, "alice")
    moved = queue.reassign(factory, ticket_id, "alice", "rnd")
    assert (moved["department"], moved["status"], moved["assignee"]) == ("rnd", "waiting", None)
    with pytest.raises(QueueError, match="unknown department"):
        queue.reassign(factory, ticket_id, "alice", "sales")


def test_unknown_ticket_is_a_clear_error(factory):
    with factory() as session, pytest.raises(QueueError, match="ticket 999 does not exist"):
        queue.get(session, 999)


def test_listing_orders_by_priority_then_age_and_filters_department(factory):
    low = queue.submit(factory, _ticket("a"))
    high = queue.submit(factory, _ticket("b", department="pr", priority=2))
    later = queue.submit(factory, _ticket("c"))
    with factory() as session:
        assert [t["id"] for t in queue.listing(session)] == [high, low, later]
        assert [t["id"] for t in queue.listing(session, ["after_sales"])] == [low, later]


def test_claim_next_takes_the_most_urgent_waiting_ticket(factory):
    queue.submit(factory, _ticket("a"))
    urgent = queue.submit(factory, _ticket("b", priority=2))
    assert queue.claim_next(factory, "alice")["id"] == urgent
    assert queue.claim_next(factory, "alice", ["pr"]) is None


def test_racing_claimers_claim_each_ticket_exactly_once(factory):
    ids = [queue.submit(factory, _ticket(f"race-{i}")) for i in range(30)]
    claimed = {"alice": [], "bob": [], "carol": []}
    barrier = threading.Barrier(len(claimed))

    def worker(name: str) -> None:
        barrier.wait()
        while True:
            ticket = queue.claim_next(factory, name)
            if ticket is None:
                return
            claimed[name].append(ticket["id"])

    threads = [threading.Thread(target=worker, args=(n,)) for n in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    everything = sorted(i for got in claimed.values() for i in got)
    assert everything == sorted(ids)
    with factory() as session:
        for ticket_id in ids:
            claims = [e for e in queue.events(session, ticket_id) if e["kind"] == "claimed"]
            assert len(claims) == 1


def test_racing_direct_claims_of_one_ticket_have_one_winner(factory):
    ticket_id = queue.submit(factory, _ticket())
    results = []
    barrier = threading.Barrier(4)

    def worker(name: str) -> None:
        barrier.wait()
        try:
            queue.claim(factory, ticket_id, name)
            results.append(name)
        except QueueError:
            pass

    threads = [threading.Thread(target=worker, args=(f"op{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 1
