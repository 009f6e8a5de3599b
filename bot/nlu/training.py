"""Train the Rasa model from the project's config, domain and NLU/rules data."""

from __future__ import annotations

from pathlib import Path

from bot.errors import BotError
from bot.nlu.parser import MODEL_NAME, quiet_tensorflow

TRAINING_FILES = ["data/nlu", "data/rules.yml"]


def train(out: Path = Path("models"), root: Path = Path(".")) -> Path:
    quiet_tensorflow()
    from rasa.api import train as rasa_train

    result = rasa_train(
        domain=str(root / "domain.yml"),
        config=str(root / "config.yml"),
        training_files=[str(root / f) for f in TRAINING_FILES],
        output=str(out),
        fixed_model_name=MODEL_NAME,
        force_training=True,
    )
    if result.code != 0 or not result.model:
        raise BotError(f"training failed (code {result.code}): run `rasa data validate` to see why")
    (out / ".trained").touch()
    return Path(result.model)
