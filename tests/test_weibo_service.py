"""WeiboService's failure paths, on SQLite (database calls on the event loop) and on PostgreSQL
(database calls in threads): what cannot be answered or delivered becomes a ticket."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

import pytest

from bot.store import messages as box
from bot.store import queue
from bot.weibo.api import DM_REPLY
from bot.weibo.client import WeiboClient
from bot.weibo.service import FALLBACK_DEPARTMENT, WeiboService
from bot.weibo.standin import WeiboStandIn

TOKEN = "service-test-token"


@pytest.fixture
def standin():
    api = WeiboStandIn(access_token=TOKEN).start()
    yield api
    api.stop()


def _with_service(factory, standin, body: Callable[[WeiboService], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        service = WeiboService(factory, WeiboClient(standin.base_url, TOKEN), poll_seconds=60, poll_comments=False)
        try:
            return await body(service)
        finally:
            await service.stop()

    return asyncio.run(main())


def _open_tickets(factory) -> list:
    with factory() as session:
        return [(t, queue.messages(session, t["id"])) for t in queue.listing(session)]


def test_a_message_rasa_fails_on_every_attempt_becomes_a_ticket_with_its_normalised_text(factory, standin,
                                                                                          monkeypatch):
    monkeypatch.setattr("bot.weibo.service.WARM_UP_SECONDS", 0.5)  # the warm-up call fails too

    async def rasa_down(message: Any) -> None:
        raise RuntimeError("rasa is down")

    async def body(service: WeiboService) -> None:
        await service.start(rasa_down)
        assert await service.accept_push({"type": "text", "sender_id": "2001", "receiver_id": "1",
                                          "text": "Ｘ５屏幕[怒]坏了", "created_at": "Thu Nov 26 10:00:00 +0800 2026"}) == "stored"
        deadline = time.monotonic() + 20
        while box.counts(factory)["inbox"] != {"done": 1}:
            assert time.monotonic() < deadline, box.counts(factory)
            await asyncio.sleep(0.1)

    _with_service(factory, standin, body)
    [(ticket, [message])] = _open_tickets(factory)
    assert (ticket["reason"], ticket["department"], ticket["priority"]) == ("bot_unavailable", FALLBACK_DEPARTMENT, 1)
    assert (message["original_text"], message["normalised_text"]) == ("Ｘ５屏幕[怒]坏了", "X5屏幕 坏了")
    assert box.counts(factory)["outbox"] == {}  # nothing was said to the fan
    assert standin.received(DM_REPLY) == []


def test_a_reply_weibo_rejects_is_failed_and_handed_to_a_human(factory, standin):
    box.enqueue_reply(factory, "welcome:3001", {"channel": "dm", "receiver_id": "3001", "text": "您好"})
    standin.fail_next(DM_REPLY, 400)

    _with_service(factory, standin, lambda service: service.deliver_batch(box.claim_due(factory, 20)))
    assert box.counts(factory)["outbox"] == {"failed": 1}
    [(ticket, [message])] = _open_tickets(factory)
    assert (ticket["reason"], ticket["fan_id"], ticket["department"]) == ("delivery_rejected", "3001", FALLBACK_DEPARTMENT)
    assert message["normalised_text"] == "（未送达的回复）您好"


def _hours_ago(hours: float) -> str:
    from bot.weibo.standin import weibo_time

    return weibo_time(time.time() - hours * 3600)


def _stored_texts(factory) -> list:
    from sqlalchemy import select

    from bot.store.tables import inbox

    with factory() as session:
        return sorted(session.execute(select(inbox.c.text)).scalars().all())


@pytest.mark.parametrize("backfill,expected", [(0, []), (24, ["一小时前的问题"])])
def test_a_first_start_answers_nothing_older_than_its_start_unless_asked_to_backfill(factory, standin,
                                                                                     backfill, expected):
    standin.add_comment("三天前的问题", created_at=_hours_ago(72))
    standin.add_comment("两天前不算?", created_at=_hours_ago(48))
    standin.add_comment("一小时前的问题", created_at=_hours_ago(1))

    async def body(service: WeiboService) -> tuple:
        first = await service.poll_once()
        standin.add_comment("启动之后的新问题")
        return first, await service.poll_once()

    async def main() -> tuple:
        service = WeiboService(factory, WeiboClient(standin.base_url, TOKEN), 60, False, backfill_hours=backfill)
        try:
            return await body(service)
        finally:
            await service.stop()

    first, later = asyncio.run(main())
    assert (first, later) == (len(expected), 1)
    assert _stored_texts(factory) == sorted(expected + ["启动之后的新问题"])


def test_one_poll_reads_at_most_its_page_cap(factory, standin, monkeypatch):
    monkeypatch.setattr("bot.weibo.service.MAX_PAGES_PER_POLL", 2)
    monkeypatch.setattr("bot.weibo.service.FEED_PAGE_SIZE", 3)
    for i in range(10):
        standin.add_comment(f"问题{i}", created_at=_hours_ago(0.5))

    async def main() -> int:
        service = WeiboService(factory, WeiboClient(standin.base_url, TOKEN), 60, False, backfill_hours=1)
        try:
            return await service.poll_once()
        finally:
            await service.stop()

    assert asyncio.run(main()) == 6  # two pages of three, newest first; the rest is left unread


def _deliver_one(factory, standin, timeout: float = 5.0) -> None:
    async def main() -> None:
        service = WeiboService(factory, WeiboClient(standin.base_url, TOKEN, timeout=timeout), 60, False)
        try:
            await service.deliver_batch(box.claim_due(factory, 20))
        finally:
            await service.stop()

    asyncio.run(main())


def test_a_reply_weibo_took_but_answered_too_late_for_is_uncertain_and_never_resent(factory, standin):
    box.enqueue_reply(factory, "welcome:3101", {"channel": "dm", "receiver_id": "3101", "text": "您好"})
    standin.timeout_next(DM_REPLY, delay=1.5)
    _deliver_one(factory, standin, timeout=0.5)
    time.sleep(1.5)  # the stand-in finishes the call: Weibo did take it
    assert len(standin.received(DM_REPLY)) == 1
    assert box.counts(factory)["outbox"] == {"uncertain": 1}
    assert box.claim_due(factory, 20) == []  # not due again, ever
    [(ticket, _)] = _open_tickets(factory)
    assert ticket["reason"] == "delivery_uncertain"


def test_a_server_error_is_retried_later_and_a_refused_connection_is_not_uncertain(factory, standin):
    box.enqueue_reply(factory, "welcome:3201", {"channel": "dm", "receiver_id": "3201", "text": "您好"})
    standin.fail_next(DM_REPLY, 503)
    _deliver_one(factory, standin)
    assert box.counts(factory)["outbox"] == {"pending": 1}
    assert _open_tickets(factory) == []


def test_the_client_tells_a_call_that_never_left_from_one_without_an_answer():
    from bot.weibo.client import TransientError

    async def main() -> None:
        client = WeiboClient("http://127.0.0.1:9", TOKEN, timeout=1.0)  # nothing listens on port 9
        try:
            await client.send_dm("1", "您好")
        finally:
            await client.close()

    with pytest.raises(TransientError) as caught:
        asyncio.run(main())
    assert TOKEN not in str(caught.value)
