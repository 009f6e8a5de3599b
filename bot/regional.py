"""Cantonese and Taiwan/Hong Kong wording to Mandarin, from a file staff extend.

OpenCC turns characters simplified but leaves the words: "點樣" becomes "点样", which neither
the classifier nor the FAQ search knows. The normaliser applies this lexicon after OpenCC, so
"A3係咪防水" reaches the NLU as "A3是不是防水". The file is re-read when it changes (checked at
most every few seconds), so an added word is live without a retrain or a restart.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Callable, Dict, Sequence

import yaml

from bot.faq.model import Problem

log = logging.getLogger(__name__)
FILE_NAME = "regional.yml"  # in the FAQ directory ($BOT_FAQ_DIR), beside synonyms.yml
FAQ_DIR_ENV, DEFAULT_FAQ_DIR = "BOT_FAQ_DIR", "data/faq"
CHECK_SECONDS = 2.0


class Lexicon:
    """Rewrites each regional word to its Mandarin form, longest word first."""

    def __init__(self, groups: Dict[str, Sequence[str]], simplify: Callable[[str], str] = lambda s: s) -> None:
        mapping: Dict[str, str] = {}
        for mandarin, words in groups.items():
            for word in words:
                for form in {word, simplify(word)}:
                    if form and form != mandarin:
                        mapping.setdefault(form, mandarin)
        self._map = mapping
        keys = sorted(mapping, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(k) for k in keys)) if keys else None

    def apply(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: self._map[m.group(0)], text)


def load_lexicon(path: Path, simplify: Callable[[str], str] = lambda s: s) -> tuple[Lexicon, list[Problem]]:
    """`mandarin: [regional, ...]`; a missing file is an empty lexicon, a broken one a problem."""
    fix = "每行写成 `普通话说法: [方言说法1, 方言说法2]`"
    if not path.exists():
        return Lexicon({}), []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        return Lexicon({}), [Problem(str(path), mark.line + 1 if mark else 1, "yaml", f"格式错误：{exc}", fix)]
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        return Lexicon({}), [Problem(str(path), 1, "regional", "方言词文件格式不对", fix)]
    return Lexicon({str(k): [str(w) for w in v if str(w).strip()] for k, v in data.items()}, simplify), []


class _Live:
    """The lexicon of one file, reloaded when its mtime changes; a broken edit keeps the last good one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lexicon = Lexicon({})
        self._signature: tuple | None = None
        self._checked = 0.0

    def get(self, path: Path, simplify: Callable[[str], str]) -> Lexicon:
        now = time.monotonic()
        if now - self._checked < CHECK_SECONDS and self._signature is not None and self._signature[0] == str(path):
            return self._lexicon
        with self._lock:
            self._checked = now
            try:
                st = path.stat()
                signature = (str(path), st.st_mtime_ns, st.st_size)
            except FileNotFoundError:
                signature = (str(path), 0, 0)
            if signature != self._signature:
                self._signature = signature
                lexicon, problems = load_lexicon(path, simplify)
                if problems:
                    log.error("regional lexicon rejected, keeping the last good one: %s", problems[0])
                else:
                    self._lexicon = lexicon
            return self._lexicon


_LIVE = _Live()


def live_lexicon(simplify: Callable[[str], str]) -> Lexicon:
    """The lexicon of regional.yml in $BOT_FAQ_DIR (default data/faq), current within seconds."""
    return _LIVE.get(Path(os.environ.get(FAQ_DIR_ENV) or DEFAULT_FAQ_DIR) / FILE_NAME, simplify)
