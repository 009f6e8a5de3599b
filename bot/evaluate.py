"""Score triage output against labelled cases (format of shared/eval/README.md).

The rules mirror the labelling guide: an answer counts only if every must_contain group matches;
social is satisfied by a social reply or by silence; ignore only by silence; any reply that holds
a must_not_contain string is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence

_WS = re.compile(r"\s+")


def _squash(text: str | None) -> str:
    return _WS.sub("", text or "")


def answer_matches(reply: str | None, must_contain: Sequence[Sequence[str]]) -> bool:
    body = _squash(reply)
    return all(any(_squash(alt) in body for alt in group) for group in must_contain)


def judge(case: Dict[str, Any], out: Dict[str, Any]) -> bool:
    reply = out.get("reply")
    if any(_squash(s) in _squash(reply) for s in case.get("must_not_contain") or [] if s):
        return False
    expect, action = case["expect"], out["action"]
    if expect == "answer":
        return action == "answer" and answer_matches(reply, case.get("must_contain") or [])
    if expect == "handoff":
        return action == "handoff"
    if expect == "social":
        return action in ("social", "ignore")
    return action == "ignore"


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    answered: int = 0
    answered_correct: int = 0
    answer_cases: int = 0
    handoff_cases: int = 0
    handoff_caught: int = 0
    routed_right: int = 0
    ignore_cases: int = 0
    ignored: int = 0
    departments: Dict[str, Dict[str, int]] = field(default_factory=dict)
    confusion: Dict[str, Dict[str, int]] = field(default_factory=dict)  # expected -> action -> count
    wrong: List[Dict[str, Any]] = field(default_factory=list)

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else 0.0

    def figures(self) -> Dict[str, float]:
        return {
            "auto_answer_precision": self._ratio(self.answered_correct, self.answered),
            "answer_coverage": self._ratio(self.answered_correct, self.answer_cases),
            "handoff_recall": self._ratio(self.handoff_caught, self.handoff_cases),
            "routing_accuracy": self._ratio(self.routed_right, self.handoff_caught),
            "spam_ignore_rate": self._ratio(self.ignored, self.ignore_cases),
            "outcome_accuracy": self._ratio(self.correct, self.total),
        }

    def as_dict(self) -> Dict[str, Any]:
        return {"cases": self.total, **self.figures(), "departments": self.departments,
                "confusion": self.confusion, "wrong": self.wrong}


def score(cases: Sequence[Dict[str, Any]], outputs: Sequence[Dict[str, Any]]) -> Report:
    by_id = {o["id"]: o for o in outputs}
    report = Report()
    for case in cases:
        out = by_id.get(str(case["id"]))
        if out is None:
            continue
        report.total += 1
        ok = judge(case, out)
        report.correct += ok
        expect = case["expect"]
        cell = report.confusion.setdefault(expect, {})
        cell[out["action"]] = cell.get(out["action"], 0) + 1
        if out["action"] == "answer":
            report.answered += 1
            report.answered_correct += expect == "answer" and ok
        if expect == "answer":
            report.answer_cases += 1
        elif expect == "handoff":
            report.handoff_cases += 1
            if out["action"] == "handoff":
                report.handoff_caught += 1
                report.routed_right += out.get("department") == case.get("department")
        elif expect == "ignore":
            report.ignore_cases += 1
            report.ignored += out["action"] == "ignore"
        dept = case.get("department") or f"({expect})"
        row = report.departments.setdefault(dept, {"cases": 0, "correct": 0})
        row["cases"] += 1
        row["correct"] += ok
        if not ok or (expect == "handoff" and out.get("department") != case.get("department")):
            report.wrong.append({
                "id": case["id"], "channel": case["channel"], "text": case["text"],
                "expect": expect, "expect_department": case.get("department"),
                "action": out["action"], "department": out.get("department"),
                "intent": out.get("intent"), "confidence": out.get("confidence"),
                "faq_id": out.get("faq_id"), "reply": out.get("reply"),
            })
    return report


CURVE_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(21))


def precision_coverage_curve(cases: Sequence[Dict[str, Any]], outputs: Sequence[Dict[str, Any]],
                             thresholds: Sequence[float] = CURVE_THRESHOLDS) -> List[Dict[str, Any]]:
    """Precision and coverage if only would-be answers scoring at least each threshold were sent.

    Every output that passed the decision's rules carries `answer_score` (also when it was below the
    configured threshold and went to a human), so one run gives the whole curve and the threshold
    is chosen for a target precision.
    """
    by_id = {o["id"]: o for o in outputs}
    answer_cases = sum(1 for c in cases if c["expect"] == "answer" and str(c["id"]) in by_id)
    candidates = []
    for case in cases:
        out = by_id.get(str(case["id"]))
        if out is None or out.get("answer_score") is None or not out.get("candidate_reply"):
            continue
        # Judged as the answer it would have been.
        right = judge(case, {"action": "answer", "reply": out["candidate_reply"]})
        candidates.append((float(out["answer_score"]), right))
    curve = []
    for t in thresholds:
        chosen = [right for score_, right in candidates if score_ >= t]
        good = sum(chosen)
        curve.append({"threshold": t, "answered": len(chosen),
                      "precision": round(good / len(chosen), 4) if chosen else 1.0,
                      "coverage": round(good / answer_cases, 4) if answer_cases else 0.0})
    return curve


GROUP_FIELDS = ("family", "kind")  # optional labels of a set: what kind of message each case is


def by_group(cases: Sequence[Dict[str, Any]], outputs: Sequence[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Per family (or kind) of case: how many, right, answered from the FAQ, and made tickets."""
    by_id = {o["id"]: o for o in outputs}
    groups: Dict[str, Dict[str, Any]] = {}
    for case in cases:
        out = by_id.get(str(case["id"]))
        name = next((str(case[f]) for f in GROUP_FIELDS if case.get(f)), None)
        if out is None or name is None:
            continue
        row = groups.setdefault(name, {"cases": 0, "correct": 0, "answered": 0, "ticketed": 0})
        row["cases"] += 1
        row["correct"] += judge(case, out)
        row["answered"] += out["action"] == "answer"
        row["ticketed"] += out["action"] == "handoff"
    return dict(sorted(groups.items()))
