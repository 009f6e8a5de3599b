"""`bot report` and `bot demo seed`: parsing and printing."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from bot.intents import DEPARTMENTS

EXAMPLES = {
    "report": "example: bot report -o var/report.html          (the last 7 days, every department)\n"
              "         bot report --since 2026-11-01 --until 2026-11-30 --department after_sales --format csv\n"
              "         bot report --as alice --format json    (only alice's departments)",
    "demo seed": "example: bot demo seed --days 30   (into an empty database; a separate one for the demo:\n"
                 "         BOT_DATA_DIR=var/demo bot demo seed --days 30 && BOT_DATA_DIR=var/demo bot report -o var/demo/report.html)",
}


def _departments(factory, args):
    """The departments the report covers: --department, limited to what --as may see; None is all."""
    from bot.errors import NotPermitted
    from bot.store import operators

    name = args.as_ or os.environ.get("BOT_OPERATOR")
    viewer = operators.get(factory, name) if name else None
    wanted = tuple(args.department or ())
    if viewer is None or viewer.role == "operator":
        return wanted or None
    refused = [d for d in wanted if not viewer.can_see(d)]
    if refused:
        raise NotPermitted(f"{viewer.name} cannot see the reports of {', '.join(refused)}: not your department")
    return wanted or viewer.departments


def cmd_report(args: argparse.Namespace) -> int:
    from bot.cli_queue import _factory
    from bot.faq.library import FaqLibrary
    from bot.reports.make import make_report, period
    from bot.reports.render import render

    started = time.monotonic()
    factory, settings = _factory()
    since, until = period(args.since, args.until, days=args.days)
    from bot.service_levels import load

    report = make_report(factory, FaqLibrary(settings.faq_dir).index, since, until, _departments(factory, args),
                         load(settings.service_levels_file))
    text = render(report, args.format)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"report written to {args.output} ({len(text):,} characters, {time.monotonic() - started:.1f} s)",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_demo_seed(args: argparse.Namespace) -> int:
    from bot.cli import _settings, _triage_engine
    from bot.cli_queue import _factory
    from bot.demo import seed
    from bot.faq.library import FaqLibrary
    from bot.triage import Triage

    started = time.monotonic()
    factory, settings = _factory()
    base, parser = _triage_engine(_settings())
    library = FaqLibrary(settings.faq_dir)

    def triage_for(clock):
        return Triage(parser.parse_batch, lambda: library.index, base.settings, clock, base.hours)

    done = seed(factory, library.index, triage_for, parser.parse_batch, args.days, args.per_day, args.seed,
                Path(args.corpus))
    outcomes = ", ".join(f"{k} {v}" for k, v in done.outcomes.most_common())
    print(f"seeded {done.messages} messages over {args.days} days ({outcomes}); {done.tickets} tickets, "
          f"{done.operator_replies} operator replies; {time.monotonic() - started:.1f} s")
    return 0


def register(sub, add) -> None:
    def who(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--as", dest="as_", metavar="NAME",
                       help="report as this operator: a department member sees only his departments")
        return p

    p = who(add("report", cmd_report, "What fans asked and how they were served: volume, outcomes, service "
                "levels, FAQ use, unanswered questions, feedback, fans."))
    p.add_argument("--since", metavar="DAY", help="first Beijing day, e.g. 2026-11-24 (default: --days before --until)")
    p.add_argument("--days", type=int, default=7, help="without --since, this many days up to --until (default: 7)")
    p.add_argument("--until", metavar="DAY", help="last Beijing day, included (default: today)")
    p.add_argument("--department", action="append", choices=DEPARTMENTS, help="repeat for several (default: all)")
    p.add_argument("--format", choices=("html", "json", "csv"), default="html")
    p.add_argument("-o", "--output", help="write the report here (default: standard output)")

    demo = sub.add_parser("demo", help="Demo data.").add_subparsers(dest="demo_command", required=True)
    p = add("seed", cmd_demo_seed, "Write a realistic month of fan messages through the real triage path "
            "into an empty database.", demo, "demo seed")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--per-day", type=int, default=110, help="messages on an ordinary day (default: %(default)s)")
    p.add_argument("--seed", type=int, default=1, help="random seed: the same seed writes the same month")
    p.add_argument("--corpus", default="data/demo/messages.yml")
