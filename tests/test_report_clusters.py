"""Unanswered questions grouped by meaning, each group with its closest FAQ entry."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.faq.library import build_index
from bot.reports.clusters import cluster
from bot.reports.rows import Message
from tests.conftest import FAQ_DIR

AT = datetime(2026, 11, 24, 4, tzinfo=timezone.utc)


def _asked(n: int, text: str, reason: str = "not_in_manuals", action: str = "handoff",
           department: str = "pre_sales") -> Message:
    return Message(n, "comment", f"fan{n}", AT, action, department, reason, (), text, None, None, None, None)


@pytest.fixture(scope="module")
def index():
    return build_index(FAQ_DIR)[0]


def test_questions_asked_in_other_words_form_one_cluster_largest_first(index):
    asked = [_asked(1, "X5有红外遥控功能吗"), _asked(2, "X5支持红外遥控吗"), _asked(3, "x5能红外遥控空调吗"),
             _asked(4, "X5有红外遥控功能吗"), _asked(5, "X5支持卫星通话吗", "low_confidence"),
             _asked(6, "X5能打卫星电话吗", "low_confidence"), _asked(7, "今天下雨了")]
    found = cluster(asked, index)
    assert [c.size for c in found] == [4, 2]
    assert set(found[0].message_ids) == {1, 2, 3, 4} and found[0].examples[0] == "X5有红外遥控功能吗"
    assert found[0].counts[0] == 2 and found[0].department == "pre_sales"
    assert set(found[1].message_ids) == {5, 6}


def test_only_handoffs_the_manuals_did_not_answer_are_clustered(index):
    asked = [_asked(1, "X5支持卫星通话吗", "complaint"), _asked(2, "X5支持卫星通话吗", action="answer"),
             _asked(3, "X5支持卫星通话吗", "needs_human"), _asked(4, "X5支持卫星通话吗", "outside_entry_scope")]
    assert cluster(asked, index) == []


def test_a_cluster_names_the_closest_entry_and_keeps_its_key_for_the_same_messages(index):
    asked = [_asked(1, "包裹寄到哪一步了", department="orders_logistics"),
             _asked(2, "我的包裹寄到哪一步了", department="orders_logistics")]
    first, again = cluster(asked, index)[0], cluster(list(reversed(asked)), index)[0]
    assert first.closest_id == "track-order" and first.key == again.key
    assert cluster(asked + [_asked(3, "包裹寄到哪一步啦", department="orders_logistics")], index)[0].key != first.key
