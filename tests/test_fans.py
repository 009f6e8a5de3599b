"""One fan across comments and DMs: his history, notes, a spammer mark that silences him (undoable),
and VIP priority (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from bot import handoff
from bot.errors import NotPermitted, QueueError
from bot.store import decisions, fans, operators, queue
from bot.store import messages as box
from bot.store.decisions import Decision
from bot.store.queue import NewTicket


def _inbound(factory, n: int, channel: str, fan: str, text: str, followers=None, verified=None) -> box.Lease:
    payload = {"cid": str(n), "post_id": "1", "followers_count": followers, "verified": verified} if channel == "comment" else {}
    box.store_inbound(factory, box.Inbound(channel, f"k{n}", fan, f"{channel}:{fan}:{n}", text, payload))
    return box.Lease.of(box.claim_inbound(factory, 1, "w")[0])


def _decide(factory, n: int, action: str, fan: str = "777", channel: str = "dm", **extra) -> decisions.Applied:
    lease = _inbound(factory, n, channel, fan, f"消息{n}", **extra)
    ticket = NewTicket(channel=channel, fan_id=fan, conversation_id=f"{channel}:{fan}:{n}", department="after_sales",
                       reason="needs_human", original_text=f"消息{n}", normalised_text=f"消息{n}")
    return decisions.commit(factory, lease, Decision(action, "after_sales", "您好" if action != "handoff" else None,
                                                     "needs_human", ticket),
                            lambda text: {"channel": channel, "receiver_id": fan, "text": text})


def test_a_fan_marked_as_spammer_is_ignored_until_the_mark_is_lifted(factory):
    assert _decide(factory, 1, "handoff").outcome == "handoff/after_sales"
    fans.mark_spammer(factory, "777", "alice")
    silenced = _decide(factory, 2, "answer")
    assert (silenced.outcome, silenced.ticket_id, silenced.reply, silenced.reason) == ("ignore/", None, None,
                                                                                       "marked_spammer")
    fans.mark_spammer(factory, "777", "alice", spammer=False)
    assert _decide(factory, 3, "answer").outcome == "answer/after_sales"
    assert _decide(factory, 4, "answer", fan="888").outcome == "answer/after_sales"  # nobody else was affected


@pytest.mark.parametrize("followers, verified, priority", [(20_000, False, 1), (50, True, 1), (50, False, 0)])
def test_a_verified_or_widely_followed_fan_gets_a_higher_priority(factory, followers, verified, priority):
    applied = _decide(factory, 1, "handoff", channel="comment", followers=followers, verified=verified)
    with factory() as session:
        assert queue.get(session, applied.ticket_id)["priority"] == priority


def test_the_history_shows_both_channels_replies_tickets_and_notes(factory):
    alice = operators.add(factory, "alice", "correct-horse-1", role="operator")
    carol = operators.add(factory, "carol", "correct-horse-1", ["after_sales"])
    dave = operators.add(factory, "dave", "correct-horse-1", ["rnd"])
    _decide(factory, 1, "answer", channel="comment", followers=30, verified=False)
    opened = _decide(factory, 2, "handoff").ticket_id
    handoff.note_fan(factory, carol, opened, "上次寄修很满意")
    fan = handoff.fan_history(factory, alice, opened)
    assert [m["channel"] for m in fan["messages"]] == ["dm", "comment"] and len(fan["replies"]) == 1
    assert [t["id"] for t in fan["tickets"]] == [opened] and fan["notes"][0]["text"] == "上次寄修很满意"
    assert not fan["vip"] and not fan["spammer"]
    for act in (lambda: handoff.fan_history(factory, dave, opened), lambda: handoff.note_fan(factory, dave, opened, "x"),
                lambda: handoff.mark_spammer(factory, dave, opened)):
        with pytest.raises(NotPermitted):
            act()
    with pytest.raises(QueueError, match="empty"):
        handoff.note_fan(factory, carol, opened, "  ")
