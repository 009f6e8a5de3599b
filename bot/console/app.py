"""The console's Sanic app: routes, session and CSRF checks, error pages.

Every page but /login needs a session cookie (`bot_session`, only its hash is stored); every POST
needs the session's CSRF token in a hidden `csrf` field. The handoff and FAQ modules decide what an
operator may do: their QueueError messages are shown on the page (400, or 403 for another
department's work), never a traceback. Templates autoescape everything, because fan text is
untrusted.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List
from urllib.parse import urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from sanic import Sanic
from sanic.exceptions import NotFound, SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, empty, html, redirect
from sqlalchemy import select

from bot import canned, handoff, safety
from bot.errors import InputError, NotPermitted, QueueError
from bot.faq import staff as faq_staff
from bot.faq import suggest as faq_suggest
from bot.intents import DEPARTMENT_NAMES, DEPARTMENTS
from bot.outcome import REASON_NAMES
from bot.reports import render as report_render
from bot.service_levels import Levels
from bot.store import assignment, operators, sign_ins
from bot.store.tables import OPEN_STATUSES, STATUSES, ticket_messages

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
COOKIE, LOGIN_COOKIE = "bot_session", "bot_login_csrf"
BEIJING = timezone(timedelta(hours=8))
PREVIEW_CHARS = 60
STATUS_NAMES = {"waiting": "等待中", "claimed": "处理中", "answered": "已回复", "closed": "已关闭",
                "dismissed": "已忽略"}
CHANNEL_NAMES = {"dm": "私信", "comment": "评论"}
PRIORITY_NAMES = {0: "普通", 1: "较高", 2: "紧急"}
EVENT_NAMES = {"created": "创建", "claimed": "认领", "released": "释放", "answered": "回复", "closed": "关闭",
               "dismissed": "忽略", "reassigned": "转派", "message_attached": "粉丝追加消息",
               "handed_back": "交还机器人", "taken_back": "机器人答不了，回到人工"}
NOTICES = {"claimed": "已认领，现在由你处理。", "replied": "回复已记录，发送队列会把它发给粉丝。",
           "closed": "工单已关闭。", "available": "已开始接单：新工单会轮流分给你（不超过上限）。",
           "away": "已暂停接单：新工单不再分给你。", "faq_saved": "已保存进部门的 FAQ 文件，机器人几秒内用上新的内容。", "none_waiting": "没有其他等待中的工单了。", "fan_noted": "备注已记在粉丝档案里。",
           "spammer": "已标记为垃圾用户：这位粉丝之后的消息都会被忽略（可撤销）。",
           "not_spammer": "已撤销垃圾用户标记：机器人重新处理这位粉丝的消息。", "handed_back": "已交还机器人：粉丝的新消息由机器人回答，机器人答不了时工单回到队列。", "dismissed": "工单已忽略。", "reassigned": "工单已转派。",
           "suggested": "FAQ 建议已提交，等待部门合并。", "merged": "已合并进部门的 FAQ 文件。",
           "rejected": "建议已驳回。", "alternates": "新问法已提交，等待部门在「FAQ 建议」里合并。"}
ORDERS = {"priority": "优先级", "due": "剩余时间"}
STATUS_FILTERS = {"open": OPEN_STATUSES, "all": STATUSES, **{s: (s,) for s in STATUSES}}
DRAFT_FIELDS = ("text", "note", "question", "answer", "department", "comment", "fan_note")


def human_wait(seconds: float) -> str:
    """A waiting time as operators say it: "12 分钟", "2 小时 5 分", "3 天 4 小时"."""
    minutes = max(0, int(seconds)) // 60
    if minutes < 1:
        return "不到 1 分钟"
    if minutes < 60:
        return f"{minutes} 分钟"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} 小时 {minutes} 分"
    days, hours = divmod(hours, 24)
    return f"{days} 天 {hours} 小时"


def time_left(seconds: int | None) -> str:
    """Time to a deadline as operators read it: "剩 2 小时 5 分", "超时 12 分钟"."""
    if seconds is None:
        return "—"
    return f"剩 {human_wait(seconds)}" if seconds >= 0 else f"超时 {human_wait(-seconds)}"


def beijing(value: datetime | None) -> str:
    if value is None:
        return "—"
    aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return aware.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def department_label(code: str | None) -> str:
    return f"{DEPARTMENT_NAMES.get(code or '', code or '—')}（{code}）" if code else "—"


def error_status(exc: QueueError) -> int:
    return 403 if isinstance(exc, NotPermitted) else 400


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(str(given), str(expected))


def _environment() -> Environment:
    env = Environment(loader=ChoiceLoader([FileSystemLoader(str(HERE / "templates")),
                                           FileSystemLoader(str(report_render.TEMPLATES))]),
                      autoescape=True, trim_blocks=True, lstrip_blocks=True)
    report_render.add_filters(env)
    env.filters.update(wait=human_wait, bjt=beijing, dept=department_label, left=time_left,
                       status=lambda s: STATUS_NAMES.get(s, s),
                       reason=lambda r: f"{REASON_NAMES[r]}（{r}）" if r in REASON_NAMES else (r or "—"),
                       priority=lambda p: PRIORITY_NAMES.get(p, str(p)))
    env.globals.update(ORDERS=ORDERS, DEPARTMENTS=DEPARTMENTS, DEPARTMENT_NAMES=DEPARTMENT_NAMES, STATUSES=STATUSES,
                       STATUS_NAMES=STATUS_NAMES, CHANNEL_NAMES=CHANNEL_NAMES, EVENT_NAMES=EVENT_NAMES)
    return env


def create_app(factory, faq_dir: Path, name: str = "console", levels: Callable[[], Levels] = Levels,
               secure_cookies: bool = False, canned_dir: Path = canned.DEFAULT_DIR) -> Sanic:
    """The console over the queue database behind `factory` and the FAQ files in `faq_dir`;
    `secure_cookies` when it is served over HTTPS (behind a TLS proxy): browsers then never send
    its cookies over plain HTTP."""
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = 1_000_000
    app.static("/static", str(HERE / "static"), name="static")
    app.static("/report-static", str(report_render.STATIC), name="report_static")
    env = _environment()

    async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # Database work and scrypt block: keep them off the event loop.
        return await asyncio.to_thread(fn, *args, **kwargs)

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
        op = getattr(request.ctx, "operator", None)
        body = env.get_template(template).render(
            op=op, csrf=getattr(request.ctx, "csrf", ""),
            available=getattr(request.ctx, "available", None),
            notice=NOTICES.get(request.args.get("ok", "")), path=request.path, **context)
        return html(body, status=status)

    def login_page(request: Request, status: int = 200, error: str = "", name: str = "") -> HTTPResponse:
        # Reuse the browser's token: another tab (or a favicon fetch) must not void an open form.
        token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
        response = page(request, "login.html", status, login_csrf=token, error=error, name=name)
        response.cookies[LOGIN_COOKIE] = token
        response.cookies[LOGIN_COOKIE]["httponly"] = True
        response.cookies[LOGIN_COOKIE]["samesite"] = "Strict"
        response.cookies[LOGIN_COOKIE]["path"] = "/login"
        response.cookies[LOGIN_COOKIE]["secure"] = secure_cookies
        return response

    def drafts(request: Request) -> Dict[str, str]:
        return {k: request.form.get(k, "") for k in DRAFT_FIELDS}

    # ------------------------------------------------------------------ session and CSRF
    @app.middleware("request")
    async def require_session(request: Request) -> HTTPResponse | None:
        request.ctx.operator, request.ctx.csrf = None, ""
        if request.path in ("/login", "/favicon.ico") or request.path.startswith(("/static/", "/report-static/")):
            return None
        found = await call(operators.session_operator, factory, request.cookies.get(COOKIE, ""))
        if found is None:
            return redirect("/login", status=303)
        request.ctx.operator, request.ctx.csrf = found
        if found[0].role == "member":  # members are assigned tickets: the header shows whether they take them
            request.ctx.available = (await call(assignment.availability, factory, found[0].name))[0]
        if request.method == "POST" and not same_token(request.form.get("csrf"), request.ctx.csrf):
            return page(request, "error.html", 403, title="请求被拒绝",
                        message="CSRF token missing or wrong: reload the page and try again")
        return None

    @app.middleware("response")
    async def security_headers(request: Request, response: HTTPResponse) -> None:
        response.headers.update({
            "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"})
        if not request.path.startswith(("/static/", "/report-static/")):
            response.headers["Cache-Control"] = "no-store"

    @app.get("/login")
    async def login_form(request: Request) -> HTTPResponse:
        return login_page(request)

    @app.post("/login")
    async def login(request: Request) -> HTTPResponse:
        if not same_token(request.form.get("csrf"), request.cookies.get(LOGIN_COOKIE)):
            return login_page(request, 403, "登录表单已过期，请重新输入。")
        name, password = request.form.get("name", "").strip(), request.form.get("password", "")
        address = request.ip or "unknown"  # the peer of the connection, not a header the client sets
        wait = await call(sign_ins.wait_seconds, factory, name, address) if name else 0.0
        if wait > 0:
            await call(sign_ins.record, factory, name, address, sign_ins.THROTTLED)
            seconds = max(1, math.ceil(wait))
            response = login_page(request, 429, f"登录失败次数过多，请 {seconds} 秒后再试。", name)
            response.headers["Retry-After"] = str(seconds)
            return response
        operator = await call(operators.authenticate, factory, name, password) if name and password else None
        if name:
            await call(sign_ins.record, factory, name, address, sign_ins.FAILED if operator is None else sign_ins.OK)
        if operator is None:
            return login_page(request, 401, "用户名或密码错误。", name)
        token, _csrf = await call(operators.open_session, factory, operator.name)
        response = redirect("/", status=303)
        response.cookies[COOKIE] = token
        response.cookies[COOKIE]["httponly"] = True
        response.cookies[COOKIE]["samesite"] = "Lax"
        response.cookies[COOKIE]["path"] = "/"
        response.cookies[COOKIE]["secure"] = secure_cookies
        del response.cookies[LOGIN_COOKIE]
        response.cookies[LOGIN_COOKIE]["path"] = "/login"
        return response

    @app.get("/favicon.ico")
    async def favicon(request: Request) -> HTTPResponse:
        return empty()

    @app.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        await call(operators.close_session, factory, request.cookies.get(COOKIE, ""))
        response = redirect("/login", status=303)
        del response.cookies[COOKIE]
        return response

    @app.post("/availability")
    async def availability(request: Request) -> HTTPResponse:
        await call(assignment.set_available, factory, request.ctx.operator.name, request.form.get("available") == "1")
        return redirect("/?ok=" + ("available" if request.form.get("available") == "1" else "away"), status=303)

    # ------------------------------------------------------------------ queue
    def first_messages(ids: List[int]) -> Dict[int, str]:
        if not ids:
            return {}
        with factory() as session:
            rows = session.execute(select(ticket_messages.c.ticket_id, ticket_messages.c.original_text).where(
                ticket_messages.c.ticket_id.in_(ids), ticket_messages.c.direction == "in")
                .order_by(ticket_messages.c.id)).all()
        first: Dict[int, str] = {}
        for ticket_id, text in rows:
            first.setdefault(ticket_id, text)
        return first

    @app.get("/")
    async def queue_page(request: Request) -> HTTPResponse:
        op = request.ctx.operator
        department = request.args.get("department", "")
        status = request.args.get("status", "open")
        older = request.args.get("older", "").strip()
        if department and department not in op.visible_departments:
            raise NotPermitted(f"department {department!r} is not your department"
                             f" ({', '.join(op.visible_departments)})")
        if status not in STATUS_FILTERS:
            raise QueueError(f"unknown status {status!r}: use open, all or one of {', '.join(STATUSES)}")
        if older and not older.isdigit():
            raise QueueError(f"older than {older!r} minutes: give a whole number of minutes")
        search = request.args.get("q", "").strip()[:100]
        number = request.args.get("page", "1").strip()
        if not number.isdigit() or int(number) < 1:
            raise QueueError(f"page {number!r}: give a page number from 1")
        order = request.args.get("order", "priority")
        if order not in ORDERS:
            raise QueueError(f"unknown order {order!r}: use {' or '.join(ORDERS)}")
        result = await call(handoff.list_tickets, factory, op, [department] if department else None,
                            STATUS_FILTERS[status], int(older) if older else None, search, int(number),
                            order=order, levels=levels())
        rows = result.rows
        previews = await call(first_messages, [r["id"] for r in rows])
        now = datetime.now(timezone.utc)
        for row in rows:
            text = " ".join((previews.get(row["id"]) or "").split())
            row["preview"] = text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"
            row["wait"] = handoff.waiting_seconds(row, now)
        board = await call(handoff.dashboard, factory, op)
        filters = {"department": department, "status": status, "older": older, "q": search, "order": order}
        return page(request, "queue.html", tickets=rows, board=board, filters=filters, result=result,
                    page_query=lambda n: urlencode({**{k: v for k, v in filters.items() if v}, "page": n}))

    # ------------------------------------------------------------------ tickets
    async def ticket_page(request: Request, ticket_id: int, status: int = 200, error: str = "",
                          draft: Dict[str, str] | None = None) -> HTTPResponse:
        ticket = await call(handoff.show, factory, request.ctx.operator, ticket_id)
        ticket["wait"] = handoff.waiting_seconds(ticket)
        draft = dict(draft or {})
        chosen = request.args.get("canned", "") if request.method == "GET" else ""
        if chosen:
            draft["text"] = await call(handoff.canned_reply, factory, request.ctx.operator, ticket_id, canned_dir, chosen)
        replies = await call(canned.for_department, canned_dir, ticket["department"])
        fan = await call(handoff.fan_history, factory, request.ctx.operator, ticket_id)
        return page(request, "ticket.html", status, t=ticket, error=error, draft=draft,
                    limit=handoff.reply_limit(ticket["channel"]), canned=replies, chosen=chosen, fan=fan)

    @app.get("/tickets/next")
    async def next_ticket(request: Request) -> HTTPResponse:
        """The most urgent waiting ticket the operator may work, other than the one he leaves."""
        after = request.args.get("after", "")
        found = await call(handoff.list_tickets, factory, request.ctx.operator, None, ("waiting",), None, "", 1, 2)
        ids = [r["id"] for r in found.rows if str(r["id"]) != after]
        return redirect(f"/tickets/{ids[0]}" if ids else "/?ok=none_waiting", status=303)

    @app.get("/tickets/<ticket_id:int>")
    async def ticket_view(request: Request, ticket_id: int) -> HTTPResponse:
        return await ticket_page(request, ticket_id)

    actions: Dict[str, Callable[..., Any]] = {
        "claim": lambda op, tid, form: handoff.claim(factory, op, tid),
        "reply": lambda op, tid, form: handoff.reply(factory, op, tid, form.get("text", ""),
                                                     sensitive=safety.sensitive_words(Path(faq_dir))),
        "close": lambda op, tid, form: handoff.close(factory, op, tid, form.get("note", "").strip()),
        "dismiss": lambda op, tid, form: handoff.dismiss(factory, op, tid, form.get("note", "").strip()),
        "handback": lambda op, tid, form: handoff.hand_back(factory, op, tid),
        "fan-note": lambda op, tid, form: handoff.note_fan(factory, op, tid, form.get("fan_note", "")),
        "spammer": lambda op, tid, form: handoff.mark_spammer(factory, op, tid, True),
        "not-spammer": lambda op, tid, form: handoff.mark_spammer(factory, op, tid, False),
        "reassign": lambda op, tid, form: handoff.reassign(factory, op, tid, form.get("department", "")),
        "suggest": lambda op, tid, form: faq_suggest.suggest(factory, op, tid, form.get("question", ""),
                                                             form.get("answer", "")),
    }
    done = {"claim": "claimed", "reply": "replied", "close": "closed", "dismiss": "dismissed", "handback": "handed_back",
            "fan-note": "fan_noted", "spammer": "spammer", "not-spammer": "not_spammer",
            "reassign": "reassigned", "suggest": "suggested"}

    @app.post("/tickets/<ticket_id:int>/<action:str>")
    async def ticket_action(request: Request, ticket_id: int, action: str) -> HTTPResponse:
        if action not in actions:
            raise NotFound(f"no ticket action {action!r}")
        op = request.ctx.operator
        try:
            await call(actions[action], op, ticket_id, request.form)
        except QueueError as exc:
            # Show the ticket again with the message and what the operator typed, if they may see it.
            try:
                return await ticket_page(request, ticket_id, error_status(exc), str(exc), drafts(request))
            except QueueError:
                raise exc from None
        if action == "reassign" and not op.can_see(request.form.get("department")):
            return redirect("/?ok=reassigned", status=303)
        return redirect(f"/tickets/{ticket_id}?ok={done[action]}", status=303)

    # ------------------------------------------------------------------ FAQ suggestions
    async def suggestions_page(request: Request, status: int = 200, error: str = "") -> HTTPResponse:
        rows = await call(faq_suggest.pending, factory, request.ctx.operator)
        return page(request, "suggestions.html", status, suggestions=rows, error=error)

    @app.get("/suggestions")
    async def suggestions(request: Request) -> HTTPResponse:
        return await suggestions_page(request)

    @app.post("/suggestions/<suggestion_id:int>/<action:str>")
    async def decide(request: Request, suggestion_id: int, action: str) -> HTTPResponse:
        op = request.ctx.operator
        try:
            if action == "merge":
                comment = request.form.get("comment", "").strip() or None
                await call(faq_suggest.merge, factory, op, suggestion_id, Path(faq_dir), comment)
            elif action == "reject":
                await call(faq_suggest.reject, factory, op, suggestion_id)
            else:
                raise NotFound(f"no suggestion action {action!r}")
        except QueueError as exc:
            return await suggestions_page(request, error_status(exc), str(exc))
        return redirect(f"/suggestions?ok={'merged' if action == 'merge' else 'rejected'}", status=303)

    # ------------------------------------------------------------------ FAQ for staff who do not edit files
    @app.get("/faq")
    async def faq_list(request: Request) -> HTTPResponse:
        q = request.args.get("q", "").strip()[:100]
        found = await call(faq_staff.entries, Path(faq_dir), request.ctx.operator, q)
        return page(request, "faq.html", entries=found, q=q)

    @app.get("/faq/<entry_id:str>")
    async def faq_entry(request: Request, entry_id: str) -> HTTPResponse:
        found = await call(faq_staff.entry, Path(faq_dir), request.ctx.operator, entry_id)
        return page(request, "faq_entry.html", e=found, draft=None)

    @app.post("/faq/<entry_id:str>")
    async def faq_save(request: Request, entry_id: str) -> HTTPResponse:
        form = {k: request.form.get(k, "") for k in ("question", "alternates", "answer", "comment")}
        try:
            await call(faq_staff.update, Path(faq_dir), request.ctx.operator, entry_id, form["question"],
                       form["alternates"].splitlines(), form["answer"], form["comment"])
        except QueueError as exc:
            found = await call(faq_staff.entry, Path(faq_dir), request.ctx.operator, entry_id)
            return page(request, "faq_entry.html", error_status(exc), e=found, draft=form, error=str(exc))
        return redirect(f"/faq/{entry_id}?ok=faq_saved", status=303)

    # ------------------------------------------------------------------ reports
    from bot.console.reports import ReportViews

    ReportViews(factory, Path(faq_dir), levels, call).register(app, page)

    # ------------------------------------------------------------------ errors
    @app.exception(InputError)
    async def input_error(request: Request, exc: InputError) -> HTTPResponse:
        return page(request, "error.html", 400, title="输入有误", message=str(exc))

    @app.exception(QueueError)
    async def queue_error(request: Request, exc: QueueError) -> HTTPResponse:
        status = error_status(exc)
        return page(request, "error.html", status, title="没有权限" if status == 403 else "操作未完成",
                    message=str(exc))

    @app.exception(SanicException)
    async def http_error(request: Request, exc: SanicException) -> HTTPResponse:
        status = getattr(exc, "status_code", 500) or 500
        return page(request, "error.html", status, title="页面不存在" if status == 404 else "请求有误",
                    message=str(exc))

    @app.exception(Exception)
    async def crash(request: Request, exc: Exception) -> HTTPResponse:
        log.error("console error on %s %s", request.method, request.path, exc_info=exc)
        return page(request, "error.html", 500, title="内部错误",
                    message="Something went wrong on the server; the error is in the console log.")

    return app


def run(settings, port: int) -> None:
    """Migrate the database, then serve the console on 127.0.0.1:port (one worker, no access log)."""
    from bot.store.db import make_engine, make_session_factory, migrate

    migrate(settings.database_url)
    factory = make_session_factory(make_engine(settings.database_url))
    from bot.service_levels import watch_levels

    app = create_app(factory, Path(settings.faq_dir), levels=watch_levels(settings.service_levels_file).current,
                     secure_cookies=settings.console_secure_cookies,
                     canned_dir=Path(settings.canned_dir))
    app.run(host="127.0.0.1", port=port, workers=1, access_log=False, debug=False, auto_reload=False, motd=False)
