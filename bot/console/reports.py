"""The console's report page: the figures of `bot report` for the viewer's departments, and the
step from an unanswered-question cluster to an FAQ suggestion (merged on the suggestions page by
the owning department, through the same check as `bot faq merge`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List
from urllib.parse import urlencode

from sanic import Sanic
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse, html, redirect, text

from bot.console.app import error_status
from bot.errors import NotPermitted, QueueError
from bot.faq import suggest as faq_suggest
from bot.faq.library import FaqLibrary
from bot.faq.model import CHINA_TZ, FaqEntry
from bot.reports import render
from bot.reports.figures import Report
from bot.reports.make import make_report, period
from bot.service_levels import Levels
from bot.store.operators import Operator

EXPORTS = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8",
           "json": "application/json; charset=utf-8"}


@dataclass
class Desk:
    """What the report template may offer the viewer on a cluster."""

    operator: Operator
    csrf: str
    index: Any
    draft: Dict[str, str] = field(default_factory=dict)

    def can_edit(self, department: str) -> bool:
        return bool(department) and self.operator.can_see(department)

    def entries(self, department: str) -> List[FaqEntry]:
        return sorted((e for e in self.index.entries if e.department == department), key=lambda e: e.id)


class ReportViews:
    def __init__(self, factory, faq_dir: Path, levels: Callable[[], Levels], call: Callable[..., Any]) -> None:
        self.factory = factory
        self.faq_dir = faq_dir
        self.levels = levels
        self.call = call
        self._library: FaqLibrary | None = None  # loaded on the first report, not at start-up

    def index(self):
        if self._library is None:
            self._library = FaqLibrary(self.faq_dir)
        return self._library.index

    def _report(self, request: Request) -> tuple:
        op: Operator = request.ctx.operator
        department = request.args.get("department", "")
        if department and department not in op.visible_departments:
            raise NotPermitted(f"department {department!r} is not your department ({', '.join(op.visible_departments)})")
        scope = [department] if department else (None if op.role == "operator" else list(op.departments))
        since, until = period(request.args.get("since") or None, request.args.get("until") or None)
        filters = {"since": since.astimezone(CHINA_TZ).date().isoformat(),
                   "until": (until - timedelta(days=1)).astimezone(CHINA_TZ).date().isoformat(),
                   "department": department}
        report: Report = make_report(self.factory, self.index(), since, until, scope, self.levels(),
                                     datetime.now(timezone.utc))
        return report, filters

    def register(self, app: Sanic, page: Callable[..., HTTPResponse]) -> None:
        async def show(request: Request, status: int = 200, error: str = "",
                       draft: Dict[str, str] | None = None) -> HTTPResponse:
            report, filters = await self.call(self._report, request)
            desk = Desk(request.ctx.operator, request.ctx.csrf, self.index(), draft or {})
            return page(request, "reports.html", status, report=report, charts=render.charts(report),
                        filters=filters, query=urlencode(filters), console=desk, error=error)

        @app.get("/reports")
        async def reports_page(request: Request) -> HTTPResponse:
            return await show(request)

        @app.get("/reports/export/<fmt:str>")
        async def export(request: Request, fmt: str) -> HTTPResponse:
            if fmt not in EXPORTS:
                raise NotFound(f"no report format {fmt!r}: use html, csv or json")
            report, filters = await self.call(self._report, request)
            body = await self.call(render.render, report, fmt)
            name = f"report-{filters['since']}-{filters['until']}.{fmt}"
            headers = {"Content-Disposition": f'attachment; filename="{name}"'}
            if fmt == "html":
                # The downloaded file carries its own scripts; the console's CSP must not block it offline.
                return html(body, headers=headers)
            return text(body, headers=headers, content_type=EXPORTS[fmt])

        @app.post("/reports/clusters")
        async def from_cluster(request: Request) -> HTTPResponse:
            form = request.form
            wordings = [w for w in (form.getlist("question") or []) if w.strip()]
            faq_id = form.get("faq_id", "").strip()
            try:
                if faq_id:
                    await self.call(faq_suggest.suggest_alternates, self.factory, request.ctx.operator, self.faq_dir,
                                    faq_id, wordings)
                else:
                    await self.call(faq_suggest.suggest, self.factory, request.ctx.operator, None,
                                    wordings[0] if wordings else "", form.get("answer", ""),
                                    form.get("department", "") or None)
            except QueueError as exc:
                return await show(request, error_status(exc), str(exc),
                                  {"cluster": form.get("cluster", ""), "answer": form.get("answer", "")})
            return redirect("/suggestions?ok=alternates" if faq_id else "/suggestions?ok=suggested", status=303)
