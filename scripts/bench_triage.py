"""Throughput of the batch triage path beside the naive loop, measured in the same run.

Whole process: `bot triage --dry-run` over 10,000 messages, from its start (imports and model load
included) to its last line, with its default worker processes.
Batch: `Triage.run` (what one `bot triage` worker does) over the same messages in batches of 512.
Naive: one `Agent.parse_message` call per message, then the same FAQ search and decision.
usage: .venv/bin/python scripts/bench_triage.py [--messages 10000] [--naive 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.decide import DecideSettings  # noqa: E402
from bot.faq.library import FaqLibrary  # noqa: E402
from bot.nlu.parser import NluParser  # noqa: E402
from bot.nlu.result import NluResult  # noqa: E402
from bot.text import normalise  # noqa: E402
from bot.triage import Inbound, Triage  # noqa: E402
from scripts.bench_data import messages  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=1_000, help="messages for the naive loop")
    parser.add_argument("--batch-size", type=int, default=512)
    args = parser.parse_args()
    items_file = Path(tempfile.mkdtemp(prefix="bench-triage-")) / "messages.jsonl"
    items_file.write_text("".join(json.dumps({"id": str(i), "channel": ch, "text": text}, ensure_ascii=False) + "\n"
                                  for i, (ch, text) in enumerate(messages(args.messages))), encoding="utf-8")
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "bot"), "triage", "--dry-run", str(items_file), "-o", "/dev/null"],
                   check=True, stderr=subprocess.DEVNULL)
    whole_rate = args.messages / (time.perf_counter() - start)

    library = FaqLibrary(Path("data/faq"))
    nlu = NluParser.load()
    triage = Triage(nlu.parse_batch, lambda: library.index, DecideSettings())
    items = [Inbound(str(i), ch, text) for i, (ch, text) in enumerate(messages(args.messages))]
    triage.run(items[:64])  # warm-up: graph, TensorFlow functions, jieba

    start = time.perf_counter()
    done = 0
    for i in range(0, len(items), args.batch_size):
        done += len(triage.run(items[i : i + args.batch_size]))
    batch_rate = done / (time.perf_counter() - start)

    import logging

    import structlog

    # Rasa's structlog prints a debug line per parsed message: that is not the naive loop's cost.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    loop = asyncio.new_event_loop()
    sample = items[: args.naive]
    start = time.perf_counter()
    for item in sample:
        message = normalise(item.text)
        parsed = loop.run_until_complete(nlu.agent.parse_message(message.text)) if message.text else {}
        triage.decide_parsed(item, message, NluResult.from_parse(parsed))
    naive_rate = len(sample) / (time.perf_counter() - start)

    print(f"whole process: {args.messages} messages, {whole_rate:8.1f} msg/s (bot triage --dry-run, start to end)")
    print(f"batch triage : {done} messages, {batch_rate:8.1f} msg/s (one process, model loaded)")
    print(f"naive loop   : {len(sample)} messages, {naive_rate:8.1f} msg/s (Agent.parse_message per message)")
    print(f"speed-up     : {batch_rate / naive_rate:.1f}x one process, {whole_rate / naive_rate:.1f}x whole process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
