"""The `bot` command: parsing arguments and printing; the work is done by the modules it calls."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Callable, Dict, List, Sequence

from bot.errors import BotError, InputError

EXAMPLES: Dict[str, str] = {
    "train": "example: bot train",
    "parse": "example: bot parse --channel comment '//@某某: 转发微博' '/greet' 'X5多少钱'",
    "faq check": "example: bot faq check data/faq   (exit status 1 when any problem is found)",
    "faq search": "example: bot faq search '保修多久' --department after_sales",
    "triage": "example: bot triage ../shared/eval/dev.jsonl -o out.jsonl --dry-run --now 2026-11-25T10:00",
    "eval": "example: bot eval data/eval/heldout.jsonl --now 2026-12-01T18:00 --min-precision 0.98 --curve",
    "db migrate": "example: BOT_DATABASE_URL=postgresql://localhost/test bot db migrate",
    "serve": "example: bot serve --backfill 24   (Ctrl-C stops everything; --rest opens the local test channel)\n"
             "         BOT_DATABASE_URL=postgresql://postgres@127.0.0.1/bot BOT_REDIS_URL=redis://127.0.0.1:6379/0 "
             "bot serve --replicas 2",
}


def _settings():
    from bot.settings import Settings

    return Settings.from_env()


def _now(text: str | None):
    """`--now`: an ISO time, Beijing time unless it carries its own offset; None means the clock."""
    if text is None:
        return None
    from datetime import datetime

    from bot.faq.model import CHINA_TZ

    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BotError(f"--now {text!r} is not an ISO time: write it like 2026-12-01T18:00 (Beijing time)") from exc
    return moment.replace(tzinfo=CHINA_TZ) if moment.tzinfo is None else moment.astimezone(CHINA_TZ)


def _triage_engine(settings, now=None):
    from bot.decide import DecideSettings
    from bot.faq.library import FaqLibrary
    from bot.nlu.parser import NluParser
    from bot.triage import Triage, china_now

    library = FaqLibrary(settings.faq_dir)
    parser = NluParser.load(settings.model_dir)
    decide_settings = DecideSettings(answer_threshold=settings.answer_threshold,
                                     intent_threshold=settings.intent_threshold)
    from bot.service_hours import watch_hours

    clock = (lambda: now) if now is not None else china_now
    hours = watch_hours(settings.service_hours_file)
    return Triage(parser.parse_batch, lambda: library.index, decide_settings, clock, hours.current), parser


# ---------------------------------------------------------------- train / parse
def cmd_train(args: argparse.Namespace) -> int:
    from bot.nlu.training import train

    path = train(Path(args.out))
    print(f"model written to {path}")
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    from bot.triage import Inbound

    settings = _settings()
    triage, _ = _triage_engine(settings)
    texts: Sequence[str] = args.text
    interactive = not texts
    while True:
        if interactive:
            try:
                line = input("fan> ")
            except EOFError:
                return 0
            if not line.strip():
                continue
            texts = [line]
        items = [Inbound(str(i), args.channel, t) for i, t in enumerate(texts)]
        for item in triage.run(items):
            record = item.record()
            record["text"] = item.message.text
            record["entities"] = [{k: e[k] for k in ("entity", "value")} for e in item.nlu.entities]
            record["reason"] = item.outcome.reason
            print(json.dumps(record, ensure_ascii=False))
        if not interactive:
            return 0


# ---------------------------------------------------------------- faq
def cmd_faq_check(args: argparse.Namespace) -> int:
    from bot.faq.library import build_index

    paths = [Path(p) for p in (args.paths or ["data/faq"])]
    problems = []
    entries = 0
    for path in paths:
        if path.is_dir():
            index, found = build_index(path)
            entries += len(index.entries) if index else 0
        else:
            from bot.faq.loader import load_faq

            loaded, found = load_faq([path])
            entries += len(loaded)
        problems.extend(found)
    from bot.cli_queue import report_check

    return report_check(problems, entries, " FAQ ")


def cmd_faq_search(args: argparse.Namespace) -> int:
    from bot.faq.library import build_index
    from bot.text import normalise

    index, problems = build_index(Path(args.faq_dir))
    if index is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    query = normalise(args.question).text
    matches = index.search(query, args.department, args.intent, limit=args.limit)
    if not matches:
        print("no match")
        return 0
    for m in matches:
        print(f"{m.score:.3f}  {m.entry.id:<28} [{m.entry.department}]  {m.entry.question}")
        print(f"       matched: {m.matched[:60]}")
    return 0


# ---------------------------------------------------------------- triage / eval
def _open_queue(settings):
    from bot.store.db import make_engine, make_session_factory, migrate

    migrate(settings.database_url)
    return make_session_factory(make_engine(settings.database_url))


def _run_triage(path: Path, batch_size: int, on_batch: Callable | None = None, now=None,
                workers: int = 1) -> List:
    """The decisions (bot.batch.Settled) of every message of a JSON-lines file, in order."""
    from bot.batch import settle_batches
    from bot.triage import read_jsonl

    errors: List[str] = []

    def report(exc: BotError) -> None:
        errors.append(str(exc))
        print(f"{path}: skipped {exc}", file=sys.stderr)

    try:
        with path.open(encoding="utf-8") as handle:
            items = list(read_jsonl(handle, report))
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror}); give a JSON-lines file, e.g. data/eval/tuning.jsonl") \
            from exc
    triage, _ = _triage_engine(_settings(), now)  # after the input is read: a bad path fails at once
    progress = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(total=len(items), unit="msg", file=sys.stderr)
    results = []
    batches = (items[start : start + batch_size] for start in range(0, len(items), batch_size))
    for chunk in settle_batches(triage, batches, workers):
        if on_batch:
            on_batch(chunk)
        results.extend(chunk)
        if progress:
            progress.update(len(chunk))
    if progress:
        progress.close()
    return results


def cmd_triage(args: argparse.Namespace) -> int:
    from bot.store.queue import submit

    factory = None if args.dry_run else _open_queue(_settings())

    def enqueue(chunk) -> None:
        if factory is None:
            return
        for item in chunk:
            if item.ticket is not None:
                submit(factory, item.ticket)

    results = _run_triage(Path(args.input), args.batch_size, enqueue, _now(args.now), args.workers)
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        for item in results:
            out.write(json.dumps(item.record, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.evaluate import by_group, precision_coverage_curve, score

    path = Path(args.labelled)
    results = _run_triage(path, args.batch_size, now=_now(args.now), workers=args.workers)
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = [r.record for r in results]
    report = score(cases, records)
    figures = report.figures()
    curve = precision_coverage_curve(cases, records)
    groups = by_group(cases, records)
    if args.json:
        print(json.dumps({**report.as_dict(), "curve": curve, "groups": groups}, ensure_ascii=False, indent=2))
    else:
        print(f"cases: {report.total}")
        for name, value in figures.items():
            print(f"{name:<24} {value:.3f}")
        print("\ndepartment            cases  correct")
        for dept, row in sorted(report.departments.items()):
            print(f"{dept:<20} {row['cases']:>6} {row['correct']:>8}")
        print("\noutcomes (rows: expected, columns: what the bot did)")
        actions = ("answer", "social", "handoff", "ignore")
        print(f"{'':<10}" + "".join(f"{a:>9}" for a in actions))
        for expect in actions:
            row = report.confusion.get(expect, {})
            print(f"{expect:<10}" + "".join(f"{row.get(a, 0):>9}" for a in actions))
        if groups:
            print(f"\n{'family or kind':<16} {'cases':>6} {'correct':>8} {'answered':>9} {'ticketed':>9}")
            for name, row in groups.items():
                n = row["cases"]
                print(f"{name:<16} {n:>6} {row['correct'] / n:>8.3f} {row['answered'] / n:>9.3f} "
                      f"{row['ticketed'] / n:>9.3f}")
        if args.curve:
            print("\nprecision-coverage over the answer score threshold (answers below it become handoffs)")
            print(f"{'threshold':>9} {'answered':>9} {'precision':>9} {'coverage':>9}")
            for point in curve:
                print(f"{point['threshold']:>9.2f} {point['answered']:>9} {point['precision']:>9.3f} "
                      f"{point['coverage']:>9.3f}")
        print(f"\nwrong or misrouted: {len(report.wrong)}")
        for w in report.wrong:
            print(f"  {w['id']} [{w['channel']}] expect {w['expect']}/{w['expect_department']} got "
                  f"{w['action']}/{w['department']} ({w['intent']} {w['confidence']}) {w['text'][:50]!r}")
            if w["reply"]:
                print(f"      reply: {w['reply'][:80]!r}")
    failed = [
        (name, figures[key], limit)
        for name, key, limit in (
            ("precision", "auto_answer_precision", args.min_precision),
            ("coverage", "answer_coverage", args.min_coverage),
            ("handoff recall", "handoff_recall", args.min_recall),
            ("routing", "routing_accuracy", args.min_routing),
        )
        if limit is not None and figures[key] < limit
    ]
    for name, value, limit in failed:
        print(f"FAIL: {name} {value:.3f} < {limit}", file=sys.stderr)
    return 1 if failed else 0


def cmd_db_migrate(args: argparse.Namespace) -> int:
    from bot.store.db import migrate

    settings = _settings()
    migrate(settings.database_url)
    print(f"database at {settings.database_url.split('@')[-1]} is at the newest schema")
    return 0


# ---------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from bot.cli_queue import EXAMPLES as QUEUE_EXAMPLES
    from bot.settings import available_cores

    EXAMPLES.update(QUEUE_EXAMPLES)
    parser = argparse.ArgumentParser(prog="bot", description="Fan-service assistant for @云雀手机.")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func: Callable, help_text: str, parent=sub, key: str | None = None):
        p = parent.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES.get(key or name),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    p = add("train", cmd_train, "Train the Rasa model from config.yml, domain.yml and data/.")
    p.add_argument("--out", default="models", help="model directory (default: models)")

    p = add("parse", cmd_parse, "Parse fan messages and show the decision (interactive without TEXT).")
    p.add_argument("text", nargs="*", help="messages to parse; none reads lines from standard input")
    p.add_argument("--channel", choices=("comment", "dm"), default="dm")

    faq = sub.add_parser("faq", help="Check, search and extend the FAQ files.").add_subparsers(dest="faq_command", required=True)
    p = add("check", cmd_faq_check, "Check FAQ files; prints file:line: [field] problem and the fix.", faq, "faq check")
    p.add_argument("paths", nargs="*", help="FAQ directories or files (default: data/faq)")
    p = add("search", cmd_faq_search, "Show the best FAQ matches for a question, with scores.", faq, "faq search")
    p.add_argument("question")
    p.add_argument("--department", help="department prior, e.g. after_sales")
    p.add_argument("--intent", help="intent prior, e.g. ask_warranty")
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--faq-dir", default="data/faq")

    p = add("triage", cmd_triage, "Decide every message of a JSON-lines file; handoffs go to the queue.")
    p.add_argument("input", help="JSON lines with id, channel (comment|dm) and text")
    p.add_argument("-o", "--output", help="write results here (default: standard output)")
    p.add_argument("--dry-run", action="store_true", help="do not write tickets to the queue")
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--workers", type=int, default=available_cores(),
                   help="processes deciding batches (default: the cores available, %(default)s here)")
    p.add_argument("--now", metavar="ISO", help="decide as at this Beijing time (activities start and end), "
                   "e.g. 2026-12-01T18:00")

    p = add("eval", cmd_eval, "Score triage (dry run) against a labelled JSON-lines file.")
    p.add_argument("labelled")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--workers", type=int, default=1, help="processes deciding batches (default: %(default)s)")
    p.add_argument("--now", metavar="ISO", help="replay the set at the Beijing time it was labelled, "
                   "e.g. 2026-12-01T18:00 (default: now)")
    p.add_argument("--curve", action="store_true", help="print the precision-coverage curve over the answer threshold")
    p.add_argument("--min-precision", type=float)
    p.add_argument("--min-coverage", type=float)
    p.add_argument("--min-recall", type=float)
    p.add_argument("--min-routing", type=float)

    db = sub.add_parser("db", help="Database schema.").add_subparsers(dest="db_command", required=True)
    add("migrate", cmd_db_migrate, "Upgrade the database (BOT_DATABASE_URL) to the newest schema.", db, "db migrate")

    from bot import cli_queue, cli_reports, serve

    EXAMPLES.update(cli_reports.EXAMPLES)
    cli_queue.register(sub, add)
    cli_reports.register(sub, add)
    p = add("suggestions", cli_queue.cmd_faq_suggestions, "FAQ suggestions waiting for your department.", faq,
            "faq suggestions")
    p.add_argument("--as", dest="as_", metavar="NAME")
    p = add("merge", cli_queue.cmd_faq_merge, "Merge a suggestion into its department's FAQ file.", faq, "faq merge")
    p.add_argument("suggestion", type=int)
    p.add_argument("--comment", help="the public-comment version when the answer is over 140 characters")
    p.add_argument("--as", dest="as_", metavar="NAME")

    p = add("serve", serve.cmd_serve, "Run everything: Rasa (Weibo channel), actions, console.")
    p.add_argument("--credentials", default="credentials.yml", help="Rasa channel credentials (default: %(default)s)")
    p.add_argument("--rest", action="store_true",
                   help="also open Rasa's REST channel, for local testing only (anyone who reaches the port can use it)")
    p.add_argument("--no-console", action="store_true", help="do not start the web console")
    p.add_argument("--backfill", type=float, metavar="HOURS",
                   help="on first start, also answer the comments of the last HOURS (default: none older than the start)")
    p.add_argument("--replicas", type=int, default=1, metavar="N",
                   help="run N Rasa and action servers behind HAProxy on BOT_RASA_PORT (N > 1 needs "
                        "BOT_DATABASE_URL=postgresql://... and BOT_REDIS_URL; default: %(default)s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
