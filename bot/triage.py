"""Normalise -> NLU -> FAQ search -> decide, for one message or many.

The live actions and the batch commands both come through here, so there is one path and one
copy of the decision rules (bot/decide.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Sequence, Tuple

from bot.decide import HANDOFF_ACTION, DecideSettings, Outcome, decide, follow_up_query
from bot.errors import InputError
from bot.faq.index import FaqIndex, Match
from bot.faq.model import CHANNELS, CHINA_TZ
from bot.intents import info
from bot.nlu.result import NluResult
from bot.questions import split_questions
from bot.safety import guard
from bot.service_hours import ALWAYS, ServiceHours, annotate
from bot.store.queue import NewTicket
from bot.text import NormalisedText, normalise

OUTPUT_FIELDS = ("id", "action", "department", "intent", "confidence", "faq_id", "reply", "reason",
                 "answer_score", "candidate_reply")


def china_now() -> datetime:
    return datetime.now(CHINA_TZ)


@dataclass(frozen=True)
class Inbound:
    id: str
    channel: str
    text: str
    fan_id: str = ""
    conversation_id: str = ""


@dataclass(frozen=True)
class Triaged:
    inbound: Inbound
    message: NormalisedText
    nlu: NluResult
    matches: Tuple[Match, ...]
    outcome: Outcome

    def record(self) -> Dict[str, Any]:
        o = self.outcome
        return {
            "id": self.inbound.id,
            "action": o.action,
            "department": o.department,
            "intent": o.intent,
            "confidence": round(min(max(o.confidence, 0.0), 1.0), 4),
            "faq_id": o.faq_id,
            "reply": o.reply,
            "reason": o.reason,
            "answer_score": None if o.answer_score is None else round(o.answer_score, 4),
            "candidate_reply": o.draft,
        }

    def candidates(self) -> List[Dict[str, Any]]:
        return [{"id": m.entry.id, "score": m.score, "question": m.entry.question} for m in self.matches[:3]]

    def ticket(self, reason: str | None = None, reply_target: Dict[str, str] | None = None) -> NewTicket:
        """The queue ticket for this message (batch triage and the live actions share it)."""
        o = self.outcome
        return NewTicket(
            channel=self.inbound.channel, fan_id=self.inbound.fan_id,
            conversation_id=f"{self.inbound.channel}:{self.inbound.conversation_id}",
            department=o.department or "pr", reason=reason or o.reason, original_text=self.inbound.text,
            normalised_text=self.message.text, intent=o.intent, confidence=o.confidence, priority=o.priority,
            faq_candidates=self.candidates(), reply_target=reply_target, draft_reply=o.draft or "")


def parse_line(line: str, number: int) -> Inbound:
    """One JSON line to an Inbound; extra fields (labels) are ignored."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise InputError(f"line {number}: expected a JSON object with id, channel and text")
    missing = [k for k in ("id", "channel", "text") if k not in data]
    if missing:
        raise InputError(f"line {number}: missing field(s) {', '.join(missing)}")
    if data["channel"] not in CHANNELS:
        raise InputError(f"line {number}: channel must be \"comment\" or \"dm\", not {data['channel']!r}")
    if not isinstance(data["text"], str):
        raise InputError(f"line {number}: text must be a string")
    ident = str(data["id"])
    fan = str(data.get("fan_id") or f"triage:{ident}")
    return Inbound(ident, data["channel"], data["text"], fan, str(data.get("conversation_id") or fan))


def read_jsonl(lines: Iterable[str], on_error: Callable[[InputError], None]) -> Iterator[Inbound]:
    """Valid records in order; each malformed line is reported and skipped."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield parse_line(line, number)
        except InputError as exc:
            on_error(exc)


class Triage:
    """The message path with its collaborators passed in (parser, FAQ source, settings, clock)."""

    def __init__(self, parse_batch: Callable[[Sequence[str]], List[NluResult]],
                 faq: Callable[[], FaqIndex], settings: DecideSettings = DecideSettings(),
                 clock: Callable[[], datetime] = china_now,
                 hours: Callable[[], ServiceHours] = lambda: ALWAYS) -> None:
        self._parse_batch = parse_batch
        self._faq = faq
        self.settings = settings
        self._clock = clock
        self.hours = hours

    @staticmethod
    def _queries(message: NormalisedText, nlu: NluResult) -> List[Tuple[str, str | None, str | None]]:
        """The FAQ searches one message needs: the whole text, then each of its questions."""
        if message.is_empty:
            return [("", None, None)]
        questions = split_questions(message.text)
        texts = [message.text]
        if len(questions) > 1:
            texts += questions + [follow_up_query(a, b) for a, b in zip(questions, questions[1:])]
        queries = []
        for text in texts:
            intent, _conf = nlu.part_intent(text) if text != message.text else nlu.top_real_intent()
            intent_info = info(intent)
            queries.append((text, intent_info.department if intent_info else None, intent))
        return queries

    def _decide(self, inbound: Inbound, message: NormalisedText, nlu: NluResult, index: FaqIndex,
                queries: Sequence[Tuple[str, str | None, str | None]], found: Sequence[List[Match]]) -> Triaged:
        matches = found[0]
        part_matches: Mapping[str, Sequence[Match]] = {q[0]: m for q, m in zip(queries[1:], found[1:])}
        now = self._clock()
        outcome = guard(decide(message, inbound.channel, nlu, matches, now, self.settings, part_matches, index),
                        inbound.channel, index.sensitive)
        outcome = annotate(outcome, inbound.channel, self.hours(), now)
        return Triaged(inbound, message, nlu, tuple(matches), outcome)

    def decide_parsed(self, inbound: Inbound, message: NormalisedText, nlu: NluResult) -> Triaged:
        index = self._faq()
        queries = self._queries(message, nlu)
        return self._decide(inbound, message, nlu, index, queries, index.search_many(queries))

    def run(self, batch: Sequence[Inbound]) -> List[Triaged]:
        messages = [normalise(item.text) for item in batch]
        todo = [i for i, m in enumerate(messages) if not m.is_empty]
        parsed = self._parse_batch([messages[i].text for i in todo])
        results: List[NluResult] = [NluResult(None, 0.0)] * len(batch)
        for i, nlu in zip(todo, parsed):
            results[i] = nlu
        index = self._faq()
        per_message = [self._queries(m, n) for m, n in zip(messages, results)]
        flat = [q for queries in per_message for q in queries]
        found = iter(index.search_many(flat))
        out = []
        for item, msg, nlu, queries in zip(batch, messages, results, per_message):
            out.append(self._decide(item, msg, nlu, index, queries, [next(found) for _ in queries]))
        return out


def is_handoff(triaged: Triaged) -> bool:
    return triaged.outcome.action == HANDOFF_ACTION
