"""Parses through the trained Rasa pipeline (normaliser, jieba, spaCy rules, linear classifier, fallback)."""

from __future__ import annotations

import asyncio

import pytest

from bot.nlu.parser import NluParser


@pytest.fixture(scope="module")
def parser():
    return NluParser.load()


@pytest.mark.parametrize("text", ["/greet", "/restart", "//@某某: 转发微博", '/inform{"x":1}'])
def test_slash_shortcuts_and_reposts_are_ordinary_text_even_through_rasa(parser, text):
    # Straight into Rasa's own parse, without our channel: the pipeline's normaliser runs first,
    # so Rasa's RegexMessageHandler never sees a leading '/'.
    parsed = asyncio.run(parser.agent.parse_message(text))
    assert parsed["intent"]["name"] not in ("greet", "restart", "inform") or parsed["intent"]["confidence"] < 1.0
    assert not parsed["text"].startswith("/")
    assert parsed["original_text"] == text


@pytest.mark.parametrize("text,intent", [
    ("X5 Pro 16GB+1TB多少钱", "ask_price"),
    ("保修多久啊", "ask_warranty"),
    ("商城下单以后多久能发货", "ask_shipping"),
    ("抽奖什么时候开奖", "ask_lottery"),
    ("兼职刷单日结 加V", "spam_ad"),
    ("谢谢小编", "thanks"),
    ("你们再不处理我就去12315投诉", "complaint"),
])
def test_clear_messages_get_their_intent(parser, text, intent):
    [result] = parser.parse_batch([text])
    assert result.top_real_intent()[0] == intent


@pytest.mark.parametrize("ours,intent,rival", [
    ("A3防水吗", "ask_specs", "三星手机防水吗"),
    ("云雀的保修期多久", "ask_warranty", "小米的保修期多久"),
    ("X5充不进电怎么办", "ask_troubleshoot", "OPPO手机充不进电怎么办"),
])
def test_the_parse_says_when_a_rival_brand_is_named(parser, ours, intent, rival):
    # The lookup tables (data/nlu/lookups.yml) are features of the classifier and reach the
    # decision as `lookups`: the same question about another brand is not for this account.
    mine, theirs = parser.parse_batch([ours, rival])
    assert mine.top_real_intent()[0] == intent
    assert "rival_brand" in theirs.lookups and "rival_brand" not in mine.lookups


def test_entities_come_from_the_spacy_component(parser):
    [result] = parser.parse_batch(["X5 Pro 12GB+256GB 订单YQ20261120008812 电话13812345678"])
    labels = {(e["entity"], e["value"]) for e in result.entities}
    assert {("product", "X5 Pro"), ("version", "12GB+256GB"), ("order_number", "YQ20261120008812"),
            ("phone_number", "13812345678")} <= labels


def test_batch_parse_equals_one_by_one(parser):
    # One graph run over texts of different lengths, as `bot triage` produces, equals one at a time.
    texts = ["X5多少钱", "在吗", "物流三天没更新了 订单一直显示已发货 到底什么时候能到啊", "建议出个小屏版",
             "A3支持无线充电吗", "好", "升级3.0.2以后wifi老是断 打游戏一直掉线 烦死了 有没有办法"]
    batch = parser.parse_batch(texts)
    single = [parser.parse_batch([t])[0] for t in texts]
    for b, s in zip(batch, single):
        assert b.intent == s.intent
        assert b.confidence == pytest.approx(s.confidence, abs=1e-4)
        assert b.parts == s.parts


def test_each_question_of_a_multi_question_message_gets_its_own_intent(parser):
    [result] = parser.parse_batch(["Watch S2能连苹果手机吗?另外商城支持哪些付款方式"])
    assert [p.intent for p in result.parts] == ["ask_specs", "ask_order_policy"]
    assert all(0 < p.confidence <= 1 for p in result.parts)
