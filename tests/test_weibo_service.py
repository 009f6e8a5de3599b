"""WeiboService's failure paths, on SQLite (database calls on the event loop) and on PostgreSQL
(database calls in threads): what cannot be answered or delivered becomes a ticket."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest

from bot.store import messages as box
from bot.store import queue
from bot.weibo.api import COMMENT_REPLY, DM_REPLY
from bot.weibo.client import WeiboClient
from bot.weibo.service import FALLBACK_DEPARTMENT, WeiboService
from tests.conftest import STANDIN_TOKEN

TOKEN = STANDIN_TOKEN


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

    _with_service(factory, standin, lambda service: service.delivery.deliver_batch(box.claim_due(factory, 20, service.worker_id)))
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
            await service.delivery.deliver_batch(box.claim_due(factory, 20, service.worker_id))
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
    assert box.claim_due(factory, 20, "another-worker") == []  # not due again, ever
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


def _reporting(decision_for: Callable[[Any], Any]) -> Callable[[Any], Awaitable[None]]:
    """A stand-in for Rasa plus the action: hands back the decision the way the action does."""
    from bot.respond import OUTCOME_KEY

    async def handler(message: Any) -> None:
        await message.output_channel.send_custom_json(message.sender_id, {OUTCOME_KEY: decision_for(message)})

    return handler


def _answer(message: Any) -> dict:
    from bot.store.decisions import Decision

    return Decision("answer", "after_sales", "您好，X5 换屏 899 元。", "faq_match").to_json()


def _push(sender: str, text: str) -> dict:
    return {"type": "text", "sender_id": sender, "receiver_id": "1", "text": text,
            "created_at": "Thu Nov 26 10:00:00 +0800 2026"}


async def _until(check: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def test_a_database_error_in_the_processing_loop_restarts_it_and_the_message_is_still_answered(factory, standin,
                                                                                                 monkeypatch):
    from sqlalchemy.exc import OperationalError

    monkeypatch.setattr("bot.weibo.loops.FIRST_BACKOFF_SECONDS", 0.05)
    real_claim, failures = box.claim_inbound, []

    def flaky_claim(*args: Any, **kwargs: Any) -> list:
        if len(failures) < 2:
            failures.append(1)
            raise OperationalError("SELECT", {}, Exception("database restarting"))
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(box, "claim_inbound", flaky_claim)

    async def body(service: WeiboService) -> dict:
        await service.start(_reporting(_answer))
        await service.accept_push(_push("2101", "换屏多少钱"))
        await _until(lambda: box.counts(factory)["outbox"] == {"sent": 1})
        return service.heartbeats.report()

    report = _with_service(factory, standin, body)
    assert report["process"]["restarts"] == 2 and "database restarting" in report["process"]["last_error"]
    assert not report["process"]["stale"]
    assert [c["json"]["text"] for c in standin.received(DM_REPLY)] == ["您好，X5 换屏 899 元。"]


def test_a_message_whose_decision_fails_on_every_attempt_ends_as_a_ticket_not_failed(factory, standin):
    async def body(service: WeiboService) -> None:
        await service.start(_reporting(lambda message: {"not": "a decision"}))
        await service.accept_push(_push("2201", "我的手机黑屏了"))
        await _until(lambda: box.counts(factory)["inbox"] == {"done": 1})

    _with_service(factory, standin, body)
    [(ticket, [message])] = _open_tickets(factory)
    assert (ticket["reason"], message["original_text"]) == ("bot_error", "我的手机黑屏了")


def test_four_fans_with_the_same_question_get_four_replies_weibo_does_not_see_as_repeats(factory, standin):
    comments = [standin.add_comment("X5 多少钱", user_id=3000 + n, screen_name=f"粉丝{n}") for n in range(4)]
    for comment in comments:
        box.enqueue_reply(factory, f"c:{comment['id']}", {
            "channel": "comment", "receiver_id": str(comment["user"]["id"]), "comment_id": str(comment["id"]),
            "post_id": str(comment["status"]["id"]), "text": "X5 售价 2999 元起。"})

    async def body(service: WeiboService) -> None:
        while box.counts(factory)["outbox"] != {"sent": 4}:
            rows = box.claim_due(factory, 20, service.worker_id)
            if rows:
                await service.delivery.deliver_batch(rows)
            await asyncio.sleep(0.01)

    async def main() -> None:
        lead_ins = Path(__file__).resolve().parent.parent / "data" / "faq" / "comment_lead_ins.yml"
        service = WeiboService(factory, WeiboClient(standin.base_url, TOKEN), 60, False, lead_ins=lead_ins)
        try:
            await asyncio.wait_for(body(service), 20)
        finally:
            await service.stop()

    asyncio.run(main())
    sent = [c["form"]["comment"] for c in standin.received(COMMENT_REPLY)]
    assert len(sent) == 4 and all(s.endswith("X5 售价 2999 元起。") for s in sent)
    from sqlalchemy import select

    from bot.store.tables import outbox

    with factory() as session:
        recorded = session.execute(select(outbox.c.text)).scalars().all()
    assert sorted(recorded) == sorted(sent)  # the outbox holds what Weibo got
    assert all(a != b for a, b in zip(sent, sent[1:]))  # never the same text twice in a row
    assert _open_tickets(factory) == []


def test_a_failed_operator_reply_reopens_its_own_ticket_with_an_event(factory, standin):
    ticket_id = queue.submit(factory, queue.NewTicket(
        channel="dm", fan_id="4001", conversation_id="dm:4001", department="after_sales", reason="intent",
        original_text="屏幕绿线", normalised_text="屏幕绿线"))
    queue.record_reply(factory, ticket_id, "alice", "您好，请到服务中心检测", send={"channel": "dm", "receiver_id": "4001"})
    standin.fail_next(DM_REPLY, 400)
    _with_service(factory, standin, lambda service: service.delivery.deliver_batch(box.claim_due(factory, 20, service.worker_id)))
    [(ticket, _)] = _open_tickets(factory)
    assert (ticket["id"], ticket["status"]) == (ticket_id, "waiting")
    with factory() as session:
        last = queue.events(session, ticket_id)[-1]
    assert (last["kind"], last["from_status"], last["to_status"]) == ("reply_failed", "answered", "waiting")
    assert "delivery_rejected" in last["detail"]


def test_a_call_dropped_before_weibo_took_it_is_uncertain_too_and_never_resent(factory, standin):
    box.enqueue_reply(factory, "welcome:3301", {"channel": "dm", "receiver_id": "3301", "text": "您好"})
    standin.drop_next(DM_REPLY, delay=1.0)
    _deliver_one(factory, standin, timeout=0.5)
    time.sleep(1.0)
    assert standin.received(DM_REPLY) == [] and len(standin.dropped()) == 1  # it never took effect
    assert box.counts(factory)["outbox"] == {"uncertain": 1}  # ... but the client could not know that
    [(ticket, _)] = _open_tickets(factory)
    assert ticket["reason"] == "delivery_uncertain"


def test_of_two_replicas_exactly_one_polls_and_the_other_takes_over_within_the_lease_when_it_dies(
        factory, standin, monkeypatch):
    monkeypatch.setattr("bot.store.leases.POLLER_LEASE_SECONDS", 1.0)

    async def main() -> None:
        replicas = [WeiboService(factory, WeiboClient(standin.base_url, TOKEN), 0.2, True) for _ in range(2)]
        for replica in replicas:
            replica.heartbeats.register("poll", 60)
        loops = [asyncio.create_task(r._poll_loop()) for r in replicas]
        try:
            await asyncio.sleep(1.0)
            assert sorted(r.polling for r in replicas) == [False, True]
            holder = next(i for i, r in enumerate(replicas) if r.polling)
            standin.add_comment("第一条新评论")
            await asyncio.sleep(0.8)
            loops[holder].cancel()  # the holder dies without giving its lease up
            standin.add_comment("第二条新评论")
            other = replicas[1 - holder]
            deadline = time.monotonic() + 3.0
            while "第二条新评论" not in _stored_texts(factory):
                assert time.monotonic() < deadline, "no replica took the poller over"
                await asyncio.sleep(0.1)
            assert other.polling
        finally:
            for loop in loops:
                loop.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            for r in replicas:
                await r.client.close()

    asyncio.run(main())
    assert _stored_texts(factory) == ["第一条新评论", "第二条新评论"]  # each stored once
