"""The sparse linear intent model: calibrated probabilities, stored as plain arrays."""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu.linear import LinearConfig, LinearIntentModel

TEXTS = ["X5多少钱", "A3什么价", "Buds 3多少钱", "X5 Pro售价", "保修多久", "保修几年", "电池保修多久", "耳机保修几年",
         "兼职日结", "刷单返利", "加V领红包", "涨粉互粉", "谢谢小编", "感谢回复", "多谢啦", "谢谢官方"]
LABELS = ["ask_price"] * 4 + ["ask_warranty"] * 4 + ["spam_ad"] * 4 + ["thanks"] * 4


@pytest.fixture(scope="module")
def model():
    return LinearIntentModel(LinearConfig(lookups={"our_brand": ["X5", "A3"]})).fit(TEXTS, LABELS)


def test_probabilities_are_a_distribution_and_rank_the_right_intent_first(model):
    probs = model.predict_proba(["A3多少钱", "保修期多久"])
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert [r[0][0] for r in model.rank(["A3多少钱", "保修期多久"])] == ["ask_price", "ask_warranty"]


def test_the_arrays_reload_to_the_same_predictions(model):
    again = LinearIntentModel.from_arrays(model.config, model.to_arrays())
    texts = ["X5 Pro多少钱", "加V", "谢谢"]
    assert np.allclose(again.predict_proba(texts), model.predict_proba(texts))
    assert all(a.dtype != object for a in model.to_arrays().values())  # nothing that needs a pickle


def test_lookup_tables_are_reported(model):
    assert model.lookups_in("A3防水吗") == ["our_brand"] and model.lookups_in("三星防水吗") == []


def test_one_intent_is_not_a_model():
    with pytest.raises(ValueError, match="at least two intents"):
        LinearIntentModel().fit(["a", "b"], ["x", "x"])
