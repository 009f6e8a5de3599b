"""The NLU's verdict on one message, independent of Rasa's dict layout."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

from bot.intents import FALLBACK_INTENT

# Entity labels that are personal data (bot.nlu.entities finds them): never echoed in public.
# Here, not beside the extractor, so that deciding does not import Rasa's NLU stack.
PERSONAL_DATA_LABELS = frozenset({"phone_number", "order_number", "id_number"})


@dataclass(frozen=True)
class PartIntent:
    """The intent of one question of a multi-question message."""

    text: str
    intent: str | None
    confidence: float


@dataclass(frozen=True)
class NluResult:
    intent: str | None
    confidence: float
    ranking: Tuple[Tuple[str, float], ...] = ()
    entities: Tuple[Dict[str, Any], ...] = field(default=())
    parts: Tuple[PartIntent, ...] = ()  # only when the message asks two or more things
    lookups: Tuple[str, ...] = ()  # lookup tables the text matched (data/nlu/lookups.yml)

    @classmethod
    def from_parse(cls, data: Dict[str, Any]) -> NluResult:
        intent = data.get("intent") or {}
        ranking = tuple(
            (r["name"], float(r.get("confidence") or 0.0)) for r in data.get("intent_ranking") or [] if r.get("name")
        )
        return cls(
            intent=intent.get("name"),
            confidence=float(intent.get("confidence") or 0.0),
            ranking=ranking,
            entities=tuple(data.get("entities") or ()),
            parts=tuple(PartIntent(str(p.get("text") or ""), p.get("intent"), float(p.get("confidence") or 0.0))
                        for p in data.get("question_parts") or () if isinstance(p, dict)),
            lookups=tuple(str(name) for name in data.get("lookup_hits") or ()),
        )

    def part_intent(self, text: str) -> Tuple[str | None, float]:
        """The intent of one question of the message; the message's own when it asks only one."""
        for part in self.parts:
            if part.text == text:
                return part.intent, part.confidence
        return self.top_real_intent()

    @property
    def is_fallback(self) -> bool:
        return self.intent in (None, FALLBACK_INTENT)

    def top_real_intent(self) -> Tuple[str | None, float]:
        """The best intent that is not the fallback, with its confidence."""
        if not self.is_fallback:
            return self.intent, self.confidence
        for name, conf in self.ranking:
            if name != FALLBACK_INTENT:
                return name, conf
        return None, 0.0

    def entity_values(self, label: str) -> List[str]:
        return [str(e.get("value")) for e in self.entities if e.get("entity") == label]
