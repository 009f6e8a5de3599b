"""FAQ retrieval latency over 10,000 queries: prints p50, p95, p99 in milliseconds.

usage: .venv/bin/python scripts/bench_faq.py [--queries 10000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.faq.library import build_index  # noqa: E402
from bot.text import normalise  # noqa: E402
from scripts.bench_data import messages  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=10_000)
    args = parser.parse_args()
    index, problems = build_index(Path("data/faq"))
    if index is None:
        print("\n".join(map(str, problems)))
        return 1
    queries = [normalise(text).text for _, text in messages(args.queries)]
    index.search("预热", None)
    timings = []
    for q in queries:
        start = time.perf_counter()
        index.search(q, "after_sales", limit=5)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    pct = lambda p: timings[min(len(timings) - 1, int(p * len(timings)))]  # noqa: E731
    print(f"FAQ retrieval over {len(timings)} queries, {len(index.entries)} entries")
    print(f"p50 {pct(0.50):.3f} ms   p95 {pct(0.95):.3f} ms   p99 {pct(0.99):.3f} ms   "
          f"mean {statistics.mean(timings):.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
