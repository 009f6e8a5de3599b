"""The staff-edited regional lexicon: Cantonese and Taiwan/Hong Kong words reach the NLU as Mandarin."""

from __future__ import annotations

import os
import time

import pytest

from bot.faq.library import build_index
from bot.regional import Lexicon, load_lexicon
from bot.text import normalise


@pytest.mark.parametrize("raw,expected", [
    ("A3係咪防水？", "A3是不是防水?"),
    ("X5 Pro幾多錢呀", "X5 Pro多少钱呀"),
    ("部機螢幕壞咗點算", "手机屏幕坏了怎么办"),
    ("Buds 3 有冇黑色", "Buds 3 有没有黑色"),
    ("點樣申請保固", "怎么申请保修"),
    ("無線充電", "无线充电"),  # 無 alone is not rewritten: 無線 is Mandarin too
])
def test_normaliser_applies_the_regional_lexicon_after_opencc(raw, expected):
    assert normalise(raw).text == expected


def test_longest_word_wins_and_traditional_keys_are_simplified():
    lexicon = Lexicon({"多少钱": ["幾多錢"], "多少": ["幾多"]}, simplify=lambda s: s.replace("幾", "几").replace("錢", "钱"))
    assert lexicon.apply("几多钱") == "多少钱" and lexicon.apply("几多个") == "多少个"


def test_an_added_word_is_live_without_restart(faq_copy, monkeypatch):
    monkeypatch.setenv("BOT_FAQ_DIR", str(faq_copy))
    assert normalise("呢個手機好正").text == "这个手机好正"
    path = faq_copy / "regional.yml"
    path.write_text(path.read_text(encoding="utf-8") + "很好: [好正]\n", encoding="utf-8")
    future = time.time() + 5
    os.utime(path, (future, future))
    monkeypatch.setattr("bot.regional.CHECK_SECONDS", 0.0)
    assert normalise("呢個手機好正").text == "这个手机很好"


def test_a_broken_lexicon_is_a_faq_check_problem(faq_copy):
    (faq_copy / "regional.yml").write_text("怎么: 點樣\n", encoding="utf-8")
    index, problems = build_index(faq_copy)
    assert index is None and any(p.field == "regional" for p in problems)
    _lexicon, problems = load_lexicon(faq_copy / "regional.yml")
    assert "格式" in problems[0].message
