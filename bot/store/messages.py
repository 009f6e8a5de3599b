"""Inbox and outbox: nothing a fan sends is lost, nothing the bot says is sent twice.

Each function is one short transaction. The inbox deduplicates on a key the channel derives from
the message (Weibo retries pushes, polls overlap); the outbox deduplicates on an idempotency key
per reply, and its status records whether a send may have happened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.tables import (
    DONE,
    FAILED,
    PENDING,
    PROCESSING,
    RECEIVED,
    SENDING,
    SENT,
    UNCERTAIN,
    cursors,
    inbox,
    outbox,
)

Factory = "sessionmaker[Session]"
BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0, 15.0, 60.0)
MAX_SEND_ATTEMPTS = 6
MAX_PROCESS_ATTEMPTS = 3


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Inbound:
    channel: str
    dedupe_key: str
    sender_id: str
    conversation_id: str
    text: str
    payload: Dict[str, Any]


def store_inbound(factory: Factory, message: Inbound) -> int | None:
    """Store a message; None when the same message was stored before (a duplicate)."""
    try:
        with factory.begin() as session:
            return _insert_inbound(session, message)
    except IntegrityError:
        return None


def _insert_inbound(session: Session, message: Inbound) -> int:
    now = utcnow()
    return session.execute(insert(inbox).values(
        channel=message.channel, dedupe_key=message.dedupe_key, sender_id=message.sender_id,
        conversation_id=message.conversation_id, text=message.text,
        payload=json.dumps(message.payload, ensure_ascii=False), status=RECEIVED,
        created_at=now, updated_at=now)).inserted_primary_key[0]


def claim_inbound(factory: Factory, limit: int, stale_after: float = 60.0) -> List[Dict[str, Any]]:
    """Take received rows (and rows a crash left in processing) for processing."""
    stale = utcnow() - timedelta(seconds=stale_after)
    claimed = []
    with factory.begin() as session:
        rows = session.execute(
            select(inbox.c.id, inbox.c.status, inbox.c.updated_at)
            .where((inbox.c.status == RECEIVED) | ((inbox.c.status == PROCESSING) & (inbox.c.updated_at < stale)))
            .order_by(inbox.c.id).limit(limit)
        ).all()
        for row in rows:
            result = session.execute(update(inbox).where(
                inbox.c.id == row.id, inbox.c.status == row.status, inbox.c.updated_at == row.updated_at
            ).values(status=PROCESSING, attempts=inbox.c.attempts + 1, updated_at=utcnow()))
            if result.rowcount == 1:
                claimed.append(row.id)
        if not claimed:
            return []
        return [dict(r) for r in session.execute(select(inbox).where(inbox.c.id.in_(claimed))
                                                 .order_by(inbox.c.id)).mappings().all()]


def get_inbound(factory: Factory, inbox_id: int) -> Dict[str, Any]:
    with factory() as session:
        return dict(session.execute(select(inbox).where(inbox.c.id == inbox_id)).mappings().one())


def finish_inbound(factory: Factory, inbox_id: int, replies: List[Dict[str, Any]], outcome: str) -> None:
    """Queue the replies and close the inbox row with what was decided ("answer/pre_sales"), in one
    transaction (replies at most once)."""
    with factory.begin() as session:
        for i, reply in enumerate(replies):
            key = f"inbox:{inbox_id}:{i}"
            exists = session.execute(select(outbox.c.id).where(outbox.c.idempotency_key == key)).first()
            if exists is None:
                session.execute(insert(outbox).values(
                    idempotency_key=key, inbox_id=inbox_id, status=PENDING, attempts=0,
                    next_attempt_at=utcnow(), created_at=utcnow(), **reply))
        session.execute(update(inbox).where(inbox.c.id == inbox_id).values(status=DONE, outcome=outcome,
                                                                           updated_at=utcnow()))


def release_inbound(factory: Factory, inbox_id: int, error: str, give_up: bool) -> None:
    """Processing failed: back to received for a retry, or failed for good."""
    with factory.begin() as session:
        session.execute(update(inbox).where(inbox.c.id == inbox_id).values(
            status=FAILED if give_up else RECEIVED, error=error[:2000], updated_at=utcnow()))


def enqueue_reply(factory: Factory, key: str, reply: Dict[str, Any]) -> int | None:
    """Queue one reply under an idempotency key; None when that key was queued before."""
    try:
        with factory.begin() as session:
            return session.execute(insert(outbox).values(
                idempotency_key=key, status=PENDING, attempts=0, next_attempt_at=utcnow(),
                created_at=utcnow(), **reply)).inserted_primary_key[0]
    except IntegrityError:
        return None


def claim_due(factory: Factory, limit: int) -> List[Dict[str, Any]]:
    """Mark due pending replies as sending (committed before the call goes out)."""
    now = utcnow()
    with factory.begin() as session:
        ids = session.execute(select(outbox.c.id).where(outbox.c.status == PENDING, outbox.c.next_attempt_at <= now)
                              .order_by(outbox.c.id).limit(limit)).scalars().all()
        taken = [i for i in ids if session.execute(update(outbox).where(
            outbox.c.id == i, outbox.c.status == PENDING
        ).values(status=SENDING, attempts=outbox.c.attempts + 1)).rowcount == 1]
        if not taken:
            return []
        return [dict(r) for r in session.execute(select(outbox).where(outbox.c.id.in_(taken))
                                                 .order_by(outbox.c.id)).mappings().all()]


def mark_sent(factory: Factory, *outbox_ids: int) -> None:
    """One transaction for a whole delivered batch."""
    with factory.begin() as session:
        session.execute(update(outbox).where(outbox.c.id.in_(outbox_ids)).values(status=SENT, sent_at=utcnow()))


def mark_retry(factory: Factory, outbox_id: int, attempts: int, error: str) -> bool:
    """Back to pending with backoff; False (and failed) once attempts are used up."""
    give_up = attempts >= MAX_SEND_ATTEMPTS
    delay = BACKOFF_SECONDS[min(attempts - 1, len(BACKOFF_SECONDS) - 1)]
    with factory.begin() as session:
        session.execute(update(outbox).where(outbox.c.id == outbox_id).values(
            status=FAILED if give_up else PENDING, last_error=error[:2000],
            next_attempt_at=utcnow() + timedelta(seconds=delay)))
    return not give_up


def mark_undelivered(factory: Factory, outbox_id: int, status: str, error: str) -> None:
    """A reply that is done with without being sent: `failed` (Weibo refused it) or `uncertain`
    (sent, and no answer: it may have reached the fan). Neither is ever sent again."""
    if status not in (FAILED, UNCERTAIN):
        raise ValueError(f"status {status!r}: an undelivered reply is {FAILED!r} or {UNCERTAIN!r}")
    with factory.begin() as session:
        session.execute(update(outbox).where(outbox.c.id == outbox_id).values(status=status, last_error=error[:2000]))


def recover_after_crash(factory: Factory) -> List[Dict[str, Any]]:
    """Replies caught mid-send by a crash may have reached Weibo: never resend, flag them."""
    with factory.begin() as session:
        rows = [dict(r) for r in session.execute(select(outbox).where(outbox.c.status == SENDING)).mappings().all()]
        if rows:
            session.execute(update(outbox).where(outbox.c.status == SENDING).values(
                status=UNCERTAIN, last_error="interrupted while sending; not resent"))
        return rows


def next_due_in(factory: Factory) -> float | None:
    """Seconds until the next pending reply is due (None when there is none)."""
    with factory() as session:
        when = session.execute(select(func.min(outbox.c.next_attempt_at)).where(outbox.c.status == PENDING)).scalar()
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - utcnow()).total_seconds())


def get_cursor(factory: Factory, name: str) -> str | None:
    with factory() as session:
        return session.execute(select(cursors.c.value).where(cursors.c.name == name)).scalar_one_or_none()


def store_comments(factory: Factory, cursor_name: str, new_cursor: str, messages: List[Inbound]) -> int:
    """Store polled comments and advance the cursor together: a restart neither skips nor re-reads."""
    stored = 0
    with factory.begin() as session:
        for message in messages:
            exists = session.execute(select(inbox.c.id).where(inbox.c.dedupe_key == message.dedupe_key)).first()
            if exists is not None:
                continue
            _insert_inbound(session, message)
            stored += 1
        updated = session.execute(update(cursors).where(cursors.c.name == cursor_name)
                                  .values(value=new_cursor, updated_at=utcnow())).rowcount
        if not updated:
            session.execute(insert(cursors).values(name=cursor_name, value=new_cursor, updated_at=utcnow()))
    return stored


def counts(factory: Factory) -> Dict[str, Dict[str, int]]:
    with factory() as session:
        ins = dict(session.execute(select(inbox.c.status, func.count()).group_by(inbox.c.status)).all())
        outs = dict(session.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all())
    return {"inbox": ins, "outbox": outs}
