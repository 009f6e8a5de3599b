"""Rasa graph component that puts every message through `bot.text.normalise`.

It runs first in the pipeline, at training and at inference, so the classifier learns from and
predicts on the same canonical text whatever the caller sent. Because Rasa's RegexMessageHandler
reads the text after the pipeline, a message normalised here can no longer act as an intent
shortcut such as `/greet` or `/restart`.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text import normalise

SIGNALS = "weibo_signals"
ORIGINAL_TEXT = "original_text"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class WeiboTextNormalizer(GraphComponent):
    """Rewrites TEXT to the fan's own canonical words and keeps the rest as signals."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> WeiboTextNormalizer:
        return cls()

    def _normalise(self, message: Message) -> None:
        raw = message.get(TEXT)
        if raw is None:
            return
        norm = normalise(raw)
        message.set(TEXT, norm.text)
        message.set(ORIGINAL_TEXT, raw, add_to_output=True)
        message.set(
            SIGNALS,
            {
                "emoticons": norm.emoticons,
                "mentions": norm.mentions,
                "topics": norm.topics,
                "urls": norm.urls,
                "repost_chain": norm.repost_chain,
            },
            add_to_output=True,
        )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalise(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalise(message)
        return messages
