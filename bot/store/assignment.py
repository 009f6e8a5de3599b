"""Who gets a new ticket: the available members of its department, in turn, each up to a cap.

An operator marks himself available (console header, `bot operators available`). A new ticket goes
to the available member of its department (role `member` listed for it) who was assigned least
recently, among those holding fewer claimed tickets than their cap; with nobody free it waits in
the queue as before. It is then `claimed` by him, with an `assigned` event, in the
transaction that opened it. On PostgreSQL the chosen operator's row is locked (FOR UPDATE), so two
workers assigning at once cannot both take his last free place.

A claim nobody acted on for IDLE_CLAIM returns to the queue (`claim_expired` event), so a ticket
never waits on someone who went home; every listing sweeps them first.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import QueueError
from bot.store.tables import CLAIMED, WAITING, operator_departments, operators, ticket_events, tickets

IDLE_CLAIM = timedelta(minutes=30)
MAX_CAP = 50


def set_available(factory: sessionmaker[Session], name: str, available: bool, cap: int | None = None) -> None:
    if cap is not None and not 1 <= cap <= MAX_CAP:
        raise QueueError(f"cap {cap}: an operator holds between 1 and {MAX_CAP} tickets at once")
    values = {"available": int(available), **({"cap": cap} if cap is not None else {})}
    with factory.begin() as session:
        if session.execute(update(operators).where(operators.c.name == name).values(**values)).rowcount != 1:
            raise QueueError(f"no operator {name!r}: add one with bot operators add")


def availability(factory: sessionmaker[Session], name: str) -> tuple:
    with factory() as session:
        row = session.execute(select(operators.c.available, operators.c.cap).where(operators.c.name == name)).first()
    return (bool(row.available), row.cap) if row else (False, 0)


def assign_new(session: Session, ticket_id: int, department: str, now: datetime) -> str | None:
    """Inside the transaction that opened `ticket_id`: give it to the next free member, if any."""
    held = (select(func.count()).select_from(tickets)
            .where(tickets.c.assignee == operators.c.name, tickets.c.status == CLAIMED).scalar_subquery())
    query = (select(operators.c.name).join(operator_departments, operator_departments.c.operator == operators.c.name)
             .where(operator_departments.c.department == department, operators.c.available == 1,
                    operators.c.active == 1, operators.c.role == "member", held < operators.c.cap)
             .order_by(operators.c.last_assigned_at.is_not(None), operators.c.last_assigned_at, operators.c.name)
             .limit(1))
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(of=operators, skip_locked=True)
    name = session.execute(query).scalar_one_or_none()
    if name is None:
        return None
    session.execute(update(operators).where(operators.c.name == name).values(last_assigned_at=now))
    session.execute(update(tickets).where(tickets.c.id == ticket_id, tickets.c.status == WAITING)
                    .values(status=CLAIMED, assignee=name, updated_at=now))
    session.execute(ticket_events.insert().values(ticket_id=ticket_id, kind="assigned", actor="bot", from_status=WAITING,
                                                  to_status=CLAIMED, detail=name, created_at=now))
    return name


def release_idle(factory: sessionmaker[Session], now: datetime | None = None, idle: timedelta = IDLE_CLAIM) -> int:
    """Claimed tickets nobody acted on for `idle` go back to waiting; returns how many."""
    now = now or datetime.now(timezone.utc)
    stale = and_(tickets.c.status == CLAIMED, tickets.c.updated_at < now - idle)
    with factory.begin() as session:
        found = session.execute(select(tickets.c.id, tickets.c.assignee).where(stale)).all()
        for ticket_id, assignee in found:
            moved = session.execute(update(tickets).where(tickets.c.id == ticket_id, stale)
                                    .values(status=WAITING, assignee=None, updated_at=now)).rowcount
            if moved:
                session.execute(ticket_events.insert().values(
                    ticket_id=ticket_id, kind="claim_expired", actor="bot", from_status=CLAIMED, to_status=WAITING,
                    detail=f"{assignee} did nothing for {int(idle.total_seconds() // 60)} minutes", created_at=now))
    return len(found)
