"""When people answer: the Weibo team's service hours and holidays (`data/service_hours.yml`).

A private message the bot hands to a human outside those hours gets a note saying when someone
will answer, so a fan writing at midnight is not left wondering; inside them, and for comments
(a public note would read as boilerplate under every post), the bot stays silent as before. The
file is read again when it changes. Without it, people are always there and no note is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Dict, FrozenSet, List, Tuple

import yaml

from bot.errors import ConfigError
from bot.faq.model import CHINA_TZ, DM
from bot.watched import Watched

DEFAULT_FILE = Path("data/service_hours.yml")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
Span = Tuple[time, time]


@dataclass(frozen=True)
class ServiceHours:
    weekly: Dict[int, Tuple[Span, ...]]  # Monday 0 .. Sunday 6
    holidays: FrozenSet[date]

    def spans(self, day: date) -> Tuple[Span, ...]:
        return () if day in self.holidays else self.weekly.get(day.weekday(), ())

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(CHINA_TZ)
        return any(start <= local.time() < end for start, end in self.spans(local.date()))

    def next_open(self, moment: datetime) -> datetime | None:
        """The next time someone is there (Beijing time); None if nobody is within 60 days."""
        local = moment.astimezone(CHINA_TZ)
        for offset in range(61):
            day = local.date() + timedelta(days=offset)
            for start, _end in self.spans(day):
                opens = datetime.combine(day, start, CHINA_TZ)
                if opens > local:
                    return opens
        return None

    def note(self, moment: datetime) -> str | None:
        """What a fan is told when he writes outside the hours (None inside them)."""
        if self.is_open(moment):
            return None
        opens = self.next_open(moment)
        when = f"{opens.month} 月 {opens.day} 日 {opens:%H:%M}" if opens else "服务时间"
        return f"您好，您的消息已转给人工客服。现在不在人工服务时间，我们会在 {when} 后尽快回复您，请留意私信。"


ALWAYS = ServiceHours({d: ((time(0), time(23, 59, 59)),) for d in range(7)}, frozenset())


def _spans(value, where: str) -> Tuple[Span, ...]:
    items = value if isinstance(value, list) else [value]
    out: List[Span] = []
    for item in items:
        found = _SPAN.match(str(item)) if item is not None else None
        if not found:
            raise ConfigError(f"{where}: {item!r} is not a time span: write it like \"09:00-21:00\"")
        h1, m1, h2, m2 = map(int, found.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2, m2) <= (h1, m1):
            raise ConfigError(f"{where}: {item!r} must start before it ends, within one day")
        out.append((time(h1, m1), time(23, 59, 59) if h2 == 24 else time(h2, m2)))
    return tuple(out)


def load(path: Path = DEFAULT_FILE) -> ServiceHours:
    """The hours in `path`: `weekdays` and `weekends` spans (or one per day, `mon` .. `sun`),
    `holidays` as dates; a missing file means always open."""
    if not Path(path).exists():
        return ALWAYS
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    unknown = set(data) - {"weekdays", "weekends", "holidays", *names}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}: use weekdays, weekends, "
                          f"{', '.join(names)} and holidays")
    weekly: Dict[int, Tuple[Span, ...]] = {}
    for day, name in enumerate(names):
        group = "weekdays" if day < 5 else "weekends"
        value = data.get(name, data.get(group))
        if value not in (None, [], "closed"):
            weekly[day] = _spans(value, f"{path}: {name if name in data else group}")
    holidays = set()
    for item in data.get("holidays") or []:
        try:
            holidays.add(item if isinstance(item, date) else date.fromisoformat(str(item)))
        except ValueError as exc:
            raise ConfigError(f"{path}: holiday {item!r} is not a date: write it like 2027-01-01") from exc
    return ServiceHours(weekly, frozenset(holidays))


def watch_hours(path: Path = DEFAULT_FILE) -> Watched[ServiceHours]:
    """The file's hours, read again when it changes (staff edit it while the bot runs)."""
    return Watched(path, load, ALWAYS)


def annotate(outcome, channel: str, hours: ServiceHours, moment: datetime):
    """A DM handoff outside the hours, with nothing else to say, says when someone will answer."""
    from bot.outcome import HANDOFF_ACTION

    if outcome.action != HANDOFF_ACTION or channel != DM or outcome.reply:
        return outcome
    note = hours.note(moment)
    return replace(outcome, reply=note) if note else outcome
