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
    """Macro F1 over the intents the test examples have (an intent absent from them has no F1)."""
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0))


class LogRegModel(LinearIntentModel):
    """The same features into logistic regression (the other linear candidate)."""

    def fit(self, texts, labels):
        from sklearn.linear_model import LogisticRegression

        x = self._features(texts, fit=True)
        self._clf = LogisticRegression(C=self.config.c, max_iter=2000, class_weight="balanced").fit(x, list(labels))
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


def compare_unseen(old_dir: Path, new_dir: Path, candidates, diet_file: str | None) -> int:
    """Every candidate trained on the older data and tested on the examples written since: text
    none of them saw, the DIET of db3028c included (its predictions come from its own code)."""
    old_texts, old_labels, _ = load_examples(old_dir)
    texts, labels, _ = load_examples(new_dir)
    seen = set(old_texts)
    test = [(t, y) for t, y in zip(texts, labels) if t not in seen]
    print(f"trained on {len(old_texts)} older examples, tested on {len(test)} added since")
    print(f"{'candidate':<60} {'macro F1':>8} {'acc':>6} {'ECE':>6} {'train s':>8}")
    gold = [y for _t, y in test]
    for name, make in candidates:
        model = make()
        start = time.perf_counter()
        model.fit(old_texts, old_labels)
        took = time.perf_counter() - start
        ranks = model.rank([t for t, _y in test], top=1)
        guess, conf = [r[0][0] for r in ranks], [r[0][1] for r in ranks]
        right = [a == b for a, b in zip(gold, guess)]
        print(f"{name:<60} {macro_f1(gold, guess):>8.3f} {np.mean(right):>6.3f} {ece(conf, right):>6.3f} {took:>8.1f}")
    if diet_file:
        rows = {r["text"]: r for r in json.loads(Path(diet_file).read_text(encoding="utf-8"))}
        picked = [rows[t] for t, _y in test if t in rows]
        guess = [next((n for n, _c in r["ranking"] if n != "nlu_fallback"), r["predicted"]) for r in picked]
        conf = [next((c for n, c in r["ranking"] if n != "nlu_fallback"), r["confidence"]) for r in picked]
        gold_d = [r["intent"] for r in picked]
        right = [a == b for a, b in zip(gold_d, guess)]
        print(f"{'DIET of db3028c (scripts/diet_config.yml), its own predictions':<60} {macro_f1(gold_d, guess):>8.3f} "
              f"{np.mean(right):>6.3f} {ece(conf, right):>6.3f} {'~720':>8}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--data", default="data/nlu")
    parser.add_argument("--diet-results", help="output directory of the Rasa cross-validation run of DIET")
    parser.add_argument("--unseen", metavar="OLD_DATA_DIR",
                        help="train on this older data set and test on the examples added since (in --data)")
    parser.add_argument("--diet-predictions", help="JSON of a DIET model trained on OLD_DATA_DIR, on those examples")
    args = parser.parse_args()
    texts, labels, lookups = load_examples(Path(args.data))
    print(f"{len(texts)} examples, {len(set(labels))} intents, {args.folds}-fold CV")
    candidates = [
        ("linear SVM C=0.5 + sigmoid, chars+words+lookups (chosen)", lambda: LinearIntentModel(LinearConfig(lookups=lookups))),
        ("linear SVM C=0.5 + sigmoid, chars only", lambda: LinearIntentModel(LinearConfig(words=False))),
        ("logistic regression C=10, chars+words+lookups", lambda: LogRegModel(LinearConfig(c=10, lookups=lookups))),
    ]
    if args.unseen:
        return compare_unseen(Path(args.unseen), Path(args.data), candidates, args.diet_predictions)
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
