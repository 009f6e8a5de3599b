"""`bot demo seed`: a realistic month on the account, written through the real triage path.

Each message is stored in the inbox as the Weibo channel stores it (a polled comment object or a
pushed DM), claimed under a lease, decided by the same Triage the live actions use, and committed
with its ticket and reply in one transaction (bot.store.decisions). Operators then work the
tickets through bot.handoff (claim, reply, close, dismiss), in time order with the messages, so a
fan's next message finds his ticket open or closed as it would have been.

What the demo does not do is talk to Weibo: the bot's and the operators' replies are marked sent
at once, a few seconds after they were queued. Every row is written with the wall clock and then
given its simulated time (rows written during the seed are the ones newer than its start), so the
reports see a month. It refuses a database that already holds messages: demo rows never mix with
a real account's.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple

import yaml
from sqlalchemy import func, select, update

from bot import handoff
from bot.errors import InputError, QueueError
from bot.faq.index import FaqIndex
from bot.faq.model import CHINA_TZ, COMMENT, DM
from bot.nlu.result import NluResult
from bot.respond import decision_for
from bot.store import decisions
from bot.store import messages as box
from bot.store.operators import Operator
from bot.store.queue import reply_target
from bot.store.tables import SENT, inbox, inbox_events, outbox, ticket_events, ticket_messages, tickets
from bot.text import normalise
from bot.triage import Inbound, Triage

CORPUS = Path("data/demo/messages.yml")
ACCOUNT_UID = "9000"
POSTS = ("5101", "5102", "5103", "5104", "5105", "5106")
WORKER = "demo-seed"
OPERATOR = Operator("demo-operator", "operator", ())
# Minutes to an operator's first reply (median of a log-normal), by department.
REPLY_MINUTES = {"pre_sales": 45, "after_sales": 150, "orders_logistics": 90, "marketing": 180, "product": 600,
                 "rnd": 480, "pr": 40}
HOUR_WEIGHTS = (1, 1, 0, 0, 0, 0, 1, 2, 4, 6, 7, 7, 8, 7, 6, 6, 6, 7, 8, 9, 10, 10, 8, 4)  # by Beijing hour
OPERATOR_REPLY = "您好，已收到您的反馈，我们会尽快跟进，请留意私信。"


@dataclass(frozen=True)
class Group:
    weight: float
    dm: float
    texts: Tuple[str, ...]


@dataclass(frozen=True)
class Corpus:
    faq_weight: float
    faq_dm: float
    lead_ins: Tuple[str, ...]
    tails: Tuple[str, ...]
    groups: Dict[str, Group]
    spike_day: int
    spike_extra: int
    spike_texts: Tuple[str, ...]


def load_corpus(path: Path = CORPUS) -> Corpus:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        spike = data.get("complaint_spike") or {}
        return Corpus(float(data["faq_weight"]), float(data["faq_dm"]), tuple(data["lead_ins"]), tuple(data["tails"]),
                      {name: Group(float(g["weight"]), float(g["dm"]), tuple(g["texts"]))
                       for name, g in data["groups"].items()},
                      int(spike.get("day", 0)), int(spike.get("extra", 0)), tuple(spike.get("texts", ())))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"demo corpus {path}: {exc} (see the comments at the top of data/demo/messages.yml)") from exc


@dataclass(frozen=True)
class Fan:
    uid: str
    name: str
    followers: int
    verified: bool


@dataclass(frozen=True)
class Planned:
    at: datetime
    channel: str
    text: str
    fan: Fan


def make_fans(rng: random.Random, count: int) -> List[Fan]:
    out = []
    for i in range(count):
        followers = int(rng.lognormvariate(math.log(150), 1.8))
        out.append(Fan(str(7_000_000 + i), f"云雀粉{i:04d}", followers, rng.random() < (0.3 if followers > 50_000 else 0.02)))
    return out


def _day_volume(rng: random.Random, day_index: int, days: int, weekday: int, per_day: int) -> int:
    growth = 0.85 + 0.3 * (day_index / max(1, days - 1))
    weekly = 1.3 if weekday == 4 else 1.15 if weekday >= 5 else 1.0  # Friday is the fan welfare day
    return max(1, int(per_day * growth * weekly * rng.uniform(0.85, 1.15)))


def plan(corpus: Corpus, faq_texts: Sequence[str], fans: Sequence[Fan], days: int, per_day: int,
         end: datetime, rng: random.Random) -> List[Planned]:
    """The month's messages in time order, ending before `end`."""
    names = ["faq", *corpus.groups]
    weights = [corpus.faq_weight, *(g.weight for g in corpus.groups.values())]
    fan_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(fans))]
    first_day = end.astimezone(CHINA_TZ).date() - timedelta(days=days - 1)
    out: List[Planned] = []

    def one(day, texts: Sequence[str], dm_share: float, styled: bool) -> None:
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        at = datetime.combine(day, time(hour), CHINA_TZ) + timedelta(seconds=rng.uniform(0, 3600))
        if at >= end:
            return
        text = rng.choice(texts)
        if styled:
            text = f"{rng.choice(corpus.lead_ins)}{text}{rng.choice(corpus.tails)}"
        out.append(Planned(at.astimezone(timezone.utc), DM if rng.random() < dm_share else COMMENT, text,
                           rng.choices(fans, fan_weights)[0]))

    for i in range(days):
        day = first_day + timedelta(days=i)
        for _ in range(_day_volume(rng, i, days, day.weekday(), per_day)):
            name = rng.choices(names, weights)[0]
            if name == "faq":
                one(day, faq_texts, corpus.faq_dm, True)
            else:
                group = corpus.groups[name]
                one(day, group.texts, group.dm, name in ("unanswered_infrared", "social"))
        if corpus.spike_extra and i == days - 1 + corpus.spike_day:
            for _ in range(corpus.spike_extra):
                one(day, corpus.spike_texts, 0.3, False)
    return sorted(out, key=lambda p: p.at)


def faq_phrasings(index: FaqIndex) -> List[str]:
    return [text for e in index.entries for text in (e.question, *e.alternates)]


@dataclass
class Seeded:
    messages: int = 0
    tickets: int = 0
    operator_replies: int = 0
    outcomes: Counter = field(default_factory=Counter)


class Seeder:
    """Replays a plan into the database, messages and operators' work in one time order."""

    def __init__(self, factory, triage_for: Callable[[Callable[[], datetime]], Triage],
                 parse_batch: Callable[[Sequence[str]], List[NluResult]], rng: random.Random) -> None:
        self.factory = factory
        self._moment = datetime.now(timezone.utc)
        self.triage = triage_for(lambda: self._moment.astimezone(CHINA_TZ))
        self._parse_batch = parse_batch
        self.rng = rng
        self.started = datetime.now(timezone.utc) - timedelta(seconds=1)
        self._comment_ids = 8_000_000

    def run(self, planned: Sequence[Planned], end: datetime) -> Seeded:
        with self.factory() as session:
            held = session.execute(select(func.count()).select_from(inbox)).scalar_one()
        if held:
            raise InputError(f"this database already holds {held} messages: the demo seeds an empty one only, so "
                             "that demo rows never mix with a real account's. Point BOT_DATA_DIR (or "
                             "BOT_DATABASE_URL) at a new one, e.g. BOT_DATA_DIR=var/demo bot demo seed --days 30")
        normalised = [normalise(p.text) for p in planned]
        parsed = self._parse_batch([m.text for m in normalised if not m.is_empty])
        nlu = iter(parsed)
        results = [next(nlu) if not m.is_empty else NluResult(None, 0.0) for m in normalised]
        done = Seeded()
        events: List[Tuple[datetime, int, str, Any]] = [(p.at, i, "message", i) for i, p in enumerate(planned)]
        heapq.heapify(events)
        sequence = len(events)
        while events:
            at, _, kind, what = heapq.heappop(events)
            if at >= end:
                continue
            self._moment = at
            if kind == "message":
                opened, outcome = self._message(planned[what], normalised[what], results[what], at)
                done.messages += 1
                done.outcomes[outcome.partition("/")[0]] += 1
                if opened is not None:
                    done.tickets += 1
                    for step_at, step in self._work(opened, planned[what], outcome, at):
                        sequence += 1
                        heapq.heappush(events, (step_at, sequence, step, opened))
            else:
                done.operator_replies += self._operate(kind, what, at)
        return done

    # ------------------------------------------------------------------ one message
    def _inbound(self, p: Planned) -> box.Inbound:
        from bot.weibo.service import comment_inbound, dm_inbound

        if p.channel == DM:
            return dm_inbound({"type": "text", "sender_id": p.fan.uid, "receiver_id": ACCOUNT_UID,
                               "created_at": p.at.isoformat(), "text": p.text})
        self._comment_ids += 1
        return comment_inbound({"id": self._comment_ids, "created_at": p.at.isoformat(), "text": p.text,
                                "user": {"id": p.fan.uid, "screen_name": p.fan.name,
                                         "followers_count": p.fan.followers, "verified": p.fan.verified},
                                "status": {"id": self.rng.choice(POSTS)}})

    def _message(self, p: Planned, message, nlu: NluResult, at: datetime) -> Tuple[int | None, str]:
        from bot.weibo.service import reply_row

        stored = self._inbound(p)
        inbox_id = box.store_inbound(self.factory, stored)
        row = box.claim_inbound(self.factory, 1, WORKER)[0]
        assert row["id"] == inbox_id, "the demo database had another message waiting"
        triaged = self.triage.decide_parsed(Inbound(str(inbox_id), p.channel, p.text, p.fan.uid,
                                                    stored.conversation_id), message, nlu)
        decision = decision_for(triaged, reply_target(p.fan.uid, stored.payload))
        applied = decisions.commit(self.factory, box.Lease.of(row), decision,
                                   lambda text: reply_row(row, stored.payload, text))
        opened = applied.ticket_id if applied.outcome.startswith("handoff/") else None
        with self.factory.begin() as session:
            self._stamp(session, inbox.c.id == inbox_id, at, inbox.c.updated_at)
            self._stamp(session, inbox_events.c.inbox_id == inbox_id, at + timedelta(seconds=1))
            self._sent(session, outbox.c.inbox_id == inbox_id, at + timedelta(seconds=self.rng.uniform(1.0, 4.0)))
            if applied.ticket_id is not None:
                ticket = applied.ticket_id
                self._stamp(session, (tickets.c.id == ticket), at, tickets.c.updated_at)
                self._stamp(session, ticket_messages.c.ticket_id == ticket, at)
                self._stamp(session, ticket_events.c.ticket_id == ticket, at)
        return opened, applied.outcome

    def _work(self, ticket_id: int, p: Planned, outcome: str, at: datetime) -> List[Tuple[datetime, str]]:
        """When operators claim, reply to and close (or dismiss) a new ticket."""
        department = outcome.partition("/")[2]
        chance = self.rng.random()
        if chance < 0.06:
            return [(at + timedelta(minutes=self.rng.lognormvariate(math.log(30), 0.8)), "dismiss")]
        if chance < 0.12:
            return []  # nobody got to it
        first = at + timedelta(minutes=self.rng.lognormvariate(math.log(REPLY_MINUTES.get(department, 120)), 0.9))
        claim = at + (first - at) * self.rng.uniform(0.5, 0.95)
        close = first + timedelta(minutes=self.rng.lognormvariate(math.log(240), 1.0))
        return [(claim, "claim"), (first, "reply"), (close, "close")]

    def _operate(self, step: str, ticket_id: int, at: datetime) -> int:
        try:
            if step == "claim":
                handoff.claim(self.factory, OPERATOR, ticket_id)
            elif step == "reply":
                handoff.reply(self.factory, OPERATOR, ticket_id, OPERATOR_REPLY, now=at)
            elif step == "close":
                handoff.close(self.factory, OPERATOR, ticket_id, "demo")
            else:
                handoff.dismiss(self.factory, OPERATOR, ticket_id, "demo")
        except QueueError:
            return 0  # the ticket moved on (a colleague closed it, the DM window shut): as at a real desk
        with self.factory.begin() as session:
            self._stamp(session, ticket_events.c.ticket_id == ticket_id, at)
            self._stamp(session, ticket_messages.c.ticket_id == ticket_id, at)
            self._sent(session, outbox.c.ticket_id == ticket_id, at + timedelta(seconds=self.rng.uniform(1.0, 5.0)))
            values: Dict[str, Any] = {"updated_at": at}
            if step in ("close", "dismiss"):
                values["closed_at"] = at
            session.execute(update(tickets).where(tickets.c.id == ticket_id).values(**values))
        return int(step == "reply")

    # ------------------------------------------------------------------ backdating
    def _stamp(self, session, where, at: datetime, *also) -> None:
        """Give the rows this seed just wrote (newer than its start) their simulated time."""
        table = where.left.table
        values = {"created_at": at, **{c.name: at for c in also}}
        session.execute(update(table).where(where, table.c.created_at >= self.started).values(**values))

    def _sent(self, session, where, at: datetime) -> None:
        session.execute(update(outbox).where(where, outbox.c.created_at >= self.started).values(
            created_at=at - timedelta(seconds=1), next_attempt_at=at, status=SENT, sent_at=at, attempts=1,
            send_deadline=None, worker_id=None))


def seed(factory, index: FaqIndex, triage_for, parse_batch, days: int, per_day: int, seed_value: int = 1,
         corpus_path: Path = CORPUS, fan_count: int = 900, now: datetime | None = None) -> Seeded:
    """Write `days` days of traffic ending at `now`, about `per_day` messages a day."""
    if days < 1 or per_day < 1:
        raise InputError("--days and --per-day must be at least 1")
    rng = random.Random(seed_value)
    end = (now or datetime.now(timezone.utc)) - timedelta(minutes=1)
    corpus = load_corpus(corpus_path)
    planned = plan(corpus, faq_phrasings(index), make_fans(rng, fan_count), days, per_day, end, rng)
    return Seeder(factory, triage_for, parse_batch, rng).run(planned, end)
