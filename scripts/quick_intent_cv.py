"""A fast proxy for the NLU data's separability: 5-fold CV of a linear SVM on char n-grams.

Rasa's own cross-validation (`make cross-validate`) trains the whole pipeline per fold; this takes
seconds, so people writing training data can see which intents their examples confuse.
usage: .venv/bin/python scripts/quick_intent_cv.py [--confusions 30]
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import classification_report
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bot.text import normalise  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--confusions", type=int, default=30)
    parser.add_argument("--show-errors", metavar="INTENT", help="print the misclassified examples of an intent")
    args = parser.parse_args()
    texts, labels = [], []
    for path in sorted(Path("data/nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" not in block:  # lookup tables
                continue
            for line in block["examples"].splitlines():
                if line.startswith("- "):
                    texts.append(normalise(line[2:].strip()).text)
                    labels.append(block["intent"])
    model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True), LinearSVC(C=0.5))
    predicted = cross_val_predict(model, texts, labels, cv=StratifiedKFold(5, shuffle=True, random_state=0))
    report = classification_report(labels, predicted, output_dict=True, zero_division=0)
    print(f"{len(texts)} examples, {len(set(labels))} intents; accuracy {report['accuracy']:.3f}, "
          f"macro F1 {report['macro avg']['f1-score']:.3f}")
    worst = sorted((v["f1-score"], k) for k, v in report.items() if isinstance(v, dict) and k not in
                   ("macro avg", "weighted avg"))
    print("lowest F1: " + ", ".join(f"{k} {f:.2f}" for f, k in worst[:10]))
    pairs = collections.Counter((a, b) for a, b in zip(labels, predicted) if a != b)
    for (gold, guess), n in pairs.most_common(args.confusions):
        print(f"{n:3d}  {gold} -> {guess}")
    if args.show_errors:
        for text, gold, guess in zip(texts, labels, predicted):
            if gold == args.show_errors and guess != gold:
                print(f"  {gold} -> {guess}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
