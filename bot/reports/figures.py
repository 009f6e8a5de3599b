"""Every figure of a report, computed from the rows of bot.reports.rows.

The definitions the departments read the numbers by:
- a day is a Beijing calendar day;
- automatic share: messages the bot settled on its own (FAQ answers and social replies) among the
  messages that were not ignored;
- bot first response: from the fan's message to the bot's reply being sent; human first response:
  from the ticket's creation to an operator's first reply; resolution: to closing or dismissing;
- a ticket breaches its first-response target (bot.service_levels: by department and priority)
  when its first reply came later than the target, or has not come and the target has passed; a DM ticket is outside Weibo's reply window when no reply
  came within DM_REPLY_WINDOW_HOURS;
- an FAQ answer did not help when the same fan wrote again within a day with a complaint or got the
  same entry again;
- a complaint day is a spike when it is at least SPIKE_MIN complaints and more than twice the mean
  of the SPIKE_DAYS days before it and above that mean by SPIKE_SIGMAS standard deviations.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from bot.faq.index import products
from bot.faq.model import CHINA_TZ, FaqEntry
from bot.intents import DEPARTMENT_NAMES
from bot.outcome import R_COMPLAINT, REASON_NAMES
from bot.reports.rows import Message, Rows, Ticket
from bot.service_levels import Levels
from bot.weibo.api import DM_REPLY_WINDOW_HOURS

ACTIONS = ("answer", "social", "handoff", "human_takeover", "ignore")
ACTION_NAMES = {"answer": "FAQ 自动回答", "social": "寒暄回复", "handoff": "转人工", "human_takeover": "人工跟进中追加",
                "ignore": "忽略"}
FEEDBACK_INTENTS = {"product_suggestion": "产品建议", "software_bug": "软件问题"}
FOLLOWER_BANDS = ((0, "100 以下"), (100, "100-999"), (1_000, "1千-9,999"), (10_000, "1万-99,999"), (100_000, "10万以上"))
SPIKE_DAYS, SPIKE_SIGMAS, SPIKE_MIN = 7, 2.0, 3
FOLLOW_UP = timedelta(days=1)
TOP_FANS = 10


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text, int, share (0..1), seconds, date


@dataclass
class Table:
    title: str
    columns: List[Column]
    rows: List[List[Any]] = field(default_factory=list)

    def as_dicts(self) -> List[Dict[str, Any]]:
        return [dict(zip([c.title for c in self.columns], row)) for row in self.rows]


@dataclass
class Report:
    since: datetime
    until: datetime
    departments: Tuple[str, ...] | None  # None: every department
    headline: List[Tuple[str, Any, str]]  # (title, value, kind)
    tables: Dict[str, Table]
    alerts: List[str]
    clusters: List[Any] = field(default_factory=list)  # bot.reports.clusters.Cluster


def day_of(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (p50 of 1, 2, 3, 4 is 2): a value that occurred, never interpolated."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(round(share * 100)) * len(ordered) // 100))
    return ordered[min(rank, len(ordered)) - 1]


def _days(since: datetime, until: datetime) -> List[date]:
    first, last = day_of(since), day_of(until - timedelta(microseconds=1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _in(moment: datetime, since: datetime, until: datetime) -> bool:
    return since <= moment < until


def department_title(code: str) -> str:
    return f"{DEPARTMENT_NAMES.get(code, code)}（{code}）" if code else "—（无部门）"


def volume(messages: Sequence[Message], since: datetime, until: datetime) -> Table:
    counts = Counter((day_of(m.created_at), m.channel) for m in messages)
    table = Table("每日消息量", [Column("日期", "date"), Column("评论", "int"), Column("私信", "int"), Column("合计", "int")])
    for day in _days(since, until):
        comment, dm = counts[(day, "comment")], counts[(day, "dm")]
        table.rows.append([day.isoformat(), comment, dm, comment + dm])
    return table


def outcomes(messages: Sequence[Message]) -> Table:
    counts = Counter(m.action for m in messages)
    total = len(messages)
    table = Table("处理结果", [Column("结果"), Column("代码"), Column("条数", "int"), Column("占比", "share")])
    for action in ACTIONS:
        table.rows.append([ACTION_NAMES[action], action, counts[action], counts[action] / total if total else 0.0])
    return table


def automatic_share(messages: Sequence[Message]) -> float | None:
    considered = [m for m in messages if m.action != "ignore"]
    if not considered:
        return None
    return sum(m.action in ("answer", "social") for m in considered) / len(considered)


def handoff_reasons(messages: Sequence[Message]) -> Table:
    counts = Counter(m.reason or "—" for m in messages if m.action == "handoff")
    table = Table("转人工原因", [Column("原因"), Column("代码"), Column("条数", "int")])
    for reason, n in counts.most_common():
        table.rows.append([REASON_NAMES.get(reason, reason), reason, n])
    return table


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else max(0.0, (end - start).total_seconds())


def service_levels(messages: Sequence[Message], tickets: Sequence[Ticket], levels: Levels,
                   now: datetime) -> Table:
    table = Table("服务水平（按部门）", [
        Column("部门"), Column("机器人首响 p50", "seconds"), Column("机器人首响 p90", "seconds"),
        Column("工单数", "int"), Column("人工首响 p50", "seconds"), Column("人工首响 p90", "seconds"),
        Column("解决 p50", "seconds"), Column("解决 p90", "seconds"), Column("未解决", "int"),
        Column("首响超时", "int"), Column(f"私信超 {DM_REPLY_WINDOW_HOURS} 小时未回", "int")])
    bot: Dict[str, List[float]] = defaultdict(list)
    for m in messages:
        waited = _seconds(m.created_at, m.first_reply_at)
        if waited is not None:
            bot[m.department].append(waited)
    by_department: Dict[str, List[Ticket]] = defaultdict(list)
    for t in tickets:
        by_department[t.department].append(t)
    window = timedelta(hours=DM_REPLY_WINDOW_HOURS)
    for department in sorted(set(bot) | set(by_department), key=lambda d: (d == "", d)):
        group = by_department.get(department, [])
        first = [s for s in (_seconds(t.created_at, t.first_answer_at) for t in group) if s is not None]
        resolved = [s for s in (_seconds(t.created_at, t.closed_at) for t in group) if s is not None]
        table.rows.append([
            department_title(department), percentile(bot[department], 0.5), percentile(bot[department], 0.9),
            len(group), percentile(first, 0.5), percentile(first, 0.9), percentile(resolved, 0.5),
            percentile(resolved, 0.9), sum(t.closed_at is None for t in group),
            sum(_late(t, levels.first_response(t.department, t.priority), now) for t in group),
            sum(t.channel == "dm" and _late(t, window, now) for t in group)])
    return table


def _late(ticket: Ticket, target: timedelta, now: datetime) -> bool:
    reached = ticket.first_answer_at or (ticket.closed_at if ticket.status == "dismissed" else None)
    return (reached or now) - ticket.created_at > target


def faq_usage(messages: Sequence[Message], later: Sequence[Message],
              entries: Iterable[FaqEntry]) -> Tuple[Table, Table]:
    """Hits per entry with the answers that did not help, and the entries nobody needed."""
    by_fan: Dict[str, List[Message]] = defaultdict(list)
    for m in later:
        by_fan[m.fan].append(m)
    hits: Counter = Counter()
    unhelpful: Counter = Counter()
    for m in messages:
        if m.action != "answer":
            continue
        hits.update(m.faq_ids)
        after = [n for n in by_fan[m.fan] if m.created_at < n.created_at <= m.created_at + FOLLOW_UP]
        for entry_id in m.faq_ids:
            if any(n.reason == R_COMPLAINT or entry_id in n.faq_ids for n in after):
                unhelpful[entry_id] += 1
    known = {e.id: e for e in entries}
    used = Table("FAQ 命中", [Column("条目"), Column("部门"), Column("问题"), Column("命中", "int"),
                            Column("一天内投诉或重复问", "int"), Column("未帮到的比例", "share")])
    for entry_id, n in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0])):
        entry = known.get(entry_id)
        used.rows.append([entry_id, entry.department if entry else "—", entry.question if entry else "（已删除）",
                          n, unhelpful[entry_id], unhelpful[entry_id] / n])
    unused = Table("本期无人用到的 FAQ", [Column("条目"), Column("部门"), Column("问题")])
    for entry in sorted(known.values(), key=lambda e: (e.department, e.id)):
        if entry.id not in hits:
            unused.rows.append([entry.id, entry.department, entry.question])
    return used, unused


def feedback(tickets: Sequence[Ticket], since: datetime, until: datetime) -> Table:
    """Product suggestions and bug reports by product, this period beside the one before it."""
    previous = since - (until - since)
    table = Table("产品建议与问题反馈（按产品）", [Column("类别"), Column("产品"), Column("本期", "int"),
                                           Column("上期", "int"), Column("变化", "int"), Column("例子")])
    now_counts: Counter = Counter()
    before: Counter = Counter()
    examples: Dict[Tuple[str, str], str] = {}
    for t in tickets:
        if t.intent not in FEEDBACK_INTENTS:
            continue
        for product in sorted(products(t.text)) or ["未指明产品"]:
            key = (t.intent, product)
            if _in(t.created_at, since, until):
                now_counts[key] += 1
                examples.setdefault(key, t.text[:60])
            elif _in(t.created_at, previous, since):
                before[key] += 1
    for key in sorted(set(now_counts) | set(before), key=lambda k: (k[0], -now_counts[k], k[1])):
        table.rows.append([FEEDBACK_INTENTS[key[0]], key[1].upper() if key[1] != "未指明产品" else key[1],
                           now_counts[key], before[key], now_counts[key] - before[key], examples.get(key, "")])
    return table


def complaints(tickets: Sequence[Ticket], since: datetime, until: datetime) -> Tuple[Table, List[str]]:
    per_day = Counter(day_of(t.created_at) for t in tickets if t.reason == R_COMPLAINT or t.intent == "complaint")
    table = Table("每日投诉", [Column("日期", "date"), Column("投诉", "int"), Column(f"前 {SPIKE_DAYS} 天均值", "int"),
                          Column("异常", "text")])
    alerts = []
    for day in _days(since, until):
        history = [per_day[day - timedelta(days=i)] for i in range(1, SPIKE_DAYS + 1)]
        mean = statistics.fmean(history)
        spread = statistics.pstdev(history)
        spike = (per_day[day] >= SPIKE_MIN and per_day[day] > 2 * mean
                 and per_day[day] > mean + SPIKE_SIGMAS * spread)
        table.rows.append([day.isoformat(), per_day[day], round(mean, 1), "激增" if spike else ""])
        if spike:
            alerts.append(f"{day.isoformat()} 投诉 {per_day[day]} 条，前 {SPIKE_DAYS} 天平均 {mean:.1f} 条")
    return table, alerts


def _band(followers: int | None) -> str:
    if followers is None:
        return "未知（私信不带粉丝数）"
    return [name for floor, name in FOLLOWER_BANDS if followers >= floor][-1]


def fans(messages: Sequence[Message], first_seen: Dict[str, datetime], since: datetime) -> Tuple[List, Table, Table]:
    latest: Dict[str, Message] = {}
    known: Dict[str, Message] = {}  # the newest message that described the fan (a comment)
    counts: Counter = Counter()
    channels: Dict[str, Counter] = defaultdict(Counter)
    for m in messages:
        latest[m.fan] = m
        counts[m.fan] += 1
        channels[m.fan][m.channel] += 1
        if m.followers is not None or m.screen_name:
            known[m.fan] = m
    new = sum(first_seen.get(f, since) >= since for f in latest)
    verified = sum(bool(known[f].verified) for f in latest if f in known)
    headline = [("粉丝人数", len(latest), "int"), ("新粉丝", new, "int"), ("回访粉丝", len(latest) - new, "int"),
                ("认证用户", verified, "int")]
    bands = Counter(_band(known[f].followers if f in known else None) for f in latest)
    band_table = Table("粉丝的粉丝数分布", [Column("粉丝数"), Column("人数", "int")])
    for _floor, name in FOLLOWER_BANDS:
        band_table.rows.append([name, bands[name]])
    band_table.rows.append(["未知（私信不带粉丝数）", bands["未知（私信不带粉丝数）"]])
    top = Table("最活跃的粉丝", [Column("用户 ID"), Column("昵称"), Column("消息", "int"), Column("评论", "int"),
                             Column("私信", "int"), Column("粉丝数", "int"), Column("认证")])
    for fan, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FANS]:
        described = known.get(fan)
        top.rows.append([fan, described.screen_name if described else "", n, channels[fan]["comment"],
                         channels[fan]["dm"], described.followers if described else None,
                         "是" if described and described.verified else ""])
    return headline, band_table, top


def build(rows: Rows, since: datetime, until: datetime, entries: Sequence[FaqEntry], levels: Levels,
          now: datetime, departments: Tuple[str, ...] | None = None) -> Report:
    period = [m for m in rows.messages if _in(m.created_at, since, until)]
    period_tickets = [t for t in rows.tickets if _in(t.created_at, since, until)]
    if departments is not None:
        entries = [e for e in entries if e.department in departments]
    used, unused = faq_usage(period, rows.messages, entries)
    complaint_table, alerts = complaints(rows.tickets, since, until)
    fan_headline, bands, top = fans(period, rows.first_seen, since)
    share = automatic_share(period)
    headline = [("消息总数", len(period), "int"), ("自动处理占比", share, "share"),
                ("FAQ 自动回答", sum(m.action == "answer" for m in period), "int"),
                ("转人工", sum(m.action == "handoff" for m in period), "int"),
                ("工单", len(period_tickets), "int")] + fan_headline
    tables = {
        "volume": volume(period, since, until),
        "outcomes": outcomes(period),
        "handoff_reasons": handoff_reasons(period),
        "service_levels": service_levels(period, period_tickets, levels, now),
        "faq_hits": used,
        "faq_unused": unused,
        "feedback": feedback(rows.tickets, since, until),
        "complaints": complaint_table,
        "follower_bands": bands,
        "top_fans": top,
    }
    return Report(since, until, departments, headline, tables, alerts)
