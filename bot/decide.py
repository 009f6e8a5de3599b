"""The outcome rules: the single source of truth for what happens to a fan message.

Used by the custom actions (live) and by `bot triage` / `bot eval` (batch). A wrong public
auto-reply is the worst outcome and a needless escalation costs an operator a minute, so every
rule below errs towards a human when unsure, and never echoes personal data in public.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from bot.faq.index import Match
from bot.faq.model import COMMENT
from bot.intents import HANDOFF, IGNORE, SOCIAL, info
from bot.nlu.entities import PERSONAL_DATA_LABELS
from bot.nlu.result import NluResult
from bot.text import NormalisedText

ANSWER, HANDOFF_ACTION = "answer", "handoff"
ACTIONS = ("answer", "social", "handoff", "ignore")

PRIORITY_NORMAL, PRIORITY_ELEVATED, PRIORITY_HIGH = 0, 1, 2

# Reasons recorded on tickets and in `bot triage` output.
R_FAQ = "faq_match"
R_SOCIAL = "social"
R_IGNORE = "not_for_us"
R_EMPTY = "empty_message"
R_COMPLAINT = "complaint"
R_PERSONAL_DATA = "personal_data_in_public"
R_ORDER = "order_specific"
R_INTENT = "needs_human"
R_NOT_COVERED = "not_in_manuals"
R_LOW_CONFIDENCE = "low_confidence"

# Threats to go public and escalation words: these go to PR whatever the classifier says.
ESCALATION = re.compile(
    r"12315|消协|消费者协会|黑猫投诉|市场监管|工商局|律师|法院|起诉|维权|媒体曝光|去曝光|要曝光|曝光你们|"
    r"虚假宣传|欺诈|骗子公司|投诉你们|举报你们|冒烟|爆炸|起火|自燃|炸了"
)
# A fan talking about one concrete order or device needs a human even when the topic is in the FAQ.
SPECIFIC = re.compile(
    r"我的订单|订单号|单号|我(?:的|这)?(?:快递|包裹)|(?:物流|快递).{0,6}(?:不动|没更新|不更新|停)|还没(?:收到|到账|寄回)|"
    r"没收到|丢件|少件|漏发|破损|压坏|压扁|已经发货.{0,8}改|已发货.{0,8}改|进度"
)
# Ads and traffic farming: never answered, never escalated.
SPAM = re.compile(
    r"涨粉|刷粉|活粉|兼职|日结|刷单|代开|加薇|加v|加微|v同号|vx|威信|薇信|点我主页|看我主页|引流|互粉|互赞|有关必回",
    re.IGNORECASE,
)
# Gratitude with no question in it is small talk, whatever topic it mentions.
GRATITUDE = re.compile(r"谢谢|感谢|多谢|thank|thx|辛苦", re.IGNORECASE)
QUESTION = re.compile(r"[?？吗呢么嘛]|怎么|怎样|如何|多少|几|什么|啥|哪|能不能|可不可以|是不是|有没有|请问|求问")
# Mentions of our products or of us: a comparison without them is not about us.
ABOUT_US = re.compile(r"云雀|你们|贵司|x5|a3|buds|watch|care", re.IGNORECASE)

SOCIAL_REPLIES = {
    "greet": "您好，这里是云雀手机，有什么可以帮您？",
    "thanks": "不客气，有问题随时找我们～",
}
PERSONAL_DATA_REPLY = "您好，为保护您的隐私，请不要在评论区留下个人信息，我们会私信联系您。"


@dataclass(frozen=True)
class DecideSettings:
    """Thresholds: answer when (intent >= intent_threshold and FAQ >= answer_threshold), or when
    the intent is only moderately sure but the FAQ match is strong (both `strong_*` values)."""

    answer_threshold: float = 0.25
    intent_threshold: float = 0.5
    strong_match: float = 0.45
    weak_intent: float = 0.25


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


def _handoff(department: str | None, reason: str, intent: str | None, confidence: float,
             priority: int = PRIORITY_NORMAL, reply: str | None = None,
             match: Match | None = None) -> Outcome:
    return Outcome(HANDOFF_ACTION, department, reason, reply, intent, confidence,
                   faq_id=match.entry.id if match and reply else None, priority=priority,
                   faq_score=match.score if match else 0.0)


def decide(
    message: NormalisedText,
    channel: str,
    nlu: NluResult,
    matches: Sequence[Match],
    now: datetime,
    settings: DecideSettings = DecideSettings(),
) -> Outcome:
    """Exactly one outcome for one message; see docs/architecture.md for the rules in prose."""
    intent, confidence = nlu.top_real_intent()
    intent_info = info(intent)
    best = matches[0] if matches else None
    department = intent_info.department if intent_info else None
    if department is None and best is not None:
        department = best.entry.department

    if message.is_empty:
        return Outcome(IGNORE, None, R_EMPTY, None, intent, confidence)

    text = message.text
    personal = [e for e in nlu.entities if e.get("entity") in PERSONAL_DATA_LABELS]
    if ESCALATION.search(text) or (intent == "complaint" and confidence >= settings.intent_threshold):
        return _handoff("pr", R_COMPLAINT, intent, confidence, PRIORITY_HIGH)
    if SPAM.search(text) or (message.urls and (intent_info is None or intent_info.kind in (SOCIAL, IGNORE))):
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)
    thanks_only = GRATITUDE.search(text) and not QUESTION.search(text) and not personal
    if thanks_only and (intent_info is None or intent_info.kind != HANDOFF):
        return Outcome(SOCIAL, None, R_SOCIAL, SOCIAL_REPLIES["thanks"] if channel != COMMENT else None,
                       intent, confidence)
    if intent == "compare_competitor" and not ABOUT_US.search(text):
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)

    if personal and channel == COMMENT:
        return _handoff(department or "orders_logistics", R_PERSONAL_DATA, intent, confidence,
                        PRIORITY_ELEVATED, reply=PERSONAL_DATA_REPLY)

    if intent_info is None:
        return _handoff(department, R_LOW_CONFIDENCE, intent, confidence, match=best)

    low_confidence = nlu.is_fallback or confidence < settings.intent_threshold
    strong = best is not None and best.score >= settings.strong_match
    if intent_info.kind in (IGNORE, SOCIAL) and low_confidence and strong:
        # Unsure it is small talk, and it reads like a manual question: let a human look.
        return _handoff(best.entry.department, R_LOW_CONFIDENCE, intent, confidence, match=best)
    if intent_info.kind == IGNORE:
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)
    if intent_info.kind == SOCIAL:
        reply = SOCIAL_REPLIES.get(intent) if channel != COMMENT else None
        return Outcome(SOCIAL, None, R_SOCIAL, reply, intent, confidence)
    if intent_info.kind == HANDOFF:
        reply = None
        if best is not None and best.entry.intent == intent and best.score >= settings.answer_threshold:
            reply = best.entry.reply(channel, now)  # e.g. the product team's fixed thank-you
        return _handoff(department, R_ORDER if intent == "order_problem" else R_INTENT, intent,
                        confidence, reply=reply, match=best)

    # An FAQ topic: answer only when confident about both the topic and the entry.
    if SPECIFIC.search(text) or (personal and intent_info.department == "orders_logistics"):
        return _handoff(department, R_ORDER, intent, confidence, match=best)
    if low_confidence and not (strong and confidence >= settings.weak_intent):
        return _handoff(department, R_LOW_CONFIDENCE, intent, confidence, match=best)
    if best is None or best.score < settings.answer_threshold:
        return _handoff(department, R_NOT_COVERED, intent, confidence, match=best)
    return Outcome(ANSWER, best.entry.department, R_FAQ, best.entry.reply(channel, now), intent,
                   confidence, faq_id=best.entry.id, faq_score=best.score)
