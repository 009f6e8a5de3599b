"""Short lead-ins that make one comment reply differ from the one before it.

Weibo rejects a comment identical to the account's previous one (reference §2), and four fans
asking the same question under a post deserve four answers. Staff keep the lead-ins in
`comment_lead_ins.yml` beside the FAQ files (a YAML list of short strings); the file is read
again when it changes, and a broken edit keeps the last good list.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import List, Sequence, Tuple

import yaml

from bot.faq.model import Problem
from bot.weibo.api import COMMENT_MAX_CHARS

log = logging.getLogger(__name__)
FILE_NAME = "comment_lead_ins.yml"
MAX_LEAD_IN_CHARS = 12


def load_lead_ins(path: Path) -> Tuple[List[str], List[Problem]]:
    """The lead-ins of a file; a missing file means none (a repeat then goes to a human)."""
    if not path.exists():
        return [], []
    fix = f"写成 YAML 列表，每项一个不超过 {MAX_LEAD_IN_CHARS} 个字的开头语，例如 `- 您好，`"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [Problem(str(path), mark.line + 1 if mark else 1, "yaml", f"YAML 格式错误：{exc}", fix)]
    if data is None:
        return [], []
    if not isinstance(data, list) or not all(isinstance(item, str) and item.strip() for item in data):
        return [], [Problem(str(path), 1, "lead_ins", "开头语文件应是非空字符串的列表", fix)]
    long = [item for item in data if len(item) > MAX_LEAD_IN_CHARS]
    if long:
        return [], [Problem(str(path), 1, "lead_ins", f"开头语太长：{long[0]!r}", fix)]
    if len(set(data)) != len(data):
        return [], [Problem(str(path), 1, "lead_ins", "开头语有重复", "删去重复的一项")]
    return list(data), []


class LeadIns:
    """The serving list, re-read when the file's (mtime, size) changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._signature: tuple | None = None
        self._items: List[str] = []

    def items(self) -> List[str]:
        try:
            st = self.path.stat()
            signature = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            signature = None
        if signature != self._signature:
            self._signature = signature
            items, problems = load_lead_ins(self.path)
            if problems:
                log.error("lead-in change rejected, keeping the last good list: %s", problems[0])
            else:
                self._items = items
        return self._items


def vary(text: str, lead_ins: Sequence[str]) -> str | None:
    """The reply with the next lead-in after the one it carries (if any) that still fits a comment;
    None when no lead-in is left."""
    current = next((i for i, lead in enumerate(lead_ins) if text.startswith(lead)), -1)
    body = text[len(lead_ins[current]):] if current >= 0 else text
    for lead in lead_ins[current + 1:]:
        if len(lead) + len(body) <= COMMENT_MAX_CHARS:
            return lead + body
    return None
