"""Splitting a message into its questions, and telling a question from a statement."""

from __future__ import annotations

import pytest

from bot.questions import asks, is_statement, split_questions


@pytest.mark.parametrize("text,expected", [
    ("Watch S2能连苹果手机吗?另外商城支持哪些付款方式",
     ["Watch S2能连苹果手机吗?", "商城支持哪些付款方式"]),
    ("X5多少钱，有优惠吗", ["X5多少钱", "X5 有优惠吗"]),
    ("X5 Pro什么时候发货，能开发票吗，支持花呗分期吗",
     ["X5 Pro什么时候发货", "X5 Pro 能开发票吗", "X5 Pro 支持花呗分期吗"]),
    ("X5多少钱?有什么颜色?", ["X5多少钱?", "X5 有什么颜色?"]),
])
def test_several_questions_are_split_and_later_ones_inherit_the_product(text, expected):
    assert split_questions(text) == expected


@pytest.mark.parametrize("text", [
    "X5能无线充电吗，支持多少瓦",  # the second piece has no topic of its own
    "手机屏幕碎了可以修吗，大概多少钱",
    "商城下单后一般多久发货?急用",  # a remark beside a question is context
    "X5电池保修几年?看评论有人说两年 真的假的",
    "还有货吗",  # 还有 here is a verb, not the connector
    "A3换电池多少钱 求告知",  # a bare plea after a question adds none
    "门店在哪 咋查",
])
def test_one_question_with_context_stays_one(text):
    assert len(split_questions(text)) == 1


def test_statements_before_a_question_are_its_context():
    assert split_questions("我是学生，X5有优惠吗?另外包邮吗") == ["我是学生，X5有优惠吗?", "X5 包邮吗"]


@pytest.mark.parametrize("text", ["发布会直播看完了", "新买的表带到了", "以旧换新的款刚收到", "我想买A3",
                                  "刚给爸妈各买了一台A3 开心", "等双12降价再入手"])
def test_statements_ask_nothing(text):
    assert is_statement(text)


@pytest.mark.parametrize("text", ["X5价格", "A3防水", "保修期多久啊", "A3是不是防水", "Buds 3有没有黑色",
                                  "x5支持无线充电", "请问A3多少钱", "A3防水嘛 天天骑小电驴"])
def test_questions_and_short_queries_ask(text):
    assert not is_statement(text)


def test_a_short_remark_counts_as_a_query_only_alone():
    assert asks("急用") and not asks("急用", nominal=False)


def test_a_question_about_a_number_of_installments_or_years_has_a_topic():
    from bot.questions import split_questions

    assert split_questions("X5有几个颜色,12+512多少钱,能分几期") == ["X5有几个颜色", "12+512多少钱", "X5 能分几期"]


def test_a_price_asked_as_duo_qian_is_a_question():
    assert split_questions("屏幕碎了 换个屏多钱") == ["屏幕碎了，换个屏多钱"]


@pytest.mark.parametrize("text", [
    "尊敬的客服：您好。烦请告知X5教育优惠之具体额度",  # a formal letter asks without a question mark
    "想了解一下，旧手机是上门取还是自己寄",  # an either-or question
    "x5pro dian chi duo da a",  # pinyin
    "watch s2能连我的iPhone吗 iOS18的",  # the particle before a pause
])
def test_questions_without_the_usual_cues_still_ask(text):
    assert not is_statement(text)


def test_no_problem_is_not_a_problem():
    from bot.signals import PROBLEM

    assert not PROBLEM.search("X5 Pro电池是真大，重度用一天半没问题")
