"""Finding tickets: every filter in SQL, pages with a total, full-text search in Chinese (SQLite and
PostgreSQL, each with its trigram index), no silent limit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from bot.errors import QueueError
from bot.store import queue
from bot.store.queue import NewTicket, TicketQuery
from bot.store.tables import tickets


def _open(factory, n: int, text: str, department: str = "after_sales", fan: str | None = None) -> int:
    return queue.submit(factory, NewTicket(channel="dm", fan_id=fan or f"fan{n}", conversation_id=f"c{n}",
                                           department=department, reason="needs_human", original_text=text,
                                           normalised_text=text))


@pytest.fixture
def many(factory):
    """260 tickets (more than the console's old silent limit of 200), the first 60 four hours old."""
    ids = [_open(factory, n, f"第{n}号：屏幕有绿线" if n % 10 == 0 else f"第{n}号：电池不耐用") for n in range(260)]
    with factory.begin() as session:
        session.execute(update(tickets).where(tickets.c.id.in_(ids[:60])).values(
            created_at=datetime.now(timezone.utc) - timedelta(hours=4)))
    return factory, ids


def _find(factory, **kwargs):
    with factory() as session:
        return queue.find(session, TicketQuery(**kwargs))


def test_pages_cover_every_ticket_once_with_the_total(many):
    factory, ids = many
    first = _find(factory, per_page=100)
    assert (first.total, first.pages, len(first.rows)) == (260, 3, 100)
    seen = [r["id"] for n in (1, 2, 3) for r in _find(factory, per_page=100, page=n).rows]
    assert sorted(seen) == sorted(ids) and len(_find(factory, per_page=100, page=3).rows) == 60


def test_older_than_is_filtered_before_paging(many):
    factory, ids = many
    found = _find(factory, older_than=datetime.now(timezone.utc) - timedelta(hours=1), per_page=500)
    assert found.total == 60 and {r["id"] for r in found.rows} == set(ids[:60])


@pytest.mark.parametrize("words, count", [("绿线", 26), ("屏幕有绿线", 26), ("电池不耐用", 234), ("第25号", 1),
                                          ("没有这句话", 0), ("100%", 0)])
def test_words_of_the_messages_are_found_short_or_long(many, words, count):
    factory, _ = many
    assert _find(factory, search=words, per_page=500).total == count


def test_a_ticket_number_or_a_fan_id_finds_its_ticket(many):
    factory, ids = many
    assert [r["id"] for r in _find(factory, search=f"#{ids[7]}").rows] == [ids[7]]
    assert [r["id"] for r in _find(factory, search="fan42").rows] == [ids[42]]


def test_an_attached_message_and_an_operators_reply_are_searchable(factory):
    ticket = _open(factory, 1, "屏幕有绿线")
    _open(factory, 1, "今天又多了一条紫色的线")  # the same conversation: joins the ticket
    queue.record_reply(factory, ticket, "alice", "请到授权服务中心检测")
    for words in ("紫色的线", "授权服务中心"):
        assert [r["id"] for r in _find(factory, search=words).rows] == [ticket]


@pytest.mark.parametrize("kwargs", [{"page": 0}, {"per_page": 501}])
def test_a_page_out_of_range_is_refused(factory, kwargs):
    with pytest.raises(QueueError, match="pages start at 1"):
        _find(factory, **kwargs)
