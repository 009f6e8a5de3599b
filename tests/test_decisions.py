"""A decision's effects are written once, in one transaction, by the holder of the inbox lease:
ticket (or attachment to a human's open ticket), outbox row and inbox outcome together."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.errors import InputError, LeaseLost, QueueError
from bot.store import decisions, queue
from bot.store import messages as box
from bot.store.decisions import Decision
from bot.store.tables import tickets


def _ticket(text: str = "屏幕绿线了", fan: str = "42") -> queue.NewTicket:
    return queue.NewTicket(channel="dm", fan_id=fan, conversation_id=f"dm:{fan}", department="after_sales",
                           reason="intent", original_text=text, normalised_text=text, faq_candidates=({"id": "x"},))


def _leased(factory, text: str = "屏幕绿线了", fan: str = "42") -> box.Lease:
    box.store_inbound(factory, box.Inbound("dm", f"k:{text}", fan, fan, text, {}))
    [row] = box.claim_inbound(factory, 10, "w1")
    return box.Lease.of(row)


def _reply(text: str) -> dict:
    return {"channel": "dm", "receiver_id": "42", "text": text}


def _all_tickets(factory) -> list:
    with factory() as session:
        return [dict(r) for r in session.execute(select(tickets)).mappings().all()]


def test_a_handoff_commits_its_ticket_reply_and_outcome_together(factory):
    lease = _leased(factory)
    applied = decisions.commit(factory, lease, Decision("handoff", "after_sales", "已转人工", "intent", _ticket()), _reply)
    assert applied.outcome == "handoff/after_sales" and applied.ticket_id is not None
    assert box.counts(factory) == {"inbox": {"done": 1}, "outbox": {"pending": 1}}
    [ticket] = _all_tickets(factory)
    assert (ticket["reason"], ticket["status"]) == ("intent", "waiting")


def test_a_worker_that_lost_its_lease_writes_no_ticket_and_no_reply(factory):
    box.store_inbound(factory, box.Inbound("dm", "k1", "42", "42", "屏幕绿线了", {}))
    [stale] = box.claim_inbound(factory, 10, "w1", lease_seconds=0)
    [current] = box.claim_inbound(factory, 10, "w2")
    with pytest.raises(LeaseLost):
        decisions.commit(factory, box.Lease.of(stale), Decision("handoff", "after_sales", "已转人工", "intent",
                                                                _ticket()), _reply)
    assert _all_tickets(factory) == [] and box.counts(factory)["outbox"] == {}
    decisions.commit(factory, box.Lease.of(current), Decision("handoff", "after_sales", None, "intent", _ticket()),
                     _reply)
    assert len(_all_tickets(factory)) == 1


@pytest.mark.parametrize("action", ["answer", "handoff"])
def test_a_conversation_a_human_holds_gets_the_message_on_the_ticket_and_no_bot_reply(factory, action):
    held = queue.submit(factory, _ticket("第一条"))
    lease = _leased(factory, "第二条")
    applied = decisions.commit(factory, lease, Decision(action, "after_sales", "自动回复", "faq_match",
                                                        _ticket("第二条")), _reply)
    assert (applied.outcome, applied.ticket_id, applied.reply) == ("human_takeover/after_sales", held, None)
    assert box.counts(factory)["outbox"] == {}
    with factory() as session:
        assert [m["original_text"] for m in queue.messages(session, held)] == ["第一条", "第二条"]
        assert queue.events(session, held)[-1]["detail"] == "human_takeover"


def test_a_handed_back_conversation_gets_the_bots_answer_and_the_ticket_stays_open(factory):
    held = queue.submit(factory, _ticket("第一条"))
    queue.record_reply(factory, held, "alice", "已处理")
    queue.hand_back(factory, held, "alice")
    applied = decisions.commit(factory, _leased(factory, "换屏多少钱"),
                               Decision("answer", "after_sales", "899 元", "faq_match", _ticket("换屏多少钱")), _reply)
    assert (applied.outcome, applied.ticket_id, applied.reply) == ("answer/after_sales", None, "899 元")
    with factory() as session:
        ticket = queue.get(session, held)
        assert ticket["status"] == "answered" and ticket["handed_back_at"] is not None
        assert [m["original_text"] for m in queue.messages(session, held)] == ["第一条", "已处理"]


def test_what_the_bot_cannot_answer_gives_a_handed_back_conversation_to_a_human_again(factory):
    held = queue.submit(factory, _ticket("第一条"))
    queue.record_reply(factory, held, "alice", "已处理")
    queue.hand_back(factory, held, "alice")
    applied = decisions.commit(factory, _leased(factory, "又坏了"),
                               Decision("handoff", "after_sales", None, "needs_human", _ticket("又坏了")), _reply)
    assert (applied.outcome, applied.ticket_id) == ("handoff/after_sales", held)
    with factory() as session:
        ticket = queue.get(session, held)
        assert (ticket["status"], ticket["handed_back_at"]) == ("waiting", None)
        assert [e["kind"] for e in queue.events(session, held)][-2:] == ["message_attached", "taken_back"]
    assert len(_all_tickets(factory)) == 1
    # and from now on a human holds it: the next message joins the ticket, the bot stays silent
    again = decisions.commit(factory, _leased(factory, "在吗"),
                             Decision("answer", "after_sales", "您好", "faq_match", _ticket("在吗")), _reply)
    assert again.outcome == "human_takeover/after_sales"


@pytest.mark.parametrize("status", ["closed", "handed_back"])
def test_only_an_open_ticket_not_yet_handed_back_can_be_handed_back(factory, status):
    held = queue.submit(factory, _ticket("第一条"))
    if status == "closed":
        queue.close(factory, held, "alice")
    else:
        queue.hand_back(factory, held, "alice")
    with pytest.raises(QueueError):
        queue.hand_back(factory, held, "alice")


def test_an_answer_opens_no_ticket(factory):
    lease = _leased(factory, "换屏多少钱")
    applied = decisions.commit(factory, lease, Decision("answer", "after_sales", "899 元", "faq_match",
                                                        _ticket("换屏多少钱")), _reply)
    assert (applied.outcome, applied.ticket_id) == ("answer/after_sales", None)
    assert _all_tickets(factory) == [] and box.counts(factory)["outbox"] == {"pending": 1}


def test_a_decision_survives_its_json_round_trip():
    decision = Decision("handoff", "pr", "稍后联系您", "complaint", _ticket())
    assert decisions.decision_of(decision.to_json()) == decision
    assert decisions.decision_of({"action": "ignore"}) == Decision("ignore")


@pytest.mark.parametrize("payload", ["[]", {"department": "pr"}, {"action": "handoff", "ticket": {"nope": 1}}])
def test_a_malformed_decision_is_an_input_error(payload):
    with pytest.raises(InputError):
        decisions.decision_of(payload)
