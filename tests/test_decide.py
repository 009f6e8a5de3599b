"""The outcome rules, on the real FAQ index with NLU results as the classifier would give them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.decide import PRIORITY_HIGH, decide
from bot.faq.library import build_index
from bot.faq.model import CHINA_TZ
from bot.intents import info
from bot.nlu.result import NluResult
from bot.text import normalise

TODAY = datetime(2026, 11, 26, 10, 0, tzinfo=CHINA_TZ)


@pytest.fixture(scope="module")
def index():
    idx, problems = build_index(Path(__file__).resolve().parent.parent / "data" / "faq")
    assert not problems
    return idx


def run(index, text, intent, confidence=0.9, channel="comment", entities=(), now=TODAY):
    message = normalise(text)
    nlu = NluResult(intent, confidence, ((intent, confidence),), tuple(entities))
    dept = info(intent).department if info(intent) else None
    matches = index.search(message.text, dept, intent)
    return decide(message, channel, nlu, matches, now)


def test_faq_question_is_answered_with_the_comment_version(index):
    out = run(index, "X5 Pro屏幕碎了 官方换屏多少米", "ask_repair_price")
    assert (out.action, out.department, out.faq_id) == ("answer", "after_sales", "screen-replacement-price")
    assert "1199" in out.reply and len(out.reply) <= 140


def test_dm_gets_the_dm_version(index):
    comment = run(index, "换屏多少钱", "ask_repair_price", channel="comment")
    dm = run(index, "换屏多少钱", "ask_repair_price", channel="dm")
    entry = index.by_id[dm.faq_id]
    assert dm.reply == entry.answer and comment.reply == entry.comment


def test_ended_activity_is_answered_as_ended(index):
    before = run(index, "怎么参加转发抽奖", "ask_lottery", now=TODAY)
    after = run(index, "怎么参加转发抽奖", "ask_lottery", now=datetime(2026, 12, 5, tzinfo=CHINA_TZ))
    assert before.action == after.action == "answer"
    assert before.reply != after.reply
    assert "结束" in after.reply or "截止" in after.reply


def test_a_promise_that_has_run_out_goes_to_a_human(index):
    """The presale entry promises shipping "11 月 30 日前": on 12-01 nobody may repeat it."""
    text, intent = "X5 Pro 16+1TB什么时候发货", "ask_release"
    before = run(index, text, intent, now=datetime(2026, 11, 28, 10, 0, tzinfo=CHINA_TZ))
    after = run(index, text, intent, now=datetime(2026, 12, 1, 10, 0, tzinfo=CHINA_TZ))
    assert before.action == "answer" and "11 月 30 日" in before.reply
    assert (after.action, after.reply) == ("handoff", None)
    assert after.detail == "ended:x5-pro-1tb-presale"


@pytest.mark.parametrize("text,intent", [
    ("修了三次还是黑屏 再不解决就去12315投诉", "device_fault"),
    ("虚假宣传 我要去市场监管局举报你们", "ask_warranty"),
    ("客服踢皮球 太差了", "complaint"),
])
def test_complaints_and_threats_go_to_pr_with_high_priority_and_no_faq(index, text, intent):
    out = run(index, text, intent)
    assert (out.action, out.department, out.priority, out.reply) == ("handoff", "pr", PRIORITY_HIGH, None)


def test_personal_data_in_a_public_comment_is_not_echoed(index):
    phone = {"entity": "phone_number", "value": "13812345678", "start": 9, "end": 20}
    out = run(index, "物流5天没更新了 打我电话13812345678", "order_problem", entities=[phone])
    assert out.action == "handoff" and out.department == "orders_logistics"
    assert out.reply and "13812345678" not in out.reply and len(out.reply) <= 140


def test_order_specific_question_on_an_faq_topic_goes_to_a_human(index):
    out = run(index, "我的订单已经发货了 地址写错了能改吗", "ask_order_change", channel="dm")
    assert (out.action, out.department) == ("handoff", "orders_logistics")


def test_low_intent_confidence_goes_to_the_topic_department(index):
    out = run(index, "换屏多少钱", "ask_repair_price", confidence=0.2)
    assert (out.action, out.department, out.reason) == ("handoff", "after_sales", "low_confidence")


def test_question_the_manuals_do_not_cover_goes_to_its_department(index):
    out = run(index, "Watch S2 表带是什么材质的 能单独买吗", "ask_specs")
    assert (out.action, out.department) == ("handoff", "pre_sales")


def test_product_suggestion_is_thanked_and_handed_to_product(index):
    out = run(index, "建议下一代加回3.5mm耳机孔", "product_suggestion")
    assert (out.action, out.department) == ("handoff", "product")
    assert out.reply and "感谢您的建议" in out.reply


@pytest.mark.parametrize("channel,expected", [("dm", "social"), ("comment", "ignore")])
def test_greetings_get_a_short_reply_only_in_private_and_no_reply_means_nothing_done(index, channel, expected):
    out = run(index, "你好呀", "greet", channel=channel)
    assert out.action == expected and bool(out.reply) is (expected == "social")
    assert out.reason == "social"  # why nothing was done stays on the record


@pytest.mark.parametrize("text,intent", [("兼职日结300", "spam_ad"), ("今天基金又绿了", "out_of_scope")])
def test_spam_and_unrelated_are_ignored(index, text, intent):
    out = run(index, text, intent)
    assert (out.action, out.reply, out.department) == ("ignore", None, None)


def test_a_repost_with_nothing_of_its_own_is_ignored(index):
    out = run(index, "//@某某: 转发微博", "chitchat")
    assert out.action == "ignore" and out.reason == "empty_message"
