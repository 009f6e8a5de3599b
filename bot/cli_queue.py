"""`bot operators`, `bot queue`, `bot faq suggestions|merge` and `bot console`: parsing and printing."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Callable

from bot.intents import DEPARTMENT_NAMES, DEPARTMENTS
from bot.store.tables import OPEN_STATUSES, STATUSES

EXAMPLES = {
    "operators add": "example: bot operators add alice --department after_sales --department rnd   (asks for a password)\n"
                     "         echo 's3cret-pass' | bot operators add ops1 --role operator --password-stdin",
    "operators list": "example: bot operators list",
    "operators available": "example: bot operators available carol --cap 8   (bot operators available carol --off)",
    "queue list": "example: bot queue list --as alice --department after_sales --status waiting --search 绿线 --page 2",
    "queue show": "example: bot queue show 12 --as alice",
    "queue claim": "example: bot queue claim 12 --as alice",
    "queue reply": "example: bot queue reply 12 '您好，已为您登记，请留意私信' --as alice\n"
                   "         bot queue reply 12 --canned repair-received --as alice   (a canned reply, filled for #12)",
    "queue close": "example: bot queue close 12 --as alice --note 'fan confirmed'",
    "queue dismiss": "example: bot queue dismiss 12 --as alice --note spam",
    "queue reassign": "example: bot queue reassign 12 rnd --as alice",
    "queue fan": "example: bot queue fan 12 --as alice",
    "queue note": "example: bot queue note 12 '老用户，上次寄修很满意' --as alice",
    "queue spammer": "example: bot queue spammer 12 --as alice   (bot queue spammer 12 --undo to lift it)",
    "canned list": "example: bot canned list --department after_sales",
    "canned check": "example: bot canned check data/canned",
    "queue handback": "example: bot queue handback 12 --as alice   (the ticket stays open; the bot answers the fan again)",
    "faq suggestions": "example: bot faq suggestions --as alice",
    "faq merge": "example: bot faq merge 3 --as alice",
    "console": "example: bot console --port 8000",
}


def _factory():
    from bot.settings import Settings
    from bot.store.db import make_engine, make_session_factory, migrate

    settings = Settings.from_env()
    migrate(settings.database_url)
    return make_session_factory(make_engine(settings.database_url)), settings


def _operator(factory, args):
    from bot.errors import QueueError
    from bot.store import operators

    name = args.as_ or os.environ.get("BOT_OPERATOR")
    if not name:
        raise QueueError("say who you are: --as NAME (or set BOT_OPERATOR)")
    return operators.get(factory, name)


def _reply_text(factory, operator, args) -> str:
    """The reply as typed, or the department's canned reply (--canned ID) filled for this ticket."""
    from bot import handoff
    from bot.errors import InputError
    from bot.settings import Settings

    if args.canned and args.text:
        raise InputError("give the reply text or --canned ID, not both")
    if args.canned:
        return handoff.canned_reply(factory, operator, args.ticket, Settings.from_env().canned_dir, args.canned)
    if not args.text:
        raise InputError("give the reply text, or --canned ID for one of the department's canned replies")
    return args.text


def cmd_queue_fan(args: argparse.Namespace) -> int:
    from bot import handoff

    factory, _ = _factory()
    fan = handoff.fan_history(factory, _operator(factory, args), args.ticket)
    marks = " ".join(m for m, on in (("VIP", fan["vip"]), ("SPAMMER", fan["spammer"])) if on)
    print(f"fan {fan['fan_id']} {marks}".rstrip())
    listed = ", ".join(f"#{t['id']} {t['department']} {t['status']}" for t in fan["tickets"])
    print(f"tickets: {listed or '-'}")
    for m in fan["messages"]:
        print(f"  <- {m['created_at']:%Y-%m-%d %H:%M} {m['channel']:<7} {m['outcome'] or '-':<28} {m['text'][:60]}")
    for r in fan["replies"]:
        print(f"  -> {r['created_at']:%Y-%m-%d %H:%M} {r['channel']:<7} {r['status']:<28} {r['text'][:60]}")
    for n in fan["notes"]:
        print(f"  note by {n['author']}: {n['text']}")
    return 0


def cmd_canned_list(args: argparse.Namespace) -> int:
    from bot import canned
    from bot.settings import Settings

    directory = Settings.from_env().canned_dir
    replies = canned.for_department(directory, args.department) if args.department else canned.load(directory)[0]
    for reply in replies:
        print(f"{reply.department:<17} {reply.id:<24} {reply.title}\n    {reply.text}")
    if not replies:
        print("no canned replies")
    return 0


def cmd_canned_check(args: argparse.Namespace) -> int:
    from bot import canned
    from bot.settings import Settings

    replies, problems = canned.load(Path(args.path) if args.path else Settings.from_env().canned_dir)
    return report_check(problems, len(replies), "统一口径")


def report_check(problems, passed: int, what: str) -> int:
    """A check's verdict as staff read it: every problem (file, line, field, fix), then the count."""
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} 个问题，{what}未通过检查", file=sys.stderr)
        return 1
    print(f"OK: {passed} 条{what}通过检查")
    return 0


def _sensitive():
    from bot import safety
    from bot.settings import Settings

    return safety.sensitive_words(Settings.from_env().faq_dir)


def _left(ticket) -> str:
    """Time to the ticket's target ("-1h05m" once missed), and Weibo's DM window when it is closing."""
    if ticket["status"] not in OPEN_STATUSES:
        return "-"
    left = ticket["time_left"]
    text = ("" if left >= 0 else "-") + _minutes(abs(left))
    window = ticket.get("window_left")
    return text + (f" dm{_minutes(max(0, window))}" if window is not None and window < 6 * 3600 else "")


def _minutes(seconds: int) -> str:
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def cmd_operators_add(args: argparse.Namespace) -> int:
    from bot.store import operators

    factory, _ = _factory()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
    op = operators.add(factory, args.name, password, args.department or [], args.role)
    print(f"added {op.name} ({op.role}; departments: {', '.join(op.departments) or 'all'})")
    return 0


def cmd_operators_available(args: argparse.Namespace) -> int:
    from bot.store import assignment

    factory, _ = _factory()
    assignment.set_available(factory, args.name, not args.off, args.cap)
    available, cap = assignment.availability(factory, args.name)
    print(f"{args.name} {'takes new tickets' if available else 'takes no new tickets'} (at most {cap} claimed at once)")
    return 0


def cmd_operators_list(args: argparse.Namespace) -> int:
    from bot.store import operators

    factory, _ = _factory()
    for op in operators.all_operators(factory):
        print(f"{op.name:<16} {op.role:<9} {', '.join(op.departments) or 'all departments'}")
    return 0


def cmd_queue_list(args: argparse.Namespace) -> int:
    from bot import handoff

    factory, _ = _factory()
    operator = _operator(factory, args)
    statuses = STATUSES if args.status == "all" else ([args.status] if args.status else OPEN_STATUSES)
    from bot.service_levels import load
    from bot.settings import Settings

    levels = load(Settings.from_env().service_levels_file)
    result = handoff.list_tickets(factory, operator, args.department and [args.department], statuses, args.older_than,
                                  args.search or "", args.page, args.per_page, args.sort, levels)
    if not result.rows:
        print("no tickets")
    for t in result.rows:
        print(f"#{t['id']:<5} {t['department']:<17} {t['status']:<9} p{t['priority']} "
              f"{_minutes(handoff.waiting_seconds(t)):>7}  {_left(t):>12}  {t['reason']:<24} {t['assignee'] or '-'}")
    if result.total:
        print(f"page {result.page} of {result.pages}: {len(result.rows)} of {result.total} tickets"
              + (f" (next: --page {result.page + 1})" if result.page < result.pages else ""))
    return 0


def cmd_queue_show(args: argparse.Namespace) -> int:
    from bot import handoff

    factory, _ = _factory()
    t = handoff.show(factory, _operator(factory, args), args.ticket)
    print(f"ticket #{t['id']}  {t['department']} ({DEPARTMENT_NAMES[t['department']]})  {t['status']}"
          f"  assignee: {t['assignee'] or '-'}  priority {t['priority']}")
    print(f"channel {t['channel']}  fan {t['fan_id']}  intent {t['intent']} ({t['confidence']:.2f})  reason {t['reason']}")
    print("messages:")
    for m in t["messages"]:
        arrow = "<-" if m["direction"] == "in" else "->"
        print(f"  {arrow} {m['author']}: {m['original_text']}")
    if t["faq_candidates"]:
        print("FAQ candidates:")
        for c in t["faq_candidates"]:
            print(f"  {c['score']:.3f} {c['id']}  {c['question']}")
    print("events:")
    for e in t["events"]:
        print(f"  {e['created_at']:%Y-%m-%d %H:%M} {e['kind']:<16} {e['actor']} {e['detail'][:60]}")
    return 0


def _simple(action: Callable, message: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        factory, _ = _factory()
        ticket = action(factory, _operator(factory, args), args)
        print(message.format(**ticket))
        return 0

    return run


def cmd_faq_suggestions(args: argparse.Namespace) -> int:
    from bot.faq import suggest

    factory, _ = _factory()
    rows = suggest.pending(factory, _operator(factory, args))
    if not rows:
        print("no suggestions waiting")
    for s in rows:
        print(f"#{s['id']:<4} {s['department']:<17} by {s['author']:<10} Q: {s['question']}\n      A: {s['answer']}")
    return 0


def cmd_faq_merge(args: argparse.Namespace) -> int:
    from bot.faq import suggest

    factory, settings = _factory()
    entry = suggest.merge(factory, _operator(factory, args), args.suggestion, settings.faq_dir, args.comment)
    print(f"merged as {entry} into {settings.faq_dir}; the running bot serves it within 2 seconds")
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from bot.console.app import run
    from bot.settings import Settings

    settings = Settings.from_env()
    run(settings, args.port or settings.console_port)
    return 0


def register(sub, add) -> None:
    from bot import handoff

    def who(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--as", dest="as_", metavar="NAME", help="operator name (default: $BOT_OPERATOR)")
        return p

    ops = sub.add_parser("operators", help="Operator accounts.").add_subparsers(dest="operators_command", required=True)
    p = add("add", cmd_operators_add, "Add an operator (password asked, or read with --password-stdin).", ops,
            "operators add")
    p.add_argument("name")
    p.add_argument("--department", action="append", choices=DEPARTMENTS, help="repeat for several")
    p.add_argument("--role", choices=("member", "operator"), default="member",
                   help="member: own departments only; operator: the Weibo team, all departments")
    p.add_argument("--password-stdin", action="store_true")
    add("list", cmd_operators_list, "List operators.", ops, "operators list")
    p = add("available", cmd_operators_available, "Take new tickets of your departments in turn (or --off).", ops,
            "operators available")
    p.add_argument("name")
    p.add_argument("--off", action="store_true", help="take no new tickets")
    p.add_argument("--cap", type=int, help="at most this many claimed tickets at once (default: 5)")

    q = sub.add_parser("queue", help="Work the handoff queue.").add_subparsers(dest="queue_command", required=True)
    p = who(add("list", cmd_queue_list, "Tickets by priority then age.", q, "queue list"))
    p.add_argument("--department", choices=DEPARTMENTS)
    p.add_argument("--status", choices=(*STATUSES, "all"), help="default: open tickets")
    p.add_argument("--older-than", type=int, metavar="MINUTES")
    p.add_argument("--search", metavar="WORDS", help="words of the messages, a ticket number (#12) or a fan id")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--per-page", type=int, default=50, help="at most 500 (default: %(default)s)")
    p.add_argument("--sort", choices=("priority", "due"), default="priority",
                   help="priority (then oldest), or due: the soonest service-level deadline first")
    p = who(add("show", cmd_queue_show, "A ticket with the fan's messages, candidates and history.", q, "queue show"))
    p.add_argument("ticket", type=int)
    p = who(add("claim", _simple(lambda f, o, a: handoff.claim(f, o, a.ticket), "claimed #{id}"),
                "Claim a waiting ticket.", q, "queue claim"))
    p.add_argument("ticket", type=int)
    p = who(add("reply", _simple(lambda f, o, a: handoff.reply(f, o, a.ticket, _reply_text(f, o, a),
                                                               sensitive=_sensitive()),
                                 "reply to #{id} queued for sending"),
                "Reply to the fan (sent by the running service).", q, "queue reply"))
    p.add_argument("ticket", type=int)
    p.add_argument("text", nargs="?", help="the reply (or --canned ID)")
    p.add_argument("--canned", metavar="ID", help="one of the ticket's department's canned replies (bot canned list)")
    p = who(add("close", _simple(lambda f, o, a: handoff.close(f, o, a.ticket, a.note), "closed #{id}"),
                "Close a ticket (the bot answers the fan again).", q, "queue close"))
    p.add_argument("ticket", type=int)
    p.add_argument("--note", default="")
    p = who(add("dismiss", _simple(lambda f, o, a: handoff.dismiss(f, o, a.ticket, a.note), "dismissed #{id}"),
                "Dismiss a ticket that needs nothing.", q, "queue dismiss"))
    p.add_argument("ticket", type=int)
    p.add_argument("--note", default="")
    p = who(add("reassign", _simple(lambda f, o, a: handoff.reassign(f, o, a.ticket, a.department),
                                    "#{id} now waits in {department}"),
                "Move a ticket to another department.", q, "queue reassign"))
    p.add_argument("ticket", type=int)
    p.add_argument("department", choices=DEPARTMENTS)
    p = who(add("handback", _simple(lambda f, o, a: handoff.hand_back(f, o, a.ticket),
                                    "#{id} handed back to the bot; it stays open"),
                "End the human takeover without closing: the bot answers the fan again.", q, "queue handback"))
    p.add_argument("ticket", type=int)

    p = who(add("fan", cmd_queue_fan, "The ticket's fan across comments and DMs: messages, replies, tickets, notes.",
                q, "queue fan"))
    p.add_argument("ticket", type=int)
    p = who(add("note", _simple(lambda f, o, a: handoff.note_fan(f, o, a.ticket, a.text), "noted on the fan of #{id}"),
                "Write a note on the ticket's fan, for colleagues.", q, "queue note"))
    p.add_argument("ticket", type=int)
    p.add_argument("text")
    p = who(add("spammer", _simple(lambda f, o, a: handoff.mark_spammer(f, o, a.ticket, not a.undo),
                                   "the fan of #{id} is marked (or unmarked, with --undo)"),
                "Ignore the ticket's fan from now on (--undo: listen to him again).", q, "queue spammer"))
    p.add_argument("ticket", type=int)
    p.add_argument("--undo", action="store_true")

    c = sub.add_parser("canned", help="The departments' canned replies (统一口径).").add_subparsers(
        dest="canned_command", required=True)
    p = add("list", cmd_canned_list, "Canned replies, by department.", c, "canned list")
    p.add_argument("--department", choices=DEPARTMENTS)
    p = add("check", cmd_canned_check, "Check the canned-reply files: file, line, field and the fix.", c, "canned check")
    p.add_argument("path", nargs="?", help="the directory (default: BOT_CANNED_DIR, data/canned)")

    p = add("console", cmd_console, "Run the web console alone (bot serve runs it too).")
    p.add_argument("--port", type=int)
