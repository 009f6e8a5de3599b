"""The handoff queue: tickets for humans, tagged by department, with an audit trail.

Each function is one short transaction on a session the caller provides. Claims are safe under
concurrency: on PostgreSQL the next ticket is picked with `FOR UPDATE SKIP LOCKED`; on every
backend the claim itself is an UPDATE guarded by the expected status, and a row count of 0 means
somebody else won.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Sequence, Tuple, TypeVar

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import QueueError
from bot.intents import DEPARTMENTS
from bot.store import assignment
from bot.store.tables import (
    ANSWERED,
    CLAIMED,
    CLOSED,
    DISMISSED,
    OPEN_SQL,
    OPEN_STATUSES,
    STATUSES,
    WAITING,
    outbox,
    ticket_events,
    ticket_messages,
    tickets,
)

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class NewTicket:
    channel: str
    fan_id: str
    conversation_id: str
    department: str
    reason: str
    original_text: str
    normalised_text: str
    intent: str | None = None
    confidence: float = 0.0
    priority: int = 0
    faq_candidates: Sequence[Dict[str, Any]] = ()
    reply_target: Dict[str, Any] | None = None
    draft_reply: str = ""  # the bot's answer for the questions the FAQ covers, for the operator to edit


# Where an operator's reply goes: the fan, plus the comment (and its post) when it came from one.
REPLY_TARGET_KEYS = ("cid", "post_id")


def reply_target(receiver_id: str, source: Dict[str, Any]) -> Dict[str, str]:
    """The reply target of a message from `source` (its metadata or stored payload)."""
    return {"receiver_id": str(receiver_id), **{k: str(source[k]) for k in REPLY_TARGET_KEYS if source.get(k)}}


def _event(session: Session, ticket_id: int, kind: str, actor: str, from_status: str | None,
           to_status: str | None, detail: str = "") -> int:
    return session.execute(insert(ticket_events).values(
        ticket_id=ticket_id, kind=kind, actor=actor, from_status=from_status, to_status=to_status,
        detail=detail, created_at=utcnow())).inserted_primary_key[0]


def _add_message(session: Session, ticket_id: int, author: str, original: str, normalised: str,
                 direction: str = "in") -> None:
    session.execute(insert(ticket_messages).values(
        ticket_id=ticket_id, author=author, original_text=original, normalised_text=normalised,
        direction=direction, created_at=utcnow()))


# Asked for every fan message (is a human holding the conversation?): built once, compiled once.
_OPEN_TICKET = select(tickets.c.id, tickets.c.handed_back_at).where(tickets.c.channel == bindparam("channel"),
                                          tickets.c.conversation_id == bindparam("conversation"),
                                          text(OPEN_SQL))  # the partial index's own predicate


def open_ticket(session: Session, channel: str, conversation_id: str) -> Tuple[int, bool] | None:
    """The conversation's open ticket and whether it was handed back to the bot; None: no open ticket."""
    row = session.execute(_OPEN_TICKET, {"channel": channel, "conversation": conversation_id}).first()
    return None if row is None else (row.id, row.handed_back_at is not None)


def open_ticket_id(session: Session, channel: str, conversation_id: str) -> int | None:
    found = open_ticket(session, channel, conversation_id)
    return None if found is None else found[0]


def _check_department(new: NewTicket) -> None:
    if new.department not in DEPARTMENTS:
        raise QueueError(f"unknown department {new.department!r}: use one of {', '.join(DEPARTMENTS)}")


def submit_in(session: Session, new: NewTicket) -> int:
    """Inside the caller's transaction: open a ticket, or attach the message to the conversation's
    open ticket; returns its id. IntegrityError when another writer opened one meanwhile (retry)."""
    existing = open_ticket_id(session, new.channel, new.conversation_id)
    return open_new(session, new) if existing is None else attach(session, existing, new)


def attach(session: Session, ticket_id: int, new: NewTicket) -> int:
    """Inside the caller's transaction: the message joins open ticket `ticket_id` (same conversation)."""
    _check_department(new)
    _add_message(session, ticket_id, new.fan_id, new.original_text, new.normalised_text)
    session.execute(update(tickets).where(
        tickets.c.id == ticket_id, tickets.c.priority < new.priority
    ).values(priority=new.priority))
    latest = {"updated_at": utcnow()}
    if new.reply_target:
        latest["reply_target"] = json.dumps(new.reply_target, ensure_ascii=False)
    session.execute(update(tickets).where(tickets.c.id == ticket_id).values(**latest))
    _event(session, ticket_id, "message_attached", new.fan_id, None, None, new.reason)
    return ticket_id


def take_back(session: Session, ticket_id: int, new: NewTicket) -> int:
    """Inside the caller's transaction: a handed-back ticket's fan wrote what the bot cannot answer;
    the message joins the ticket and a human holds the conversation again (waiting, unless claimed)."""
    attach(session, ticket_id, new)
    current = get(session, ticket_id)
    status = WAITING if current["status"] == ANSWERED else current["status"]
    session.execute(update(tickets).where(tickets.c.id == ticket_id).values(
        handed_back_at=None, status=status, updated_at=utcnow()))
    _event(session, ticket_id, "taken_back", "bot", current["status"], status, new.reason)
    return ticket_id


def open_new(session: Session, new: NewTicket) -> int:
    """Inside the caller's transaction: a new ticket for a conversation that has no open one
    (IntegrityError when another writer opened one meanwhile: retry, and it attaches)."""
    _check_department(new)
    now = utcnow()
    ticket_id = session.execute(insert(tickets).values(
        channel=new.channel, fan_id=new.fan_id, conversation_id=new.conversation_id,
        department=new.department, intent=new.intent, confidence=float(new.confidence),
        reason=new.reason, priority=new.priority, status=WAITING,
        faq_candidates=json.dumps(list(new.faq_candidates), ensure_ascii=False),
        reply_target=json.dumps(new.reply_target or {"receiver_id": new.fan_id}, ensure_ascii=False),
        draft_reply=new.draft_reply, created_at=now, updated_at=now,
    )).inserted_primary_key[0]
    _add_message(session, ticket_id, new.fan_id, new.original_text, new.normalised_text)
    _event(session, ticket_id, "created", "bot", None, WAITING, new.reason)
    assignment.assign_new(session, ticket_id, new.department, now)
    return ticket_id


def in_transaction(factory: sessionmaker[Session], work: Callable[[Session], T], what: str) -> T:
    """Run `work` in one transaction, again when a concurrent writer opened the same conversation's
    ticket first (the unique open-ticket index): the retry attaches to that ticket."""
    for _attempt in range(3):
        try:
            with factory.begin() as session:
                return work(session)
        except IntegrityError:
            continue
    raise QueueError(f"could not record {what}: the conversation kept changing, retry later")


def submit(factory: sessionmaker[Session], new: NewTicket) -> int:
    """Open a ticket, or attach the message to the conversation's open ticket; returns its id."""
    return in_transaction(factory, lambda session: submit_in(session, new),
                          f"a ticket for conversation {new.conversation_id!r}")


def reply_failed(session: Session, ticket_id: int, error: str) -> int:
    """An operator's reply did not reach the fan: the ticket waits again for its department, with
    an event saying why; returns the ticket that now holds the conversation."""
    current = get(session, ticket_id)
    if current["status"] in OPEN_STATUSES:
        session.execute(update(tickets).where(tickets.c.id == ticket_id).values(status=WAITING, updated_at=utcnow()))
        _event(session, ticket_id, "reply_failed", "bot", current["status"], WAITING, error)
        return ticket_id
    other = open_ticket_id(session, current["channel"], current["conversation_id"])
    if other is None:
        session.execute(update(tickets).where(tickets.c.id == ticket_id).values(
            status=WAITING, closed_at=None, updated_at=utcnow()))
        _event(session, ticket_id, "reply_failed", "bot", current["status"], WAITING, error)
        return ticket_id
    # The fan wrote again since and a newer ticket holds the conversation: note it on both.
    _event(session, ticket_id, "reply_failed", "bot", None, None, f"{error}; continued in ticket {other}")
    _event(session, other, "reply_failed", "bot", None, None, f"the reply of ticket {ticket_id} failed: {error}")
    return other


def last_fan_message_at(session: Session, ticket_id: int) -> datetime | None:
    """When the fan last wrote on this ticket (Weibo's DM reply window counts from it)."""
    when = session.execute(select(func.max(ticket_messages.c.created_at)).where(
        ticket_messages.c.ticket_id == ticket_id, ticket_messages.c.direction == "in")).scalar()
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when


def get(session: Session, ticket_id: int) -> Dict[str, Any]:
    row = session.execute(select(tickets).where(tickets.c.id == ticket_id)).mappings().one_or_none()
    if row is None:
        raise QueueError(f"ticket {ticket_id} does not exist: list tickets with `bot queue list`")
    return dict(row)


def messages(session: Session, ticket_id: int) -> List[Dict[str, Any]]:
    rows = session.execute(select(ticket_messages).where(ticket_messages.c.ticket_id == ticket_id)
                           .order_by(ticket_messages.c.id)).mappings().all()
    return [dict(r) for r in rows]


def events(session: Session, ticket_id: int) -> List[Dict[str, Any]]:
    rows = session.execute(select(ticket_events).where(ticket_events.c.ticket_id == ticket_id)
                           .order_by(ticket_events.c.id)).mappings().all()
    return [dict(r) for r in rows]


PER_PAGE, MAX_PER_PAGE = 50, 500
MIN_INDEXED_SEARCH = 3  # both indexes hold character trigrams: shorter searches scan


@dataclass(frozen=True)
class TicketQuery:
    """Which tickets, in the queue's order (priority, then oldest first); every filter runs in SQL."""

    departments: Sequence[str] | None = None
    statuses: Sequence[str] = OPEN_STATUSES
    older_than: datetime | None = None  # created at or before this
    search: str = ""  # words of the fan's or an operator's messages, a ticket number (#12) or a fan id
    page: int = 1
    per_page: int = PER_PAGE  # 0: every matching ticket
    # "due": soonest deadline first, from `targets` (seconds per (department, priority): first
    # response, resolution; bot.service_levels); "priority": priority, then oldest first.
    order: str = "priority"
    targets: Mapping[Tuple[str, int], Tuple[float, float]] | None = None


@dataclass(frozen=True)
class Page:
    rows: List[Dict[str, Any]]
    total: int  # matching tickets, over all pages
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page)) if self.per_page else 1


def _matching_tickets(session: Session, words: str):
    """Ids of tickets with a message containing `words` (the dialect's trigram index where it helps)."""
    if session.bind.dialect.name == "sqlite" and len(words) >= MIN_INDEXED_SEARCH:
        phrase = '"' + words.replace('"', '""') + '"'
        return select(ticket_messages.c.ticket_id).where(ticket_messages.c.id.in_(
            text("SELECT rowid FROM ticket_search WHERE ticket_search MATCH :phrase").bindparams(phrase=phrase)))
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return select(ticket_messages.c.ticket_id).where(ticket_messages.c.original_text.ilike(pattern, escape="\\"))


def _deadline(session: Session, targets: Mapping[Tuple[str, int], Tuple[float, float]]):
    """Each ticket's deadline in seconds since the epoch: created + its first-response target, or
    + its resolution target once answered (the same rule as bot.service_levels, in SQL)."""
    if session.bind.dialect.name == "postgresql":
        epoch = func.extract("epoch", tickets.c.created_at)
    else:
        epoch = (func.julianday(tickets.c.created_at) - 2440587.5) * 86400.0
    whens = []
    for (department, priority), (first, resolution) in targets.items():
        same = and_(tickets.c.department == department, tickets.c.priority == priority)
        whens += [(and_(same, tickets.c.status == ANSWERED), resolution), (same, first)]
    return epoch + (case(*whens, else_=0.0) if whens else 0.0)


def find(session: Session, query: TicketQuery) -> Page:
    if query.page < 1 or not 0 <= query.per_page <= MAX_PER_PAGE:
        raise QueueError(f"page {query.page} of {query.per_page} per page: pages start at 1, at most "
                         f"{MAX_PER_PAGE} tickets a page")
    where = [tickets.c.status.in_(list(query.statuses))]
    if query.departments:
        where.append(tickets.c.department.in_(list(query.departments)))
    if query.older_than is not None:
        where.append(tickets.c.created_at <= query.older_than)
    words = " ".join(query.search.split())
    if words:
        matches = [tickets.c.id.in_(_matching_tickets(session, words)), tickets.c.fan_id == words]
        if words.lstrip("#").isdigit():
            matches.append(tickets.c.id == int(words.lstrip("#")))
        where.append(or_(*matches))
    total = session.execute(select(func.count()).select_from(tickets).where(*where)).scalar_one()
    last_fan = (select(func.max(ticket_messages.c.created_at))
                .where(ticket_messages.c.ticket_id == tickets.c.id, ticket_messages.c.direction == "in")
                .scalar_subquery().label("last_fan_at"))
    if query.order == "due":
        ordering = (_deadline(session, query.targets or {}), tickets.c.id)
    elif query.order == "priority":
        ordering = (tickets.c.priority.desc(), tickets.c.created_at, tickets.c.id)
    else:
        raise QueueError(f"unknown order {query.order!r}: use priority or due")
    rows = select(tickets, last_fan).where(*where).order_by(*ordering)
    if query.per_page:
        rows = rows.limit(query.per_page).offset((query.page - 1) * query.per_page)
    return Page([dict(r) for r in session.execute(rows).mappings().all()], total, query.page, query.per_page)


def listing(session: Session, departments: Sequence[str] | None = None,
            statuses: Sequence[str] = OPEN_STATUSES) -> List[Dict[str, Any]]:
    """Every ticket in the queue's order (no limit: callers that show a page use `find`)."""
    return find(session, TicketQuery(departments, statuses, per_page=0)).rows


def _transition(factory: sessionmaker[Session], ticket_id: int, actor: str, kind: str,
                allowed_from: Sequence[str], to_status: str, values: Dict[str, Any],
                detail: str = "", require_holder: bool = False) -> Dict[str, Any]:
    with factory.begin() as session:
        current = get(session, ticket_id)
        if current["status"] not in allowed_from:
            holder = f" by {current['assignee']}" if current["assignee"] else ""
            raise QueueError(f"ticket {ticket_id} is {current['status']}{holder}: cannot {kind} it "
                             f"(only from {', '.join(allowed_from)})")
        if require_holder and current["status"] == CLAIMED and current["assignee"] not in (None, actor):
            raise QueueError(f"ticket {ticket_id} is claimed by {current['assignee']}: ask them, or reassign it")
        result = session.execute(update(tickets).where(
            and_(tickets.c.id == ticket_id, tickets.c.status == current["status"])
        ).values(status=to_status, updated_at=utcnow(), **values))
        if result.rowcount != 1:
            raise QueueError(f"ticket {ticket_id} changed while you were acting on it: look at it again")
        _event(session, ticket_id, kind, actor, current["status"], to_status, detail)
        return get(session, ticket_id)


def claim(factory: sessionmaker[Session], ticket_id: int, operator: str) -> Dict[str, Any]:
    with factory.begin() as session:
        current = get(session, ticket_id)
        if current["status"] == CLAIMED:
            raise QueueError(f"ticket {ticket_id} is already claimed by {current['assignee']}")
        result = session.execute(update(tickets).where(
            tickets.c.id == ticket_id, tickets.c.status == WAITING
        ).values(status=CLAIMED, assignee=operator, handed_back_at=None, updated_at=utcnow()))
        if result.rowcount != 1:
            latest = get(session, ticket_id)
            raise QueueError(f"ticket {ticket_id} is {latest['status']}"
                             + (f" (claimed by {latest['assignee']})" if latest["assignee"] else "")
                             + ": only waiting tickets can be claimed")
        _event(session, ticket_id, "claimed", operator, WAITING, CLAIMED)
        return get(session, ticket_id)


def claim_next(factory: sessionmaker[Session], operator: str,
               departments: Sequence[str] | None = None) -> Dict[str, Any] | None:
    """Claim the most urgent waiting ticket; None when nothing is waiting."""
    for _attempt in range(20):
        with factory.begin() as session:
            query = select(tickets.c.id).where(tickets.c.status == WAITING)
            if departments:
                query = query.where(tickets.c.department.in_(list(departments)))
            query = query.order_by(tickets.c.priority.desc(), tickets.c.created_at, tickets.c.id).limit(1)
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ticket_id = session.execute(query).scalar_one_or_none()
            if ticket_id is None:
                return None
            result = session.execute(update(tickets).where(
                tickets.c.id == ticket_id, tickets.c.status == WAITING
            ).values(status=CLAIMED, assignee=operator, updated_at=utcnow()))
            if result.rowcount == 1:
                _event(session, ticket_id, "claimed", operator, WAITING, CLAIMED)
                return get(session, ticket_id)
    return None


def hand_back(factory: sessionmaker[Session], ticket_id: int, operator: str) -> Dict[str, Any]:
    """End the human takeover without closing: the ticket stays open, the bot answers the fan again."""
    with factory.begin() as session:
        current = get(session, ticket_id)
        if current["status"] not in OPEN_STATUSES:
            raise QueueError(f"ticket {ticket_id} is {current['status']}: the bot already answers this fan")
        if current["handed_back_at"] is not None:
            raise QueueError(f"ticket {ticket_id} was already handed back to the bot")
        if current["status"] == CLAIMED and current["assignee"] not in (None, operator):
            raise QueueError(f"ticket {ticket_id} is claimed by {current['assignee']}: ask them, or reassign it")
        result = session.execute(update(tickets).where(
            tickets.c.id == ticket_id, tickets.c.status == current["status"], tickets.c.handed_back_at.is_(None)
        ).values(handed_back_at=utcnow(), updated_at=utcnow()))
        if result.rowcount != 1:
            raise QueueError(f"ticket {ticket_id} changed while you were acting on it: look at it again")
        _event(session, ticket_id, "handed_back", operator, current["status"], current["status"])
        return get(session, ticket_id)


def release(factory: sessionmaker[Session], ticket_id: int, operator: str) -> Dict[str, Any]:
    return _transition(factory, ticket_id, operator, "released", (CLAIMED,), WAITING, {"assignee": None},
                       require_holder=True)


def record_reply(factory: sessionmaker[Session], ticket_id: int, operator: str, text: str,
                 send: Dict[str, Any] | None = None) -> Dict[str, Any]:
    """Mark the ticket answered by `operator` and keep the reply on it; with `send`, queue the outbox
    row in the same transaction (keyed by the event), so a reply is never recorded but unsent."""
    with factory.begin() as session:
        current = get(session, ticket_id)
        if current["status"] not in (WAITING, CLAIMED, ANSWERED):
            raise QueueError(f"ticket {ticket_id} is {current['status']}: reopen is not possible, the fan's "
                             "next message opens a new ticket")
        if current["status"] == CLAIMED and current["assignee"] not in (None, operator):
            raise QueueError(f"ticket {ticket_id} is claimed by {current['assignee']}: ask them, or reassign it")
        result = session.execute(update(tickets).where(
            tickets.c.id == ticket_id, tickets.c.status == current["status"]
        ).values(status=ANSWERED, assignee=operator, handed_back_at=None, updated_at=utcnow()))
        if result.rowcount != 1:
            raise QueueError(f"ticket {ticket_id} changed while you were replying: look at it again")
        _add_message(session, ticket_id, operator, text, text, direction="out")
        event_id = _event(session, ticket_id, "answered", operator, current["status"], ANSWERED, text)
        if send is not None:
            now = utcnow()
            session.execute(insert(outbox).values(
                idempotency_key=f"ticket:{ticket_id}:event:{event_id}", ticket_id=ticket_id, text=text,
                status="pending", attempts=0, next_attempt_at=now, created_at=now, **send))
        return get(session, ticket_id)


def close(factory: sessionmaker[Session], ticket_id: int, operator: str, note: str = "") -> Dict[str, Any]:
    return _transition(factory, ticket_id, operator, "closed", OPEN_STATUSES, CLOSED,
                       {"closed_at": utcnow()}, note, require_holder=True)


def dismiss(factory: sessionmaker[Session], ticket_id: int, operator: str, note: str = "") -> Dict[str, Any]:
    return _transition(factory, ticket_id, operator, "dismissed", OPEN_STATUSES, DISMISSED,
                       {"closed_at": utcnow()}, note, require_holder=True)


def reassign(factory: sessionmaker[Session], ticket_id: int, operator: str, department: str) -> Dict[str, Any]:
    """Hand the ticket to another department; it waits there, unclaimed."""
    if department not in DEPARTMENTS:
        raise QueueError(f"unknown department {department!r}: use one of {', '.join(DEPARTMENTS)}")
    return _transition(factory, ticket_id, operator, "reassigned", OPEN_STATUSES, WAITING,
                       {"department": department, "assignee": None}, f"to {department}", require_holder=True)


def status_counts(session: Session) -> Dict[str, Dict[str, int]]:
    rows = session.execute(select(tickets.c.department, tickets.c.status, func.count())
                           .group_by(tickets.c.department, tickets.c.status)).all()
    out: Dict[str, Dict[str, int]] = {}
    for dept, status, count in rows:
        out.setdefault(dept, {s: 0 for s in STATUSES})[status] = count
    return out
