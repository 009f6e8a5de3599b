"""DIETClassifier that classifies a list of messages in one inference call.

Rasa's DIET runs TensorFlow once per message; `bot triage` hands the graph thousands of messages
at a time, and one batched call amortises the per-call overhead that dominates short texts.
Training and the model itself are DIET's, unchanged.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

INFERENCE_BATCH_SIZE = 256


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class BatchDIETClassifier(DIETClassifier):
    """DIET whose `process` predicts intents for all messages at once."""

    def process(self, messages: List[Message]) -> List[Message]:
        batchable = (
            len(messages) > 1
            and self.model is not None
            and not self.component_config["entity_recognition"]
            and all(m.get(TEXT) for m in messages)
        )
        if not batchable:
            return super().process(messages)
        model_data = self._create_model_data(messages, training=False)
        if model_data.is_empty() or model_data.number_of_examples() != len(messages):
            return super().process(messages)
        # Only the intent scores: other outputs are padded per batch and cannot be concatenated.
        out = self.model.run_inference(model_data, batch_size=INFERENCE_BATCH_SIZE, output_keys_expected=["i_scores"])
        scores = out["i_scores"]
        for row, message in zip(scores, messages):
            label, ranking = self._predict_label({"i_scores": row})
            message.set(INTENT, label, add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
