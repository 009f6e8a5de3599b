"""Rank FAQ entries for a fan's question.

TF-IDF over jieba words plus character bigrams (bigrams catch typos and words jieba splits
differently), after rewriting staff-edited synonyms to one canonical form. An entry is scored by
its best-matching phrasing (question, alternates, and its answer at a discount), so adding a
phrasing to the file directly helps. The department and intent from the NLU act as priors.
Scores are cosine similarities in [0, 1], so the auto-answer threshold is a plain setting.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np

from bot.faq.model import FaqEntry
from bot.faq.scope import ScopeLexicon

ANSWER_WEIGHT = 0.6
# The share of the question's informative words that an entry knows about scales its score:
# a question that shares only "单独买吗" with an entry is about something else.
COVERAGE_FLOOR = 0.4
# An entry whose question and answer name only other products than the fan's is about them.
OTHER_PRODUCT_FACTOR = 0.6
# An entry with `keywords` needs one of them in the question (e.g. 天猫/京东 for platform orders).
MISSING_KEYWORD_FACTOR = 0.3
PRODUCTS = re.compile(r"x5\s*pro|x5|a3|buds\s*3|watch\s*s2", re.IGNORECASE)


def products(text: str) -> frozenset:
    """Canonical product names mentioned in a text ('x5 pro' and 'x5pro' are one)."""
    return frozenset(re.sub(r"\s+", "", m.lower()) for m in PRODUCTS.findall(text))
OTHER_DEPARTMENT_FACTOR = 0.8
PRODUCT_WORDS = frozenset("x5 pro a3 buds watch s2 云雀".split())
SAME_INTENT_BONUS = 0.08
_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z0-9+.]+")
STOPWORDS = frozenset(
    "的 了 吗 呢 啊 呀 吧 嘛 么 哦 噢 哈 是 我 你 们 在 有 和 就 都 也 还 这 那 个 请问 问 一下 想 下 能 可以 会 要 怎么 什么 啥".split()
)


# Words that carry no topic on this account (fillers, the brand itself): ignored by coverage.
NEUTRAL = frozenset(
    "云雀 手机 官方 小编 求问 小白 蹲 急 急急急 哈哈 哈哈哈 家人们 救命 真的 到底 就是 现在 一个 这个 那个 然后 "
    "还是 怎么办 如何 知道 有人 大家 同问 pls 请 您好 你好 想问 问下 问问 一般 多久 多少 几 吗 不 没 没有 呢 哪 "
    "不是 是不是 会不会 能不能 可不可以 有没有 要不要 用不用 行不行 还能 能够 这种 那种 的话 一下 大概 是否 可否 "
    "到 去 来 啥时候 什么时候 时候 几点 需要 能用 用 要 给 让 把 对 跟 和 与 或者 吧 啦 嘛".split()
)


@dataclass(frozen=True)
class Match:
    entry: FaqEntry
    score: float
    matched: str
    similarity: float = 0.0
    coverage: float = 0.0


class Synonyms:
    """Rewrites each variant to its canonical word, longest variant first."""

    def __init__(self, groups: Dict[str, Sequence[str]]) -> None:
        pairs = [(v.lower(), canon.lower()) for canon, variants in groups.items() for v in variants if v]
        pairs.sort(key=lambda p: -len(p[0]))
        self._pairs = pairs
        self._pattern = re.compile("|".join(re.escape(v) for v, _ in pairs)) if pairs else None
        self._map = dict(pairs)

    def apply(self, text: str) -> str:
        text = text.lower()
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._map[m.group(0)], text)


JIEBA_DICT_DIR = Path("data/jieba")


@lru_cache(maxsize=1)
def _jieba():
    """jieba with the project's user dictionary, the one the Rasa tokenizer loads too."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    if JIEBA_DICT_DIR.is_dir():
        for path in sorted(JIEBA_DICT_DIR.iterdir()):
            jieba.load_userdict(str(path))
    return jieba


def analyse(text: str) -> List[str]:
    """Words (jieba, stop words removed) and character bigrams of the Chinese runs."""
    jieba = _jieba()
    words = [w for w in jieba.lcut(text) if _KEEP.fullmatch(w) and w not in STOPWORDS]
    grams: List[str] = []
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        grams.extend("#" + run[i : i + 2] for i in range(len(run) - 1))
    return words + grams


Query = Tuple[str, str | None, str | None]  # (text, department prior, intent prior)


def _identity(tokens: List[str]) -> List[str]:
    return tokens


class FaqIndex:
    """An immutable search index over one consistent set of entries."""

    def __init__(self, entries: Sequence[FaqEntry], synonyms: Synonyms | None = None,
                 scope: ScopeLexicon | None = None, sensitive: Sequence[str] = ()) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.entries: List[FaqEntry] = list(entries)
        self.by_id = {e.id: e for e in self.entries}
        self.synonyms = synonyms or Synonyms({})
        self.scope = (scope or ScopeLexicon({})).with_configs(self.entries)
        self.sensitive = tuple(sensitive)  # words no public reply may carry (bot.safety)
        docs: List[str] = []
        owners: List[int] = []
        weights: List[float] = []
        for i, entry in enumerate(self.entries):
            for text, weight in [(q, 1.0) for q in entry.questions] + [(entry.answer, ANSWER_WEIGHT)]:
                docs.append(text)
                owners.append(i)
                weights.append(weight)
        self._docs = docs
        self._owners = np.array(owners, dtype=np.int64)
        # Each entry's phrasings are contiguous: reduceat over these starts gives per-entry maxima.
        self._starts = np.flatnonzero(np.r_[True, self._owners[1:] != self._owners[:-1]]) if docs else None
        self._weights = np.array(weights)
        tokens = [self._analyse(d) for d in docs]
        self._vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2")
        self._matrix = self._vectorizer.fit_transform(tokens).T.tocsr() if docs else None
        self._vocab = self._vectorizer.vocabulary_ if docs else {}
        self._idf = self._vectorizer.idf_ if docs else np.zeros(0)
        self._max_idf = float(self._idf.max()) if docs else 1.0
        self._entry_words: List[set] = [set() for _ in self.entries]
        for doc_tokens, owner in zip(tokens, owners):
            self._entry_words[owner].update(t for t in doc_tokens if not t.startswith("#"))
        self._products = [products(e.question + " " + e.answer) for e in self.entries]
        self._departments = np.array([e.department for e in self.entries])
        self._intents = np.array([e.intent or "" for e in self.entries])

    def _analyse(self, text: str) -> List[str]:
        return analyse(self.synonyms.apply(text))

    def search(self, text: str, department: str | None = None, intent: str | None = None,
               limit: int = 5) -> List[Match]:
        """Best entries first; `department` and `intent` (from the NLU) are soft priors."""
        return self.search_many([(text, department, intent)], limit)[0]

    def search_many(self, queries: Sequence[Query], limit: int = 5) -> List[List[Match]]:
        """`search` for many questions with one sparse product (what `bot triage` needs)."""
        results: List[List[Match]] = [[] for _ in queries]
        live = [i for i, (text, _d, _i) in enumerate(queries) if text.strip()]
        if self._matrix is None or not live:
            return results
        tokens = [self._analyse(queries[i][0]) for i in live]
        sims = (self._vectorizer.transform(tokens) @ self._matrix).toarray() * self._weights
        best_all = np.maximum.reduceat(sims, self._starts, axis=1)
        for row, (qi, query_tokens) in enumerate(zip(live, tokens)):
            text, department, intent = queries[qi]
            results[qi] = self._rank(text, query_tokens, best_all[row], sims[row], department, intent, limit)
        return results

    def _rank(self, text: str, tokens: List[str], best: np.ndarray, sims: np.ndarray, department: str | None,
              intent: str | None, limit: int) -> List[Match]:
        if not best.any():
            return []
        if department:
            best = np.where(self._departments == department, best, best * OTHER_DEPARTMENT_FACTOR)
        if intent:
            best = np.where(self._intents == intent, np.minimum(best + SAME_INTENT_BONUS, 1.0), best)
        weights = self._informative(tokens)
        asked = products(text)
        lowered = text.lower()
        top = np.argpartition(-best, min(len(best) - 1, max(limit * 3, 10)))[: max(limit * 3, 10)]
        scored = []
        for i in top:
            if best[i] <= 0:
                continue
            entry = self.entries[i]
            if any(k.lower() in lowered for k in entry.excludes):
                continue
            coverage = self._share(weights, i)
            score = best[i] * (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * coverage)
            if asked and self._products[i] and not asked & self._products[i]:
                score *= OTHER_PRODUCT_FACTOR
            if entry.keywords and not any(k.lower() in lowered for k in entry.keywords):
                score *= MISSING_KEYWORD_FACTOR
            scored.append((score, i, coverage))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [
            Match(self.entries[i], float(round(score, 4)), self._best_phrasing(sims, i),
                  float(round(best[i], 4)), float(round(coverage, 4)))
            for score, i, coverage in scored[:limit]
        ]

    def coverage(self, text: str, entry: FaqEntry) -> float:
        """The idf-weighted share of the text's informative words that the entry's texts contain."""
        try:
            i = self.entries.index(entry)
        except ValueError:
            return 0.0
        # Product names are the scope check's business: here only what is asked about them counts.
        return self._share(self._informative(self._analyse(text), topic_only=True), i)

    def _informative(self, tokens: List[str], topic_only: bool = False) -> Dict[str, float]:
        """The informative words of a text with their idf (a word no entry knows weighs the most);
        `topic_only` also leaves out product names and bare numbers."""
        words = {t for t in tokens if not t.startswith("#") and t not in NEUTRAL
                 and not (topic_only and (t in PRODUCT_WORDS or t.isdigit()))}
        return {w: float(self._idf[self._vocab[w]]) if w in self._vocab else self._max_idf for w in words}

    def _share(self, weights: Dict[str, float], entry_index: int) -> float:
        """The idf-weighted share of those words that an entry's texts contain (1.0 for none)."""
        total = sum(weights.values())
        known = self._entry_words[entry_index]
        return sum(v for w, v in weights.items() if w in known) / total if total else 1.0

    def _best_phrasing(self, sims: np.ndarray, entry_index: int) -> str:
        docs = np.flatnonzero(self._owners == entry_index)
        return self._docs[docs[np.argmax(sims[docs])]]
