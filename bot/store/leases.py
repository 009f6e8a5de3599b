"""Named leases: work that exactly one worker among the replicas may do (the comment poller).

A lease row says who holds the work and until when. The holder renews it well before it runs
out; a worker that dies stops renewing, and once `expires_at` passes any other worker's next
`acquire` takes it over. Taking and renewing are one conditional UPDATE (or the first INSERT),
atomic on SQLite and PostgreSQL alike, so two workers never both believe they hold it.
`fence` checks the lease inside the caller's own transaction: work a holder commits after it
lost the lease (it stalled past the expiry) is rolled back instead of racing the new holder.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import LeaseLost
from bot.store.tables import leases

COMMENT_POLLER = "comment_poller"
# The poller's lease: renewed every POLLER_LEASE_SECONDS / 3, so a dead holder's feeds are
# polled again by another replica within about this long.
POLLER_LEASE_SECONDS = 10.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite returns naive UTC


def acquire(factory: sessionmaker[Session], name: str, holder: str, seconds: float) -> bool:
    """Take or renew lease `name` for `seconds`; False while another worker holds it."""
    now = _now()
    expires = now + timedelta(seconds=seconds)
    try:
        with factory.begin() as session:
            taken = session.execute(update(leases).where(
                leases.c.name == name, (leases.c.holder == holder) | (leases.c.expires_at < now),
            ).values(holder=holder, expires_at=expires)).rowcount
            if taken:
                return True
            if session.execute(select(leases.c.name).where(leases.c.name == name)).first() is not None:
                return False
            session.execute(insert(leases).values(name=name, holder=holder, expires_at=expires, acquired_at=now))
            return True
    except IntegrityError:
        return False  # another worker inserted it first


def fence(session: Session, name: str, holder: str) -> None:
    """Inside the caller's transaction: LeaseLost unless `holder` still holds `name` (the caller
    rolls back). On PostgreSQL the row stays locked to the commit, so it cannot change hands meanwhile."""
    query = select(leases.c.holder, leases.c.expires_at).where(leases.c.name == name)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).first()
    if row is None or row.holder != holder or _aware(row.expires_at) < _now():
        raise LeaseLost(f"lease {name!r} is no longer held by {holder}; its holder's work is discarded")


def release(factory: sessionmaker[Session], name: str, holder: str) -> None:
    """Give the lease up at a clean stop, so another worker takes over at once instead of after the expiry."""
    with factory.begin() as session:
        session.execute(delete(leases).where(leases.c.name == name, leases.c.holder == holder))


def holder_of(factory: sessionmaker[Session], name: str) -> str | None:
    """Who holds `name` now (None when nobody does, or the lease ran out)."""
    with factory() as session:
        row = session.execute(select(leases.c.holder, leases.c.expires_at).where(leases.c.name == name)).first()
    return row.holder if row is not None and _aware(row.expires_at) >= _now() else None
