"""Service levels: targets by department and priority, the queue ordered by deadline in SQL, and the
time left (and Weibo's DM window) on every listed ticket (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from bot import handoff
from bot.errors import ConfigError
from bot.service_levels import Levels, load
from bot.store import operators, queue
from bot.store.queue import NewTicket
from bot.store.tables import ticket_messages, tickets
from tests.conftest import ROOT

H = timedelta(hours=1)


@pytest.fixture(scope="module")
def levels() -> Levels:
    return load(ROOT / "data" / "service_levels.yml")


@pytest.mark.parametrize("department, priority, first, resolution", [
    ("after_sales", 0, 4 * H, 72 * H),   # the default
    ("pr", 0, 1 * H, 24 * H),            # the department's own
    ("after_sales", 1, 2 * H, 72 * H),   # a higher priority is faster
    ("pr", 1, 1 * H, 24 * H),            # the tighter of the two
    ("rnd", 2, 1 * H, 24 * H),
])
def test_a_tickets_targets_come_from_its_department_and_priority(levels, department, priority, first, resolution):
    assert levels.targets(department, priority) == (first, resolution)


@pytest.mark.parametrize("content, message", [
    ("default: {first_response: -1}", "above 0"),
    ("departments: {sales: {first_response: 2}}", "unknown department"),
    ("priorities: {5: {first_response: 1}}", "priority 5"),
    ("default: {first: 4}", "first_response: HOURS"),
])
def test_a_mistake_in_the_file_says_what_and_how(tmp_path, content, message):
    path = tmp_path / "service_levels.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load(path)


def _ticket(factory, n: int, department: str, priority: int, hours_ago: float, channel: str = "dm") -> int:
    ticket = queue.submit(factory, NewTicket(channel=channel, fan_id=f"f{n}", conversation_id=f"c{n}",
                                             department=department, reason="needs_human", original_text="在吗",
                                             normalised_text="在吗", priority=priority))
    at = datetime.now(timezone.utc) - timedelta(hours=hours_ago)
    with factory.begin() as session:
        session.execute(update(tickets).where(tickets.c.id == ticket).values(created_at=at))
        session.execute(update(ticket_messages).where(ticket_messages.c.ticket_id == ticket).values(created_at=at))
    return ticket


def test_the_queue_sorts_by_deadline_and_shows_the_time_left(factory, levels):
    alice = operators.add(factory, "alice", "correct-horse-1", role="operator")
    calm = _ticket(factory, 1, "after_sales", 0, 1)       # due in 3 h
    urgent = _ticket(factory, 2, "after_sales", 2, 0.5)   # due in 0.5 h
    late = _ticket(factory, 3, "pr", 0, 2)                # 1 h past its target
    answered = _ticket(factory, 4, "after_sales", 0, 10)  # answered: 62 h to resolve
    queue.record_reply(factory, answered, "alice", "已回复")
    old_dm = _ticket(factory, 5, "rnd", 0, 47)            # 1 h left in Weibo's window
    page = handoff.list_tickets(factory, alice, order="due", levels=levels)
    assert [r["id"] for r in page.rows] == [old_dm, late, urgent, calm, answered]
    left = {r["id"]: r["time_left"] for r in page.rows}
    assert left[late] == pytest.approx(-3600, abs=60) and left[urgent] == pytest.approx(1800, abs=60)
    assert left[answered] == pytest.approx(62 * 3600, abs=60)
    window = {r["id"]: r["window_left"] for r in page.rows}
    assert window[old_dm] == pytest.approx(3600, abs=60)
    by_priority = handoff.list_tickets(factory, alice, levels=levels)
    assert by_priority.rows[0]["id"] == urgent  # the default order is still priority, then age


def test_a_comment_has_no_dm_window(factory, levels):
    alice = operators.add(factory, "alice", "correct-horse-1", role="operator")
    _ticket(factory, 1, "pre_sales", 0, 1, channel="comment")
    [row] = handoff.list_tickets(factory, alice, levels=levels).rows
    assert row["window_left"] is None
