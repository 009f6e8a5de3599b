"""Is the best FAQ entry really about what the fan asked? The answerability check after retrieval.

Retrieval finds the nearest entry; a near miss (the speaker grille instead of the screen, company
staff instead of students, a reseller instead of the official mall, a fix the fan already tried)
scores high anyway. Every specific of the question (a product, a version, a part, a buyer group,
a sales channel, a precondition, an extra ask) must be within the entry's scope: named in the
entry's own text or in its `scope` list, and not in its `not_covered` list. The facets and their
variants are in a staff-edited file (data/faq/scope.yml), so a department widens or narrows what
counts without code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import yaml

from bot.faq.model import FaqEntry, Problem

SCOPE_FILE = "scope.yml"
# Facet groups: a value mentioned in the question must be covered by the entry.
FACETS = ("products", "parts", "specs", "services", "groups", "channels", "regions", "brands", "conditions", "extras")
# Our own products: an entry that names some of them covers only those.
OUR_PRODUCTS = re.compile(r"x5\s*pro|x5|a3|buds\s*3|watch\s*s2", re.IGNORECASE)
_VERSION = re.compile(r"(?<![\d.])\d+\.\d+(?:\.\d+)?(?![\d.])")
_STORAGE = re.compile(r"(?<![\d+])(\d{2,4}|[12])\s*(tb|t|gb|g)(?![a-z0-9+])", re.IGNORECASE)
_MEMORY = re.compile(r"(\d{1,2})\s*(?:g|gb)?\s*\+\s*(\d{2,4}|[12])\s*(t|tb|g|gb)?", re.IGNORECASE)


# "已在 11 月 20 日推送的 3.0.3 版本修复": the version that fixes what the entry is about.
_FIXED_IN = re.compile(r"(?<![\d.])(\d+\.\d+(?:\.\d+)?)\s*(?:版本|版)?\s*(?:已|已经)?(?:修复|解决)")


_LATIN_WORD = re.compile(r"(?<![a-z0-9])[a-z][a-z0-9]*(?:-[a-z0-9]+)*\+?(?![a-z0-9])")
# Latin words fans use that say nothing about the topic, and our names (checked as products).
_LATIN_KNOWN = frozenset({"x5", "pro", "a3", "buds", "watch", "s2", "care", "care+", "yunque", "os", "gb", "g", "tb",
                          "t", "mah", "w", "hz", "mm", "ok", "okk", "hi", "hello", "yyds", "xswl", "dddd", "pls", "plz",
                          "thx", "thanks", "emm", "em", "hhh", "hh", "ps", "dm", "vx", "app", "pm", "am", "v", "p", "qaq",
                          "orz", "vlog", "ios", "iphone", "android", "max", "plus", "mini", "ultra", "lite", "se", "s",
                          "e", "wifi", "bug", "cpu", "soc", "nfc", "kol", "up", "ip"})


def _term(word: str) -> bool:
    """A short name or acronym ("esim", "ldac", "wifi6"), not an English word of a sentence
    ("student discount") nor an order number ("yq20261201004512")."""
    return word not in _LATIN_KNOWN and len(word) <= 5 and not re.search(r"\d{5,}", word)


def _flat(text: str) -> str:
    return re.sub(r"[\s\-_]+", "", text.lower())


def _on_version(question: str, version: str) -> bool:
    """Does the question say the fan has that version ("升级3.0.3之后", "更新到了3.0.3")?"""
    v = re.escape(version)
    return bool(re.search(rf"(?:升|更新|装|刷|到)[^\d]{{0,8}}{v}|{v}\s*(?:之后|以后|后|了|也|都|已|装)", question))


# "10.18", "11.11": a day of the year, not a version. "10 月 18 日", "12 月 10 日至 12 日" in entries.
_SHORT_DATE = re.compile(r"(?<![\d.])(1[0-2]|0?[1-9])\.(3[01]|[12]\d|0?[1-9])(?![\d.])")
_LONG_DATE = re.compile(r"(1[0-2]|0?[1-9])\s*月\s*(3[01]|[12]\d|0?[1-9])\s*[日号](?:\s*(?:至|到|-|~)\s*(3[01]|[12]\d|0?[1-9])\s*[日号])?")


def _dates(text: str, short: List[Tuple[str, str]]) -> set:
    """The days of the year a text names, as "m-d" (`short`: its "10.18" forms, found already)."""
    days = {f"{int(m)}-{int(d)}" for m, d in short}
    for month, first, last in _LONG_DATE.findall(text):
        end = int(last) if last else int(first)
        days |= {f"{int(month)}-{day}" for day in range(int(first), max(int(first), end) + 1)}
    return days


_MONTH = re.compile(r"(?<![\d.])(1[0-2]|0?[1-9])\s*月")


def _months(text: str, dates: set) -> set:
    """The months a text names ("10月那次抽奖", and those of its `dates`), each as its number."""
    return {str(int(m)) for m in _MONTH.findall(text)} | {d.split("-")[0] for d in dates}


def _memory_key(match: re.Match) -> str:
    ram, rom, unit = match.group(1), match.group(2), (match.group(3) or "").lower()
    return f"{ram}+{rom}{'t' if unit.startswith('t') else ''}"


# Our products as staff write them, and the canonical key the checks compare.
PRODUCT_NAMES = ("X5", "X5 Pro", "A3", "Buds 3", "Watch S2")
KNOWN_MODELS = frozenset(re.sub(r"\s+", "", n.lower()) for n in PRODUCT_NAMES)
# Anything shaped like one of our model names ("X6", "A3 Pro", "Buds 3 Pro", "Watch S3").
_MODEL = re.compile(r"(?<![a-z0-9])(?:[xa]\s?\d{1,2}(?:\s*(?:pro\s*max|pro\+?|max|ultra|plus|mini|lite|se|s|e)(?![a-z]))?"
                    r"|buds\s*\d+(?:\s*(?:pro|max|lite|plus|se|ultra)(?![a-z]))?"
                    r"|watch\s*s?\d+(?:\s*(?:pro|max|lite|plus|se|ultra)(?![a-z]))?)", re.IGNORECASE)


def product_key(name: str) -> str | None:
    """'X5 Pro' / 'x5pro' -> 'x5pro'; None for a name that is not one of our products."""
    key = re.sub(r"\s+", "", str(name).lower())
    return key if key in KNOWN_MODELS else None


def unknown_models(text: str) -> set:
    """Model names of ours that do not exist ("X6", "A3 Pro"): a wish for the product team."""
    return {k for k in (re.sub(r"\s+", "", m.lower()) for m in _MODEL.findall(text)) if k not in KNOWN_MODELS}


# A number with a unit of the manuals ("24期", "50元", "3次"): an entry answers it only if it names it.
# Days, months and years are not checked: an entry with a time window ("7 天内") answers any count.
_AMOUNT = re.compile(r"(?<![\d.])(\d+)\s*(?:期|元|块|次|台|瓦|w(?![a-z])|%)", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")
_SERIES = re.compile(r"x5\s*系列|x5\s*和\s*x5\s*pro", re.IGNORECASE)
# The official mall is where a question is about unless it says otherwise: an entry that names
# no sales channel covers it.
IMPLICIT = {("channels", "云雀商城")}
# A product we do not make is a wish for the product team (company.md's routing).
PRODUCT_DEPARTMENT = "product"


def specifics(text: str) -> Dict[str, set]:
    """Versions, memory configurations and our products named in a text, in canonical form."""
    products = {re.sub(r"\s+", "", p.lower()) for p in OUR_PRODUCTS.findall(text)}
    if _SERIES.search(text):
        products |= {"x5", "x5pro"}
    memory = {_memory_key(m) for m in _MEMORY.finditer(text)}
    rest = _MEMORY.sub(" ", text)  # "8+256" is a configuration, not a storage size or an amount
    storage = {f"{n}{u[0].lower()}" for n, u in _STORAGE.findall(rest)}
    storage |= {key.split("+")[1] + ("" if key.endswith("t") else "g") for key in memory}
    short = _SHORT_DATE.findall(text)
    dates = _dates(text, short)
    return {
        "version": set(_VERSION.findall(text)) - {f"{m}.{d}" for m, d in short},
        "date": dates,
        "month": _months(text, dates),
        "memory": memory,
        "storage": storage,
        "product": products,
        "amount": set(_AMOUNT.findall(_VERSION.sub(" ", rest))),
    }


@dataclass(frozen=True)
class Verdict:
    answerable: bool
    reason: str = ""  # e.g. "parts:扬声器" - what the entry does not cover
    department: str | None = None  # who owns the uncovered specific, when it is not the entry's department


@dataclass(frozen=True)
class _Offer:
    models: frozenset
    specifics: Dict[str, set]
    numbers: frozenset
    covered: frozenset  # (facet, value) the entries name
    facets: frozenset  # facets the entries name some value of
    excluded: frozenset  # (facet, value) the entries declare not covered
    fixes: frozenset  # versions the entries say fix the problem ("3.0.3 版本修复")
    latin: str  # the entries' text, lower case, without spaces and hyphens ("wi-fi" -> "wifi")


class ScopeLexicon:
    """Facet values with their variants, matched as substrings (Chinese has no word boundaries)."""

    def __init__(self, facets: Dict[str, Dict[str, Sequence[str]]]) -> None:
        self._offers: Dict[Tuple[FaqEntry, ...], _Offer] = {}
        self.configs: Dict[str, Dict[str, frozenset]] = {}  # per product (with_configs)
        self._values: List[Tuple[str, str, re.Pattern | None, re.Pattern | None]] = []
        self._answer_side: Dict[int, re.Pattern] = {}
        for facet, values in facets.items():
            for value, variants in values.items():
                # "答:..." counts only in an entry ("答:评论区": where a "在哪看" question is answered).
                answer_side = [w[2:] for w in variants if w.startswith("答:")]
                words = sorted({value, *(w for w in variants if not w.startswith("答:"))}, key=len, reverse=True)
                if answer_side:
                    self._answer_side[len(self._values)] = re.compile(
                        "|".join(w[3:] if w.startswith("re:") else re.escape(w) for w in answer_side), re.I)
                # "re:..." is a pattern ("re:还是.{0,6}断"): staff write words, a developer the odd pattern.
                plain = [re.escape(w) for w in words if not w.startswith("re:")]
                patterns = [w[3:] for w in words if w.startswith("re:")]
                self._values.append((facet, value, re.compile("|".join(plain), re.I) if plain else None,
                                     re.compile("|".join(patterns), re.I) if patterns else None))
        self._latin_facet_words = frozenset(w.lower() for values in facets.values() for value, variants in values.items()
                                            for w in (value, *variants) if _LATIN_WORD.fullmatch(w.lower()))

    def mentioned(self, text: str, in_entry: bool = False) -> List[Tuple[str, str]]:
        """The facet values a text names. Words are read longest first, and a word inside a longer
        one counts only as the longer one: "存储卡" is a card, not "存储" (storage); "屏幕多大" is
        the screen's size. Several values sharing one word ("港澳台") all count."""
        spans = []
        for order, (_facet, _value, plain, _patterns) in enumerate(self._values):
            if plain is not None:
                spans += [(m.start(), m.end(), order) for m in plain.finditer(text) if m.end() > m.start()]
        spans.sort(key=lambda span: (span[0] - span[1], span[0]))
        taken: set = set()
        kept: set = set()
        named = set()
        for start, end, order in spans:
            if (start, end) not in kept and any(i in taken for i in range(start, end)):
                continue
            kept.add((start, end))
            taken.update(range(start, end))
            named.add(order)
        return [(facet, value) for order, (facet, value, _plain, patterns) in enumerate(self._values)
                if order in named or (patterns is not None and patterns.search(text))
                or (in_entry and order in self._answer_side and self._answer_side[order].search(text))]

    def with_configs(self, entries: Sequence[FaqEntry]) -> ScopeLexicon:
        """This lexicon knowing which memory and storage configurations each product comes in, as the
        entries that name one product say (the price lists): a configuration no entry gives that
        product does not exist, and asking for it is a wish for the product team."""
        learned: Dict[str, Dict[str, set]] = {}
        for entry in entries:
            named = specifics(" ".join((entry.question, entry.answer, entry.comment)))
            if len(named["product"]) == 1:
                known = learned.setdefault(next(iter(named["product"])), {"memory": set(), "storage": set()})
                known["memory"] |= named["memory"]
                known["storage"] |= named["storage"]
        copy = ScopeLexicon.__new__(ScopeLexicon)
        copy.__dict__.update(self.__dict__)
        copy._offers = {}
        copy.configs = {product: {k: frozenset(v) for k, v in known.items()} for product, known in learned.items()}
        return copy

    def several(self, text: str) -> bool:
        """Does the text name two values of one facet ("换电池和换屏": two parts)?"""
        facets = [facet for facet, _value in self.mentioned(text)]
        return len(facets) != len(set(facets))

    def unmade(self, text: str) -> str | None:
        """A product we do not make that the text names (a model like "X6", or a laptop), if any."""
        models = sorted(unknown_models(text))
        if models:
            return models[0]
        return next((value for facet, value in self.mentioned(text) if facet == "products"), None)

    def _offer(self, entries: Tuple[FaqEntry, ...]) -> _Offer:
        """What entries cover, computed once per set of entries (the index, and so the entries, is immutable).

        The main question, the answer and the declared scope say what an entry covers; alternates
        only help retrieval. An alternate that names a thing the answer never speaks of
        ("充满电要多快" under a wattage answer) must not make that thing answerable."""
        offer = self._offers.get(entries)
        if offer is None:
            body = " ".join(t for e in entries for t in [e.question, e.answer, e.comment, *e.scope])
            covered = frozenset(self.mentioned(body, in_entry=True))
            offer = _Offer(
                models=frozenset(unknown_models(body)), specifics=specifics(body),
                numbers=frozenset(_NUMBER.findall(body)), covered=covered,
                facets=frozenset(facet for facet, _ in covered),
                excluded=frozenset(self.mentioned(" ".join(t for e in entries for t in e.not_covered))),
                fixes=frozenset(_FIXED_IN.findall(body)), latin=_flat(body))
            self._offers[entries] = offer
        return offer

    def check(self, question: str, *entries: FaqEntry) -> Verdict:
        """Answerable when every specific of the question is within the scope of the entries together."""
        offer = self._offer(entries)
        new_models = unknown_models(question) - offer.models
        if new_models:
            return Verdict(False, "products:" + ",".join(sorted(new_models)), PRODUCT_DEPARTMENT)
        asked, offered = specifics(question), offer.specifics
        if len(asked["product"]) == 1:
            known = self.configs.get(next(iter(asked["product"])))
            # A bare "128G" may be the old phone's (trade-in); a configuration or a TB size is ours.
            unmade = known and ((asked["memory"] - known["memory"])
                                | {size for size in asked["storage"] - known["storage"] if size.endswith("t")})
            if unmade and (known["memory"] or known["storage"]):
                return Verdict(False, "version:" + ",".join(sorted(unmade)), PRODUCT_DEPARTMENT)
        if asked["product"] and offered["product"] and not asked["product"] <= offered["product"]:
            return Verdict(False, "products:" + ",".join(sorted(asked["product"] - offered["product"])))
        for kind in ("version", "memory", "storage", "date", "month"):
            # An entry that names no version ("分批推送，以官方公告为准") is about every version.
            missing = asked[kind] - offered[kind] if offered[kind] else set()
            if missing:
                return Verdict(False, f"{kind}:" + ",".join(sorted(missing)))
        for version in asked["version"] & offer.fixes:
            if _on_version(question, version):
                # The fan already runs the version the entry says fixes it ("升级3.0.3之后还是断").
                return Verdict(False, "conditions:修复后仍有")
        amounts = asked["amount"] - offer.numbers
        if amounts:
            return Verdict(False, "amount:" + ",".join(sorted(amounts)))
        for word in _LATIN_WORD.findall(question.lower()):
            # A Latin-letter word is a name or a term ("eSIM", "LDAC", "Dolby"): an entry that never
            # uses it does not answer about it. Facet words and our own names are checked above/below.
            if _term(word) and word not in self._latin_facet_words and _flat(word) not in offer.latin:
                return Verdict(False, f"term:{word}")
        for facet, value in self.mentioned(question):
            if (facet, value) in offer.excluded:
                return Verdict(False, f"{facet}:{value}", PRODUCT_DEPARTMENT if facet == "products" else None)
            if (facet, value) in offer.covered or ((facet, value) in IMPLICIT and facet not in offer.facets):
                continue
            return Verdict(False, f"{facet}:{value}", PRODUCT_DEPARTMENT if facet == "products" else None)
        return Verdict(True)


def load_scope(path: Path) -> Tuple[ScopeLexicon, List[Problem]]:
    """The facet file `facet: {value: [variant, ...]}`; a missing file means no facets."""
    if not path.exists():
        return ScopeLexicon({}), []
    fix = "每个分类下写成 `标准说法: [说法1, 说法2]`，分类只能是 " + "、".join(FACETS)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return ScopeLexicon({}), [Problem(str(path), mark.line + 1 if mark else 1, "yaml", f"YAML 格式错误：{exc}", fix)]
    problems: List[Problem] = []
    facets: Dict[str, Dict[str, List[str]]] = {}
    if not isinstance(data, dict):
        return ScopeLexicon({}), [Problem(str(path), 1, "scope", "范围词文件格式不对", fix)]
    for facet, values in data.items():
        if facet not in FACETS:
            problems.append(Problem(str(path), 1, str(facet), f"不认识的分类 {facet!r}", fix))
            continue
        if not isinstance(values, dict) or not all(isinstance(v, list) for v in values.values()):
            problems.append(Problem(str(path), 1, str(facet), f"分类 {facet} 的格式不对", fix))
            continue
        facets[facet] = {str(k): [str(v) for v in vs if str(v).strip()] for k, vs in values.items()}
    return ScopeLexicon(facets), problems
