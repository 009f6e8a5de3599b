"""Load the trained Rasa model once and parse many messages per graph run.

Rasa's own entry point parses one message per call; `bot triage` feeds the NLU graph a whole
batch of messages instead (every component of our pipeline processes lists, and the linear
intent classifier scores a batch, and the questions in it, in one sparse matrix product).
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any, Dict, List, Sequence

from bot.errors import ConfigError
from bot.nlu.result import NluResult

log = logging.getLogger(__name__)
DEFAULT_MODEL_DIR = Path("models")
MODEL_NAME = "weibo-bot"


def model_file(model_dir: Path = DEFAULT_MODEL_DIR) -> Path:
    path = Path(model_dir) / f"{MODEL_NAME}.tar.gz"
    if not path.exists():
        raise ConfigError(f"no trained model at {path}: run `make train` (or `bot train`) first")
    return path


def quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


class NluParser:
    """A loaded Rasa agent with a batch parse."""

    def __init__(self, agent: Any) -> None:
        self._agent = agent

    @classmethod
    def load(cls, model_dir: Path = DEFAULT_MODEL_DIR) -> NluParser:
        quiet_tensorflow()
        from rasa.core.agent import Agent

        return cls(Agent.load(str(model_file(model_dir))))

    @property
    def agent(self) -> Any:
        return self._agent

    def parse_batch(self, texts: Sequence[str]) -> List[NluResult]:
        """Parse already-normalised texts in one graph run."""
        return [NluResult.from_parse(data) for data in parse_dicts(self._agent, texts)]

    def parse_one(self, text: str) -> Dict[str, Any]:
        """Rasa's own one-message parse (the naive path the benchmark compares against)."""
        return asyncio.run(self._agent.parse_message(text))


def parse_dicts(agent: Any, texts: Sequence[str]) -> List[Dict[str, Any]]:
    """Rasa parse data (as `UserMessage.parse_data` takes it) for many texts in one graph run.

    The live service hands these to Rasa with each message, so Rasa skips its own one-message
    parse: one TensorFlow call per batch instead of one per message.
    """
    if not texts:
        return []
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = agent.processor
    target = processor.model_metadata.nlu_target
    results = processor.graph_runner.run(
        inputs={
            PLACEHOLDER_MESSAGE: [UserMessage(text) for text in texts],
            PLACEHOLDER_TRACKER: DialogueStateTracker.from_events("batch", []),
        },
        targets=[target],
    )
    empty = {"text": "", "intent": {"name": None, "confidence": 0.0}, "entities": []}
    return [{**empty, **m.as_dict(only_output_properties=True)} for m in results[target]]
