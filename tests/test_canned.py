"""Canned replies: the departments' files are checked like the FAQ, and a reply is filled per ticket."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from bot import canned
from bot.errors import QueueError
from tests.conftest import ROOT

GOOD = textwrap.dedent("""\
    department: after_sales
    replies:
      - id: received
        title: 已收到
        text: "{粉丝}您好，您的{产品}已收到。"
    """)


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    (tmp_path / "after_sales.yml").write_text(GOOD, encoding="utf-8")
    return tmp_path


def test_the_shipped_files_pass_the_check():
    replies, problems = canned.load(ROOT / "data" / "canned")
    assert problems == [] and {r.department for r in replies} >= {"after_sales", "orders_logistics", "pr"}


@pytest.mark.parametrize("name, messages, expected", [
    ("小明", ["我的X5屏幕碎了"], "小明您好，您的X5已收到。"),
    (None, ["X5 Pro 和 A3 都坏了"], "您好，您的设备已收到。"),
    (None, ["watch s2连不上"], "您好，您的Watch S2已收到。"),
])
def test_placeholders_are_filled_from_the_ticket(directory, name, messages, expected):
    reply = canned.find(directory, "after_sales", "received")
    assert reply.fill(name, messages) == expected


@pytest.mark.parametrize("broken, field, message", [
    (GOOD.replace("{产品}", "{型号}"), "text", "不认识的占位符 {型号}"),
    (GOOD.replace("department: after_sales", "department: pr"), "department", "after_sales"),
    (GOOD + "  - id: received\n    title: 又一条\n    text: 重复\n", "id", "重复"),
    (GOOD.replace("    title: 已收到\n", ""), "title", "缺少 title"),
    (GOOD.replace("{粉丝}您好，您的{产品}已收到。", "好" * 300), "text", "私信要少于 300 字"),
    ("department: after_sales\nreplies: [\n", "yaml", "YAML"),
])
def test_a_broken_file_names_file_line_field_and_fix(directory, broken, field, message):
    (directory / "after_sales.yml").write_text(broken, encoding="utf-8")
    _, problems = canned.load(directory)
    assert any(p.field == field and message in p.message and p.file.endswith("after_sales.yml") for p in problems), problems
    with pytest.raises(QueueError, match="bot canned check"):
        canned.for_department(directory, "after_sales")


def test_an_unknown_reply_says_where_to_look(directory):
    with pytest.raises(QueueError, match="bot canned list --department after_sales"):
        canned.find(directory, "after_sales", "nope")
    shutil.rmtree(directory)
    assert canned.load(directory) == ([], [])
