"""Benchmark messages made from our own training data and FAQ phrasings (not the eval sets)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import List, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
DECORATIONS = ["", "", "[哈哈]", "[允悲]", " @云雀手机", " #云雀X5#", " //@路人甲:同问", "？？"]


def phrases() -> List[str]:
    out: List[str] = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            out.extend(line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- "))
    from bot.faq.loader import faq_files  # the FAQ files, without the side files (synonyms, lead-ins...)

    for path in faq_files([ROOT / "data" / "faq"]):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in data.get("entries") or []:
            out.append(entry["question"])
            out.extend(entry.get("alternates") or [])
    return out


def messages(count: int, seed: int = 7) -> List[Tuple[str, str]]:
    """(channel, text) pairs with Weibo decorations, deterministic for a seed."""
    rng = random.Random(seed)
    base = phrases()
    return [(rng.choice(["comment", "dm"]), rng.choice(base) + rng.choice(DECORATIONS)) for _ in range(count)]
