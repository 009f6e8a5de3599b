"""The outcome rules: the single source of truth for what happens to a fan message.

Used by the custom actions (live) and by `bot triage` / `bot eval` (batch). A wrong public
auto-reply is the worst outcome and a needless escalation costs an operator a minute, so every
rule below errs towards a human when unsure, and never echoes personal data in public.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Dict, Mapping, Sequence

from bot.faq.index import FaqIndex, Match
from bot.faq.model import COMMENT, COMMENT_LIMIT, DM_LIMIT, FaqEntry
from bot.faq.scope import PRODUCT_DEPARTMENT, ScopeLexicon, specifics
from bot.intents import FAQ, HANDOFF, IGNORE, SOCIAL, info
from bot.nlu.entities import PERSONAL_DATA_LABELS
from bot.nlu.result import NluResult
from bot.questions import asks, split_questions
from bot.settings import DEFAULT_ANSWER_THRESHOLD
from bot.text import NormalisedText, to_simplified

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
R_OUT_OF_SCOPE = "outside_entry_scope"  # the nearest entry is about a neighbouring thing
R_TOO_LONG = "answer_too_long"  # every question is covered but the replies do not fit the channel
R_STATEMENT = "statement"  # tells us something about a topic, asks nothing

# Threats to go public and escalation words: these go to PR whatever the classifier says.
ESCALATION = re.compile(
    r"(?<!\d)(?:12315|12345)(?!\d)|消协|消费者协会|黑猫|市场监管|工商局|律师|法院|起诉|维权|媒体曝光|去曝光|要曝光|曝光你们|"
    r"虚假宣传|欺诈|骗子公司|投诉你们|举报你们|冒烟|爆炸|起火|自燃|炸了|鼓包|烫伤|上新闻|上热搜|等着瞧|走着瞧|诉讼|火花|着火|报纸|记者|连登|辟谣|谣言|倒闭|裁员"
)
# Harm to a person from a device: a safety incident when a device of ours is named.
SAFETY = re.compile(r"烫红|灼伤|起泡|过敏|漏电|电到|烫到")
DEVICE = re.compile(r"手机|手表|耳机|充电|表带|x5|a3|buds|watch", re.IGNORECASE)
# Commands for a phone's own voice assistant ("打开蓝牙", "放一首歌"): not said to an account.
COMMAND = re.compile(r"^(?:请|帮我|麻烦)?(?:打开|关闭|关掉|开启|调高|调低|调大|调小|播放|放一首|放首|导航到|导航去|"
                     r"定个|设个|设置一个|拨打|打电话给|发短信给|截个屏|截屏)")
# A spam guess this sure is not a complaint, whatever words it borrows ("法院传票", a phone number).
SURE_SPAM = 0.8
# Anger at us: a complaint for PR whatever topic it is about.
ANGER = re.compile(r"什么破|破服务|破手机|太差劲|差劲|垃圾服务|垃圾手机|垃圾客服|恶心|骗子|坑爹|气死|无语死了|太坑|"
                   r"删差评|删评论|控评|装死|截图为证|我都截图了|复制粘贴|有没有活人|踢皮球|敷衍|道歉")
# In a repost chain or a topic, a warning to other fans is a public complaint too.
CHAIN_ALARM = re.compile(r"别买|不要买|千万别|避坑|避雷|踩雷|坑人|垃圾|智商税|翻车|退钱|骗钱|黑心|双标|拒保|成摆设|"
                         r"质量问题|售后差|维权|曝光|装死")
TOPIC_ALARM = re.compile(r"质量|品质|投诉|维权|翻车|避雷|避坑|差评|黑心|售后|骗|曝光|问题|发热|发烫|差$|门$")
# Words that make a statement about a topic a report of a problem rather than small talk.
PROBLEM = re.compile(r"坏|故障|问题|不行|不能|没法|无法|失败|异常|卡顿|卡死|太慢|发烫|烫|断|bug|差|退|没到|没收到|"
                     r"不动|丢|错|漏|少|破|碎|裂|划痕|闪退|黑屏|死机|重启|耗电|掉电|充不|不可用|用不了|失效|"
                     r"建议|希望|要是能|最好能|诚意", re.IGNORECASE)
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
ABOUT_US = re.compile(r"云雀|小雀|yunque|你们|贵司|官博|官方|小编|客服|x5|a3|buds|watch|care|天枢", re.IGNORECASE)
RIVAL_LOOKUP = "rival_brand"  # the lookup table of other brands (data/nlu/lookups.yml)
# Our brand or a product name: a question about it deserves a human even when the intent is unsure.
OUR_NAMES = re.compile(r"云雀|yunque|x5|a3|buds|watch\s*s|(?<![a-z])care\+|天枢", re.IGNORECASE)
# Words that speak to the account itself.
ADDRESSED = re.compile(r"你们|贵司|小编|官博|云雀")
# A wish for something we do not offer ("求出个曜石黑", "希望出小屏版"): a suggestion for product.
SUGGESTION = re.compile(r"求出|希望出|建议出|出个|出一款|出一个|再出|能不能出|可以出|建议|希望能|希望你们|希望可以")
# Words of our business: text with none of them and no confident intent is not for this account.
OUR_BUSINESS = re.compile(r"商城|订单|下单|发货|快递|物流|退货|退款|换货|保修|售后|维修|抽奖|中奖|优惠|券|以旧换新|"
                          r"发票|分期|预售|新品|发布会|系统|升级|更新|手机|耳机|手表|寄修|服务中心|客服|充电器", re.IGNORECASE)
# A question the classifier takes for a human's topic may still be a follow-up below this confidence;
# a follow-up must have LEAN_COVERAGE of its informative words in the entry it leans on.
LEAN_CONFIDENCE, LEAN_COVERAGE = 0.8, 0.5
# A question that found its own entry moves to another question's entry only if that one knows this much of it.
REUSE_COVERAGE = 0.75
# A question's own intent decides who takes it from this confidence up (else the message's intent).
OWNER_CONFIDENCE = 0.6
# A handoff intent this sure is not brushed aside as unrelated text, even with no word of our business.
HANDOFF_FLOOR = 0.35
# Social intents that a question part may be and still need no answer.
PLEASANTRIES = frozenset({"greet", "thanks"})
# How many of the best matches may stand in for the nearest one when it misses a specific.
ALTERNATIVES = 3
# A problem reported as over ("终于不断了", "修好了"): good news, not a request for help.
RESOLVED = re.compile(r"终于.{0,6}(?:不|好|正常)|点个?赞|解决了|修好了|正常了|不再|没再")
# FAQ intents whose entries answer a reported problem, not only a question.
SELF_HELP = frozenset({"ask_troubleshoot", "ask_known_issue"})
PART_SEPARATOR = {COMMENT: " ", "dm": "\n"}

SOCIAL_REPLIES = {
    "greet": "您好，这里是云雀手机，有什么可以帮您？",
    "thanks": "不客气，有问题随时找我们～",
}
PERSONAL_DATA_REPLY = "您好，为保护您的隐私，请不要在评论区留下个人信息，我们会私信联系您。"


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


def _handoff(department: str | None, reason: str, intent: str | None, confidence: float,
             priority: int = PRIORITY_NORMAL, reply: str | None = None,
             match: Match | None = None) -> Outcome:
    return Outcome(HANDOFF_ACTION, department, reason, reply, intent, confidence,
                   faq_id=match.entry.id if match and reply else None, priority=priority,
                   faq_score=match.score if match else 0.0)


@dataclass(frozen=True)
class _Part:
    """How one question of the message is answered, or why it is not."""

    text: str
    intent: str | None
    confidence: float
    department: str | None
    entry: FaqEntry | None = None
    score: float = 0.0
    reason: str = ""
    detail: str = ""
    extra: FaqEntry | None = None  # a second entry, when the question names two things ("换电池和换屏")
    matches: Tuple[Match, ...] = ()

    @property
    def covered(self) -> bool:
        return self.entry is not None

    @property
    def entries(self) -> Tuple[FaqEntry, ...]:
        return tuple(e for e in (self.entry, self.extra) if e is not None)


def answer_score(intent_confidence: float, faq_score: float) -> float:
    """One figure for "sure of the topic and of the entry": a weak side pulls it down."""
    return math.sqrt(max(intent_confidence, 0.0) * max(faq_score, 0.0))


def _resolve(text: str, intent: str | None, confidence: float, matches: Sequence[Match],
             scope: ScopeLexicon, settings: DecideSettings) -> _Part:
    intent_info = info(intent)
    best = matches[0] if matches else None
    found = tuple(matches)
    department = intent_info.department if intent_info and intent_info.department else (
        best.entry.department if best else None)
    if intent_info is None or intent_info.kind != FAQ:
        reason = R_INTENT if intent_info is not None and intent_info.kind == HANDOFF else R_LOW_CONFIDENCE
        return _Part(text, intent, confidence, department, reason=reason, matches=found)
    if SPECIFIC.search(text):
        return _Part(text, intent, confidence, department, reason=R_ORDER, matches=found)
    unmade = scope.unmade(text)
    if unmade:
        return _Part(text, intent, confidence, PRODUCT_DEPARTMENT, reason=R_OUT_OF_SCOPE, detail=f"products:{unmade}",
                     matches=found)
    if best is None or best.score < settings.match_threshold:
        return _Part(text, intent, confidence, department, reason=R_NOT_COVERED, matches=found)
    verdict = scope.check(text, best.entry)
    if verdict.answerable:
        return _Part(text, intent, confidence, best.entry.department, best.entry, answer_score(confidence, best.score),
                     matches=found)
    for other in matches[1:ALTERNATIVES]:
        # The nearest entry misses a specific that a close runner-up names ("芯片"): that one answers.
        if other.score >= settings.match_threshold and other.entry.intent == intent \
                and scope.check(text, other.entry).answerable:
            return _Part(text, intent, confidence, other.entry.department, other.entry,
                         answer_score(confidence, other.score), matches=found)
    second = matches[1] if len(matches) > 1 else None
    if second is not None and second.score >= settings.match_threshold and scope.several(text) \
            and scope.check(text, best.entry, second.entry).answerable:
        # Two things in one question, each the subject of an entry: both entries together answer it.
        return _Part(text, intent, confidence, best.entry.department, best.entry,
                     answer_score(confidence, second.score), extra=second.entry, matches=found)
    return _Part(text, intent, confidence, verdict.department or best.entry.department, reason=R_OUT_OF_SCOPE,
                 detail=verdict.reason, matches=found)


def _leans_on(part: _Part, before: _Part | None) -> bool:
    """A question that may be a follow-up of the one before it rather than a new request."""
    kind = info(part.intent).kind if info(part.intent) else None
    if before is None or part.reason == R_ORDER or part.detail.startswith("products:"):
        return False
    return kind != HANDOFF or part.confidence < LEAN_CONFIDENCE


def _about(part: _Part, entry: FaqEntry, faq: FaqIndex | None, least: float = 0.0) -> bool:
    """What the follow-up says of its own ("截止", "私信", "纸质"), the entry knows."""
    least = least or LEAN_COVERAGE
    if faq is not None:
        return faq.coverage(part.text, entry) >= least
    return any(m.entry == entry and m.coverage >= least for m in part.matches)


def _fewest_entries(parts: List[_Part], scope: ScopeLexicon, settings: DecideSettings,
                    faq: FaqIndex | None) -> List[_Part]:
    """Answer a question with an entry another question already brought when it covers this one too
    ("见面会几个名额？在哪报名？": one entry says both), so the reply stays short."""
    chosen = [e for p in parts for e in p.entries]
    out: List[_Part] = []
    for part in parts:
        if part.covered and part.extra is None:
            for match in part.matches:
                if (match.entry in chosen and match.entry != part.entry and match.score >= settings.match_threshold
                        and scope.check(part.text, match.entry).answerable
                        and _about(part, match.entry, faq, REUSE_COVERAGE)):
                    part = replace(part, entry=match.entry)
                    break
        earlier = [p.score for p in out if p.covered and p.entry == part.entry]
        if part.covered and earlier:
            # A second question on the same entry ("会私信我吗") is as sure as the first one.
            part = replace(part, score=max(part.score, *earlier))
        out.append(part)
    return out


def follow_up_query(previous: str, question: str) -> str:
    """The search text for a question read together with the one before it."""
    return f"{previous}，{question}"


def _compose(parts: Sequence[_Part], channel: str, now: datetime) -> str:
    """One reply: each entry once, in the per-product wording for the products its questions name."""
    chosen: Dict[str, tuple] = {}
    for part in parts:
        for found in part.entries:
            entry, named = chosen.get(found.id, (found, set()))
            chosen[found.id] = (entry, named | specifics(part.text)["product"])
    return PART_SEPARATOR.get(channel, "\n").join(e.reply(channel, now, frozenset(p)) for e, p in chosen.values())


def _owner(part: _Part, message_intent: str | None) -> str:
    """Who takes an uncovered question: product for things we do not make; the question's own
    intent when the classifier is sure of it; else the message's intent; else the nearest entry's."""
    if part.department == PRODUCT_DEPARTMENT:
        return PRODUCT_DEPARTMENT
    own, whole = info(part.intent), info(message_intent)
    if own is not None and own.department and part.confidence >= OWNER_CONFIDENCE:
        return own.department
    if whole is not None and whole.department:
        return whole.department
    return part.department or "pr"


def _fits(reply: str, channel: str) -> bool:
    return len(reply) <= COMMENT_LIMIT if channel == COMMENT else len(reply) < DM_LIMIT


def _answer_questions(message: NormalisedText, channel: str, nlu: NluResult, matches: Sequence[Match],
                      part_matches: Mapping[str, Sequence[Match]], now: datetime, settings: DecideSettings,
                      faq: FaqIndex | None) -> Outcome:
    """An FAQ topic: answer only when every question is covered, confidently, within the entry's scope."""
    scope = faq.scope if faq is not None else ScopeLexicon({})
    intent, confidence = nlu.top_real_intent()
    questions = split_questions(message.text)
    if len(questions) <= 1:
        parts = [_resolve(message.text, intent, confidence, matches, scope, settings)]
    else:
        parts = []
        previous = None
        for question in questions:
            part_intent, part_conf = nlu.part_intent(question)
            kind = info(part_intent).kind if info(part_intent) else None
            own = _resolve(question, part_intent, part_conf, part_matches.get(question, ()), scope, settings)
            if not own.covered and previous is not None and _leans_on(own, parts[-1] if parts else None):
                # A follow-up that leans on the question before it ("截止到啥时候?", "会私信我吗"):
                # covered when, read with that question, it finds the same entry, within its scope.
                joined = follow_up_query(previous, question)
                with_context = part_matches.get(joined, ())
                target = with_context[0].entry if with_context else None
                if (target is not None and any(p.entry == target for p in parts if p.covered)
                        and scope.check(joined, target).answerable and _about(own, target, faq)):
                    previous = question
                    continue
            if not own.covered and part_intent in PLEASANTRIES and part_conf >= settings.intent_threshold:
                previous = question
                continue  # "谢谢！" between two questions needs no answer
            parts.append(own)
            previous = question
        if not parts:
            parts = [_resolve(message.text, intent, confidence, matches, scope, settings)]
        parts = _fewest_entries(parts, scope, settings, faq)
    covered = [p for p in parts if p.covered]
    draft = _compose(covered, channel, now) if covered else None
    missing = [p for p in parts if not p.covered]
    best = matches[0] if matches else None
    if missing:
        first = missing[0]
        return Outcome(HANDOFF_ACTION, _owner(first, intent), first.reason, None, intent, confidence,
                       priority=PRIORITY_NORMAL, faq_score=best.score if best else 0.0, draft=draft,
                       detail=first.detail)
    score = min(p.score for p in parts)
    entry_ids = ",".join(dict.fromkeys(e.id for p in parts for e in p.entries))
    department = parts[0].department
    if not _fits(draft or "", channel):
        return Outcome(HANDOFF_ACTION, department, R_TOO_LONG, None, intent, confidence, faq_id=entry_ids,
                       faq_score=best.score if best else 0.0, answer_score=score, draft=draft)
    if score < settings.answer_threshold:
        return Outcome(HANDOFF_ACTION, department, R_LOW_CONFIDENCE, None, intent, confidence, faq_id=entry_ids,
                       faq_score=best.score if best else 0.0, answer_score=score, draft=draft)
    return Outcome(ANSWER, department, R_FAQ, draft, intent, confidence, faq_id=entry_ids,
                   faq_score=best.score if best else 0.0, answer_score=score, draft=draft)


def _second_opinion(nlu: NluResult) -> str | None:
    """The department of the best-ranked intent that has one (the runner-up of a small-talk guess)."""
    for name, _conf in nlu.ranking:
        intent_info = info(name)
        if intent_info is not None and intent_info.department:
            return intent_info.department
    return None


def _alarm(message: NormalisedText) -> bool:
    """A threat or a public warning in the fan's words, the quoted chain or a topic."""
    chain = message.chain_words + " " + to_simplified(message.repost_chain)
    safety = SAFETY.search(message.text) and DEVICE.search(message.text)
    return bool(ESCALATION.search(message.text) or ANGER.search(message.text) or safety or ESCALATION.search(chain)
                or CHAIN_ALARM.search(chain) or any(TOPIC_ALARM.search(t) for t in message.topics))


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
            return _handoff("pr", R_COMPLAINT, intent, confidence, PRIORITY_HIGH)
        return Outcome(IGNORE, None, R_EMPTY, None, intent, confidence)

    text = message.text
    personal = [e for e in nlu.entities if e.get("entity") in PERSONAL_DATA_LABELS]
    if (intent == "spam_ad" and confidence >= SURE_SPAM) or (COMMAND.match(text) and not QUESTION.search(text)):
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)
    if _alarm(message) or (intent == "complaint" and confidence >= settings.intent_threshold):
        return _handoff("pr", R_COMPLAINT, intent, confidence, PRIORITY_HIGH)
    if SPAM.search(text) or (message.urls and (intent_info is None or intent_info.kind in (SOCIAL, IGNORE))):
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)
    thanks_only = GRATITUDE.search(text) and not QUESTION.search(text) and not personal
    if thanks_only and (intent_info is None or intent_info.kind != HANDOFF):
        return Outcome(SOCIAL, None, R_SOCIAL, SOCIAL_REPLIES["thanks"] if channel != COMMENT else None,
                       intent, confidence)
    about_us = OUR_NAMES.search(text) or ADDRESSED.search(text)
    if ((intent == "compare_competitor" and not ABOUT_US.search(text)) or (RIVAL_LOOKUP in nlu.lookups and not about_us)) \
            and not (intent_info is not None and intent_info.kind == HANDOFF and confidence >= settings.intent_threshold):
        # Another brand's phone, nothing of ours: not for this account.
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)

    if personal and channel == COMMENT:
        if intent_info is not None and intent_info.kind == FAQ and not SPECIFIC.search(text):
            # A manual question with a phone number beside it: the answer never repeats the number.
            out = _answer_questions(message, channel, nlu, matches, part_matches or {}, now, settings,
                                    faq)
            if out.action == ANSWER:
                return out
        return _handoff(department or "orders_logistics", R_PERSONAL_DATA, intent, confidence,
                        PRIORITY_ELEVATED, reply=PERSONAL_DATA_REPLY)

    low_confidence = nlu.is_fallback or confidence < settings.intent_threshold
    strong = best is not None and best.score >= settings.strong_match
    sure_enough_handoff = intent_info is not None and intent_info.kind == HANDOFF and confidence >= HANDOFF_FLOOR
    if (intent_info is None or intent_info.kind in (FAQ, HANDOFF)) and low_confidence and not strong \
            and not sure_enough_handoff and not ABOUT_US.search(text) and not OUR_BUSINESS.search(text):
        # Unsure, nothing like a manual question, and not about us: weather, tickets, life chatter.
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)
    if intent_info is None:
        return _handoff(department, R_LOW_CONFIDENCE, intent, confidence, match=best)

    ours = OUR_NAMES.search(text) or ADDRESSED.search(text)
    if intent_info.kind in (IGNORE, SOCIAL) and low_confidence and not SPAM.search(text) and (
            strong or (ours and (split_questions(text) or PROBLEM.search(text))) or SUGGESTION.search(text)):
        # Unsure it is small talk, and it reads like a manual question, or asks about us, reports a
        # problem or makes a wish: let a human look.
        owner = PRODUCT_DEPARTMENT if SUGGESTION.search(text) else (
            _second_opinion(nlu) or (best.entry.department if best else None) or "pre_sales")
        return _handoff(owner, R_LOW_CONFIDENCE, intent, confidence, match=best)
    if intent_info.kind == IGNORE:
        return Outcome(IGNORE, None, R_IGNORE, None, intent, confidence)
    if intent_info.kind == SOCIAL:
        reply = SOCIAL_REPLIES.get(intent) if channel != COMMENT else None
        return Outcome(SOCIAL, None, R_SOCIAL, reply, intent, confidence)
    unmade = faq.scope.unmade(text) if faq is not None else None
    if unmade and intent != "complaint" and intent_info.kind in (FAQ, HANDOFF):
        return _handoff(PRODUCT_DEPARTMENT, R_OUT_OF_SCOPE, intent, confidence, match=best)
    if intent_info.kind == HANDOFF and SUGGESTION.search(text) and confidence < settings.intent_threshold:
        return _handoff(PRODUCT_DEPARTMENT, R_INTENT, intent, confidence, match=best)
    if intent_info.kind == HANDOFF:
        reply = None
        if best is not None and best.entry.intent == intent and best.score >= settings.match_threshold:
            reply = best.entry.reply(channel, now)  # e.g. the product team's fixed thank-you
        out = _handoff(department, R_ORDER if intent == "order_problem" else R_INTENT, intent,
                       confidence, reply=reply, match=best)
        if len(split_questions(text)) > 1:
            # The other questions may be in the FAQ: the operator gets their answers drafted.
            drafted = _answer_questions(message, channel, nlu, matches, part_matches or {}, now, settings,
                                        faq)
            out = replace(out, draft=drafted.draft)
        return out

    # An FAQ topic.
    several = len(split_questions(text)) > 1
    if (SPECIFIC.search(text) and not several) or (personal and intent_info.department == "orders_logistics"):
        return _handoff(department, R_ORDER, intent, confidence, match=best)
    if message.mentions and not asks(text, nominal=False):
        # "抽奖 @小红 @小蓝": words for the friends it tags, not a question to us.
        return Outcome(SOCIAL, None, R_STATEMENT, None, intent, confidence)
    if SUGGESTION.search(text):
        drafted = _answer_questions(message, channel, nlu, matches, part_matches or {}, now, settings, faq)
        return _handoff(PRODUCT_DEPARTMENT, R_INTENT, intent, confidence) if drafted.draft is None else replace(
            _handoff(PRODUCT_DEPARTMENT, R_INTENT, intent, confidence), draft=drafted.draft)
    if not split_questions(text):
        # Tells us something about a topic and asks nothing: no answer it never asked for. A problem
        # the manual has self-help for ("升了3.0.2以后wifi老是断") is a request for that help.
        if not PROBLEM.search(text) or RESOLVED.search(text):
            return Outcome(SOCIAL, None, R_STATEMENT, None, intent, confidence)
        if intent not in SELF_HELP:
            return _handoff(department, R_LOW_CONFIDENCE, intent, confidence, match=best)
    return _answer_questions(message, channel, nlu, matches, part_matches or {}, now, settings,
                             faq)
