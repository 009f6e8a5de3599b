"""A sparse linear intent model: char n-grams, jieba words and lookup flags into a linear SVM with
sigmoid (Platt) calibration.

Chosen over DIET by measurement (config.yml records the comparison): on short Chinese fan texts a
linear model over sparse n-grams is at least as accurate, its probabilities are better calibrated (the
answer threshold relies on them), it trains in seconds instead of minutes and it needs no
TensorFlow at inference. It featurises its own text, so it can also classify the single
questions of a multi-question message in the same call.

No Rasa imports here: the graph component (`bot.nlu.linear_component`), the comparison script
and the tests all use this one class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import numpy as np

Ranking = List[Tuple[str, float]]


def _identity(tokens: List[str]) -> List[str]:
    return tokens


@dataclass
class LinearConfig:
    """Feature and regularisation settings (config.yml passes them through the component)."""

    char_ngrams: Tuple[int, int] = (1, 3)
    words: bool = True
    c: float = 0.5
    max_features: int = 120_000
    class_weight: str | None = None
    calibration_folds: int = 3
    lookups: Dict[str, List[str]] = field(default_factory=dict)


class LinearIntentModel:
    """Fit on (text, intent) pairs; predict a full ranking for many texts in one matrix product."""

    def __init__(self, config: LinearConfig | None = None) -> None:
        self.config = config or LinearConfig()
        self._chars = None
        self._words = None
        self._clf = None
        self._lookup_patterns: List[Tuple[str, re.Pattern]] = []
        self._compile_lookups()

    def _compile_lookups(self) -> None:
        self._lookup_patterns = [
            (name, re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)), re.IGNORECASE))
            for name, values in sorted(self.config.lookups.items()) if values
        ]

    @property
    def labels(self) -> List[str]:
        return [] if self._clf is None else [str(c) for c in self._clf.classes_]

    def lookups_in(self, text: str) -> List[str]:
        """The lookup tables (data/nlu/lookups.yml) that the text names something of."""
        return [name for name, pattern in self._lookup_patterns if pattern.search(text)]

    def _word_tokens(self, text: str) -> List[str]:
        from bot.faq.index import analyse  # the FAQ search's jieba (same user dictionary)

        tokens = [t for t in analyse(text) if not t.startswith("#")]
        tokens += [f"@{name}" for name, pattern in self._lookup_patterns if pattern.search(text)]
        return tokens

    def _features(self, texts: Sequence[str], fit: bool = False):
        from scipy.sparse import hstack

        lowered = [t.lower() for t in texts]
        if fit:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self._chars = TfidfVectorizer(analyzer="char", ngram_range=tuple(self.config.char_ngrams),
                                          sublinear_tf=True, max_features=self.config.max_features)
            blocks = [self._chars.fit_transform(lowered)]
            if self.config.words:
                self._words = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
                blocks.append(self._words.fit_transform([self._word_tokens(t) for t in lowered]))
        else:
            blocks = [self._chars.transform(lowered)]
            if self._words is not None:
                blocks.append(self._words.transform([self._word_tokens(t) for t in lowered]))
        return hstack(blocks).tocsr()

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> LinearIntentModel:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        if len(set(labels)) < 2:
            raise ValueError("the intent model needs examples of at least two intents")
        x = self._features(texts, fit=True)
        svm = LinearSVC(C=self.config.c, class_weight=self.config.class_weight)
        clf = CalibratedClassifierCV(svm, cv=self.config.calibration_folds, method="sigmoid")
        clf.fit(x, np.asarray(labels))
        # Plain arrays per calibration fold: the SVM's weights and each class's sigmoid.
        self._clf = _Calibrated(
            classes_=np.array([str(c) for c in clf.classes_]),
            coef=np.stack([c.base_estimator.coef_ for c in clf.calibrated_classifiers_]),
            intercept=np.stack([c.base_estimator.intercept_ for c in clf.calibrated_classifiers_]),
            cal_a=np.stack([[cal.a_ for cal in c.calibrators] for c in clf.calibrated_classifiers_]),
            cal_b=np.stack([[cal.b_ for cal in c.calibrators] for c in clf.calibrated_classifiers_]),
        )
        return self

    def to_arrays(self) -> Dict[str, np.ndarray]:
        """Plain arrays (no pickle): a model file can be loaded without running its code."""
        if self._clf is None:
            raise ValueError("the intent model is not trained")
        clf = self._clf
        arrays = {
            "classes": clf.classes_, "coef": clf.coef, "intercept": clf.intercept, "cal_a": clf.cal_a, "cal_b": clf.cal_b,
            "char_vocab": np.array(list(self._chars.vocabulary_.keys())),
            "char_index": np.array(list(self._chars.vocabulary_.values())), "char_idf": self._chars.idf_,
        }
        if self._words is not None:
            arrays.update(word_vocab=np.array(list(self._words.vocabulary_.keys())),
                          word_index=np.array(list(self._words.vocabulary_.values())), word_idf=self._words.idf_)
        return arrays

    @classmethod
    def from_arrays(cls, config: LinearConfig, arrays: Dict[str, np.ndarray]) -> LinearIntentModel:
        from sklearn.feature_extraction.text import TfidfVectorizer

        model = cls(config)

        def vectorizer(prefix: str, **kwargs) -> TfidfVectorizer:
            vec = TfidfVectorizer(sublinear_tf=True, **kwargs)
            vec.vocabulary_ = {str(k): int(i) for k, i in zip(arrays[f"{prefix}_vocab"], arrays[f"{prefix}_index"])}
            vec.idf_ = arrays[f"{prefix}_idf"]
            return vec

        model._chars = vectorizer("char", analyzer="char", ngram_range=tuple(config.char_ngrams))
        if "word_vocab" in arrays:
            model._words = vectorizer("word", analyzer=_identity)
        model._clf = _Calibrated(np.array([str(c) for c in arrays["classes"]]), arrays["coef"], arrays["intercept"],
                                 arrays["cal_a"], arrays["cal_b"])
        return model

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self._clf is None:
            raise ValueError("the intent model is not trained")
        if not texts:
            return np.zeros((0, len(self.labels)))
        return self._clf.predict_proba(self._features(texts))

    def rank(self, texts: Sequence[str], top: int = 10) -> List[Ranking]:
        """For each text, the intents with their probabilities, best first."""
        probs = self.predict_proba(texts)
        labels = self.labels
        out: List[Ranking] = []
        for row in probs:
            order = np.argsort(-row)[:top]
            out.append([(labels[i], float(row[i])) for i in order])
        return out


@dataclass
class _Calibrated:
    """Prediction of sklearn's CalibratedClassifierCV(LinearSVC, sigmoid) from its arrays.

    For each calibration fold k: decision d = X w_k + b_k, per-class probability
    1 / (1 + exp(a_kc d_c + b_kc)), normalised over classes; the folds are averaged (sklearn's rule).
    """

    classes_: np.ndarray
    coef: np.ndarray  # (folds, classes, features)
    intercept: np.ndarray  # (folds, classes)
    cal_a: np.ndarray  # (folds, classes)
    cal_b: np.ndarray

    def __post_init__(self) -> None:
        # (features, classes), C-contiguous: `x @ coef[k].T` made scipy copy the whole transposed
        # matrix on every call (a third of the Rasa server's CPU under `make load`).
        self._weights = [np.ascontiguousarray(self.coef[k].T) for k in range(self.coef.shape[0])]

    def predict_proba(self, x) -> np.ndarray:
        total = np.zeros((x.shape[0], len(self.classes_)))
        for k, weights in enumerate(self._weights):
            decision = np.asarray(x @ weights) + self.intercept[k]
            probs = 1.0 / (1.0 + np.exp(self.cal_a[k] * decision + self.cal_b[k]))
            sums = probs.sum(axis=1, keepdims=True)
            total += np.divide(probs, sums, out=np.full_like(probs, 1.0 / len(self.classes_)), where=sums > 0)
        return total / self.coef.shape[0]
