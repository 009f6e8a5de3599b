"""Scoring rules of `bot eval`, on hand-made cases."""

import pytest

from bot.evaluate import judge, score


def case(expect, must=(), must_not=(), department=None):
    return {"id": "1", "channel": "comment", "text": "t", "expect": expect, "department": department,
            "must_contain": [list(g) for g in must], "must_not_contain": list(must_not)}


def out(action, reply=None, department=None):
    return {"id": "1", "action": action, "reply": reply, "department": department}


@pytest.mark.parametrize("c,o,ok", [
    (case("answer", [["15天", "十五天"], ["检测"]]), out("answer", "15 天内 经 检测"), True),
    (case("answer", [["15天"], ["检测"]]), out("answer", "15天内换新"), False),
    (case("answer", [["15天"]]), out("handoff"), False),
    (case("social"), out("social", "你好"), True),
    (case("social"), out("ignore"), True),
    (case("social"), out("answer", "x"), False),
    (case("ignore"), out("social"), False),
    (case("ignore"), out("ignore"), True),
    (case("handoff", department="pr"), out("handoff", department="after_sales"), True),
    (case("handoff", must_not=["13812345678"]), out("handoff", "请联系 13812345678"), False),
])
def test_judge_follows_the_labelling_guide(c, o, ok):
    assert judge(c, o) is ok


def test_report_figures():
    cases = [dict(case("answer", [["a"]]), id="1"), dict(case("answer", [["a"]]), id="2"),
             dict(case("handoff", department="pr"), id="3"), dict(case("ignore"), id="4")]
    outs = [dict(out("answer", "a"), id="1"), dict(out("answer", "b"), id="2"),
            dict(out("handoff", department="rnd"), id="3"), dict(out("ignore"), id="4")]
    figures = score(cases, outs).figures()
    assert figures["auto_answer_precision"] == 0.5
    assert figures["answer_coverage"] == 0.5
    assert figures["handoff_recall"] == 1.0
    assert figures["routing_accuracy"] == 0.0
    assert figures["spam_ignore_rate"] == 1.0
    assert figures["outcome_accuracy"] == 0.75


def test_the_curve_counts_would_be_answers_above_each_threshold():
    from bot.evaluate import precision_coverage_curve

    cases = [{"id": "a", "expect": "answer", "must_contain": [["899"]]},
             {"id": "b", "expect": "answer", "must_contain": [["399"]]},
             {"id": "c", "expect": "handoff", "must_contain": []}]
    outputs = [{"id": "a", "action": "answer", "answer_score": 0.9, "candidate_reply": "换屏 899 元"},
               {"id": "b", "action": "handoff", "answer_score": 0.3, "candidate_reply": "399 元"},
               {"id": "c", "action": "handoff", "answer_score": 0.6, "candidate_reply": "错的"}]
    curve = {p["threshold"]: p for p in precision_coverage_curve(cases, outputs, thresholds=(0.0, 0.5, 0.95))}
    assert (curve[0.0]["answered"], curve[0.0]["precision"], curve[0.0]["coverage"]) == (3, round(2 / 3, 4), 1.0)
    assert (curve[0.5]["answered"], curve[0.5]["precision"], curve[0.5]["coverage"]) == (2, 0.5, 0.5)
    assert curve[0.95]["answered"] == 0
