"""The console's sign-in log, and the throttle that makes guessing a password slow.

Every attempt is a row (ok, failed, or throttled: refused unheard). Two rules, both from the log,
so they hold across console restarts:

- per account: ACCOUNT_FREE_FAILURES failures in a row (since its last successful sign-in) are
  answered at once; after that each try must wait 2, 4, 8 ... seconds after the last failure, up
  to MAX_WAIT. A correct password is not heard either while the wait runs, or the throttle would
  tell a guesser when he is right.
- per address: ADDRESS_FREE_FAILURES failures within WINDOW, on any accounts, and the address
  waits until the oldest of them leaves the window.

Throttled tries do not count as failures, so an attacker cannot keep an operator locked out
longer by hammering. An address is the connection's peer, never a header the client could set.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.store.tables import sign_ins

log = logging.getLogger(__name__)
ACCOUNT_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20
WINDOW = timedelta(minutes=15)
MAX_WAIT = timedelta(minutes=15)
OK, FAILED, THROTTLED = "ok", "failed", "throttled"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def record(factory: sessionmaker[Session], name: str, address: str, result: str,
           now: datetime | None = None) -> None:
    """Log one attempt (the password itself is never stored or logged)."""
    with factory.begin() as session:
        session.execute(insert(sign_ins).values(operator=name[:64], address=address[:64], result=result,
                                                created_at=now or datetime.now(timezone.utc)))
    level = logging.INFO if result == OK else logging.WARNING
    log.log(level, "console sign-in %s: account %r from %s", result, name[:64], address)


def wait_seconds(factory: sessionmaker[Session], name: str, address: str, now: datetime | None = None) -> float:
    """How long this account or address must wait before its next try is heard (0: now)."""
    now = now or datetime.now(timezone.utc)
    with factory() as session:
        last_ok = session.execute(select(func.max(sign_ins.c.created_at)).where(
            sign_ins.c.operator == name, sign_ins.c.result == OK)).scalar()
        failures = select(sign_ins.c.created_at).where(sign_ins.c.operator == name, sign_ins.c.result == FAILED,
                                                       sign_ins.c.created_at > now - timedelta(days=1))
        if last_ok is not None:
            failures = failures.where(sign_ins.c.created_at > last_ok)
        account = [_aware(t) for t in session.execute(failures.order_by(sign_ins.c.created_at)).scalars()]
        recent = [_aware(t) for t in session.execute(select(sign_ins.c.created_at).where(
            sign_ins.c.address == address, sign_ins.c.result == FAILED,
            sign_ins.c.created_at > now - WINDOW).order_by(sign_ins.c.created_at)).scalars()]
    wait = 0.0
    over = len(account) - ACCOUNT_FREE_FAILURES
    if over >= 0:
        pause = min(timedelta(seconds=2 ** (over + 1)), MAX_WAIT)
        wait = max(wait, (account[-1] + pause - now).total_seconds())
    if len(recent) >= ADDRESS_FREE_FAILURES:
        wait = max(wait, (recent[-ADDRESS_FREE_FAILURES] + WINDOW - now).total_seconds())
    return max(0.0, wait)
