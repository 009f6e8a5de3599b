"""Load FAQ files and check them, reporting every problem with file, line, field and fix.

The files are edited by hand by department staff who are not programmers, so a check never
stops at the first problem and never raises on bad input: it returns all problems, and the
caller decides (the CLI prints them; the live library keeps serving the last good version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

import yaml

from bot.faq.model import CHINA_TZ, COMMENT_LIMIT, DM_LIMIT, FaqEntry, Problem
from bot.faq.scope import PRODUCT_NAMES, product_key
from bot.intents import CATALOGUE, DEPARTMENTS

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
PERSONAL_DATA = re.compile(r"1[3-9]\d[- ]?\d{4}[- ]?\d{4}|\d{17}[\dXx]|YQ\d{8,}", re.IGNORECASE)
ENTRY_FIELDS = {
    "id", "department", "intent", "question", "alternates", "answer", "comment",
    "valid_from", "valid_until", "ended_answer", "after_end", "keywords", "excludes", "scope", "not_covered", "requires", "by_product",
}
# Files of the FAQ directory that are not FAQ entries.
SIDE_FILES = {"synonyms", "scope", "regional", "comment_lead_ins", "sensitive_words"}
FILE_FIELDS = {"department", "entries"}
DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d")
# `after_end: handoff`: once valid_until has passed, a human answers this entry's questions.
AFTER_END_HANDOFF = "handoff"


@dataclass
class _Node:
    """A YAML value with the line it starts on (1-based)."""

    value: object
    line: int


def _plain(node: yaml.Node) -> object:
    """Convert a composed YAML node into plain Python values with line-carrying mappings."""
    if isinstance(node, yaml.MappingNode):
        out: Dict[str, _Node] = {}
        for key_node, value_node in node.value:
            out[str(key_node.value)] = _Node(_plain(value_node), value_node.start_mark.line + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_Node(_plain(item), item.start_mark.line + 1) for item in node.value]
    if node.tag.endswith(":null"):
        return None
    return node.value


def _parse_date(text: str, end_of_day: bool) -> datetime | None:
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d" and end_of_day:
            parsed = parsed.replace(hour=23, minute=59, second=59)
        return parsed.replace(tzinfo=CHINA_TZ)
    return None


class _FileChecker:
    """Checks one file; collects problems instead of raising."""

    def __init__(self, path: Path, label: str) -> None:
        self.path = path
        self.label = label
        self.problems: List[Problem] = []
        self.entries: List[FaqEntry] = []

    def problem(self, line: int, field: str, message: str, fix: str) -> None:
        self.problems.append(Problem(self.label, line, field, message, fix))

    def text(self, entry: Dict[str, _Node], name: str, line: int, required: bool) -> str | None:
        node = entry.get(name)
        if node is None or node.value is None or (isinstance(node.value, str) and not node.value.strip()):
            if required:
                self.problem(line, name, f"缺少 {name}", f"给这一条加上 `{name}:`，写上内容")
            return None
        if not isinstance(node.value, str):
            self.problem(node.line, name, f"{name} 应该是一段文字", f"把 {name} 写成一行文字，不要写成列表或子项")
            return None
        return " ".join(node.value.split()) if name == "question" else node.value.strip()

    def date(self, entry: Dict[str, _Node], name: str, end_of_day: bool) -> datetime | None:
        node = entry.get(name)
        if node is None or node.value is None:
            return None
        parsed = _parse_date(str(node.value), end_of_day) if isinstance(node.value, str) else None
        if parsed is None:
            self.problem(node.line, name, f"日期 {node.value!r} 看不懂", '写成 "2026-12-01" 或 "2026-12-01 20:00"（带引号）')
        return parsed

    def check_file(self) -> None:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.problem(1, "file", "文件不是 UTF-8 编码", "用 UTF-8 编码另存这个文件")
            return
        try:
            root = yaml.compose(raw)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            self.problem(line, "yaml", f"YAML 格式错误：{exc.problem or exc}",
                         "检查这一行和上一行的缩进（用空格，不用 Tab）、冒号后面要有空格、引号要成对")
            return
        if root is None or not isinstance(root, yaml.MappingNode):
            self.problem(1, "file", "文件开头应该是 `department:` 和 `entries:`", "参照 data/faq/README.md 的示例重写文件开头")
            return
        doc = _plain(root)
        assert isinstance(doc, dict)
        for key, node in doc.items():
            if key not in FILE_FIELDS:
                self.problem(node.line, key, f"不认识的字段 {key}", "文件最外层只能有 department 和 entries")
        department = self.department(doc.get("department"), 1, required=True)
        entries = doc.get("entries")
        if entries is None or not isinstance(entries.value, list):
            line = entries.line if entries else 1
            self.problem(line, "entries", "缺少条目列表 entries", "加上 `entries:`，下面每一条以 `  - id:` 开头")
            return
        for item in entries.value:
            self.check_entry(item, department)

    def department(self, node: _Node | None, line: int, required: bool) -> str | None:
        if node is None or node.value is None:
            if required:
                self.problem(line, "department", "缺少 department", f"写上部门标签之一：{', '.join(DEPARTMENTS)}")
            return None
        if node.value not in DEPARTMENTS:
            self.problem(node.line, "department", f"不认识的部门 {node.value!r}", f"改成部门标签之一：{', '.join(DEPARTMENTS)}")
            return None
        return str(node.value)

    def check_entry(self, item: _Node, file_department: str | None) -> None:
        line = item.line
        if not isinstance(item.value, dict):
            self.problem(line, "entry", "这一条不是 `字段: 内容` 的格式", "每一条以 `- id:` 开头，下面每个字段缩进对齐")
            return
        entry = item.value
        before = len(self.problems)
        for key, node in entry.items():
            if key not in ENTRY_FIELDS:
                self.problem(node.line, key, f"不认识的字段 {key}", f"检查拼写，可用字段：{', '.join(sorted(ENTRY_FIELDS))}")
        entry_id = self.text(entry, "id", line, required=True)
        if entry_id and not ID_PATTERN.match(entry_id):
            self.problem(entry["id"].line, "id", f"id {entry_id!r} 不合规", "id 只用小写英文字母、数字和减号，例如 warranty-period")
        department = self.department(entry.get("department"), line, required=False) or file_department
        intent = self.text(entry, "intent", line, required=False)
        if intent and intent not in CATALOGUE:
            self.problem(entry["intent"].line, "intent", f"不认识的意图 {intent!r}", "改成 docs/intents.md 中列出的意图名，或删掉这一行")
        question = self.text(entry, "question", line, required=True)
        alternates = self.string_list(entry.get("alternates"), "alternates", "问法")
        keywords = self.string_list(entry.get("keywords"), "keywords", "关键词")
        excludes = self.string_list(entry.get("excludes"), "excludes", "排除词")
        scope = self.string_list(entry.get("scope"), "scope", "适用范围")
        not_covered = self.string_list(entry.get("not_covered"), "not_covered", "不适用的情况")
        requires = self.string_list(entry.get("requires"), "requires", "必须提到的词")
        answer = self.text(entry, "answer", line, required=True)
        comment = self.text(entry, "comment", line, required=True)
        ended = self.text(entry, "ended_answer", line, required=False)
        if answer and len(answer) >= DM_LIMIT:
            self.problem(entry["answer"].line, "answer", f"私信回复有 {len(answer)} 个字，微博私信要少于 {DM_LIMIT} 字", f"缩短到 {DM_LIMIT - 1} 字以内")
        for name, value in (("comment", comment), ("ended_answer", ended)):
            if value and len(value) > COMMENT_LIMIT:
                self.problem(entry[name].line, name, f"{name} 有 {len(value)} 个字，超过微博评论上限 {COMMENT_LIMIT} 字", f"缩短到 {COMMENT_LIMIT} 字以内")
            if value and PERSONAL_DATA.search(value):
                self.problem(entry[name].line, name, "公开评论里出现了手机号/订单号/身份证号", "删掉个人信息，需要时写“已私信您”")
        variants = self.variants(entry.get("by_product"))
        start = self.date(entry, "valid_from", end_of_day=False)
        end = self.date(entry, "valid_until", end_of_day=True)
        if start and end and end < start:
            self.problem(entry["valid_until"].line, "valid_until", "结束时间早于开始时间", "检查 valid_from 和 valid_until 是否写反")
        after_end = self.text(entry, "after_end", line, required=False)
        if after_end not in (None, AFTER_END_HANDOFF):
            self.problem(entry["after_end"].line, "after_end", f"after_end 只能写 {AFTER_END_HANDOFF}", f"写 `after_end: {AFTER_END_HANDOFF}`（结束后转人工），或删掉这一行")
        if end and not ended and after_end != AFTER_END_HANDOFF:
            self.problem(entry["valid_until"].line, "ended_answer", "有结束时间但没有 ended_answer，活动结束后就没有话可回", f"加上 `ended_answer:`，写明活动已结束；或写 `after_end: {AFTER_END_HANDOFF}`，结束后转人工")
        if len(self.problems) > before or not (entry_id and question and answer and comment and department):
            return
        self.entries.append(FaqEntry(
            id=entry_id, department=department, question=question, answer=answer, comment=comment,
            alternates=tuple(alternates), intent=intent, valid_from=start, valid_until=end,
            ended_answer=ended, ended_handoff=after_end == AFTER_END_HANDOFF, file=self.label, line=line, keywords=tuple(keywords),
            excludes=tuple(excludes), scope=tuple(scope), not_covered=tuple(not_covered),
            requires=tuple(requires), variants=tuple(variants),
        ))

    def variants(self, node: _Node | None) -> List[Tuple[str, str, str]]:
        """`by_product: {A3: {answer: ..., comment: ...}}`: per-product wording, checked like the rest."""
        if node is None or node.value is None:
            return []
        if not isinstance(node.value, dict):
            self.problem(node.line, "by_product", "by_product 应该是“产品: 答复”的格式",
                         "写成 `by_product:`，下一行缩进写 `A3:`，再缩进写 answer 和 comment")
            return []
        out = []
        for name, item in node.value.items():
            key = product_key(name)
            if key is None:
                self.problem(item.line, "by_product", f"不认识的产品 {name!r}", f"产品只能是：{', '.join(PRODUCT_NAMES)}")
                continue
            if not isinstance(item.value, dict):
                self.problem(item.line, "by_product", f"{name} 下面要写 answer 和 comment", "缩进写 `answer:` 和 `comment:`")
                continue
            answer = self.text(item.value, "answer", item.line, required=True)
            comment = self.text(item.value, "comment", item.line, required=True)
            if answer and len(answer) >= DM_LIMIT:
                self.problem(item.value["answer"].line, "by_product", f"{name} 的私信回复有 {len(answer)} 个字",
                             f"缩短到 {DM_LIMIT - 1} 字以内")
            if comment and len(comment) > COMMENT_LIMIT:
                self.problem(item.value["comment"].line, "by_product", f"{name} 的评论回复有 {len(comment)} 个字",
                             f"缩短到 {COMMENT_LIMIT} 字以内")
            if comment and PERSONAL_DATA.search(comment):
                self.problem(item.value["comment"].line, "by_product", "公开评论里出现了手机号/订单号/身份证号",
                             "删掉个人信息")
            if answer and comment:
                out.append((key, answer, comment))
        return out

    def string_list(self, node: _Node | None, name: str, noun: str) -> List[str]:
        if node is None or node.value is None:
            return []
        if not isinstance(node.value, list):
            self.problem(node.line, name, f"{name} 应该是列表", f"每个{noun}单独一行，以 `- ` 开头，或写成 [词1, 词2]")
            return []
        out = []
        for item in node.value:
            if not isinstance(item.value, str) or not item.value.strip():
                self.problem(item.line, name, f"空的或不是文字的{noun}", f"删掉这一行，或写上一个{noun}")
            else:
                out.append(" ".join(item.value.split()))
        return out


def faq_files(paths: Iterable[Path]) -> List[Path]:
    """Expand directories to their *.yml / *.yaml files, sorted for stable output."""
    files: List[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml") and p.stem not in SIDE_FILES))
        else:
            files.append(path)
    return files


def _question_key(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text).lower()


def load_faq(paths: Iterable[Path]) -> Tuple[List[FaqEntry], List[Problem]]:
    """Load and check FAQ files together (ids and questions must be unique across all of them)."""
    entries: List[FaqEntry] = []
    problems: List[Problem] = []
    files = faq_files(paths)
    if not files:
        problems.append(Problem(", ".join(str(p) for p in paths), 0, "file", "没有找到 FAQ 文件", "给出 data/faq 目录或 .yml 文件的路径"))
    for path in files:
        if not path.exists():
            problems.append(Problem(str(path), 0, "file", "文件不存在", "检查路径"))
            continue
        checker = _FileChecker(path, str(path))
        checker.check_file()
        problems.extend(checker.problems)
        entries.extend(checker.entries)
    seen_ids: Dict[str, FaqEntry] = {}
    seen_questions: Dict[str, FaqEntry] = {}
    unique: List[FaqEntry] = []
    for entry in entries:
        first = seen_ids.get(entry.id)
        if first:
            problems.append(Problem(entry.file, entry.line, "id", f"id {entry.id!r} 重复，第一次出现在 {first.file}:{first.line}", "给其中一条换一个新的 id"))
            continue
        seen_ids[entry.id] = entry
        for question in entry.questions:
            key = _question_key(question)
            other = seen_questions.get(key)
            if other and other.id != entry.id:
                problems.append(Problem(entry.file, entry.line, "question", f"问法 {question!r} 已经出现在条目 {other.id}（{other.file}:{other.line}）", "删掉其中一处，或改成不同的问法"))
            seen_questions.setdefault(key, entry)
        unique.append(entry)
    return unique, problems


def entry_by_id(directory: Path, entry_id: str) -> FaqEntry:
    """The entry `entry_id` of a FAQ directory as its files are now (QueueError when there is none)."""
    from bot.errors import QueueError

    entries, _problems = load_faq([Path(directory)])
    for entry in entries:
        if entry.id == entry_id:
            return entry
    raise QueueError(f"there is no FAQ entry {entry_id!r} in {directory}: choose one from the list "
                     "(it may have been renamed in its file)")
