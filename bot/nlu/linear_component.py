"""Rasa graph component around `bot.nlu.linear.LinearIntentModel`.

Besides the message's intent it classifies each question of a multi-question message
(`question_parts` in the parse output), in the same batched call, so the decision can answer a
message only when every question in it is covered. The model is stored as plain arrays (npz),
never as a pickle.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.linear import LinearConfig, LinearIntentModel
from bot.questions import split_questions

log = logging.getLogger(__name__)
PARTS = "question_parts"  # [{"text", "intent", "confidence"}] when a message asks two or more things
ASKS = "asks_question"
LOOKUPS = "lookup_hits"  # names of the lookup tables the text matches ("rival_brand", "our_brand")
RANKING_LENGTH = 10
MODEL_FILE = "linear_intent.npz"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(GraphComponent):
    """Sparse linear intent classifier that featurises its own (normalised) text."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"char_min_ngram": 1, "char_max_ngram": 3, "words": True, "C": 0.5,
                "max_features": 120_000, "class_weight": None, "calibration_folds": 3}

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: LinearIntentModel | None = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def _linear_config(self, lookups: Dict[str, List[str]]) -> LinearConfig:
        c = self._config
        return LinearConfig(char_ngrams=(int(c["char_min_ngram"]), int(c["char_max_ngram"])),
                            words=bool(c["words"]), c=float(c["C"]), max_features=int(c["max_features"]),
                            class_weight=c["class_weight"], calibration_folds=int(c["calibration_folds"]),
                            lookups=lookups)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        lookups = {t["name"]: [str(v) for v in t["elements"]] for t in training_data.lookup_tables
                   if isinstance(t.get("elements"), list)}
        model = LinearIntentModel(self._linear_config(lookups))
        model.fit([e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples])
        self._model = model
        with self._storage.write_to(self._resource) as directory:
            arrays = model.to_arrays()
            arrays["lookup_names"] = np.array(sorted(lookups))
            for name in sorted(lookups):
                arrays[f"lookup_{name}"] = np.array(lookups[name])
            np.savez_compressed(directory / MODEL_FILE, **arrays)
        return self._resource

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LinearIntentClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                with np.load(directory / MODEL_FILE, allow_pickle=False) as data:
                    arrays = {k: data[k] for k in data.files}
        except (ValueError, FileNotFoundError):
            log.warning("no trained intent model in the model archive: every message gets no intent")
            return component
        lookups = {str(n): [str(v) for v in arrays[f"lookup_{n}"]] for n in arrays.get("lookup_names", [])}
        component._model = LinearIntentModel.from_arrays(component._linear_config(lookups), arrays)
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None or not messages:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        parts = [split_questions(t) if t else [] for t in texts]
        flat = [p for ps in parts for p in ps if len(ps) >= 2]
        live = [i for i, t in enumerate(texts) if t]
        rankings = self._model.rank([texts[i] for i in live] + flat, RANKING_LENGTH)
        whole, part_rankings = rankings[: len(live)], iter(rankings[len(live):])
        for message, text in zip(messages, texts):
            if not text:  # nothing of the fan's own (an empty repost): no intent, as Rasa expects
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
        for i, ranking in zip(live, whole):
            message = messages[i]
            name, confidence = ranking[0]
            message.set(INTENT, {"name": name, "confidence": confidence}, add_to_output=True)
            message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking], add_to_output=True)
            message.set(ASKS, bool(parts[i]), add_to_output=True)
            message.set(LOOKUPS, self._model.lookups_in(texts[i]), add_to_output=True)
            if len(parts[i]) >= 2:
                rows = []
                for text in parts[i]:
                    part_name, part_conf = next(part_rankings)[0]
                    rows.append({"text": text, "intent": part_name, "confidence": part_conf})
                message.set(PARTS, rows, add_to_output=True)
        return messages
