"""A decision about one fan message, and the one place its effects are written.

The custom action decides (FAQ answer, social reply, ignore, handoff) without touching the
database: it returns a `Decision`. The Weibo service then commits the decision's ticket (or the
message's attachment to the conversation's open ticket), the outbox rows and the inbox row's
outcome in one transaction, under the worker's lease. Whether a human has taken the conversation
over is decided here, inside that transaction, so it is decided once, on the state the commit sees.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Dict, List

from sqlalchemy.orm import Session

from bot.errors import InputError
from bot.intents import IGNORE
from bot.outcome import HANDOFF_ACTION, PRIORITY_ELEVATED
from bot.store import fans, queue
from bot.store.messages import Lease, finish_leased
from bot.store.queue import NewTicket

Factory = "sessionmaker[Session]"
HUMAN_TAKEOVER = "human_takeover"
R_SPAMMER = "marked_spammer"


@dataclass(frozen=True)
class Decision:
    """What to do with one message. `ticket` is the message as a ticket: opened on a handoff, and
    attached to the open ticket when a human already holds the conversation (None: never a ticket,
    e.g. an empty message)."""

    action: str
    department: str | None = None
    reply: str | None = None
    reason: str = ""
    ticket: NewTicket | None = None
    faq_id: str | None = None  # the entries of an answer, comma-separated (kept for the reports)

    def to_json(self) -> Dict[str, Any]:
        data = asdict(self)
        if self.ticket is not None:
            data["ticket"]["faq_candidates"] = list(self.ticket.faq_candidates)
        return data

    @classmethod
    def from_json(cls, data: Any) -> Decision:
        if not isinstance(data, dict) or not isinstance(data.get("action"), str):
            raise InputError(f"not a decision: {str(data)[:200]!r} (expected an object with an `action`)")
        ticket = data.get("ticket")
        if isinstance(ticket, dict):
            ticket = {**ticket, "faq_candidates": tuple(ticket.get("faq_candidates") or ())}
        try:
            return cls(action=data["action"], department=data.get("department"), reply=data.get("reply"),
                       reason=str(data.get("reason") or ""), faq_id=data.get("faq_id") or None,
                       ticket=NewTicket(**ticket) if isinstance(ticket, dict) else None)
        except TypeError as exc:
            raise InputError(f"decision with a malformed ticket: {exc}") from exc


@dataclass(frozen=True)
class Applied:
    outcome: str  # "answer/pre_sales", "handoff/after_sales", "human_takeover/after_sales", "ignore/"
    ticket_id: int | None
    reply: str | None
    reason: str | None = None  # when the commit decided otherwise than the decision (a marked spammer)


def apply(session: Session, decision: Decision) -> Applied:
    """Write the decision's ticket inside the caller's transaction; say what the fan is sent."""
    department = decision.department or ""
    ticket = decision.ticket
    if ticket is not None and fans.is_spammer(session, ticket.fan_id):
        return Applied(f"{IGNORE}/", None, None, R_SPAMMER)  # marked by the desk: nothing, not even a ticket
    if ticket is not None:
        found = queue.open_ticket(session, ticket.channel, ticket.conversation_id)
        if found is not None:
            held, handed_back = found
            if not handed_back:
                # A human holds this conversation: the message joins their ticket, the bot stays silent.
                queue.attach(session, held, replace(ticket, reason=HUMAN_TAKEOVER))
                return Applied(f"{HUMAN_TAKEOVER}/{department}", held, None)
            if decision.action == HANDOFF_ACTION:
                # Handed back, and now something the bot cannot answer: a human holds it again.
                queue.take_back(session, held, replace(ticket, reason=decision.reason))
                return Applied(f"{HANDOFF_ACTION}/{department}", held, decision.reply)
            return Applied(f"{decision.action}/{department}", None, decision.reply)
        if decision.action == HANDOFF_ACTION:
            if ticket.priority < PRIORITY_ELEVATED and fans.is_vip(session, ticket.fan_id):
                ticket = replace(ticket, priority=PRIORITY_ELEVATED)  # verified, or many followers
            opened = queue.open_new(session, replace(ticket, reason=decision.reason))
            return Applied(f"{HANDOFF_ACTION}/{department}", opened, decision.reply)
    return Applied(f"{decision.action}/{department}", None, decision.reply)


def record(factory: Factory, decision: Decision) -> Applied:
    """A decision for a message that has no inbox row (the REST channel for local testing)."""
    return queue.in_transaction(factory, lambda session: apply(session, decision), "a decision")


def commit(factory: Factory, lease: Lease, decision: Decision,
           reply_row: Callable[[str], Dict[str, Any]]) -> Applied:
    """The ticket, the outbox row and the inbox outcome in one transaction; LeaseLost (nothing is
    written) when `lease` no longer holds the inbox row."""

    def work(session: Session) -> Applied:
        applied = apply(session, decision)
        replies: List[Dict[str, Any]] = [reply_row(applied.reply)] if applied.reply else []
        finish_leased(session, lease, replies, applied.outcome, applied.reason or decision.reason, decision.faq_id)
        return applied

    return queue.in_transaction(factory, work, f"the decision on inbox {lease.inbox_id}")


def decision_of(payload: str | Dict[str, Any]) -> Decision:
    """A decision from its JSON (as an action reports it)."""
    return Decision.from_json(json.loads(payload) if isinstance(payload, str) else payload)
