"""Answer every question of a message from the FAQ, or say which one is not covered and why.

A reply that answers one of two questions is a wrong reply. Each question (bot/questions.py) is
resolved against its own FAQ matches and the entry's scope (bot/faq/scope.py); a thin follow-up
may lean on the question before it; one entry serves two questions when it covers both; the
replies are composed into one within the channel's limit. The outcome says answer, or hands off to
the owner of the first uncovered question with the covered ones drafted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Dict, List, Mapping, Sequence, Tuple

from bot.faq.index import FaqIndex, Match
from bot.faq.model import COMMENT, COMMENT_LIMIT, DM_LIMIT, FaqEntry
from bot.faq.scope import PRODUCT_DEPARTMENT, ScopeLexicon, Verdict, specifics
from bot.intents import FAQ, HANDOFF, info
from bot.intents import IGNORE as IGNORE_KIND
from bot.intents import SOCIAL as SOCIAL_KIND
from bot.nlu.result import NluResult
from bot.outcome import (
    ANSWER,
    HANDOFF_ACTION,
    PRIORITY_NORMAL,
    R_FAQ,
    R_INTENT,
    R_LOW_CONFIDENCE,
    R_NOT_COVERED,
    R_ORDER,
    R_OUT_OF_SCOPE,
    R_TOO_LONG,
    DecideSettings,
    Outcome,
)
from bot.questions import PRODUCT, split_questions, topic_size
from bot.signals import SPECIFIC
from bot.text import NormalisedText

# A question the classifier takes for a human's topic may still be a follow-up below this confidence;
# a follow-up must have LEAN_COVERAGE of its informative words in the entry it leans on.
LEAN_CONFIDENCE, LEAN_COVERAGE = 0.8, 0.5
# A question that found its own entry moves to another question's entry only if that one knows this much of it.
REUSE_COVERAGE = 0.6
# ... and only if that entry scores at least this share of the question's own best entry.
REUSE_SCORE_SHARE = 0.8
# A question with at most this many topic characters that refers back ("跟X5的一样吗", "那A3呢") is
# read together with the one before it.
THIN_TOPIC = 1
ANAPHORA = re.compile(r"一样|同样|也是|一致|区别|不同|呢[?？]?$|^那|它|这个|那个|这款|那款")
# A question's own intent decides who takes it from this confidence up (else the message's intent).
OWNER_CONFIDENCE = 0.6
# Social intents that a question part may be and still need no answer.
PLEASANTRIES = frozenset({"greet", "thanks"})
# How many of the best matches may stand in for the nearest one when it misses a specific.
ALTERNATIVES = 3
PART_SEPARATOR = {COMMENT: " ", "dm": "\n"}



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


# A classifier this sure of a question's department is not overruled by an entry of another one.
CROSS_DEPARTMENT_CONFIDENCE = 0.75


def _elsewhere(entry: FaqEntry, intent: str, confidence: float) -> Verdict | None:
    """The classifier is sure the question is another department's topic ("在台湾能保修吗" is about
    warranty): an entry of another topic and department, found by shared words ("台湾"), does not
    answer it. A runner-up of the question's own topic still may."""
    asked, offered = info(intent), info(entry.intent)
    if (confidence >= CROSS_DEPARTMENT_CONFIDENCE and entry.intent != intent and asked is not None
            and offered is not None and asked.department and offered.department != asked.department):
        return Verdict(False, f"department:{offered.department}")
    return None


def _asks_a_passed_promise(question: str, entry: FaqEntry, now: datetime) -> bool:
    """The question is about what an expired promise of the entry covers (its product
    configuration, or a pre-sale): repeating the old date would be wrong, a human checks."""
    asked = specifics(question)
    for clause in entry.passed_promises(now):
        promised = specifics(clause)
        if "预售" in question or asked["memory"] & promised["memory"] or asked["storage"] & promised["storage"]:
            return True
    return False


def _resolve(text: str, intent: str | None, confidence: float, matches: Sequence[Match],
             scope: ScopeLexicon, settings: DecideSettings, now: datetime, product: str = "") -> _Part:
    """`product`: the one an earlier question of the message named, when this one names none
    ("A3是什么时候上市的？现在最低多少钱？"): the entry must be within its scope too."""
    intent_info = info(intent)
    scoped = f"{product} {text}" if product else text
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
    entry_info = info(best.entry.intent)
    if best.entry.intent != intent and entry_info is not None and entry_info.kind != FAQ:
        # An acknowledgement ("感谢您的建议"), not an answer: it never answers a question of another topic.
        return _Part(text, intent, confidence, department, reason=R_NOT_COVERED, matches=found)
    if not best.entry.answerable_at(now) or _asks_a_passed_promise(scoped, best.entry, now):
        # What the entry promised has run out ("11 月 30 日前发货" on 12-01): a human checks.
        return _Part(text, intent, confidence, best.entry.department, reason=R_NOT_COVERED,
                     detail=f"ended:{best.entry.id}", matches=found)
    verdict = _elsewhere(best.entry, intent, confidence) or scope.check(scoped, best.entry)
    if verdict.answerable:
        return _Part(text, intent, confidence, best.entry.department, best.entry, answer_score(confidence, best.score),
                     matches=found)
    for other in matches[1:ALTERNATIVES]:
        # The nearest entry misses a specific that a close runner-up names ("芯片"): that one answers.
        if other.score >= settings.match_threshold and other.entry.intent == intent \
                and other.entry.answerable_at(now) and scope.check(scoped, other.entry).answerable:
            return _Part(text, intent, confidence, other.entry.department, other.entry,
                         answer_score(confidence, other.score), matches=found)
    second = matches[1] if len(matches) > 1 else None
    if second is not None and second.score >= settings.match_threshold and scope.several(text) \
            and second.entry.answerable_at(now) and scope.check(scoped, best.entry, second.entry).answerable:
        # Two things in one question, each the subject of an entry: both entries together answer it.
        return _Part(text, intent, confidence, best.entry.department, best.entry,
                     answer_score(confidence, second.score), extra=second.entry, matches=found)
    return _Part(text, intent, confidence, verdict.department or best.entry.department, reason=R_OUT_OF_SCOPE,
                 detail=verdict.reason, matches=found)


def _small_talk(intent: str | None) -> bool:
    kind = info(intent).kind if info(intent) else None
    return kind in (IGNORE_KIND, SOCIAL_KIND) and intent not in PLEASANTRIES


def _leans_on(part: _Part) -> bool:
    """A question that may be a follow-up of the one before it rather than a new request."""
    kind = info(part.intent).kind if info(part.intent) else None
    if part.reason == R_ORDER or part.detail.startswith("products:"):
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
            own_best = part.matches[0].score if part.matches else 0.0
            for match in part.matches:
                if (match.entry in chosen and match.entry != part.entry and match.score >= settings.match_threshold
                        and match.score >= REUSE_SCORE_SHARE * own_best
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


_SENTENCE_END = re.compile(r"(?<=[；;。！!])")
_HAN_PAIR = re.compile(r"(?=([\u4e00-\u9fff]{2}))")


def _pairs(text: str) -> set:
    return set(_HAN_PAIR.findall(text.lower()))


def _short_form(parts: Sequence[_Part], channel: str, now: datetime) -> str:
    """The reply cut to what each question asks: of each entry's reply, its first sentence (where
    staff put the main fact) and the sentence sharing most with the question that brought it.
    Used only when the whole replies do not fit a comment; when even that is too long, the first
    sentences alone. The caller still checks the limit."""
    firsts: List[str] = []
    extras: Dict[str, str] = {}
    for part in parts:
        asked = _pairs(part.text)
        named = frozenset(specifics(part.text)["product"])
        for entry in part.entries:
            text = entry.reply(channel, now, named)
            # Each sentence ends as a sentence once its neighbours are gone ("…截止；" -> "…截止。").
            sentences = [x.strip().rstrip("；;。") + "。" for x in _SENTENCE_END.split(text) if x.strip()]
            if not sentences or sentences[0] in firsts:
                continue
            firsts.append(sentences[0])
            shared = [len(asked & _pairs(x)) for x in sentences]
            best = max(range(len(sentences)), key=lambda i: (shared[i], -i))  # the earliest of the best
            if shared[best] > shared[0]:
                extras[sentences[0]] = sentences[best]
    joined = PART_SEPARATOR.get(channel, "\n")
    full = joined.join(f"{f}{extras[f]}" if f in extras else f for f in firsts)
    return full if _fits(full, channel) else joined.join(firsts)


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


def _with_requirements(part: _Part, message: str) -> _Part:
    """A part whose entry is only true of something the message never names (the 双12 sale's
    stacking rule for "教育优惠能和以旧换新一起用吗") is not covered by it. The whole message counts:
    "双12 X5降多少？能跟学生优惠一起用吗" names the sale in its first question."""
    lowered = message.lower()
    unmet = [e for e in part.entries if e.requires and not any(w.lower() in lowered for w in e.requires)]
    if not unmet:
        return part
    return replace(part, entry=None, extra=None, reason=R_NOT_COVERED, detail=f"requires:{unmet[0].id}")


def _fits(reply: str, channel: str) -> bool:
    return len(reply) <= COMMENT_LIMIT if channel == COMMENT else len(reply) < DM_LIMIT


def answer_questions(message: NormalisedText, channel: str, nlu: NluResult, matches: Sequence[Match],
                      part_matches: Mapping[str, Sequence[Match]], now: datetime, settings: DecideSettings,
                      faq: FaqIndex | None) -> Outcome:
    """An FAQ topic: answer only when every question is covered, confidently, within the entry's scope."""
    scope = faq.scope if faq is not None else ScopeLexicon({})
    intent, confidence = nlu.top_real_intent()
    questions = split_questions(message.text)
    if len(questions) <= 1:
        parts = [_resolve(message.text, intent, confidence, matches, scope, settings, now)]
        if parts[0].covered and topic_size(message.text) == 0:
            # "A3呢？" alone says nothing of what it asks about: whatever entry it finds is a guess.
            parts = [replace(parts[0], entry=None, extra=None, reason=R_NOT_COVERED, detail="no_topic")]
    else:
        parts = []
        previous = None
        product = ""
        for question in questions:
            named = PRODUCT.findall(question)
            product = named[-1] if named else product
            part_intent, part_conf = nlu.part_intent(question)
            own = _resolve(question, part_intent, part_conf, part_matches.get(question, ()), scope, settings, now,
                           "" if named else product)
            joined = follow_up_query(previous, question) if previous is not None else None
            if joined and topic_size(question) <= THIN_TOPIC and ANAPHORA.search(question):
                # "跟X5的一样吗": too thin to mean anything alone; read it with the question before it.
                with_context = _resolve(joined, intent, confidence, part_matches.get(joined, ()), scope, settings, now)
                if with_context.covered:
                    own = replace(with_context, text=joined)
            if not own.covered and own.reason == R_LOW_CONFIDENCE and _small_talk(part_intent):
                # A fragment the classifier, seeing it alone, took for chatter ("我手机是OPPO的能连吗"):
                # in a message about one of our topics it is a question of that topic when its own
                # words find an entry that knows them.
                retry = _resolve(question, intent, confidence, part_matches.get(question, ()), scope, settings, now)
                if retry.covered and _about(own, retry.entry, faq):
                    own = retry
            weak = own.covered and own.confidence < LEAN_CONFIDENCE and bool(parts) and own.intent != parts[-1].intent
            if joined and (not own.covered or weak) and _leans_on(own):
                # A follow-up that leans on the question before it ("截止到啥时候?", "会私信我吗"):
                # covered when, read with that question, it finds an entry another question already
                # has, within its scope. Also when alone it was only a weak guess at another topic
                # ("见面会怎么报名? 截止到什么时候?" is not about the lottery's deadline).
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
            parts = [_resolve(message.text, intent, confidence, matches, scope, settings, now)]
        parts = _fewest_entries(parts, scope, settings, faq)
    parts = [_with_requirements(p, message.text) for p in parts]
    covered = [p for p in parts if p.covered]
    draft = _compose(covered, channel, now) if covered else None
    missing = [p for p in parts if not p.covered]
    faq_score = matches[0].score if matches else 0.0
    if missing:
        first = missing[0]
        return Outcome(HANDOFF_ACTION, _owner(first, intent), first.reason, None, intent, confidence,
                       priority=PRIORITY_NORMAL, faq_score=faq_score, draft=draft, detail=first.detail)
    score = min(p.score for p in parts)
    entry_ids = ",".join(dict.fromkeys(e.id for p in parts for e in p.entries))
    department = parts[0].department
    if not _fits(draft or "", channel) and len(parts) > 1:
        draft = _short_form(parts, channel, now)
    if not _fits(draft or "", channel):
        action, reason, reply = HANDOFF_ACTION, R_TOO_LONG, None
    elif score < settings.answer_threshold:
        action, reason, reply = HANDOFF_ACTION, R_LOW_CONFIDENCE, None
    else:
        action, reason, reply = ANSWER, R_FAQ, draft
    return Outcome(action, department, reason, reply, intent, confidence, faq_id=entry_ids, faq_score=faq_score,
                   answer_score=score, draft=draft)
