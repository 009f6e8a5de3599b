"""Assignment: new tickets go in turn to the available members of their department, each up to a
cap; a claim left idle returns to the queue with an event (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.errors import QueueError
from bot.store import assignment, operators, queue
from bot.store.queue import NewTicket

PASSWORD = "correct-horse-1"


def _open(factory, n: int, department: str = "after_sales") -> dict:
    ticket = queue.submit(factory, NewTicket(channel="dm", fan_id=f"f{n}", conversation_id=f"c{n}",
                                             department=department, reason="needs_human", original_text="在吗",
                                             normalised_text="在吗"))
    with factory() as session:
        return queue.get(session, ticket)


@pytest.fixture
def team(factory):
    for name in ("amy", "ben", "cal"):
        operators.add(factory, name, PASSWORD, ["after_sales"])
    operators.add(factory, "rui", PASSWORD, ["rnd"])
    operators.add(factory, "boss", PASSWORD, role="operator")
    assignment.set_available(factory, "amy", True, cap=2)
    assignment.set_available(factory, "ben", True, cap=1)
    assignment.set_available(factory, "rui", True)
    return factory


def test_new_tickets_go_round_robin_to_available_members_within_their_caps(team):
    assignees = [_open(team, n)["assignee"] for n in range(5)]
    assert assignees == ["amy", "ben", "amy", None, None]  # cal is away; then both caps are full
    assert _open(team, 9, "rnd")["assignee"] == "rui"  # only members of the ticket's department
    assert _open(team, 10, "pr")["assignee"] is None and _open(team, 10, "pr")["status"] == "waiting"


def test_an_assigned_ticket_is_claimed_with_an_event(team):
    ticket = _open(team, 1)
    assert (ticket["status"], ticket["assignee"]) == ("claimed", "amy")
    with team() as session:
        assert [e["kind"] for e in queue.events(session, ticket["id"])] == ["created", "assigned"]


def test_a_freed_place_and_an_away_member_change_who_is_next(team):
    first = _open(team, 1)
    queue.close(team, first["id"], "amy")
    assignment.set_available(team, "ben", False)
    assert _open(team, 2)["assignee"] == "amy"


def test_an_idle_claim_returns_to_the_queue_with_an_event(team):
    ticket = _open(team, 1)
    later = datetime.now(timezone.utc) + assignment.IDLE_CLAIM + timedelta(minutes=1)
    assert assignment.release_idle(team, datetime.now(timezone.utc)) == 0
    assert assignment.release_idle(team, later) == 1
    with team() as session:
        back = queue.get(session, ticket["id"])
        assert (back["status"], back["assignee"]) == ("waiting", None)
        assert queue.events(session, ticket["id"])[-1]["kind"] == "claim_expired"


@pytest.mark.parametrize("name, cap, message", [("nobody", 3, "no operator"), ("amy", 0, "between 1 and")])
def test_bad_availability_is_refused(team, name, cap, message):
    with pytest.raises(QueueError, match=message):
        assignment.set_available(team, name, True, cap)
