"""`bot faq check`: every kind of mistake is reported with file, line, field and a fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.faq.loader import load_faq
from bot.faq.model import COMMENT_LIMIT, DM_LIMIT
from tests.conftest import MANUALS


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def _replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_shipped_faq_passes_the_check(capsys):
    assert main(["faq", "check", "data/faq"]) == 0
    assert "OK" in capsys.readouterr().out


def test_shipped_faq_answers_respect_weibo_limits():
    entries, problems = load_faq([Path("data/faq")])
    assert problems == []
    assert len(entries) >= 60
    for entry in entries:
        assert len(entry.answer) < DM_LIMIT
        assert len(entry.comment) <= COMMENT_LIMIT


def test_every_number_in_the_answers_comes_from_the_manuals():
    sources = sorted(MANUALS.glob("*.md"))
    assert len(sources) >= 6, f"manuals not found in {MANUALS}: set BOT_SHARED_DIR"
    manuals = re.sub(r"\s+", "", "".join(p.read_text(encoding="utf-8") for p in sources))
    entries, _ = load_faq([Path("data/faq")])
    for entry in entries:
        for text in (entry.answer, entry.comment, entry.ended_answer or ""):
            for token in re.findall(r"\d[\d.:\-]*\d|\d", re.sub(r"\s+", "", text)):
                assert token in manuals, f"{entry.id}: {token!r} is not in the manuals"


@pytest.fixture
def check(faq_copy, capsys):
    def run() -> tuple[int, str]:
        code = main(["faq", "check", str(faq_copy)])
        return code, capsys.readouterr().err

    return run


def test_bad_yaml_is_reported_with_file_and_line(faq_copy, check):
    path = faq_copy / "after_sales.yml"
    _replace_once(path, "    question: 保修多久？\n", "    question: 保修多久？\n   bad: [\n")
    code, err = check()
    assert code == 1
    assert re.search(rf"{re.escape(str(path))}:\d+: \[yaml\] YAML 格式错误", err)
    assert "修改方法" in err


def test_missing_answer_is_reported_on_its_entry(faq_copy, check):
    path = faq_copy / "after_sales.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: warranty-without-invoice")
    block_end = text.index("    comment:", start)
    answer_at = text.index("    answer:", start)
    path.write_text(text[:answer_at] + text[block_end:], encoding="utf-8")
    code, err = check()
    assert code == 1
    line = _line_of(path, "  - id: warranty-without-invoice")
    assert f"{path}:{line}: [answer] 缺少 answer" in err


def test_duplicate_id_names_both_places(faq_copy, check):
    path = faq_copy / "after_sales.yml"
    _replace_once(path, "  - id: warranty-without-invoice", "  - id: warranty-period")
    code, err = check()
    assert code == 1
    second = [n for n, l in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if l == "  - id: warranty-period"][1]
    assert f"{path}:{second}: [id] id 'warranty-period' 重复" in err


def test_duplicate_question_across_files_is_reported(faq_copy, check):
    path = faq_copy / "orders_logistics.yml"
    text = path.read_text(encoding="utf-8")
    first_question = re.search(r"    question: (.+)", text)
    assert first_question
    other = faq_copy / "marketing.yml"
    _replace_once(other, re.search(r"    question: .+", other.read_text(encoding="utf-8")).group(0),
                  f"    question: {first_question.group(1)}")
    code, err = check()
    assert code == 1
    assert "[question] 问法" in err and "已经出现在条目" in err


def test_overlong_comment_is_reported_with_its_line(faq_copy, check):
    path = faq_copy / "after_sales.yml"
    long_comment = "保修" * 80
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: warranty-period")
    comment_at = text.index("    comment: >-\n", start)
    value_end = text.index("\n", comment_at + len("    comment: >-\n"))
    path.write_text(text[:comment_at] + f"    comment: {long_comment}" + text[value_end:], encoding="utf-8")
    code, err = check()
    assert code == 1
    line = _line_of(path, f"    comment: {long_comment}")
    assert f"{path}:{line}: [comment] comment 有 160 个字，超过微博评论上限 140 字" in err


def test_unknown_department_is_reported(faq_copy, check):
    path = faq_copy / "after_sales.yml"
    _replace_once(path, "department: after_sales", "department: aftersales")
    code, err = check()
    assert code == 1
    assert f"{path}:{_line_of(path, 'department: aftersales')}: [department] 不认识的部门 'aftersales'" in err


def test_end_before_start_is_reported(faq_copy, check):
    path = faq_copy / "marketing.yml"
    text = path.read_text(encoding="utf-8")
    match = re.search(r'    valid_until: "[^"]+"', text)
    assert match
    path.write_text(text.replace(match.group(0), '    valid_from: "2027-01-01"\n' + match.group(0), 1), encoding="utf-8")
    code, err = check()
    assert code == 1
    line = _line_of(path, match.group(0).strip())
    assert f"{path}:{line}: [valid_until] 结束时间早于开始时间" in err


def test_unknown_field_and_missing_ended_answer_are_reported(faq_copy, check):
    path = faq_copy / "after_sales.yml"
    _replace_once(path, "    question: 保修多久？", '    question: 保修多久？\n    anwser: 错字\n    valid_until: "2026-01-01"')
    code, err = check()
    assert code == 1
    assert "[anwser] 不认识的字段 anwser" in err
    assert "[ended_answer] 有结束时间但没有 ended_answer" in err


@pytest.mark.parametrize("after_end,ok", [("handoff", True), ("转人工", False)])
def test_after_end_handoff_stands_in_for_an_ended_answer(faq_copy, check, after_end, ok):
    path = faq_copy / "after_sales.yml"
    _replace_once(path, "    question: 保修多久？", f'    question: 保修多久？\n    valid_until: "2026-01-01"\n    after_end: {after_end}')
    code, err = check()
    assert code == (0 if ok else 1)
    if not ok:
        assert "[after_end] after_end 只能写 handoff" in err


def test_phone_number_in_a_comment_answer_is_rejected(faq_copy, check):
    path = faq_copy / "after_sales.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: warranty-period")
    comment_at = text.index("    comment: >-\n", start) + len("    comment: >-\n")
    path.write_text(text[:comment_at] + "      请拨打 13812345678 联系\n" + text[comment_at:], encoding="utf-8")
    code, err = check()
    assert code == 1
    assert "[comment] 公开评论里出现了手机号" in err


def test_check_reports_every_problem_not_just_the_first(faq_copy, check):
    _replace_once(faq_copy / "after_sales.yml", "department: after_sales", "department: nobody")
    _replace_once(faq_copy / "pr.yml", "department: pr", "department: press")
    code, err = check()
    assert code == 1
    assert "'nobody'" in err and "'press'" in err


def test_missing_path_is_an_error(tmp_path, capsys):
    assert main(["faq", "check", str(tmp_path / "nope.yml")]) == 1
    assert "文件不存在" in capsys.readouterr().err
