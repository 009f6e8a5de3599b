"""The answerability check: a question's specifics must be within the nearest entry's scope."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.faq.library import build_index
from bot.faq.model import CHINA_TZ, FaqEntry
from bot.faq.scope import ScopeLexicon, load_scope, specifics
from tests.conftest import FAQ_DIR


@pytest.fixture(scope="module")
def index():
    idx, problems = build_index(FAQ_DIR)
    assert not problems
    return idx


def entry(text: str, **extra) -> FaqEntry:
    return FaqEntry(id="e", department="pre_sales", question=text, answer=text, comment=text, **extra)


LEXICON = ScopeLexicon({"parts": {"屏幕": ["屏幕", "换屏"], "扬声器": ["扬声器", "喇叭"]},
                        "groups": {"学生": ["学生"], "企业员工": ["员工", "内购"]},
                        "channels": {"云雀商城": ["商城"], "代理商": ["代理", "经销商"]}})


@pytest.mark.parametrize("question,answerable", [
    ("X5换屏多少钱", True),
    ("X5喇叭坏了换一个多少钱", False),  # another part
    ("学生买X5有优惠吗", True),
    ("员工内购有优惠吗", False),  # another buyer group
    ("商城买的能退吗", True),
    ("代理商那买的能退吗", False),  # another sales channel
])
def test_a_specific_outside_the_entry_is_not_answerable(question, answerable):
    e = entry("X5 换屏 899 元；学生在商城购买享教育优惠")
    assert LEXICON.check(question, e).answerable is answerable


def test_the_official_mall_is_implicit_for_an_entry_that_names_no_channel():
    assert LEXICON.check("商城买的保修几年", entry("手机保修 1 年")).answerable
    assert not LEXICON.check("代理买的保修几年", entry("商城购买的手机保修 1 年")).answerable


def test_scope_widens_and_not_covered_narrows():
    assert LEXICON.check("员工有优惠吗", entry("学生优惠", scope=("员工",))).answerable
    verdict = LEXICON.check("代理买的能退吗", entry("商城和代理购买都可 7 天退货", not_covered=("代理",)))
    assert not verdict.answerable and verdict.reason == "channels:代理商"


@pytest.mark.parametrize("question,answerable", [
    ("X5 Pro多少钱", False),  # entry names X5 only
    ("X5 8+256多少钱", True),
    ("X5 16+256多少钱", False),  # a configuration the entry does not list
    ("X5升级3.0.2后wifi断", True),
    ("X5升级3.0.5后wifi断", False),
])
def test_products_configurations_and_versions_must_be_the_entry_s(question, answerable):
    e = entry("云雀 X5 8GB+256GB 3499 元，12GB+512GB 4299 元；3.0.2 版本 wifi 问题")
    assert LEXICON.check(question, e).answerable is answerable


def test_an_entry_about_the_x5_series_covers_the_pro():
    assert specifics("X5 系列 12 期免息")["product"] == {"x5", "x5pro"}


@pytest.mark.parametrize("question,entry_id", [
    ("X5 喇叭坏了换一个多少钱", "screen-replacement-price"),
    ("恢复出厂也试过了还是充不进电", "phone-not-charging"),
    ("公司员工买X5有内部价吗", "education-discount"),
    ("粉丝见面会可以两个人一起去吗", "fan-meetup-signup"),
])
def test_near_misses_against_the_real_faq(index, question, entry_id):
    assert not index.scope.check(question, index.by_id[entry_id]).answerable


def test_the_shipped_scope_file_loads_and_a_wrong_facet_is_reported(tmp_path):
    lexicon, problems = load_scope(FAQ_DIR / "scope.yml")
    assert not problems and lexicon.mentioned("喇叭") == [("parts", "扬声器")]
    bad = tmp_path / "scope.yml"
    bad.write_text("colours:\n  红色: [红]\n", encoding="utf-8")
    _lexicon, problems = load_scope(bad)
    assert problems and "colours" in problems[0].message


def test_an_alternate_does_not_widen_what_the_entry_covers():
    e = FaqEntry(id="e", department="pre_sales", question="X5 换屏多少钱", alternates=("X5 喇叭坏了换一个多少钱",),
                 answer="X5 换屏 899 元", comment="X5 换屏 899 元")
    assert LEXICON.check("X5喇叭坏了换一个多少钱", e).answerable is False
    assert LEXICON.check("X5喇叭坏了换一个多少钱", entry("X5 换屏 899 元", scope=("扬声器",))).answerable is True


def test_an_answer_side_word_counts_only_in_the_entry():
    lexicon = ScopeLexicon({"extras": {"查看位置": ["re:在哪(?:看|查)", "答:评论区"]}})
    shown = entry("中奖名单公布在活动微博评论区")
    told = entry("中奖名单已公布")
    assert lexicon.check("中奖名单在哪看", shown).answerable is True
    assert lexicon.check("中奖名单在哪看", told).answerable is False
    assert lexicon.check("评论区有人说中奖了", told).answerable is True  # "评论区" in a question asks nothing


def test_a_day_of_the_year_is_a_date_not_a_version():
    found = specifics("10.18 直播抽奖的中奖名单在哪看，双12是 12 月 10 日至 12 日吗，升级 3.0.2 以后")
    assert found["date"] == {"10-18", "12-10", "12-11", "12-12"}
    assert found["version"] == {"3.0.2"}
    assert LEXICON.check("10.18 那次抽奖", entry("12 月 2 日开奖")).answerable is False
    assert LEXICON.check("10.18 那次抽奖", entry("10 月 18 日直播抽奖已结束")).answerable is True


@pytest.mark.parametrize("now, passed", [
    (datetime(2026, 11, 30, 12, 0, tzinfo=CHINA_TZ), []),
    (datetime(2026, 12, 1, 9, 0, tzinfo=CHINA_TZ), ["X5 Pro 16GB+1TB 在 11 月 30 日前发货"]),
])
def test_a_dated_promise_in_an_answer_has_passed_the_day_after(now, passed):
    text = "现货商品下单后 48 小时内发货；预售商品按页面时间发货（X5 Pro 16GB+1TB 在 11 月 30 日前发货）。"
    assert FaqEntry(id="e", department="orders_logistics", question="多久发货", answer=text, comment=text
                    ).passed_promises(now) == passed
