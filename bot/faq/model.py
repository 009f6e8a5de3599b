"""FAQ entries and check problems.

Activities have dates and the bot must never present an ended one as current, so an entry knows
its own validity and picks the text to send by channel and time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import AbstractSet, List, Tuple

from bot.weibo import api

# The manuals' dates are Beijing time.
CHINA_TZ = timezone(timedelta(hours=8))
# A dated promise in an answer: "（X5 Pro 16GB+1TB 在 11 月 30 日前发货）".
_PROMISE = re.compile(r"[^，,。；;（(]*?(?:(?P<year>\d{4})\s*年\s*)?(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日(?:前|之前)"
                      r"(?:发货|送达|到账|发放|寄出)")

COMMENT, DM = "comment", "dm"
CHANNELS = (COMMENT, DM)
DM_LIMIT = api.DM_TEXT_LIMIT  # Weibo's DM text is strictly under this many characters
COMMENT_LIMIT = api.COMMENT_MAX_CHARS  # at most this many in a comment


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an FAQ file, phrased for the staff who edit it."""

    file: str
    line: int
    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.field}] {self.message}。修改方法：{self.fix}"


@dataclass(frozen=True)
class FaqEntry:
    id: str
    department: str
    question: str
    answer: str
    comment: str
    alternates: Tuple[str, ...] = ()
    intent: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    ended_answer: str | None = None
    # After valid_until a human answers (a promise such as "11 月 30 日前发货" that has run out).
    ended_handoff: bool = False
    file: str = ""
    line: int = 0
    keywords: Tuple[str, ...] = field(default=())  # one must appear in the question
    excludes: Tuple[str, ...] = field(default=())  # none may appear in the question
    scope: Tuple[str, ...] = field(default=())  # what else it covers (products, parts, groups...)
    not_covered: Tuple[str, ...] = field(default=())  # what it does not cover even if its text names it
    # One must appear somewhere in the fan's message (any of its questions): what the entry is
    # about when its answer is only true there ("双12" for the sale's stacking rules).
    requires: Tuple[str, ...] = field(default=())
    # (product, answer, comment): the reply for a fan who asks about that product only, so an
    # A3 owner is not told the X5's price too.
    variants: Tuple[Tuple[str, str, str], ...] = field(default=())

    @property
    def questions(self) -> List[str]:
        return [self.question, *self.alternates]

    def status(self, now: datetime) -> str:
        """'upcoming', 'active' or 'ended' at `now`."""
        if self.valid_until is not None and now > self.valid_until:
            return "ended"
        if self.valid_from is not None and now < self.valid_from:
            return "upcoming"
        return "active"

    def passed_promises(self, now: datetime) -> List[str]:
        """The clauses of the answer that promise something by a date already gone ("X5 Pro
        16GB+1TB 在 11 月 30 日前发货" read on 12-01): true when written, stale now."""
        out = []
        for match in _PROMISE.finditer(self.answer):
            month, day = int(match.group("month")), int(match.group("day"))
            year = int(match.group("year")) if match.group("year") else now.year
            try:
                due = datetime(year, month, day, 23, 59, tzinfo=CHINA_TZ)
            except ValueError:
                continue
            if due < now:
                out.append(match.group(0))
        return out

    def answerable_at(self, now: datetime) -> bool:
        """False once an entry whose after-the-end answer is a human's has ended."""
        return not (self.ended_handoff and self.status(now) == "ended")

    def reply(self, channel: str, now: datetime, products: AbstractSet[str] = frozenset()) -> str:
        """The text to send: the ended notice after the end, else the comment or DM answer, in the
        per-product wording when the fan asked about one product that has one (several products
        get the general text, which names them all)."""
        if self.status(now) == "ended" and self.ended_answer:
            return self.ended_answer
        by_product = {p: (answer, comment) for p, answer, comment in self.variants}
        if len(products) == 1 and next(iter(products)) in by_product:
            answer, comment = by_product[next(iter(products))]
            return comment if channel == COMMENT else answer
        return self.comment if channel == COMMENT else self.answer
