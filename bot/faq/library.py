"""The live FAQ: the last good index over a directory, reloaded when a file changes.

Staff edit files while the action server runs. Every access compares the files' (mtime, size)
at most every `check_interval` seconds; a changed set is loaded and checked, and only a set that
passes replaces the serving index. A broken edit leaves the last good answers serving and the
problems in `last_problems` and the log, so a typo can never take the bot down.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from bot.errors import FaqError
from bot.faq.index import FaqIndex, Synonyms
from bot.faq.loader import faq_files, load_faq
from bot.faq.model import Problem
from bot.faq.scope import SCOPE_FILE, load_scope
from bot.regional import FILE_NAME as REGIONAL_FILE
from bot.regional import load_lexicon
from bot.safety import FILE_NAME as SENSITIVE_FILE
from bot.safety import load_sensitive
from bot.weibo.variants import FILE_NAME as LEAD_INS_FILE
from bot.weibo.variants import load_lead_ins

log = logging.getLogger(__name__)
SYNONYMS_FILE = "synonyms.yml"


def load_synonyms(path: Path) -> Tuple[Synonyms, List[Problem]]:
    """Synonym groups `canonical: [variant, ...]`; a missing file means none."""
    if not path.exists():
        return Synonyms({}), []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return Synonyms({}), [Problem(str(path), line, "yaml", f"YAML 格式错误：{exc}", "每行写成 `标准说法: [说法1, 说法2]`")]
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        return Synonyms({}), [Problem(str(path), 1, "synonyms", "同义词文件格式不对", "每行写成 `标准说法: [说法1, 说法2]`")]
    return Synonyms({str(k): [str(v) for v in vs] for k, vs in data.items()}), []


def build_index(directory: Path) -> Tuple[FaqIndex | None, List[Problem]]:
    """Load, check and index a FAQ directory; no index when any problem is found."""
    entries, problems = load_faq([directory])
    synonyms, syn_problems = load_synonyms(directory / SYNONYMS_FILE)
    scope, scope_problems = load_scope(directory / SCOPE_FILE)
    _lexicon, regional_problems = load_lexicon(directory / REGIONAL_FILE)
    _lead_ins, lead_in_problems = load_lead_ins(directory / LEAD_INS_FILE)
    sensitive, sensitive_problems = load_sensitive(directory / SENSITIVE_FILE)
    problems = problems + syn_problems + scope_problems + regional_problems + lead_in_problems + sensitive_problems
    if problems:
        return None, problems
    return FaqIndex(entries, synonyms, scope, sensitive), []


class FaqLibrary:
    """Serves the newest FAQ set that passed the check."""

    def __init__(self, directory: Path, check_interval: float = 0.5) -> None:
        self.directory = Path(directory)
        self.check_interval = check_interval
        self.last_problems: List[Problem] = []
        self._lock = threading.Lock()
        self._signature: Dict[str, Tuple[int, int]] = {}
        self._checked_at = 0.0
        index, problems = build_index(self.directory)
        if index is None:
            raise FaqError(problems)
        self._index = index
        self._signature = self._current_signature()
        self._checked_at = time.monotonic()

    def _current_signature(self) -> Dict[str, Tuple[int, int]]:
        files = faq_files([self.directory]) + [self.directory / name for name in (
            SYNONYMS_FILE, SCOPE_FILE, SENSITIVE_FILE, REGIONAL_FILE, LEAD_INS_FILE)]
        sig = {}
        for path in files:
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            sig[str(path)] = (st.st_mtime_ns, st.st_size)
        return sig

    @property
    def index(self) -> FaqIndex:
        """The serving index, refreshed first if the files changed."""
        self.refresh()
        return self._index

    def refresh(self, force: bool = False) -> bool:
        """Reload when the files changed; returns True when a new index is now serving."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.check_interval:
            return False
        with self._lock:
            self._checked_at = now
            signature = self._current_signature()
            if signature == self._signature and not force:
                return False
            self._signature = signature
            index, problems = build_index(self.directory)
            self.last_problems = problems
            if index is None:
                log.error("FAQ change rejected, still serving the last good version:\n%s",
                          "\n".join(str(p) for p in problems))
                return False
            self._index = index
            log.info("FAQ reloaded: %d entries from %s", len(index.entries), self.directory)
            return True
