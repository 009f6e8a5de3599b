"""Service hours: a DM handed to people outside them is told when someone will answer."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.decide import Outcome
from bot.errors import ConfigError
from bot.faq.library import FaqLibrary
from bot.faq.model import CHINA_TZ
from bot.service_hours import ALWAYS, annotate, load, watch_hours
from bot.triage import Inbound, Triage
from tests.conftest import FAQ_DIR

HOURS = """\
weekdays: "09:00-21:00"
sat: ["10:00-12:00", "14:00-18:00"]
sun: closed
holidays: ["2026-12-25"]
"""


def bj(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHINA_TZ)


@pytest.fixture
def hours(tmp_path):
    path = tmp_path / "service_hours.yml"
    path.write_text(HOURS, encoding="utf-8")
    return load(path)


@pytest.mark.parametrize("moment, open_, opens", [
    (bj(12, 1, 10), True, None),               # a Tuesday morning
    (bj(12, 1, 21), False, bj(12, 2, 9)),      # closing time is closed
    (bj(12, 5, 12, 30), False, bj(12, 5, 14)),  # Saturday lunch break
    (bj(12, 5, 19), False, bj(12, 7, 9)),      # Saturday evening: Sunday is closed
    (bj(12, 24, 22), False, bj(12, 26, 10)),   # Christmas is a holiday, the 26th a Saturday
])
def test_open_and_the_next_opening(hours, moment, open_, opens):
    assert hours.is_open(moment) is open_
    if opens:
        assert hours.next_open(moment) == opens
        assert f"{opens.month} 月 {opens.day} 日 {opens:%H:%M}" in hours.note(moment)
    else:
        assert hours.note(moment) is None


def _handoff(reply=None) -> Outcome:
    return Outcome("handoff", "orders_logistics", "order_specific", reply, "order_problem", 0.9)


def test_only_a_dm_handoff_with_nothing_to_say_gets_the_note(hours):
    night = bj(12, 1, 23)
    assert "12 月 2 日 09:00" in annotate(_handoff(), "dm", hours, night).reply
    assert annotate(_handoff(), "comment", hours, night).reply is None
    assert annotate(_handoff("请私信"), "dm", hours, night).reply == "请私信"
    assert annotate(_handoff(), "dm", hours, bj(12, 1, 10)).reply is None
    answer = Outcome("answer", "pre_sales", "faq_match", "3499 元", "ask_price", 0.9)
    assert annotate(answer, "dm", hours, night) is answer


@pytest.mark.parametrize("content, message", [
    ('weekdays: "9-21"', "is not a time span"),
    ('weekdays: "21:00-09:00"', "must start before it ends"),
    ("holidays: [tomorrow]", "is not a date"),
    ("weekday: \"09:00-21:00\"", "unknown key"),
])
def test_a_mistake_in_the_file_says_what_and_how(tmp_path, content, message):
    path = tmp_path / "service_hours.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load(path)


def test_the_file_is_read_again_when_it_changes_and_no_file_means_always_open(tmp_path):
    path = tmp_path / "service_hours.yml"
    watched = watch_hours(path)
    assert watched.current() is ALWAYS
    path.write_text('weekdays: "09:00-10:00"\nweekends: closed\n', encoding="utf-8")
    assert not watched.current().is_open(bj(12, 1, 11))
    path.write_text('weekdays: "09:00-12:00"\nweekends: closed\n', encoding="utf-8")
    assert watched.current().is_open(bj(12, 1, 11))


def test_the_triage_path_tells_a_night_dm_when_people_answer(nlu_parser, hours):
    library = FaqLibrary(FAQ_DIR)
    night = Triage(nlu_parser.parse_batch, lambda: library.index, clock=lambda: bj(12, 1, 23), hours=lambda: hours)
    dm, comment = night.run([Inbound("1", "dm", "我的订单三天了还没发货怎么回事"),
                             Inbound("2", "comment", "我的订单三天了还没发货怎么回事")])
    assert dm.outcome.action == "handoff" and "12 月 2 日 09:00" in dm.outcome.reply
    assert comment.outcome.action == "handoff" and comment.outcome.reply is None
