"""Canned replies (统一口径): each department's agreed wordings, with placeholders filled per ticket.

A department keeps its replies in `data/canned/<department>.yml`, edited like its FAQ file and
checked the same way (`bot canned check`: file, line, field and the fix). Operators insert one
from the reply box or with `bot queue reply --canned ID`; the filled text still goes through every
check of an operator's reply (length, Weibo's DM window, public-reply safety).

Placeholders: {粉丝} the fan's Weibo name (nothing when unknown: "{粉丝}您好" reads "您好"), {产品}
the product his messages name (设备 when they name none or several).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import yaml

from bot.errors import QueueError
from bot.faq.index import products
from bot.faq.model import DM_LIMIT, Problem
from bot.faq.scope import PRODUCT_NAMES as OUR_PRODUCTS
from bot.faq.scope import product_key
from bot.intents import DEPARTMENTS

DEFAULT_DIR = Path("data/canned")
PLACEHOLDERS = ("粉丝", "产品")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
PRODUCT_NAMES = {product_key(name): name for name in OUR_PRODUCTS}  # "watchs2" -> "Watch S2"


@dataclass(frozen=True)
class Canned:
    id: str
    department: str
    title: str
    text: str
    file: str
    line: int

    def fill(self, fan_name: str | None, messages: Sequence[str]) -> str:
        named = sorted(products(" ".join(messages)))
        values = {"粉丝": fan_name or "", "产品": PRODUCT_NAMES.get(named[0], named[0]) if len(named) == 1 else "设备"}
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.text)


def _load_file(path: Path) -> Tuple[List[Canned], List[Problem]]:
    label = str(path)
    problems: List[Problem] = []
    try:
        data = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [Problem(label, mark.line + 1 if mark else 1, "yaml", f"YAML 格式错误：{exc}",
                            "检查冒号、缩进和引号")]
    if data is None or not isinstance(data, yaml.MappingNode):
        return [], [Problem(label, 1, "file", "文件应该以 department: 和 replies: 开头", "照 data/canned/README.md 的例子写")]
    top = {k.value: v for k, v in data.value}
    department = getattr(top.get("department"), "value", None)
    if department not in DEPARTMENTS or department != path.stem:
        problems.append(Problem(label, 1, "department", f"department 应该是 {path.stem}（和文件名一致）",
                                f"写 `department: {path.stem}`"))
    items = top.get("replies")
    if not isinstance(items, yaml.SequenceNode):
        return [], problems + [Problem(label, 1, "replies", "缺少 replies 列表", "加上 `replies:`，每条以 `  - id:` 开头")]
    found: List[Canned] = []
    seen: Dict[str, int] = {}
    for item in items.value:
        line = item.start_mark.line + 1
        fields = {k.value: v.value for k, v in item.value} if isinstance(item, yaml.MappingNode) else {}
        entry_id, title, text = (str(fields.get(k) or "").strip() for k in ("id", "title", "text"))
        for name, value in (("id", entry_id), ("title", title), ("text", text)):
            if not value:
                problems.append(Problem(label, line, name, f"缺少 {name}", f"给这一条写上 `{name}:`"))
        if entry_id in seen:
            problems.append(Problem(label, line, "id", f"id {entry_id} 和第 {seen[entry_id]} 行重复", "换一个 id"))
        unknown = [p for p in _PLACEHOLDER.findall(text) if p not in PLACEHOLDERS]
        if unknown:
            problems.append(Problem(label, line, "text", f"不认识的占位符 {{{unknown[0]}}}",
                                    f"只能用 {'、'.join('{' + p + '}' for p in PLACEHOLDERS)}"))
        if len(text) >= DM_LIMIT:
            problems.append(Problem(label, line, "text", f"有 {len(text)} 字，私信要少于 {DM_LIMIT} 字", "删短一些"))
        if entry_id and title and text:
            seen[entry_id] = line
            found.append(Canned(entry_id, path.stem, title, text, label, line))
    return found, problems


def load(directory: Path = DEFAULT_DIR) -> Tuple[List[Canned], List[Problem]]:
    """Every department's canned replies, and every problem found (file, line, field, fix)."""
    replies: List[Canned] = []
    problems: List[Problem] = []
    if not Path(directory).is_dir():
        return [], []
    for path in sorted(Path(directory).glob("*.yml")):
        found, trouble = _load_file(path)
        replies += found
        problems += trouble
    return replies, problems


def for_department(directory: Path, department: str) -> List[Canned]:
    replies, problems = load(directory)
    broken = [p for p in problems if Path(p.file).stem == department]
    if broken:
        raise QueueError(f"the canned replies of {department} have problems; fix them first "
                         f"(bot canned check): {broken[0]}")
    return [r for r in replies if r.department == department]


def find(directory: Path, department: str, canned_id: str) -> Canned:
    for reply in for_department(directory, department):
        if reply.id == canned_id:
            return reply
    raise QueueError(f"{department} has no canned reply {canned_id!r}: see bot canned list --department {department}")
