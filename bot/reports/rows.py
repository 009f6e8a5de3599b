"""The rows a report is computed from, read in a few set-based queries.

Figures are computed in Python from these rows (bot.reports.figures) rather than in SQL, so that
SQLite and PostgreSQL give the same numbers and every figure can be checked by hand on a fixture.
A report over a few weeks of one account is some thousands of rows: one read is cheap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Collection, Dict, List, Tuple

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bot.store.tables import DONE, SENT, inbox, outbox, ticket_events, ticket_messages, tickets


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Message:
    """One fan message as it ended (an inbox row)."""

    id: int
    channel: str
    fan: str
    created_at: datetime
    action: str  # answer, social, handoff, human_takeover, ignore
    department: str  # "" for social replies and ignores
    reason: str
    faq_ids: Tuple[str, ...]
    text: str
    first_reply_at: datetime | None  # when the bot's reply to it was sent
    followers: int | None
    verified: bool | None
    screen_name: str | None


@dataclass(frozen=True)
class Ticket:
    id: int
    channel: str
    department: str
    reason: str
    intent: str | None
    status: str
    created_at: datetime
    closed_at: datetime | None
    first_answer_at: datetime | None  # an operator's first reply
    text: str  # the fan's first message on it, normalised
    priority: int = 0


@dataclass(frozen=True)
class Rows:
    messages: List[Message]  # created in [since - lookback, until + 1 day)
    tickets: List[Ticket]  # created in [since - lookback, until)
    first_seen: Dict[str, datetime]  # each fan's first message ever


def _message(row) -> Message:
    action, _, department = (row.outcome or "").partition("/")
    payload = {}
    if row.channel == "comment":
        try:
            payload = json.loads(row.payload or "{}")
        except ValueError:
            payload = {}
    return Message(row.id, row.channel, row.sender_id, aware(row.created_at), action, department, row.reason or "",
                   tuple(i for i in (row.faq_ids or "").split(",") if i), row.text, aware(row.first_reply_at),
                   row.followers_count, None if row.verified is None else bool(row.verified),
                   payload.get("screen_name"))


def read(session: Session, since: datetime, until: datetime, lookback: timedelta,
         departments: Collection[str] | None = None) -> Rows:
    """Messages and tickets around [since, until); `departments` (None: all) limits both, and a
    limited view leaves out the messages no department owns (social replies, ignores)."""
    start = since - lookback
    replies = (select(outbox.c.inbox_id, func.min(outbox.c.sent_at).label("first_reply_at"))
               .where(outbox.c.status == SENT, outbox.c.inbox_id.is_not(None))
               .group_by(outbox.c.inbox_id).subquery())
    query = (select(inbox.c.id, inbox.c.channel, inbox.c.sender_id, inbox.c.created_at, inbox.c.outcome,
                    inbox.c.reason, inbox.c.faq_ids, inbox.c.text, inbox.c.payload, inbox.c.followers_count,
                    inbox.c.verified, replies.c.first_reply_at)
             .outerjoin(replies, replies.c.inbox_id == inbox.c.id)
             .where(inbox.c.status == DONE, inbox.c.created_at >= start,
                    inbox.c.created_at < until + timedelta(days=1))
             .order_by(inbox.c.created_at, inbox.c.id))
    messages = [_message(r) for r in session.execute(query)]
    if departments is not None:
        messages = [m for m in messages if m.department in departments]

    answered = (select(ticket_events.c.ticket_id, func.min(ticket_events.c.created_at).label("at"))
                .where(ticket_events.c.kind == "answered").group_by(ticket_events.c.ticket_id).subquery())
    first_message = (select(ticket_messages.c.ticket_id, func.min(ticket_messages.c.id).label("message_id"))
                     .where(ticket_messages.c.direction == "in").group_by(ticket_messages.c.ticket_id).subquery())
    tq = (select(tickets, answered.c.at.label("first_answer_at"), ticket_messages.c.normalised_text,
                 ticket_messages.c.original_text)
          .outerjoin(answered, answered.c.ticket_id == tickets.c.id)
          .outerjoin(first_message, first_message.c.ticket_id == tickets.c.id)
          .outerjoin(ticket_messages, ticket_messages.c.id == first_message.c.message_id)
          .where(tickets.c.created_at >= start, tickets.c.created_at < until)
          .order_by(tickets.c.created_at, tickets.c.id))
    if departments is not None:
        tq = tq.where(tickets.c.department.in_(list(departments)))
    found = [Ticket(r.id, r.channel, r.department, r.reason, r.intent, r.status, aware(r.created_at),
                    aware(r.closed_at), aware(r.first_answer_at), r.normalised_text or r.original_text or "",
                    r.priority)
             for r in session.execute(tq)]

    fans = {m.fan for m in messages}
    first_seen: Dict[str, datetime] = {}
    if fans:
        period_fans = select(inbox.c.sender_id).where(and_(inbox.c.created_at >= since, inbox.c.created_at < until))
        for fan, first in session.execute(select(inbox.c.sender_id, func.min(inbox.c.created_at))
                                          .where(inbox.c.sender_id.in_(period_fans))
                                          .group_by(inbox.c.sender_id)):
            first_seen[fan] = aware(first)
    return Rows(messages, found, first_seen)
