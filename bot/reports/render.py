"""A report as a self-contained HTML page (ECharts inlined, no network), as JSON, or as CSV.

The console's report page renders the same body template over the same Report, so the file a
department mails around and the page it opens show the same figures.
"""

from __future__ import annotations

import csv
import io
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

from jinja2 import Environment, FileSystemLoader

from bot.faq.model import CHINA_TZ
from bot.reports.figures import Report, department_title

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"  # ECharts 6.1.0 (Apache-2.0, ECHARTS-LICENSE.txt), the chart script, the styles
FORMATS = ("html", "json", "csv")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} 秒"
    if seconds < 3600:
        return f"{seconds / 60:.0f} 分钟"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} 小时"
    return f"{seconds / 86400:.1f} 天"


def cell(value: Any, kind: str) -> str:
    """A figure as the departments read it."""
    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "seconds":
        return duration(value)
    if kind == "int" and isinstance(value, (int, float)):
        return f"{value:,}" if isinstance(value, int) else f"{value:g}"
    return str(value)


def charts(report: Report) -> Dict[str, Dict[str, Any]]:
    """ECharts options, one per chart on the page."""
    t = report.tables
    days = [r[0][5:] for r in t["volume"].rows]
    out: Dict[str, Dict[str, Any]] = {
        "volume": {"title": {"text": "每日消息量"}, "tooltip": {"trigger": "axis"}, "legend": {"top": 24, "right": 16},
                   "grid": {"top": 64, "left": 48, "right": 16, "bottom": 32},
                   "xAxis": {"type": "category", "data": days}, "yAxis": {"type": "value"},
                   "series": [{"name": "评论", "type": "bar", "stack": "n", "data": [r[1] for r in t["volume"].rows]},
                              {"name": "私信", "type": "bar", "stack": "n", "data": [r[2] for r in t["volume"].rows]}]},
        "outcomes": {"title": {"text": "处理结果"}, "tooltip": {"trigger": "item"},
                     "series": [{"type": "pie", "radius": ["35%", "65%"], "top": 24,
                                 "data": [{"name": r[0], "value": r[2]} for r in t["outcomes"].rows if r[2]]}]},
        "complaints": {"title": {"text": "每日投诉"}, "tooltip": {"trigger": "axis"},
                       "grid": {"top": 48, "left": 40, "right": 16, "bottom": 32},
                       "xAxis": {"type": "category", "data": days}, "yAxis": {"type": "value", "minInterval": 1},
                       "series": [{"name": "投诉", "type": "line", "data": [r[1] for r in t["complaints"].rows],
                                   "markPoint": {"data": [{"coord": [r[0][5:], r[1]], "value": "激增"}
                                                          for r in t["complaints"].rows if r[3]]}}]},
        "follower_bands": {"title": {"text": "粉丝的粉丝数分布"}, "tooltip": {"trigger": "axis"},
                           "grid": {"top": 48, "left": 40, "right": 16, "bottom": 56},
                           "xAxis": {"type": "category", "data": [r[0] for r in t["follower_bands"].rows],
                                     "axisLabel": {"interval": 0, "rotate": 20}},
                           "yAxis": {"type": "value", "minInterval": 1},
                           "series": [{"type": "bar", "data": [r[1] for r in t["follower_bands"].rows]}]},
    }
    reasons = t["handoff_reasons"].rows[:10][::-1]
    hits = t["faq_hits"].rows[:10][::-1]
    for name, title, rows, label, value in (("handoff_reasons", "转人工原因", reasons, 0, 2),
                                            ("faq_hits", "命中最多的 FAQ", hits, 0, 3)):
        out[name] = {"title": {"text": title}, "tooltip": {"trigger": "axis"},
                     "grid": {"top": 40, "left": 150, "right": 24, "bottom": 24},
                     "xAxis": {"type": "value", "minInterval": 1},
                     "yAxis": {"type": "category", "data": [r[label] for r in rows]},
                     "series": [{"type": "bar", "data": [r[value] for r in rows]}]}
    return out


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element (no "</script>" from any label)."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    add_filters(env)
    return env


def add_filters(env: Environment) -> None:
    env.filters.update(cell=cell, script_json=script_json, department_title=department_title,
                       local=lambda moment: moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"))


def html(report: Report) -> str:
    def inline(name: str) -> str:
        return (STATIC / name).read_text(encoding="utf-8").replace("</script", "<\\/script")

    return environment().get_template("report.html").render(
        report=report, charts=charts(report), echarts=inline("echarts.min.js"), charts_js=inline("charts.js"),
        css=inline("report.css"))


def as_json(report: Report) -> Dict[str, Any]:
    return {
        "since": report.since.isoformat(), "until": report.until.isoformat(),
        "departments": list(report.departments) if report.departments is not None else None,
        "headline": {title: value for title, value, _kind in report.headline},
        "alerts": report.alerts,
        "tables": {name: {"title": table.title, "rows": table.as_dicts()} for name, table in report.tables.items()},
        "unanswered_clusters": [{"key": c.key, "size": c.size, "department": c.department,
                                 "examples": [{"text": e, "count": n} for e, n in zip(c.examples, c.counts)],
                                 "closest_faq": c.closest_id,
                                 "closest_question": c.closest_question, "closest_score": c.closest_score}
                                for c in report.clusters],
    }


def as_csv(report: Report) -> str:
    """One CSV: a `section` column names the table each row belongs to, then its columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "title", "value"])
    for title, value, _kind in report.headline:
        writer.writerow(["headline", title, "" if value is None else value])
    for name, table in report.tables.items():
        writer.writerow([])
        writer.writerow(["section"] + [c.title for c in table.columns])
        for row in table.rows:
            writer.writerow([name] + ["" if v is None else v for v in row])
    writer.writerow([])
    writer.writerow(["section", "key", "size", "department", "closest_faq", "examples"])
    for c in report.clusters:
        writer.writerow(["unanswered_clusters", c.key, c.size, c.department, c.closest_id or "", " | ".join(c.examples)])
    return buffer.getvalue()


def render(report: Report, fmt: str) -> str:
    if fmt == "html":
        return html(report)
    if fmt == "json":
        return json.dumps(as_json(report), ensure_ascii=False, indent=2) + "\n"
    return as_csv(report)

