"""Retrieval alone, given the gold department: does the top FAQ entry satisfy must_contain?

usage: .venv/bin/python scripts/eval_retrieval.py ../shared/eval/dev.jsonl [--faq-dir data/faq] [-v]
Prints the share of expect=answer cases whose first match answers them, and the misses.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.evaluate import answer_matches  # noqa: E402
from bot.faq.library import build_index  # noqa: E402
from bot.faq.model import CHINA_TZ  # noqa: E402
from bot.text import normalise  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labelled")
    parser.add_argument("--faq-dir", default="data/faq")
    parser.add_argument("--now", default="2026-11-26 12:00", help="clock for activity dates")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case")
    args = parser.parse_args()
    index, problems = build_index(Path(args.faq_dir))
    if index is None:
        print("\n".join(map(str, problems)), file=sys.stderr)
        return 1
    now = datetime.strptime(args.now, "%Y-%m-%d %H:%M").replace(tzinfo=CHINA_TZ)
    cases = [json.loads(line) for line in Path(args.labelled).read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = [c for c in cases if c["expect"] == "answer"]
    hits = 0
    for case in cases:
        matches = index.search(normalise(case["text"]).text, case["department"], limit=3)
        top = matches[0] if matches else None
        ok = bool(top) and answer_matches(top.entry.reply(case["channel"], now), case["must_contain"])
        hits += ok
        if args.verbose or not ok:
            desc = f"{top.entry.id} score={top.score} sim={top.similarity} cov={top.coverage}" if top else "no match"
            print(f"{'ok  ' if ok else 'MISS'} {case['id']} {desc} | {case['text'][:50]}")
    print(f"retrieval top-1 satisfies must_contain: {hits}/{len(cases)} = {hits / len(cases):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
