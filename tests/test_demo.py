"""`bot demo seed`: a small month through the real triage path, consistent with itself and with the report."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.demo import Planned, Seeder, load_corpus, make_fans, plan, seed
from bot.errors import InputError
from bot.faq.library import FaqLibrary
from bot.reports.make import make_report
from bot.store.tables import inbox, outbox, ticket_events, tickets
from bot.triage import Triage
from tests.conftest import FAQ_DIR

END = datetime(2026, 11, 30, 14, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def library():
    return FaqLibrary(FAQ_DIR)


def _seed(factory, library, nlu_parser, days=2, per_day=25):
    def triage_for(clock):
        return Triage(nlu_parser.parse_batch, lambda: library.index, clock=clock)

    return seed(factory, library.index, triage_for, nlu_parser.parse_batch, days, per_day, now=END + timedelta(minutes=1))


def test_a_seeded_month_is_in_the_past_answered_and_worked_like_a_real_one(factory, library, nlu_parser):
    done = _seed(factory, library, nlu_parser)
    start = END - timedelta(days=2)
    with factory() as session:
        rows = session.execute(select(inbox.c.created_at, inbox.c.status, inbox.c.outcome)).all()
        unsent = session.execute(select(func.count()).select_from(outbox).where(outbox.c.status != "sent")).scalar()
        opened = session.execute(select(tickets.c.created_at, tickets.c.closed_at)).all()
        early = session.execute(select(func.count()).select_from(ticket_events).join(
            tickets, tickets.c.id == ticket_events.c.ticket_id).where(
            ticket_events.c.created_at < tickets.c.created_at)).scalar()
    assert done.messages == len(rows) == sum(done.outcomes.values()) and done.messages >= 30
    aware = [(r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=timezone.utc)) for r in rows]
    assert all(start - timedelta(days=1) <= at < END for at in aware)
    assert {r.status for r in rows} == {"done"} and {r.outcome.partition("/")[0] for r in rows} >= {"answer", "handoff"}
    assert unsent == 0  # the demo never leaves a reply for a live service to send to Weibo
    assert done.tickets == len(opened) and early == 0
    assert all(closed is None or closed >= created for created, closed in opened)


def test_the_report_over_the_seed_counts_every_message(factory, library, nlu_parser):
    done = _seed(factory, library, nlu_parser)
    report = make_report(factory, library.index, END - timedelta(days=5), END, now=END)
    assert sum(row[3] for row in report.tables["volume"].rows) == done.messages
    assert {row[1]: row[2] for row in report.tables["outcomes"].rows}["answer"] == done.outcomes["answer"]


def test_seeding_refuses_a_database_that_holds_messages(factory, library, nlu_parser):
    _seed(factory, library, nlu_parser, days=1, per_day=5)
    with pytest.raises(InputError, match="already holds"):
        _seed(factory, library, nlu_parser, days=1, per_day=5)


def test_the_same_seed_plans_the_same_month():
    corpus = load_corpus()

    def planned(value: int):
        rng = random.Random(value)
        return [(p.at, p.channel, p.text, p.fan.uid) for p in plan(corpus, ["保修多久"], make_fans(rng, 50), 3, 20, END, rng)]

    assert planned(7) == planned(7) and planned(7) != planned(8)
    assert all(at < END for at, *_ in planned(7))


def test_seeder_takes_a_hand_made_plan(factory, library, nlu_parser):
    fan = make_fans(random.Random(1), 1)[0]
    seeder = Seeder(factory, lambda clock: Triage(nlu_parser.parse_batch, lambda: library.index, clock=clock),
                    nlu_parser.parse_batch, random.Random(1))
    done = seeder.run([Planned(END - timedelta(hours=2), "dm", "保修多久？", fan)], END)
    assert done.outcomes == {"answer": 1}
