"""Inbox and outbox: nothing a fan sends is lost, nothing the bot says is sent twice.

Each function is one short transaction (`finish_leased` runs inside the caller's, which also
writes the decision's ticket). The inbox deduplicates on a key the channel derives from
the message (Weibo retries pushes, polls overlap); the outbox deduplicates on an idempotency key
per reply, and its status records whether a send may have happened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from bot.errors import LeaseLost
from bot.store import leases
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
    inbox_events,
    outbox,
)

Factory = "sessionmaker[Session]"
BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0, 15.0, 60.0)
MAX_SEND_ATTEMPTS = 6
# A claimed reply is sent (client time-out 5 s) and marked well within this; past it, its worker died.
SEND_DEADLINE_SECONDS = 15.0
MAX_PROCESS_ATTEMPTS = 3
# How long a claimed inbox row is a worker's own unless renewed: a live worker renews its leases
# every LEASE_SECONDS / 3 (bot.weibo.service), so only a dead or stuck one loses its rows, and
# they wait at most this long for another worker.
LEASE_SECONDS = 30.0


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
        followers_count=_whole(message.payload.get("followers_count")),
        verified=None if message.payload.get("verified") is None else int(bool(message.payload["verified"])),
        created_at=now, updated_at=now)).inserted_primary_key[0]


def _whole(value: Any) -> int | None:
    """A count from Weibo's JSON (an int or a numeric string); None when absent or not a number."""
    try:
        return None if value is None or isinstance(value, bool) else max(0, int(value))
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Lease:
    """Who holds an inbox row, in which attempt: finishing or releasing needs all three to match."""

    inbox_id: int
    worker_id: str
    attempt: int

    @classmethod
    def of(cls, row: Dict[str, Any]) -> Lease:
        return cls(row["id"], row["worker_id"], row["attempts"])


# The live path's statements, built once: SQLAlchemy caches the compiled SQL per statement object,
# and building the constructs anew for each message cost a fifth of the Rasa server's CPU under
# `make load` (cache keys generated again and again).
_CLAIMABLE = (inbox.c.status == RECEIVED) | ((inbox.c.status == PROCESSING) & (
    (inbox.c.lease_expires_at < bindparam("now")) | inbox.c.lease_expires_at.is_(None)))
_CLAIM_ONE = update(inbox).where(inbox.c.id == bindparam("row_id"), _CLAIMABLE).values(
    status=PROCESSING, attempts=inbox.c.attempts + 1, worker_id=bindparam("worker"),
    lease_expires_at=bindparam("expires"), updated_at=bindparam("now"))
_HELD = (inbox.c.id == bindparam("row_id")) & (inbox.c.status == PROCESSING) & (
    inbox.c.worker_id == bindparam("worker")) & (inbox.c.attempts == bindparam("attempt"))
_FINISH = update(inbox).where(_HELD).values(status=DONE, outcome=bindparam("outcome"), reason=bindparam("reason"),
                                            faq_ids=bindparam("faq_ids"), lease_expires_at=None,
                                            updated_at=bindparam("now"))
_RELEASE = update(inbox).where(_HELD).values(status=RECEIVED, error=bindparam("error"), lease_expires_at=None,
                                             updated_at=bindparam("now"))
_EVENT = insert(inbox_events)
_REPLY = insert(outbox)


def _take(session: Session, table: Table, candidates: Select, params: Dict[str, Any],
          take_one: Callable[[int], int]) -> List[Dict[str, Any]]:
    """The claim both queues share: the candidate ids (on PostgreSQL, rows another worker is
    claiming are skipped, not waited for), each taken by a guarded update (on SQLite another
    process may have taken it since the select: `take_one` returns the rows it changed), then
    the taken rows in id order."""
    if session.bind.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    taken = [i for i in session.execute(candidates, params).scalars().all() if take_one(i) == 1]
    if not taken:
        return []
    return [dict(r) for r in session.execute(select(table).where(table.c.id.in_(taken))
                                             .order_by(table.c.id)).mappings().all()]


def claim_inbound(factory: Factory, limit: int, worker_id: str,
                  lease_seconds: float = LEASE_SECONDS) -> List[Dict[str, Any]]:
    """Lease received rows, and rows whose lease expired (a crashed or hung worker), to `worker_id`."""
    now = utcnow()
    held = {"now": now, "worker": worker_id, "expires": now + timedelta(seconds=lease_seconds)}
    with factory.begin() as session:
        return _take(session, inbox, select(inbox.c.id).where(_CLAIMABLE).order_by(inbox.c.id).limit(limit),
                     {"now": now}, lambda i: session.execute(_CLAIM_ONE, {"row_id": i, **held}).rowcount)


def renew_leases(factory: Factory, worker_id: str, inbox_ids: List[int], lease_seconds: float = LEASE_SECONDS) -> int:
    """Extend the leases `worker_id` holds on the rows it is still working on; returns how many.
    A row whose outcome could not be recorded is not among them: its lease runs out and it is retried."""
    if not inbox_ids:
        return 0
    now = utcnow()
    with factory.begin() as session:
        return session.execute(update(inbox).where(
            inbox.c.id.in_(inbox_ids), inbox.c.status == PROCESSING, inbox.c.worker_id == worker_id,
            inbox.c.lease_expires_at >= now,
        ).values(lease_expires_at=now + timedelta(seconds=lease_seconds))).rowcount


def get_inbound(factory: Factory, inbox_id: int) -> Dict[str, Any]:
    with factory() as session:
        return dict(session.execute(select(inbox).where(inbox.c.id == inbox_id)).mappings().one())


def _held(lease: Lease) -> Dict[str, Any]:
    return {"row_id": lease.inbox_id, "worker": lease.worker_id, "attempt": lease.attempt, "now": utcnow()}


def _inbox_event(session: Session, lease: Lease, kind: str, detail: str = "") -> None:
    session.execute(_EVENT, {"inbox_id": lease.inbox_id, "kind": kind, "worker_id": lease.worker_id,
                             "attempt": lease.attempt, "detail": detail[:2000], "created_at": utcnow()})


def finish_leased(session: Session, lease: Lease, replies: List[Dict[str, Any]], outcome: str,
                  reason: str = "", faq_ids: str | None = None) -> None:
    """Inside the caller's transaction: queue the replies and close the row with what was decided
    ("answer/pre_sales", why, which entries). LeaseLost (the caller rolls back) unless `lease` still
    holds the row."""
    held = _held(lease)
    values = {**held, "outcome": outcome, "reason": reason or None, "faq_ids": (faq_ids or None) and faq_ids[:512]}
    if session.execute(_FINISH, values).rowcount != 1:
        raise LeaseLost(f"inbox {lease.inbox_id}: attempt {lease.attempt} of {lease.worker_id} no longer "
                        "holds the row; another worker took it over")
    for i, reply in enumerate(replies):
        session.execute(_REPLY, {"idempotency_key": f"inbox:{lease.inbox_id}:{i}", "inbox_id": lease.inbox_id,
                                 "status": PENDING, "attempts": 0, "next_attempt_at": held["now"],
                                 "created_at": held["now"], "comment_id": None, "post_id": None, **reply})
    _inbox_event(session, lease, DONE, outcome)


def release_inbound(factory: Factory, lease: Lease, error: str) -> bool:
    """Processing failed: back to received for a retry by anyone. False when the lease was lost
    (nothing changed: the row is someone else's now)."""
    with factory.begin() as session:
        released = session.execute(_RELEASE, {**_held(lease), "error": error[:2000]}).rowcount == 1
        if released:
            _inbox_event(session, lease, "retry", error)
        return released


def enqueue_reply(factory: Factory, key: str, reply: Dict[str, Any]) -> int | None:
    """Queue one reply under an idempotency key; None when that key was queued before."""
    try:
        with factory.begin() as session:
            return session.execute(insert(outbox).values(
                idempotency_key=key, status=PENDING, attempts=0, next_attempt_at=utcnow(),
                created_at=utcnow(), **reply)).inserted_primary_key[0]
    except IntegrityError:
        return None


def claim_due(factory: Factory, limit: int, worker_id: str) -> List[Dict[str, Any]]:
    """Mark due pending replies as `worker_id`'s, sending until their deadline (committed before
    the call goes out)."""
    now = utcnow()
    deadline = now + timedelta(seconds=SEND_DEADLINE_SECONDS)
    with factory.begin() as session:
        return _take(session, outbox, select(outbox.c.id).where(
            outbox.c.status == PENDING, outbox.c.next_attempt_at <= now).order_by(outbox.c.id).limit(limit), {},
            lambda i: session.execute(update(outbox).where(outbox.c.id == i, outbox.c.status == PENDING).values(
                status=SENDING, attempts=outbox.c.attempts + 1, send_deadline=deadline,
                worker_id=worker_id)).rowcount)


def _sending_by(worker_id: str) -> ColumnElement:
    return (outbox.c.status == SENDING) & (outbox.c.worker_id == worker_id)


def renew_sends(factory: Factory, worker_id: str, outbox_ids: List[int]) -> int:
    """Move the deadline of the sends `worker_id` still has in flight (a slow call with retries
    inside it can outlast one deadline); a dead worker's rows keep theirs and are recovered."""
    if not outbox_ids:
        return 0
    now = utcnow()
    with factory.begin() as session:
        return session.execute(update(outbox).where(
            outbox.c.id.in_(outbox_ids), _sending_by(worker_id), outbox.c.send_deadline >= now,
        ).values(send_deadline=now + timedelta(seconds=SEND_DEADLINE_SECONDS))).rowcount


def mark_sent(factory: Factory, worker_id: str, *outbox_ids: int) -> int:
    """One transaction for a whole delivered batch. A row another worker already recovered (this
    one outlived its deadline) stays `uncertain` with its ticket; returns how many were marked."""
    with factory.begin() as session:
        return session.execute(update(outbox).where(outbox.c.id.in_(outbox_ids), _sending_by(worker_id))
                               .values(status=SENT, sent_at=utcnow())).rowcount


def retry_delay(attempts: int) -> float | None:
    """Seconds before the next send after `attempts` tries; None once they are used up."""
    if attempts >= MAX_SEND_ATTEMPTS:
        return None
    return BACKOFF_SECONDS[min(attempts - 1, len(BACKOFF_SECONDS) - 1)]


def mark_retry(factory: Factory, worker_id: str, outbox_id: int, delay: float, error: str,
               text: str | None = None) -> bool:
    """Back to pending, due in `delay` seconds (with a new `text`: a variant Weibo will not see as a
    repeat). False when the row is no longer this worker's send (recovered as uncertain meanwhile)."""
    values: Dict[str, Any] = {"status": PENDING, "last_error": error[:2000], "worker_id": None,
                              "next_attempt_at": utcnow() + timedelta(seconds=delay)}
    if text is not None:
        values["text"] = text
    with factory.begin() as session:
        return session.execute(update(outbox).where(outbox.c.id == outbox_id, _sending_by(worker_id))
                               .values(**values)).rowcount == 1


def set_text(factory: Factory, outbox_id: int, text: str) -> None:
    """The reply goes out in another wording (a lead-in against Weibo's repeat rule): record it first."""
    with factory.begin() as session:
        session.execute(update(outbox).where(outbox.c.id == outbox_id).values(text=text))


def mark_undelivered(session: Session, worker_id: str, outbox_id: int, status: str, error: str) -> bool:
    """Inside the caller's transaction (which also opens the ticket): a reply done with without
    being sent, `failed` (Weibo refused it, or every retry failed) or `uncertain` (sent, and no
    answer: it may have reached the fan). Neither is ever sent again. False (no ticket is due)
    when the row is no longer this worker's send: whoever recovered it opened the ticket."""
    if status not in (FAILED, UNCERTAIN):
        raise ValueError(f"status {status!r}: an undelivered reply is {FAILED!r} or {UNCERTAIN!r}")
    return session.execute(update(outbox).where(outbox.c.id == outbox_id, _sending_by(worker_id))
                           .values(status=status, last_error=error[:2000])).rowcount == 1


def recover_sends(session: Session,
                  on_row: Callable[[Session, Dict[str, Any]], None] | None = None) -> List[Dict[str, Any]]:
    """Inside the caller's transaction: replies a dead worker left mid-send (still `sending` past
    their deadline) may have reached Weibo: never resend, flag them, and run `on_row` (the human's
    ticket) for each. Replies live workers are sending now are not touched; of two workers
    recovering at once, only the one whose update takes a row runs `on_row` for it."""
    left = (outbox.c.status == SENDING) & ((outbox.c.send_deadline < utcnow()) | outbox.c.send_deadline.is_(None))
    flagged = []
    for row in [dict(r) for r in session.execute(select(outbox).where(left)).mappings().all()]:
        if session.execute(update(outbox).where(outbox.c.id == row["id"], left).values(
                status=UNCERTAIN, last_error="interrupted while sending; not resent")).rowcount != 1:
            continue
        if on_row is not None:
            on_row(session, row)
        flagged.append(row)
    return flagged


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


def store_comments(factory: Factory, cursor_name: str, new_cursor: str, messages: List[Inbound],
                   holder: str | None = None) -> int:
    """Store polled comments and advance the cursor together: a restart neither skips nor re-reads.
    With `holder`, only while it holds the poller lease (a poller that stalled past its lease must
    not move the cursor under the new holder): LeaseLost otherwise, and nothing is stored."""
    stored = 0
    with factory.begin() as session:
        if holder is not None:
            leases.fence(session, leases.COMMENT_POLLER, holder)
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
