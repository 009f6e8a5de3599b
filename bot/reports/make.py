"""A report for a period and a set of departments: read the rows once, compute, cluster.

`bot report` and the console's report page both come here, so they show the same figures.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Sequence, Tuple

from bot.errors import InputError
from bot.faq.index import FaqIndex
from bot.faq.model import CHINA_TZ
from bot.reports import clusters, figures, rows
from bot.service_levels import Levels

DEFAULT_DAYS = 7


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{flag} {text!r} is not a date: write it like 2026-11-24 (a Beijing calendar day)") from exc


def period(since: str | None, until: str | None, now: datetime | None = None,
           days: int = DEFAULT_DAYS) -> Tuple[datetime, datetime]:
    """[since, until) in UTC from Beijing calendar days, both inclusive; without `since`, the
    `days` days up to `until` (by default today)."""
    if days < 1:
        raise InputError(f"--days {days}: a report covers at least one day")
    today = (now or datetime.now(timezone.utc)).astimezone(CHINA_TZ).date()
    last = _day(until, "--until") if until else today
    first = _day(since, "--since") if since else last - timedelta(days=days - 1)
    if first > last:
        raise InputError(f"--since {first} is after --until {last}: the period would be empty")
    start = datetime.combine(first, time(), CHINA_TZ).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time(), CHINA_TZ).astimezone(timezone.utc)
    return start, end


def make_report(factory, index: FaqIndex | None, since: datetime, until: datetime,
                departments: Sequence[str] | None = None, levels: Levels = Levels(),
                now: datetime | None = None) -> figures.Report:
    """The report over [since, until); `departments` None means every department."""
    scope = tuple(departments) if departments is not None else None
    lookback = max(until - since, timedelta(days=figures.SPIKE_DAYS))
    with factory() as session:
        found = rows.read(session, since, until, lookback, scope)
    entries = list(index.entries) if index is not None else []
    report = figures.build(found, since, until, entries, levels, now or datetime.now(timezone.utc), scope)
    report.clusters = clusters.cluster([m for m in found.messages if since <= m.created_at < until], index)
    return report
