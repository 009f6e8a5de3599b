"""The outcome rules: the single source of truth for what happens to a fan message.

Used by the custom actions (live) and by `bot triage` / `bot eval` (batch). A wrong public
auto-reply is the worst outcome and a needless escalation costs an operator a minute, so every
rule below errs towards a human when unsure, and never echoes personal data in public.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import wraps
from typing import Any, Callable, Mapping, Sequence

from bot.answering import answer_questions, follow_up_query
from bot.faq.index import FaqIndex, Match
from bot.faq.model import COMMENT, FaqEntry
from bot.faq.scope import PRODUCT_DEPARTMENT
from bot.intents import FAQ, HANDOFF, IGNORE, SOCIAL, info
from bot.nlu.result import PERSONAL_DATA_LABELS, NluResult
from bot.outcome import (
    ACTIONS,
    ANSWER,
    HANDOFF_ACTION,
    PRIORITY_ELEVATED,
    PRIORITY_HIGH,
    PRIORITY_NORMAL,
    R_COMPLAINT,
    R_EMPTY,
    R_FAQ,
    R_IGNORE,
    R_INTENT,
    R_LOW_CONFIDENCE,
    R_ORDER,
    R_OUT_OF_SCOPE,
    R_PERSONAL_DATA,
    R_SAFETY,
    R_SOCIAL,
    R_STATEMENT,
    DecideSettings,
    Outcome,
    handoff,
)
from bot.questions import asks, split_questions
from bot.signals import (
    ABOUT_US,
    ADDRESS_FORM,
    ADDRESSED,
    AFTER_UPDATE,
    ANGER,
    ASKS_US,
    BETWEEN_FANS,
    CHAIN_ALARM,
    CHAIN_TOPIC,
    COMMAND,
    CREDENTIALS,
    DEVICE,
    ESCALATION,
    FAN_CALL,
    FLASHING,
    GRATITUDE,
    INSULT,
    INTENSITY,
    LATE_SHIPMENT,
    MALFUNCTION,
    OUR_BUSINESS,
    OUR_NAMES,
    PRIZE,
    PROBLEM,
    QUESTION,
    RESOLVED,
    RIVAL_LOOKUP,
    SAFETY,
    SAFETY_INCIDENT,
    SCAM_REPORT,
    SELF_HELP,
    SELLING,
    SHIPPING,
    SPAM,
    SPECIFIC,
    SUGGESTION,
    SURE_SPAM,
    TOPIC_ALARM,
    TRADE_IN,
)
from bot.text import NormalisedText, addressee

# Kept importable from here: the rest of the product asks bot.decide for outcomes.
__all__ = ["ACTIONS", "ANSWER", "HANDOFF_ACTION", "PRIORITY_HIGH", "PRIORITY_NORMAL", "DecideSettings", "Outcome",
           "decide", "follow_up_query"]

# Intents whose messages are what they seem even when they name our product ("谢谢云雀", spam).
PLAIN_TALK = frozenset({"greet", "thanks", "spam_ad"})
# A handoff intent this sure is not brushed aside as unrelated text, even with no word of our business.
HANDOFF_FLOOR = 0.35

SOCIAL_REPLIES = {
    "greet": "您好，这里是云雀手机，有什么可以帮您？",
    "thanks": "不客气，有问题随时找我们～",
}
PERSONAL_DATA_REPLY = "您好，为保护您的隐私，请不要在评论区留下个人信息，我们会私信联系您。"


def _second_opinion(nlu: NluResult, skip: Sequence[str] = ()) -> str | None:
    """The department of the best-ranked intent that has one (the runner-up of a small-talk guess)."""
    for name, _conf in nlu.ranking:
        if name in skip:
            continue
        intent_info = info(name)
        if intent_info is not None and intent_info.department:
            return intent_info.department
    return None


def _alarm(message: NormalisedText) -> bool:
    """A threat or a public warning in the fan's words, the quoted chain or a topic."""
    chain = message.chain_words
    safety = SAFETY.search(message.text) and DEVICE.search(message.text)
    # Topics in the quoted chain are public too; a topic naming a fault ("#云雀X5断流#") is a quality complaint.
    topics = [*message.topics, *CHAIN_TOPIC.findall(message.repost_chain)]
    alarmed_incident = SAFETY_INCIDENT.search(message.text) and INTENSITY.search(message.text)
    return bool(ESCALATION.search(message.text) or ANGER.search(message.text) or safety or alarmed_incident
                or ESCALATION.search(chain) or SAFETY_INCIDENT.search(chain) or CHAIN_ALARM.search(chain)
                or any(TOPIC_ALARM.search(t) or MALFUNCTION.search(t) for t in topics))


def _routed(decide_once: Callable[..., Outcome]) -> Callable[..., Outcome]:
    """Applies `_owner_by_content` to the handoff the rules below decide."""

    @wraps(decide_once)
    def decide_routed(message: NormalisedText, *args: Any, **kwargs: Any) -> Outcome:
        outcome = decide_once(message, *args, **kwargs)
        if outcome.action == HANDOFF_ACTION:
            return replace(outcome, department=_owner_by_content(message.text, outcome.department))
        if outcome.action == SOCIAL and not outcome.reply:
            # Small talk we do not answer (every comment, a DM that needs no words): nothing is done,
            # so nothing is what the outcome says; the reason keeps why.
            return replace(outcome, action=IGNORE)
        return outcome

    return decide_routed


def _credentials_entry(text: str, matches: Sequence[Match]) -> FaqEntry | None:
    """The retrieved entry that speaks of the very credential the fan was asked for, if any."""
    asked = set(CREDENTIALS.findall(text))
    if not asked or not split_questions(text):  # a public warning ("凡是要验证码的都是诈骗") asks nothing
        return None
    return next((m.entry for m in matches if asked & set(CREDENTIALS.findall(m.entry.answer))), None)


def _owner_by_content(text: str, department: str | None) -> str | None:
    """What the message is about settles who owns a handoff where the topic words mislead the
    classifier: a problem that stayed after a system update is R&D's, a late shipment logistics',
    a prize's delivery marketing's."""
    if department == "pr":
        return department  # a complaint or a threat stays with PR, whatever it is about
    if PRIZE.search(text) and (SHIPPING.search(text) or LATE_SHIPMENT.search(text)):
        return "marketing"
    if LATE_SHIPMENT.search(text):
        return "orders_logistics"
    if department == "after_sales" and AFTER_UPDATE.search(text) and PROBLEM.search(text):
        return "rnd"
    if FLASHING.search(text):
        return "rnd"
    return department


@_routed
def decide(
    message: NormalisedText,
    channel: str,
    nlu: NluResult,
    matches: Sequence[Match],
    now: datetime,
    settings: DecideSettings = DecideSettings(),
    part_matches: Mapping[str, Sequence[Match]] | None = None,
    faq: FaqIndex | None = None,
) -> Outcome:
    """Exactly one outcome for one message; see docs/architecture.md for the rules in prose."""
    intent, confidence = nlu.top_real_intent()
    intent_info = info(intent)
    best = matches[0] if matches else None
    department = intent_info.department if intent_info else None
    if department is None and best is not None:
        department = best.entry.department

    if message.is_empty:
        if _alarm(message):  # a bare repost of a complaint about us: PR watches those
            return handoff("pr", R_COMPLAINT, intent, confidence, PRIORITY_HIGH)
        return Outcome(IGNORE, None, R_EMPTY, None, intent, confidence)

    text = message.text
    personal = [e for e in nlu.entities if e.get("entity") in PERSONAL_DATA_LABELS]
    if SCAM_REPORT.search(text):
        # Lotteries and coupons are marketing's: a fake prize in our name is theirs to answer.
        owner = "marketing" if PRIZE.search(text) else _second_opinion(nlu, skip=("spam_ad",)) or "pr"
        warning = _credentials_entry(text, matches)
        if warning is not None:
            # "让我填银行卡号和验证码，是你们发的吗": the manual says we never ask for them.
            return Outcome(ANSWER, owner, R_FAQ, warning.reply(channel, now), intent, confidence, warning.id)
        return handoff(owner, R_INTENT, intent, confidence, PRIORITY_ELEVATED)
    # A formal letter asking about our product ("尊敬的云雀团队……烦请告知") reads like an ad to the classifier.
    asks_about_us = OUR_NAMES.search(text) and asks(text, nominal=False) and not SPAM.search(text) and not message.urls
    if (intent == "spam_ad" and confidence >= SURE_SPAM and not asks_about_us) \
            or (COMMAND.match(text) and not QUESTION.search(text)) or SELLING.search(text):
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)
    if _alarm(message):
        return handoff("pr", R_COMPLAINT, intent, confidence, PRIORITY_HIGH)
    if SAFETY_INCIDENT.search(text):
        # Told calmly: a device to look at today, by after-sales (the classifier often calls it a complaint).
        return handoff("after_sales", R_SAFETY, intent, confidence, PRIORITY_HIGH)
    if intent == "complaint" and confidence >= settings.intent_threshold:
        return handoff("pr", R_COMPLAINT, intent, confidence, PRIORITY_HIGH)
    if addressee(message.original) and not ASKS_US.search(text):
        # "回复@阿杰:你去云雀之家看看" / "@小美 你那台X5到了没": fans talking to each other.
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)
    if SPAM.search(text) or (message.urls and (intent_info is None or intent_info.kind in (SOCIAL, IGNORE))):
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)
    thanks_only = GRATITUDE.search(text) and not QUESTION.search(text) and not personal
    if thanks_only and (intent_info is None or intent_info.kind != HANDOFF):
        return Outcome(SOCIAL, None, R_SOCIAL, SOCIAL_REPLIES["thanks"] if channel != COMMENT else None,
                       intent, confidence)
    about_us = OUR_NAMES.search(text) or ADDRESSED.search(text) or TRADE_IN.search(text)
    if ((intent == "compare_competitor" and not ABOUT_US.search(text)) or (RIVAL_LOOKUP in nlu.lookups and not about_us)) \
            and not (intent_info is not None and intent_info.kind == HANDOFF and confidence >= settings.intent_threshold):
        # Another brand's phone, nothing of ours: not for this account.
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)

    if personal and channel == COMMENT:
        if intent_info is not None and intent_info.kind == FAQ and not SPECIFIC.search(text):
            # A manual question with a phone number beside it: the answer never repeats the number.
            out = answer_questions(message, channel, nlu, matches, part_matches or {}, now, settings, faq)
            if out.action == ANSWER:
                return out
        return handoff(department or "orders_logistics", R_PERSONAL_DATA, intent, confidence,
                        PRIORITY_ELEVATED, reply=PERSONAL_DATA_REPLY)

    low_confidence = nlu.is_fallback or confidence < settings.intent_threshold
    strong = best is not None and best.score >= settings.strong_match
    sure_enough_handoff = intent_info is not None and intent_info.kind == HANDOFF and confidence >= HANDOFF_FLOOR
    if (intent_info is None or intent_info.kind in (FAQ, HANDOFF)) and low_confidence and not strong \
            and not sure_enough_handoff and not ABOUT_US.search(text) and not OUR_BUSINESS.search(text):
        # Unsure, nothing like a manual question, and not about us: weather, tickets, life chatter.
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)
    if intent_info is None:
        return handoff(department, R_LOW_CONFIDENCE, intent, confidence, match=best)

    chatter = intent_info.kind in (IGNORE, SOCIAL) and not PROBLEM.search(text) and not OUR_NAMES.search(text)
    if chatter and (INSULT.search(text) or (BETWEEN_FANS.match(text) and not ADDRESSED.search(text))):
        # Abuse with nothing to act on, or fans talking to each other: nothing to say, nobody to call.
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)
    small_talk = intent_info.kind in (IGNORE, SOCIAL) and intent not in PLAIN_TALK and not SPAM.search(text)
    # "照你们说的删了指纹重录了，还是慢，咋回事": read as thanks, yet it asks about a problem.
    polite_problem = intent in ("greet", "thanks") and PROBLEM.search(text) and asks(text, nominal=False)
    # "听说你们要出折叠屏了？": a product we do not make, asked about, is the product team's.
    unmade = faq.scope.unmade(text) if faq is not None else None  # a product we do not make, if named
    unmade_asked = bool(unmade) and asks(text, nominal=False)
    if polite_problem or small_talk and ((low_confidence and (strong or SUGGESTION.search(text))) or unmade_asked
                       or (OUR_NAMES.search(ADDRESS_FORM.sub("", text) + " " + " ".join(message.topics))
                           or OUR_BUSINESS.search(text)) and asks(text, nominal=False)
                       or (about_us and PROBLEM.search(text) and not RESOLVED.search(text))):
        # Taken for small talk, yet it reads like a manual question, asks something of our products or
        # business (not "小编今天心情怎么样"), reports a problem with them or makes a wish: a human looks.
        owner = PRODUCT_DEPARTMENT if SUGGESTION.search(text) or unmade_asked else (
            _second_opinion(nlu) or (best.entry.department if best else None) or "pre_sales")
        return handoff(owner, R_LOW_CONFIDENCE, intent, confidence, match=best)
    if intent_info.kind == IGNORE:
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)
    if intent_info.kind == SOCIAL:
        reply = SOCIAL_REPLIES.get(intent) if channel != COMMENT else None
        return Outcome(SOCIAL, None, R_SOCIAL, reply, intent, confidence)
    questions = split_questions(text)

    def answer() -> Outcome:
        return answer_questions(message, channel, nlu, matches, part_matches or {}, now, settings, faq)

    def with_draft(out: Outcome) -> Outcome:
        # The other questions of the message may be in the FAQ: the operator gets their answers drafted.
        return replace(out, draft=answer().draft) if len(questions) > 1 else out

    if unmade and intent != "complaint" and intent_info.kind in (FAQ, HANDOFF):
        return with_draft(handoff(PRODUCT_DEPARTMENT, R_OUT_OF_SCOPE, intent, confidence, match=best))
    if SUGGESTION.search(text) and (intent_info.kind == FAQ or confidence < settings.intent_threshold):
        return with_draft(handoff(PRODUCT_DEPARTMENT, R_INTENT, intent, confidence, match=best))
    if intent_info.kind == HANDOFF:
        reply = None
        if best is not None and best.entry.intent == intent and best.score >= settings.match_threshold:
            reply = best.entry.reply(channel, now)  # e.g. the product team's fixed thank-you
        if intent == "complaint" and confidence < settings.intent_threshold and MALFUNCTION.search(text):
            department = "after_sales"  # an unsure "complaint" that reports a fault is a repair first
        return with_draft(handoff(department, R_ORDER if intent == "order_problem" else R_INTENT, intent,
                                   confidence, reply=reply, match=best))

    # An FAQ topic.
    if (SPECIFIC.search(text) and len(questions) <= 1) or (personal and intent_info.department == "orders_logistics"):
        return handoff(department, R_ORDER, intent, confidence, match=best)
    if FAN_CALL.search(text) and not ADDRESSED.search(text):
        # "有没有人一起去见面会呀": a call to other fans; what the meet-up is, they did not ask.
        return Outcome(SOCIAL, None, R_STATEMENT, None, intent, confidence)
    if message.mentions and not asks(text, nominal=False):
        # "抽奖 @小红 @小蓝": words for the friends it tags, not a question to us.
        return Outcome(SOCIAL, None, R_STATEMENT, None, intent, confidence)
    if not questions:
        # Tells us something about a topic and asks nothing: no answer it never asked for. A problem
        # the manual has self-help for ("升了3.0.2以后wifi老是断") is a request for that help.
        if not PROBLEM.search(text) or RESOLVED.search(text):
            return Outcome(SOCIAL, None, R_STATEMENT, None, intent, confidence)
        if intent not in SELF_HELP:
            # A device that does not work is after-sales' even when the words are a spec's ("耳机孔").
            owner = "after_sales" if department == "pre_sales" and MALFUNCTION.search(text) else department
            return handoff(owner, R_LOW_CONFIDENCE, intent, confidence, match=best)
    return answer()
