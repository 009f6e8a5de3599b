"""Normalise Weibo text before it reaches the NLU.

Fans' text arrives with HTML mention links, repost chains, emoticon codes, topics, links,
full-width forms and traditional characters. The classifier and the FAQ search should see only the
fan's own words in one canonical form; the stripped parts are kept as signals because they still
carry meaning (an angry emoticon, a link typical of spam).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import List

from bot.signals import OUR_NAMES

_A_TAG = re.compile(r"<a\b[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_ANY_TAG = re.compile(r"<[^>]+>")
_URL = re.compile(r"(?:https?://|www\.)[^\s\u4e00-\u9fff，。！？]+|\bt\.cn/[A-Za-z0-9]+", re.IGNORECASE)
_EMOTICON = re.compile(r"\[([^\[\]\s]{1,8})\]")
_TOPIC = re.compile(r"#([^#\n]{1,40})#")
# "@几个人" / "@2位好友" is a question about mentioning, not a mention: names do not start with a count.
_MENTION = re.compile(r"@(?![0-9一二两三四五几多]+(?:个|位|名)?)([\w\u4e00-\u9fff\-]{1,30})")
_REPOST = re.compile(r"//\s*@")
_SPACES = re.compile(r"\s+")
# Weibo fills an empty repost with this text: it is not the fan's own words.
_EMPTY_REPOST_TEXTS = {"转发微博", "repost"}
_CHAIN_ONLY_TEXTS = {"转发"}
_NO_WORDS = _EMPTY_REPOST_TEXTS | _CHAIN_ONLY_TEXTS  # in a chain, neither says anything
# Own words that only echo the quoted post ("同问", "+1"): the question is the quoted one.
_ECHO_TOKEN = (r"同问|同求|求处理|求解决|求帮忙|帮帮忙|求助|蹲后续|求后续|坐等后续|等后续|\+1|\+10086|顶一?下?|顶上去|蹲一?[个下]?|蹲蹲|求官方回复|求官方回答|求回复|求回答|求解答|求告知|"
               r"官方快?回复一?下?|官方快回|官方回答一?下?|小编回复一?下?|小编快回|一个官方回复|官方回复|我也想知道|我也想问|"
               r"我也是|我的也是|我也一样|我也遇到了|我也有这个问题|一模一样|一样的问题|蹲一?个?(?:解决办法|解决方法|答案|结果)|求解决办法|同样的问题|问题同上|一样|帮朋友问一?下?|替朋友问一?下?|"
               r"帮[我他她]问一?下?|求问|mark|码住|up|dd|在线等|急急急|急|求求了|求|同|1")
_ECHO = re.compile(rf"^(?:(?:{_ECHO_TOKEN})[!！?？~～。.，,\s]*)+$", re.IGNORECASE)
# Short own words that point at the quoted post ("我的也是这样，该怎么办", "后盖呢"): they mean
# nothing alone, so the quoted words come first and the fan's follow-up after them.
_POINTS_BACK = re.compile(r"^.{0,6}(?:这样|这个问题|这种情况|同样|也是|也这样|也遇到|也有)|^.{1,6}呢[?？]?$|"
                          r"^(?:那|请问|所以)?(?:该|要)?(?:怎么办|咋办|咋整|怎么解决|怎么弄)[?？]?$")
_MAX_POINTING_CHARS = 16
_ASKS_HINT = re.compile(r"[?？]|请问|吗|几点|什么时候|啥时候|怎么|多少|能不能|可以不")
# "…多少钱？谢谢" : thanks after a question says nothing about its topic.
_TRAILING_THANKS = re.compile(r"[,，.。!！\s]*(?:谢谢|感谢|多谢|thx|thanks|thank you)[啦了呀哈啊～~!！。.\s]*$", re.IGNORECASE)
_CHAIN_SEGMENT = re.compile(r"//\s*@([^:：]{1,30})[:：]")
# The company's own accounts (company.md): their posts in a chain are what the fan reposts, not a
# fan's question ("//@云雀手机:【X5上市转发抽奖】...").
OFFICIAL_ACCOUNT = re.compile(r"^云雀")
# A salutation in front of a question says nothing about its topic ("你好，想问下A3能无线充电吗").
_SALUTATION = re.compile(r"^(?:你好|您好|hello|hi|哈喽|哈啰|嗨|在吗|在不在|亲|请问一下|请问|问一下|小白求问|新人求问|求问|"
                         r"弱弱地?问一?下?|想问一下|想问下|想问|问下)[呀啊哈呢～~!！,，.。\s]*",
                         re.IGNORECASE)
_MIN_QUESTION_CHARS = 4


@dataclass(frozen=True)
class NormalisedText:
    """The fan's own words in canonical form, plus what was taken out of them."""

    text: str
    original: str
    emoticons: List[str] = field(default_factory=list)
    mentions: List[str] = field(default_factory=list)
    topics: List[str] = field(default_factory=list)
    urls: List[str] = field(default_factory=list)
    repost_chain: str = ""
    chain_words: str = ""  # the repost chain, simplified and in Mandarin words (topics kept)

    @property
    def is_empty(self) -> bool:
        return not self.text


@lru_cache(maxsize=1)
def _converter():
    # Created on first use, not at import: OpenCC loads its dictionaries from disk.
    import opencc

    # t2s, not tw2sp: the Taiwan-phrase table also rewrites simplified 么 to 幺 (在么 -> 在幺).
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional to simplified Chinese characters; text already simplified is left as it is."""
    return _converter().convert(text)


def _own_words(text: str) -> tuple[str, str]:
    """Split a repost into the fan's newest words and the quoted chain (newest first on Weibo)."""
    match = _REPOST.search(text)
    if not match:
        return text, ""
    return text[: match.start()], text[match.start():]


def regional_words():
    """The staff-edited regional lexicon (bot/regional.py), keys simplified like the text."""
    from bot.regional import live_lexicon

    return live_lexicon(to_simplified)


def _our_post_title(chain: str) -> str:
    """The opening words of our own post in the chain ("X5上市转发抽奖"), up to its first stop."""
    pieces = _CHAIN_SEGMENT.split(chain)
    for name, segment in zip(pieces[1::2], pieces[2::2]):
        if OFFICIAL_ACCOUNT.match(name.strip()):
            words = _clean(segment)
            return re.split(r"[!！。?？:：,，]", words.replace("【", "").replace("】", " "), maxsplit=1)[0].strip()[:30]
    return ""


def _quoted_question(chain: str) -> str:
    """The newest fan words in a repost chain that are more than an echo or Weibo's filler."""
    pieces = _CHAIN_SEGMENT.split(chain)  # [before, name, words, name, words, ...]
    for name, segment in zip(pieces[1::2], pieces[2::2]):
        if OFFICIAL_ACCOUNT.match(name.strip()):
            continue
        words = _clean(segment)
        if words and words.lower() not in _NO_WORDS and not _ECHO.match(words):
            return words
    return ""


# "Pro版" / "pro款" with no model before it ("双12 pro版", not "X5 pro版"): X5 Pro is our only Pro.
_BARE_PRO = re.compile(r"(?<![a-z])(?<![a-z] )(?<![a-z]\d)(?<![a-z]\d )pro(?=\s*(?:版|款|的))", re.IGNORECASE)


def _clean(text: str) -> str:
    """Emoticons, topics and mentions out, simplified characters, regional words, one space."""
    text = _EMOTICON.sub(" ", text)
    text = _TOPIC.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = regional_words().apply(to_simplified(text))
    text = _BARE_PRO.sub("X5 Pro", text)
    return _SPACES.sub(" ", text).strip().lstrip("/ ").strip()


def _strip_salutation(text: str) -> str:
    """Drop leading greetings and trailing thanks when a real question remains; a bare greeting stays."""
    match = _TRAILING_THANKS.search(text)
    if match and match.start() >= _MIN_QUESTION_CHARS:
        text = text[: match.start()]
    while True:
        match = _SALUTATION.match(text)
        if not match or len(text) - match.end() < _MIN_QUESTION_CHARS:
            return text
        text = text[match.end():]


def normalise(raw: str) -> NormalisedText:
    """Return the fan's own words, canonical, never starting with '/' (Rasa's intent shortcut)."""
    original = raw if isinstance(raw, str) else ""
    text = _A_TAG.sub(lambda m: _ANY_TAG.sub("", m.group(1)), original)
    text = _ANY_TAG.sub(" ", text)
    text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text)
    urls = _URL.findall(text)
    text = _URL.sub(" ", text)
    own, chain = _own_words(text)
    emoticons = _EMOTICON.findall(own)
    own = _EMOTICON.sub(" ", own)
    topics = [t.strip() for t in _TOPIC.findall(own)]
    own = _TOPIC.sub(" ", own)
    mentions = _MENTION.findall(own)
    # A leading '/' would make Rasa read the message as an intent shortcut (/greet, /restart).
    own = _clean(own)
    if own.lower() in _EMPTY_REPOST_TEXTS or (own in _CHAIN_ONLY_TEXTS and chain):
        own = ""
    elif chain and (not own or _ECHO.match(own)):
        # Nothing of their own ("//@A: 同问//@B: 问题") or only an echo: the quoted question is theirs.
        own = _quoted_question(chain) or own
    elif chain and len(own) <= _MAX_POINTING_CHARS and _POINTS_BACK.search(own):
        quoted = _quoted_question(chain)
        own = f"{quoted},{own}" if quoted else own
    elif chain and len(own) <= _MAX_POINTING_CHARS and _ASKS_HINT.search(own) and not OUR_NAMES.search(own):
        # "转了！请问今天几点截止？//@云雀手机:X5上市转发抽奖…": the question is about our post.
        title = _our_post_title(chain)
        own = f"{title},{own}" if title else own  # "," as NFKC leaves it: stable
    own = _strip_salutation(own)
    return NormalisedText(
        text=own,
        original=original,
        emoticons=emoticons,
        mentions=mentions,
        topics=topics,
        urls=urls,
        repost_chain=chain.strip(),
        chain_words=regional_words().apply(to_simplified(chain)),
    )


# "回复@某人:…" / "@某人 你那台…": the first words are for another user.
_OPENS_TO = re.compile(r"^\s*(?:回复)?@([^\s:：@,，]{1,30})\s*[:：\s]")


def addressee(original: str) -> str | None:
    """Whom a comment opens by speaking to, when it is not one of our accounts: a fan writing to
    another fan under our post."""
    match = _OPENS_TO.match(original or "")
    if match is None or OFFICIAL_ACCOUNT.match(match.group(1)):
        return None
    return match.group(1)


def normalise_text(raw: str) -> str:
    """Shortcut for callers that need only the canonical text."""
    return normalise(raw).text
