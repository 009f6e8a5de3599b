"""spaCy rule-based entity extraction as a Rasa component.

Products and versions are closed sets that fans write in a handful of ways, and personal data
(phone, order and ID numbers) has fixed shapes: rules are exact and need no annotated data,
which a statistical extractor would. The decision layer uses these entities to route
order-specific messages to humans and to keep personal data out of public replies.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.result import PERSONAL_DATA_LABELS  # noqa: F401  (the labels this extractor emits)

_MEMORY = r"^\d{1,2}(?:G|GB)?$"
_STORAGE = r"^(?:64|128|256|512)(?:G|GB)?$|^1(?:T|TB)$"

PATTERNS: List[Dict[str, Any]] = [
    # products: jieba yields "X5", "Pro" / "X5Pro"; "Buds", "3" / "Buds3"; "Watch", "S2"
    {"label": "product", "id": "X5 Pro", "pattern": [{"LOWER": "x5"}, {"IS_SPACE": True, "OP": "*"}, {"LOWER": "pro"}]},
    {"label": "product", "id": "X5 Pro", "pattern": [{"LOWER": "x5pro"}]},
    {"label": "product", "id": "X5", "pattern": [{"LOWER": "x5"}]},
    {"label": "product", "id": "A3", "pattern": [{"LOWER": "a3"}]},
    {"label": "product", "id": "Buds 3", "pattern": [{"LOWER": "buds"}, {"IS_SPACE": True, "OP": "*"}, {"TEXT": "3"}]},
    {"label": "product", "id": "Buds 3", "pattern": [{"LOWER": "buds3"}]},
    {"label": "product", "id": "Watch S2", "pattern": [{"LOWER": "watch"}, {"IS_SPACE": True, "OP": "*"}, {"LOWER": "s2"}]},
    {"label": "product", "id": "Watch S2", "pattern": [{"LOWER": "watchs2"}]},
    {"label": "product", "id": "Care+", "pattern": [{"LOWER": {"IN": ["care+", "care"]}}, {"TEXT": "+", "OP": "?"}]},
    # versions: 12GB+256GB, 12+256, 16+1T, or one token when the jieba dictionary knows it
    {"label": "version", "pattern": [{"TEXT": {"REGEX": _MEMORY}}, {"TEXT": "+"}, {"TEXT": {"REGEX": _STORAGE}}]},
    {"label": "version", "pattern": [{"TEXT": {"REGEX": r"^\d{1,2}(?:G|GB)?\+(?:\d{2,3}(?:G|GB)?|1(?:T|TB))$"}}]},
    {"label": "version", "pattern": [{"TEXT": {"REGEX": r"^(?:256|512)(?:G|GB)$|^1(?:T|TB)$"}}]},
    # personal data that must never be echoed in public
    {"label": "phone_number", "pattern": [{"TEXT": {"REGEX": r"^1[3-9]\d{9}$"}}]},
    {"label": "phone_number", "pattern": [{"TEXT": {"REGEX": r"^1[3-9]\d$"}}, {"TEXT": {"IN": ["-", " "]}, "OP": "?"}, {"TEXT": {"REGEX": r"^\d{4}$"}}, {"TEXT": {"IN": ["-", " "]}, "OP": "?"}, {"TEXT": {"REGEX": r"^\d{4}$"}}]},
    {"label": "id_number", "pattern": [{"TEXT": {"REGEX": r"^\d{17}[\dXx]$"}}]},
    {"label": "order_number", "pattern": [{"TEXT": {"REGEX": r"^(?i:YQ)\d{8,}$"}}]},
    {"label": "order_number", "pattern": [{"TEXT": {"REGEX": r"^\d{12,16}$|^\d{19,24}$"}}]},
]


def build_nlp():
    """A blank Chinese spaCy pipeline with the jieba segmenter and our EntityRuler.

    The blank pipeline needs no model download; jieba is the same segmenter (with the same user
    dictionary, loaded globally by the tokenizer) that the Rasa pipeline uses.
    """
    import spacy

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(PATTERNS)
    return nlp


def extract(nlp, text: str) -> List[Dict[str, Any]]:
    """Entities as Rasa dicts; a product's `value` is its canonical name."""
    doc = nlp(text)
    return [
        {
            "entity": ent.label_,
            "start": ent.start_char,
            "end": ent.end_char,
            "value": ent.ent_id_ or ent.text,
            "text": ent.text,
        }
        for ent in doc.ents
    ]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class SpacyRuleEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts products, versions and personal data with spaCy's EntityRuler."""

    def __init__(self, nlp) -> None:
        self._nlp = nlp

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpacyRuleEntityExtractor:
        return cls(build_nlp())

    @staticmethod
    def required_packages() -> List[str]:
        return ["spacy", "jieba"]

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = self.add_extractor_name(extract(self._nlp, text)) if text else []
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
