"""The spaCy rule-based entity component: products, versions, personal data."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.entities import SpacyRuleEntityExtractor, build_nlp, extract


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


@pytest.mark.parametrize("text,expected", [
    ("X5多少钱", [("product", "X5")]),
    ("X5 Pro和X5有什么区别", [("product", "X5 Pro"), ("product", "X5")]),
    ("x5pro有白色吗", [("product", "X5 Pro")]),
    ("A3能插卡吗", [("product", "A3")]),
    ("Buds 3降噪怎么样", [("product", "Buds 3")]),
    ("buds3多少钱", [("product", "Buds 3")]),
    ("Watch S2能连OPPO吗", [("product", "Watch S2")]),
    ("X5 12GB+256GB多少钱", [("product", "X5"), ("version", "12GB+256GB")]),
    ("X5 Pro 16GB+1TB什么时候发货", [("product", "X5 Pro"), ("version", "16GB+1TB")]),
    ("12+256的多少钱", [("version", "12+256")]),
    ("1TB的啥时候到", [("version", "1TB")]),
    ("打我电话13812345678", [("phone_number", "13812345678")]),
    ("麻烦联系我 139-0571-2233 谢谢", [("phone_number", "139-0571-2233")]),
    ("订单号YQ20261120008812已经发货", [("order_number", "YQ20261120008812")]),
    ("身份证110101199003071234", [("id_number", "110101199003071234")]),
    ("保修多久", []),
    ("X5电池5500mAh", [("product", "X5")]),
])
def test_extracts_products_versions_and_personal_data(nlp, text, expected):
    got = [(e["entity"], e["value"]) for e in extract(nlp, text)]
    assert got == expected


def test_entity_offsets_point_into_the_text(nlp):
    text = "商城买的X5 Pro 电话13812345678"
    for ent in extract(nlp, text):
        assert text[ent["start"]:ent["end"]] == ent["text"]


def test_component_adds_entities_to_rasa_messages(nlp):
    component = SpacyRuleEntityExtractor(nlp)
    messages = [Message(data={"text": "A3 订单YQ2026112000881 没到"}), Message(data={"text": ""})]
    component.process(messages)
    found = [(e["entity"], e["value"], e["extractor"]) for e in messages[0].get("entities")]
    assert found == [("product", "A3", "SpacyRuleEntityExtractor"),
                     ("order_number", "YQ2026112000881", "SpacyRuleEntityExtractor")]
    assert messages[1].get("entities") == []
