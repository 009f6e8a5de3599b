"""Every figure of a report against values computed by hand on a small fixture (SQLite and PostgreSQL).

The fixture, Beijing time, report period 2026-11-24 and 2026-11-25, read at 2026-11-26 12:00:

    m7  11-23 10:00 comment fan B  ignore                (before the period: B is a returning fan)
    m1  11-24 09:00 comment fan A  answer price-x5-pro    reply sent 2 s later
    m2  11-24 11:00 dm      fan A  answer warranty-period reply sent 4 s later
    m3  11-24 12:00 comment fan B  handoff not_in_manuals -> ticket T1
    m4  11-25 09:00 dm      fan C  social                 reply sent 1 s later
    m6  11-25 10:00 dm      fan A  handoff complaint      -> T2 (23 h after m2: that answer did not help)
    m5  11-25 11:00 comment fan D  ignore

    T1 after_sales comment 11-24 12:00, answered 14:00, closed 18:00
    T3 after_sales dm      11-24 08:00, answered 13:00 (5 h: past the 4 h target), closed 13:30
    T6 after_sales dm      11-24 00:30, never answered (59.5 h: past Weibo's 48 h DM window)
    T2 pr          dm      11-25 10:00, complaint, open
    T4 product     dm      11-25 08:00, product suggestion about X5, open
    T5 product     dm      11-22 10:00, product suggestion about X5 (the period before)
    T8 rnd         dm      11-25 20:00, software problem with Watch S2 and A3, open
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from bot.faq.library import build_index
from bot.faq.model import CHINA_TZ
from bot.reports import figures
from bot.reports.make import make_report, period
from bot.reports.render import as_csv, as_json, html
from bot.reports.rows import Ticket
from bot.service_levels import Levels
from bot.store.tables import inbox, outbox, ticket_events, ticket_messages, tickets
from tests.conftest import FAQ_DIR

SINCE, UNTIL = period("2026-11-24", "2026-11-25")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=CHINA_TZ)


def bj(day: int, hour: int, minute: int = 0) -> datetime:
    """A Beijing time in UTC, as the product stores every time (SQLite keeps no offset)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=CHINA_TZ).astimezone(timezone.utc)


def _message(session, n: int, at: datetime, channel: str, fan: str, outcome: str, reason: str = "",
             faq_ids: str | None = None, reply_after: float | None = None, followers: int | None = None,
             verified: bool | None = None, name: str | None = None) -> None:
    payload = {"cid": str(n), "post_id": "1", "screen_name": name} if channel == "comment" else {}
    session.execute(insert(inbox).values(
        id=n, channel=channel, dedupe_key=f"k{n}", sender_id=fan, conversation_id=fan, text=f"消息{n}",
        payload=json.dumps(payload, ensure_ascii=False), status="done", outcome=outcome, reason=reason or None,
        faq_ids=faq_ids, followers_count=followers, verified=None if verified is None else int(verified),
        created_at=at, updated_at=at))
    if reply_after is not None:
        sent = at + timedelta(seconds=reply_after)
        session.execute(insert(outbox).values(
            idempotency_key=f"inbox:{n}:0", channel=channel, receiver_id=fan, text="回复", inbox_id=n, status="sent",
            next_attempt_at=sent, created_at=at, sent_at=sent))


def _ticket(session, n: int, at: datetime, channel: str, department: str, reason: str, text: str = "工单",
            answered: datetime | None = None, closed: datetime | None = None, intent: str | None = None) -> None:
    status = "closed" if closed else "answered" if answered else "waiting"
    session.execute(insert(tickets).values(
        id=n, channel=channel, fan_id=f"fan{n}", conversation_id=f"{channel}:t{n}", department=department,
        intent=intent, reason=reason, status=status, created_at=at, updated_at=at, closed_at=closed))
    session.execute(insert(ticket_messages).values(ticket_id=n, author=f"fan{n}", original_text=text,
                                                   normalised_text=text, created_at=at))
    session.execute(insert(ticket_events).values(ticket_id=n, kind="created", to_status="waiting", created_at=at))
    if answered:
        session.execute(insert(ticket_events).values(ticket_id=n, kind="answered", actor="op", created_at=answered))


@pytest.fixture
def month(factory):
    with factory.begin() as s:
        _message(s, 7, bj(23, 10), "comment", "B", "ignore/", followers=20_000, verified=True, name="乙")
        _message(s, 1, bj(24, 9), "comment", "A", "answer/pre_sales", "faq_match", "price-x5-pro", 2, 50, False, "甲")
        _message(s, 2, bj(24, 11), "dm", "A", "answer/after_sales", "faq_match", "warranty-period", 4)
        _message(s, 3, bj(24, 12), "comment", "B", "handoff/after_sales", "not_in_manuals", followers=20_000,
                 verified=True, name="乙")
        _message(s, 4, bj(25, 9), "dm", "C", "social/", "social", reply_after=1)
        _message(s, 6, bj(25, 10), "dm", "A", "handoff/pr", "complaint")
        _message(s, 5, bj(25, 11), "comment", "D", "ignore/", "not_for_us", followers=500, verified=False, name="丁")
        _ticket(s, 1, bj(24, 12), "comment", "after_sales", "not_in_manuals", answered=bj(24, 14), closed=bj(24, 18))
        _ticket(s, 3, bj(24, 8), "dm", "after_sales", "needs_human", answered=bj(24, 13), closed=bj(24, 13, 30))
        _ticket(s, 6, bj(24, 0, 30), "dm", "after_sales", "needs_human")
        _ticket(s, 2, bj(25, 10), "dm", "pr", "complaint", intent="complaint")
        _ticket(s, 4, bj(25, 8), "dm", "product", "needs_human", "希望X5出个小屏版", intent="product_suggestion")
        _ticket(s, 5, bj(22, 10), "dm", "product", "needs_human", "X5能出mini吗", intent="product_suggestion")
        _ticket(s, 8, bj(25, 20), "dm", "rnd", "needs_human", "Watch S2和A3更新后都连不上", intent="software_bug")
    return factory


@pytest.fixture(scope="module")
def index():
    found, problems = build_index(FAQ_DIR)
    assert not problems
    return found


def _report(factory, index, departments=None):
    return make_report(factory, index, SINCE, UNTIL, departments, Levels(), NOW)


def test_the_period_is_whole_beijing_days_and_the_default_is_the_last_seven():
    assert SINCE == bj(24, 0) and UNTIL == bj(26, 0)
    since, until = period(None, None, NOW)
    assert since == bj(20, 0) and until == bj(27, 0)


def test_volume_outcomes_and_the_automatic_share(month, index):
    report = _report(month, index)
    assert report.tables["volume"].rows == [["2026-11-24", 2, 1, 3], ["2026-11-25", 1, 2, 3]]
    counts = {row[1]: row[2] for row in report.tables["outcomes"].rows}
    assert counts == {"answer": 2, "social": 1, "handoff": 2, "human_takeover": 0, "ignore": 1}
    headline = {title: value for title, value, _ in report.headline}
    assert headline["消息总数"] == 6 and headline["自动处理占比"] == pytest.approx(3 / 5)
    assert {row[1]: row[2] for row in report.tables["handoff_reasons"].rows} == {"not_in_manuals": 1, "complaint": 1}


def test_service_levels_by_department_with_breaches_and_the_dm_window(month, index):
    rows = {row[0]: row for row in _report(month, index).tables["service_levels"].rows}
    after = rows["售后服务（after_sales）"]
    # bot p50/p90, tickets, human first response p50/p90, resolution p50/p90, unresolved, breaches, DM window
    assert after[1:] == [4.0, 4.0, 3, 7200.0, 18000.0, 19800.0, 21600.0, 1, 2, 1]
    assert rows["售前咨询（pre_sales）"][1:4] == [2.0, 2.0, 0]
    assert rows["公关部（pr）"][3:] == [1, None, None, None, None, 1, 1, 0]
    assert rows["—（无部门）"][1:3] == [1.0, 1.0]


def test_faq_hits_answers_that_did_not_help_and_unused_entries(month, index):
    report = _report(month, index)
    hits = {row[0]: row[3:] for row in report.tables["faq_hits"].rows}
    assert hits == {"price-x5-pro": [1, 0, 0.0], "warranty-period": [1, 1, 1.0]}
    unused = {row[0] for row in report.tables["faq_unused"].rows}
    assert "track-order" in unused and "warranty-period" not in unused
    assert len(unused) == len(index.entries) - 2


def test_feedback_by_product_beside_the_period_before_and_complaints_by_day(month, index):
    report = _report(month, index)
    assert report.tables["feedback"].rows == [["产品建议", "X5", 1, 1, 0, "希望X5出个小屏版"],
                                              ["软件问题", "A3", 1, 0, 1, "Watch S2和A3更新后都连不上"],
                                              ["软件问题", "WATCHS2", 1, 0, 1, "Watch S2和A3更新后都连不上"]]
    assert [row[:2] for row in report.tables["complaints"].rows] == [["2026-11-24", 0], ["2026-11-25", 1]]
    assert report.alerts == []


def test_fans_new_and_returning_bands_and_the_most_active(month, index):
    report = _report(month, index)
    headline = {title: value for title, value, _ in report.headline}
    assert (headline["粉丝人数"], headline["新粉丝"], headline["回访粉丝"], headline["认证用户"]) == (4, 3, 1, 1)
    bands = dict(report.tables["follower_bands"].rows)
    assert (bands["100 以下"], bands["100-999"], bands["1万-99,999"], bands["未知（私信不带粉丝数）"]) == (1, 1, 1, 1)
    assert report.tables["top_fans"].rows[0] == ["A", "甲", 3, 1, 2, 50, ""]


def test_a_department_sees_only_its_own_messages_and_tickets(month, index):
    report = _report(month, index, ["after_sales"])
    headline = {title: value for title, value, _ in report.headline}
    assert headline["消息总数"] == 2 and headline["工单"] == 3
    assert [row[0] for row in report.tables["service_levels"].rows] == ["售后服务（after_sales）"]
    assert {row[1] for row in report.tables["faq_unused"].rows} == {"after_sales"}


def test_the_three_formats_carry_the_same_figures(month, index):
    report = _report(month, index)
    data = as_json(report)
    assert data["headline"]["消息总数"] == 6 and data["tables"]["volume"]["rows"][0]["评论"] == 2
    assert "volume,2026-11-24,2,1,3" in as_csv(report).splitlines()
    page = html(report)
    assert 'data-figure="消息总数">6<' in page and "echarts" in page and "<script src=" not in page


@pytest.mark.parametrize("values, spike", [
    ([0, 0, 1, 0, 0, 1, 0, 9], True),   # far above a quiet week
    ([4, 5, 6, 5, 4, 6, 5, 7], False),  # a busy week, a busy day
    ([0, 0, 0, 0, 0, 0, 0, 2], False),  # below SPIKE_MIN
])
def test_a_complaint_day_far_above_the_week_before_is_a_spike(values, spike):
    start = bj(10, 12)
    found = [Ticket(i * 100 + j, "dm", "pr", "complaint", None, "waiting", start + timedelta(days=i),
                                 None, None, "") for i, n in enumerate(values) for j in range(n)]
    day = bj(17, 0)
    table, alerts = figures.complaints(found, day, day + timedelta(days=1))
    assert (table.rows[0][3] == "激增") is spike and bool(alerts) is spike


@pytest.mark.parametrize("values, p50, p90", [([4, 1, 3, 2], 2, 4), ([5], 5, 5), ([], None, None)])
def test_percentiles_are_values_that_occurred(values, p50, p90):
    assert figures.percentile(values, 0.5) == p50 and figures.percentile(values, 0.9) == p90
