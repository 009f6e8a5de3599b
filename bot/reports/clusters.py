"""Questions the manuals did not answer, grouped by meaning, each with the FAQ entry closest to it.

Each question becomes a TF-IDF vector over the words and character bigrams the FAQ search uses
(bot.faq.index.analyse: jieba with the project's dictionary); scikit-learn's agglomerative
clustering (average linkage on cosine distance) joins questions closer than a distance threshold,
so the number of clusters follows the data instead of being fixed in advance. A department reads
the largest clusters first and turns one into alternates of an entry or a new entry.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from typing import List, Sequence, Tuple

from bot.faq.index import NEUTRAL, PRODUCT_WORDS, FaqIndex, analyse
from bot.outcome import R_LOW_CONFIDENCE, R_NOT_COVERED, R_OUT_OF_SCOPE
from bot.reports.rows import Message

UNANSWERED_REASONS = (R_NOT_COVERED, R_LOW_CONFIDENCE, R_OUT_OF_SCOPE)
# Cosine distance below which two questions (or groups) are joined: at 0.75 the demo month's
# infrared questions fell into four clusters, at 0.9 into one, without joining unrelated topics.
DISTANCE = 0.9
SUGGEST_SCORE = 0.4  # the closest entry is offered as the one to extend only from this FAQ score
MAX_QUESTIONS = 3000  # the newest ones, so a report stays fast whatever the backlog
EXAMPLES = 6
_PRODUCT_GRAM = re.compile(r"x5|a3|s2|pro|buds|watch|#云雀|#雀手|#手机", re.IGNORECASE)


@dataclass(frozen=True)
class Cluster:
    key: str  # stable for the same member messages
    size: int
    department: str
    examples: Tuple[str, ...]  # distinct wordings, the most central first
    counts: Tuple[int, ...]  # how often each example was asked
    message_ids: Tuple[int, ...]
    closest_id: str | None
    closest_question: str | None
    closest_score: float

    @property
    def suggested_id(self) -> str | None:
        """The entry the console preselects: the closest one, when it is close enough to be a guess."""
        return self.closest_id if self.closest_score >= SUGGEST_SCORE else None


def terms(text: str) -> List[str]:
    """The FAQ search's words and bigrams, less what carries no topic here (fillers, the brand,
    product names: "X5能遥控电视吗" and "X5 Pro能遥控电视吗" ask one thing)."""
    return [t for t in analyse(text) if t.lstrip("#") not in NEUTRAL and t not in PRODUCT_WORDS
            and not _PRODUCT_GRAM.fullmatch(t)]


def unanswered(messages: Sequence[Message]) -> List[Message]:
    found = [m for m in messages if m.action == "handoff" and m.reason in UNANSWERED_REASONS and m.text.strip()]
    return found[-MAX_QUESTIONS:]


def _texts(messages: Sequence[Message]) -> List[str]:
    from bot.text import normalise

    return [normalise(m.text).text or m.text for m in messages]


def cluster(messages: Sequence[Message], index: FaqIndex | None, min_size: int = 2,
            limit: int = 20, distance: float = DISTANCE) -> List[Cluster]:
    """The largest groups of unanswered questions (at least `min_size` each), largest first."""
    items = unanswered(messages)
    if len(items) < max(2, min_size):
        return []
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = _texts(items)
    vectors = TfidfVectorizer(analyzer=terms, sublinear_tf=True).fit_transform(texts)
    dense = vectors.toarray()
    keep = np.flatnonzero(dense.any(axis=1))  # a question of stop words only has no direction
    if len(keep) < 2:
        return []
    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=distance, affinity="cosine",
                                     linkage="average").fit_predict(dense[keep])
    groups = Counter(labels)
    out: List[Cluster] = []
    for label, size in groups.most_common():
        if size < min_size or len(out) >= limit:
            break
        members = keep[labels == label]
        centre = dense[members].mean(axis=0)
        order = members[np.argsort(-(dense[members] @ centre))]
        asked = Counter(texts[i] for i in order)
        examples = tuple(dict.fromkeys(texts[i] for i in order))[:EXAMPLES]
        department = Counter(items[i].department for i in members).most_common(1)[0][0]
        ids = tuple(sorted(items[i].id for i in members))
        best = index.search(examples[0], department or None)[:1] if index is not None else []
        out.append(Cluster(hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:10], int(size), department,
                           examples, tuple(asked[e] for e in examples), ids, best[0].entry.id if best else None,
                           best[0].entry.question if best else None, round(best[0].score, 3) if best else 0.0))
    return out
