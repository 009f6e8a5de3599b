"""No public reply carries personal data or a sensitive word; a private one may carry personal data."""

from __future__ import annotations

import pytest

from bot import safety
from bot.decide import Outcome
from bot.faq.library import build_index
from bot.faq.loader import load_faq
from tests.conftest import FAQ_DIR

WORDS = ("全网最低", "稳赚")


@pytest.mark.parametrize("text, problem", [
    ("请拨打 13912345678 联系我们", "手机号"),
    ("已登记 139-1234-5678", "手机号"),
    ("身份证 11010119900307123X 已核对", "身份证号"),
    ("订单 YQ2026112512345 已发货", "订单号"),
    ("运单 773012345678901 在路上", "订单号"),
    ("寄到杭州市西湖区文三路88号3幢", "详细地址"),
    ("X5 现在全网最低价", "敏感词「全网最低」"),
])
def test_personal_data_and_sensitive_words_are_named(text, problem):
    assert any(problem in p for p in safety.public_problems(text, WORDS))


@pytest.mark.parametrize("text", [
    "请拨打客服热线 400-810-1010（9:00-21:00）",
    "X5 售价 3499 元，12GB+256GB",
    "2026 年 12 月 1 日 20:00 截止",
    "全国有 1200 家云雀授权服务中心",
])
def test_our_own_facts_pass(text):
    assert safety.public_problems(text, WORDS) == []


def test_every_faq_answer_may_be_posted_in_public():
    # The manuals' facts are ours: no entry's public wording may trip the check.
    index, problems = build_index(FAQ_DIR)
    assert not problems and index.sensitive == safety.sensitive_words(FAQ_DIR) != ()
    entries, _ = load_faq([FAQ_DIR])
    assert [e.id for e in entries if safety.public_problems(e.comment, index.sensitive)] == []


def _answer(reply: str) -> Outcome:
    return Outcome("answer", "pre_sales", "faq_match", reply, "ask_price", 0.9, faq_id="price-x5", answer_score=0.8)


def test_an_unsafe_comment_reply_becomes_a_handoff_with_the_reply_as_draft():
    guarded = safety.guard(_answer("X5 全网最低，快来"), "comment", WORDS)
    assert (guarded.action, guarded.reason, guarded.reply) == ("handoff", "unsafe_public_reply", None)
    assert guarded.draft == "X5 全网最低，快来" and "全网最低" in guarded.detail


def test_a_private_reply_may_carry_personal_data_and_a_safe_comment_is_untouched():
    dm = _answer("已为您登记 13912345678")
    assert safety.guard(dm, "dm", WORDS) is dm
    safe = _answer("X5 售价 3499 元")
    assert safety.guard(safe, "comment", WORDS) is safe


@pytest.mark.parametrize("content, message", [("words: 最便宜", "格式不对"), ("words: [a\n", "YAML")])
def test_a_broken_word_list_is_reported_with_its_file(tmp_path, content, message):
    (tmp_path / safety.FILE_NAME).write_text(content, encoding="utf-8")
    _, problems = safety.load_sensitive(tmp_path / safety.FILE_NAME)
    assert problems and message in str(problems[0]) and safety.FILE_NAME in str(problems[0])
