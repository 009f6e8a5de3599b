"""Compare intent classifiers on the project's NLU data: macro F1, calibration and speed.

5-fold stratified cross-validation of the linear candidates (bot/nlu/linear.py) on the same
normalised texts the Rasa pipeline sees; with `--diet-results DIR` it also reads the per-example
predictions of `rasa test nlu --cross-validation --successes` run with scripts/diet_config.yml
(that run takes tens of minutes, so it is a separate step):

  .venv/bin/rasa test nlu --cross-validation --folds 5 --config scripts/diet_config.yml \\
      --nlu data/nlu --successes --out results/diet_cv
  .venv/bin/python scripts/compare_classifiers.py --diet-results results/diet_cv

Calibration is the expected calibration error (ECE, 10 equal-width confidence bins) of the top
intent: the answer threshold trusts the confidence, so a classifier that says 0.9 must be right
nine times in ten.
usage: .venv/bin/python scripts/compare_classifiers.py [--folds 5] [--diet-results DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bot.nlu.linear import LinearConfig, LinearIntentModel  # noqa: E402
from bot.text import normalise  # noqa: E402


def load_examples(directory: Path) -> Tuple[List[str], List[str], Dict[str, List[str]]]:
    texts, labels, lookups = [], [], {}
    for path in sorted(directory.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            lines = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
            if "lookup" in block:
                lookups[block["lookup"]] = lines
            elif "intent" in block:
                for line in lines:
                    texts.append(normalise(line).text)
                    labels.append(block["intent"])
    return texts, labels, lookups


def ece(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    conf, right = np.asarray(confidences), np.asarray(correct, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            total += mask.mean() * abs(right[mask].mean() - conf[mask].mean())
    return float(total)


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, average="macro", zero_division=0))


class SvmModel(LinearIntentModel):
    """The same features into a linear SVM with sigmoid calibration (3-fold inside each fold)."""

    def fit(self, texts, labels):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        x = self._features(texts, fit=True)
        self._clf = CalibratedClassifierCV(LinearSVC(C=0.5), cv=3, method="sigmoid").fit(x, np.asarray(labels))
        return self


def run_linear(name: str, make, texts, labels, folds: int) -> Dict[str, float]:
    from sklearn.model_selection import StratifiedKFold

    gold, guess, conf, fit_s, pred_s = [], [], [], 0.0, 0.0
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, labels):
        model = make()
        start = time.perf_counter()
        model.fit([texts[i] for i in train], [labels[i] for i in train])
        fit_s += time.perf_counter() - start
        start = time.perf_counter()
        ranks = model.rank([texts[i] for i in test], top=1)
        pred_s += time.perf_counter() - start
        gold += [labels[i] for i in test]
        guess += [r[0][0] for r in ranks]
        conf += [r[0][1] for r in ranks]
    right = [a == b for a, b in zip(gold, guess)]
    return {"name": name, "macro_f1": macro_f1(gold, guess), "accuracy": float(np.mean(right)),
            "ece": ece(conf, right), "train_s_per_fold": fit_s / folds, "msgs_per_s": len(gold) / pred_s}


def read_diet(directory: Path) -> Dict[str, float]:
    rows = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = directory / name
        if path.exists():
            rows += json.loads(path.read_text(encoding="utf-8"))
    gold = [r["intent"] for r in rows]
    guess = [r["intent_prediction"]["name"] for r in rows]
    conf = [float(r["intent_prediction"]["confidence"]) for r in rows]
    right = [a == b for a, b in zip(gold, guess)]
    return {"name": "DIET (scripts/diet_config.yml, Rasa CV)", "macro_f1": macro_f1(gold, guess),
            "accuracy": float(np.mean(right)), "ece": ece(conf, right), "train_s_per_fold": float("nan"),
            "msgs_per_s": float("nan")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--data", default="data/nlu")
    parser.add_argument("--diet-results", help="output directory of the Rasa cross-validation run of DIET")
    args = parser.parse_args()
    texts, labels, lookups = load_examples(Path(args.data))
    print(f"{len(texts)} examples, {len(set(labels))} intents, {args.folds}-fold CV")
    candidates = [
        ("logistic regression C=10, chars+words+lookups", lambda: LinearIntentModel(LinearConfig(c=10, lookups=lookups))),
        ("logistic regression C=3, chars+words+lookups", lambda: LinearIntentModel(LinearConfig(c=3, lookups=lookups))),
        ("logistic regression C=10, chars only", lambda: LinearIntentModel(LinearConfig(c=10, words=False))),
        ("linear SVM + sigmoid calibration, chars+words+lookups", lambda: SvmModel(LinearConfig(lookups=lookups))),
    ]
    print(f"{'candidate':<56} {'macro F1':>8} {'acc':>6} {'ECE':>6} {'train s':>8} {'msg/s':>8}", flush=True)

    def show(r: Dict[str, float]) -> None:
        print(f"{r['name']:<56} {r['macro_f1']:>8.3f} {r['accuracy']:>6.3f} {r['ece']:>6.3f} "
              f"{r['train_s_per_fold']:>8.1f} {r['msgs_per_s']:>8.0f}", flush=True)

    if args.diet_results:
        show(read_diet(Path(args.diet_results)))
    for name, make in candidates:
        show(run_linear(name, make, texts, labels, args.folds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
