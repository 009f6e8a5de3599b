"""What may never go out in public: personal data and the words staff list as sensitive (敏感词).

Every public reply, the bot's and an operator's, is checked here before it is queued. A comment
reply is read by everyone under the post, so a phone, order or ID number or a street address in
it is refused (it belongs in a private message, where it is allowed), and so is any word of
`sensitive_words.yml`, which the Weibo team edits beside the FAQ files (hot-reloaded with them).
The company's own service numbers (a 400 hotline) are not personal data.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import List, Sequence, Tuple

import yaml

from bot.errors import QueueError
from bot.faq.model import COMMENT, Problem

FILE_NAME = "sensitive_words.yml"
R_UNSAFE = "unsafe_public_reply"

PERSONAL_DATA = (
    ("手机号", re.compile(r"(?<!\d)1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")),
    ("身份证号", re.compile(r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])")),
    ("订单号", re.compile(r"(?i:YQ)\d{8,}|(?<![\d-])\d{12,16}(?![\d-])|(?<!\d)\d{19,24}(?!\d)")),
    ("详细地址", re.compile(r"[\u4e00-\u9fff]{1,8}(?:路|街|巷|弄|道|村)\s*\d+\s*号(?:\s*\d+\s*(?:幢|栋|单元|楼|室))?")),
)


class UnsafeReply(QueueError):
    """A public reply that would show personal data or a sensitive word."""


def load_sensitive(path: Path) -> Tuple[Tuple[str, ...], List[Problem]]:
    """`words: [...]`; a missing file means no word is listed."""
    if not path.exists():
        return (), []
    fix = "写成 `words: [词1, 词2]`，每个词是一段文字"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return (), [Problem(str(path), mark.line + 1 if mark else 1, "yaml", f"YAML 格式错误：{exc}", fix)]
    words = data.get("words") if isinstance(data, dict) else None
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        return (), [Problem(str(path), 1, "words", "敏感词文件格式不对", fix)]
    return tuple(dict.fromkeys(w.strip() for w in words)), []


def sensitive_words(faq_dir: Path) -> Tuple[str, ...]:
    """The current list (read on each use: the file is small and staff expect an edit to count at once)."""
    words, problems = load_sensitive(Path(faq_dir) / FILE_NAME)
    if problems:
        raise QueueError("the sensitive-word list is broken, so no public reply can be checked: "
                         + "; ".join(str(p) for p in problems))
    return words


def public_problems(text: str, sensitive: Sequence[str]) -> List[str]:
    """Why `text` may not be posted publicly (empty: it may)."""
    found = [f"含{name}" for name, pattern in PERSONAL_DATA if pattern.search(text)]
    lowered = text.lower()
    found += [f"含敏感词「{w}」" for w in sensitive if w.lower() in lowered]
    return found


def check_public(text: str, sensitive: Sequence[str]) -> None:
    problems = public_problems(text, sensitive)
    if problems:
        raise UnsafeReply(f"this public reply cannot be posted: it {'、'.join(problems)}. Remove it, or reply by "
                          "private message (personal data may go there)")


def guard(outcome, channel: str, sensitive: Sequence[str]):
    """The bot's own reply under the same rule: an unsafe comment reply becomes a handoff whose
    ticket carries the reply as a draft for a person to fix."""
    if channel != COMMENT or not outcome.reply:
        return outcome
    problems = public_problems(outcome.reply, sensitive)
    if not problems:
        return outcome
    from bot.outcome import HANDOFF_ACTION

    return replace(outcome, action=HANDOFF_ACTION, department=outcome.department or "pr", reason=R_UNSAFE,
                   reply=None, draft=outcome.reply, detail="；".join(problems), answer_score=None)
