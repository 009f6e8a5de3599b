"""What a decision is: the outcome of one message, its reasons, priorities and thresholds.

Kept apart from the rules (bot/decide.py) and the question answering (bot/answering.py), which both
produce outcomes, so that neither imports the other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.faq.index import Match
from bot.settings import DEFAULT_ANSWER_THRESHOLD

ANSWER, HANDOFF_ACTION = "answer", "handoff"
ACTIONS = ("answer", "social", "handoff", "ignore")

PRIORITY_NORMAL, PRIORITY_ELEVATED, PRIORITY_HIGH = 0, 1, 2

# Reasons recorded on tickets and in `bot triage` output.
R_FAQ = "faq_match"
R_SOCIAL = "social"
R_IGNORE = "not_for_us"
R_EMPTY = "empty_message"
R_COMPLAINT = "complaint"
R_SAFETY = "safety_incident"  # a device that smoked, burned or swelled, told calmly: after-sales, first
R_PERSONAL_DATA = "personal_data_in_public"
R_ORDER = "order_specific"
R_INTENT = "needs_human"
R_NOT_COVERED = "not_in_manuals"
R_LOW_CONFIDENCE = "low_confidence"
R_OUT_OF_SCOPE = "outside_entry_scope"  # the nearest entry is about a neighbouring thing
R_TOO_LONG = "answer_too_long"  # every question is covered but the replies do not fit the channel
R_STATEMENT = "statement"  # tells us something about a topic, asks nothing
# How operators and departments read a reason (the console, the reports).
REASON_NAMES = {"complaint": "投诉", "personal_data_in_public": "评论含个人信息", "order_specific": "具体订单",
                "needs_human": "需人工处理", "not_in_manuals": "手册未覆盖", "low_confidence": "识别不确定",
                "outside_entry_scope": "超出条目范围", "answer_too_long": "回答超长",
                "safety_incident": "安全事故", "human_takeover": "人工跟进中", "unsafe_public_reply": "公开回复含敏感内容", "marked_spammer": "已标记为垃圾用户",
                "bot_unavailable": "机器人不可用", "delivery_failed": "回复发送失败",
                "delivery_rejected": "回复被微博拒绝"}

@dataclass(frozen=True)
class DecideSettings:
    """Thresholds. An answer needs, for every question of the message, an FAQ entry scoring at least
    `match_threshold` whose scope covers the question, and an answer score (the geometric mean of
    intent confidence and FAQ score, the lowest over the questions) of at least `answer_threshold`:
    chosen on the precision-coverage curve of `bot eval --curve` for a target precision."""

    answer_threshold: float = DEFAULT_ANSWER_THRESHOLD  # the answer score (`answer_score`) an answer needs
    intent_threshold: float = 0.5
    strong_match: float = 0.45
    match_threshold: float = 0.25  # an FAQ entry scoring below this is no candidate at all


@dataclass(frozen=True)
class Outcome:
    action: str
    department: str | None
    reason: str
    reply: str | None
    intent: str | None
    confidence: float
    faq_id: str | None = None
    priority: int = PRIORITY_NORMAL
    faq_score: float = 0.0
    answer_score: float | None = None  # set when the rules allowed an answer, whatever the threshold said
    draft: str | None = None  # the answer the bot would give (or gives for the covered questions)
    detail: str = ""  # what the entry does not cover, for the ticket


def handoff(department: str | None, reason: str, intent: str | None, confidence: float,
             priority: int = PRIORITY_NORMAL, reply: str | None = None,
             match: Match | None = None) -> Outcome:
    return Outcome(HANDOFF_ACTION, department, reason, reply, intent, confidence,
                   faq_id=match.entry.id if match and reply else None, priority=priority,
                   faq_score=match.score if match else 0.0)
