"""Split a fan message into the questions it asks, and tell a question from a statement.

A reply that answers one of two questions is a wrong reply, and an FAQ answer to a fan who only
told us something ("新买的表带到了") is an answer nobody asked for; both decisions need to know
what the message asks. Rules, not a model: the cues are grammatical (question particles, wh-words,
A-not-A, request verbs) and few, and each is tested.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import List, Tuple

from bot.signals import MALFUNCTION

# Sentence ends, and connectors that start a new question ("另外", "还有就是", "顺便问下").
_SENTENCE = re.compile(r"(?<=[?？!！。；;\n])")
_CONNECTOR = re.compile(r"(?:^|(?<=[\s,，。?？!！;；]))(?:另外|还有就是|还有个问题|还有一个问题|顺便问一?下|顺便|再问一?下|"
                        r"还想问一?下?|以及|然后想问一?下?|再就是)[,，:：\s]*")
_CLAUSE = re.compile(r"[,，、]")
# Fans separate sentences with a space ("A3防水嘛 天天骑小电驴"); "X5 Pro" keeps its space.
_SPACE_BREAK = re.compile(r"(?<=[\u4e00-\u9fff!！?？~～…])\s+(?=[\u4e00-\u9fff])")

# "不了" asks in "去不了?" but reports in "用不了" / "受不了".
_PARTICLE_END = re.compile(r"(?:吗|嘛|么|呢|不|没|没有|否|么样|(?<![用受免少])不了|伐|冇|咩|未)[\s~～。.!！…]*$")
_WH = re.compile(
    r"怎么|怎样|怎么样|咋|如何|多少|多钱|几[个天年月号点次台种块元折期寸倍克瓦档]|几多|什么|啥|哪|谁|为何|为什么|是否|能否|可否|"
    r"有没有|有无|能不能|可不可以|可以不|行不行|会不会|是不是|要不要|用不用|需不需要|支不支持|有冇|係咪|点样|点解|"
    r"边度|几时|几耐|乜嘢|多久|多长时间|多大|多重|多快|多高|多远|何时|求问|请问|想问|想知道|问一?下|咨询|请教|求解|"
    r"求告知|求科普|求推荐|求回复|求解答|麻烦告诉|告诉我|烦请|敬请|恳请|请告知|告知|拨冗|盼复|望.{0,4}回复|查明|想了解|欲了解|了解一下|"
    r"是.{1,15}还是|(?<!强烈)(?<!真心)(?<!值得)(?<!力)推荐(?:一?[个款下部台])?|介绍一下|说一下|说下|讲一下|科普一下|查一下|帮忙看|帮我看|"
    r"(\S)不\1"
)
_QUESTION_MARK = re.compile(r"[?？]")
# "能连iPhone吗 iOS18的": a question particle before a pause asks, wherever it stands.
_PARTICLE_PAUSE = re.compile(r"[吗嘛](?=[\s,，。!！~～…])")
# A short noun phrase is a query ("X5价格", "A3防水", "学生优惠") unless it reports something done.
_STATEMENT = re.compile(
    r"了|过|啦|完|刚|已经|已|终于|到手|收到|到货|买到|抢到|入手|下单|用上|装上|拿到|看到|哈哈|嘿嘿|开心|喜欢|爱了|"
    r"好看|不错|真香|牛|棒|赞|加油|好用|满意|感动|期待|再下手|再入手|再买|再入|准备买|打算买|冲了|坐等"
)
_SHORT_QUERY_CHARS = 12
# A bare plea after a question ("学生买X5能减多少 求告知", "附近哪有维修点 咋查") adds no question.
_BARE_ASK = re.compile(r"^(?:求告知|求解答|求回复|求科普|求解|求助|在线等|急|急急急|谢谢|咋查|怎么查|在哪查|咋弄|怎么弄|咋整|"
                       r"怎么办|咋办|有人知道吗|谁知道)[?？!！~～。.\s]*$")
_UNIT_ASKED = re.compile(r"几([期年寸])")
# "我是学生" / "我在深圳" is context for the question that follows, not a query of its own.
_SELF = re.compile(r"^(?:我|本人|俺|咱)")
_FILLER = re.compile(r"[大概一般约呀啊呢的了要有是能可以支持需那这个还都也就请吧嘛吗么哦跟和同比样]")
# A piece with fewer topic characters than this leans on the one before it ("大概多少钱").
_MIN_TOPIC = 2
# A question with this much topic of its own does not inherit the product of the one before it.
_OWN_TOPIC = 6
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
PRODUCT = re.compile(r"x5\s*pro|x5|a3|buds\s*3|watch\s*s2|care\+", re.IGNORECASE)


# A message in pinyin ("x5pro dian chi duo da a"): no question word we can read, yet fans write
# this way to ask; it is a question for a human.
_PINYIN = re.compile(r"(?:[bpmfdtnlgkhjqxrzcsyw]|zh|ch|sh)?(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|"
                     r"ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ui|ue|er|a|o|e|i|u|v)")
_MIN_PINYIN_WORDS = 3


def _pinyin_sentence(text: str) -> bool:
    words = re.findall(r"[a-z]+", text.lower())
    syllables = [w for w in words if _PINYIN.fullmatch(w)]
    return len(syllables) >= _MIN_PINYIN_WORDS and len(syllables) >= 0.6 * len(words)


def asks(clause: str, nominal: bool = True) -> bool:
    """True when a clause asks or requests something.

    `nominal`: a short noun phrase counts as a query ("X5价格"); only for a message of one clause,
    since beside a real question a short remark ("急用", "真的假的") is context, not a question.
    """
    text = clause.strip()
    if not _WORD.search(text):
        return False
    if _QUESTION_MARK.search(text) or _WH.search(text) or _PARTICLE_END.search(text.rstrip("?？")) \
            or _PARTICLE_PAUSE.search(text) or _pinyin_sentence(text):
        return True
    if not nominal:
        return False
    core = "".join(_WORD.findall(text))
    # "A3耳机孔插耳机没有声" is short and names a part, but it reports a problem: it asks nothing.
    return (len(core) <= _SHORT_QUERY_CHARS and not _STATEMENT.search(core) and not _SELF.match(core)
            and not MALFUNCTION.search(core))


def topic_size(piece: str) -> int:
    """How many characters of a question say what it is about (question words and fillers aside)."""
    return _topic_chars(piece)


def _topic_chars(piece: str) -> int:
    """How much a piece says about its topic, once question words and fillers are gone."""
    # "能分几期": the unit of "几期" is what the question is about (installments), unlike "几个".
    rest = _FILLER.sub("", _WH.sub("", _UNIT_ASKED.sub(r"\1", "".join(_WORD.findall(piece)))))
    return len(PRODUCT.sub("", rest.lower()))


def _clauses(text: str) -> List[str]:
    out: List[str] = []
    for sentence in _SENTENCE.split(text):
        for piece in _CONNECTOR.split(sentence):
            for clause in _SPACE_BREAK.split(piece):
                if clause.strip():
                    out.append(clause.strip())
    return out


def split_questions(text: str) -> List[str]:
    """The questions of a message (see `_split`); every stage of the path asks, so it is cached."""
    return list(_split(text))


@lru_cache(maxsize=4096)
def _split(text: str) -> Tuple[str, ...]:
    """The questions of a message, each with the statements before it as its context.

    "我是学生，X5有优惠吗？另外包邮吗" -> ["我是学生，X5有优惠吗？", "X5 包邮吗"]: a later question
    that names no product inherits the product of the question before it. [] when it asks nothing.
    """
    parts: List[str] = []
    context: List[str] = []
    product = ""
    sentences = _clauses(text)
    for sentence in sentences:
        if parts and _BARE_ASK.match(sentence):
            parts[-1] = f"{parts[-1]}，{sentence}"
            continue
        pieces = [p for p in _CLAUSE.split(sentence) if p.strip()]
        asking = [asks(p, nominal=False) for p in pieces]
        lead = next((i for i, a in enumerate(asking) if a), len(pieces))
        rest = pieces[lead:]
        if len(rest) >= 2 and all(asking[lead:]) and all(_topic_chars(p) >= _MIN_TOPIC for p in rest[1:]):
            # "X5多少钱，有优惠吗" / "想买A3，电池多大、有没有耳机孔": several questions in one sentence
            context.extend(pieces[:lead])
            groups = rest
        else:
            one = len(sentences) == 1 and len(pieces) == 1
            groups = [sentence] if any(asking) or asks(sentence, nominal=one) else []
            if not groups:
                context.append(sentence)
                continue
        for group in groups:
            question = "，".join([*context, group]) if context else group
            context = []
            named = PRODUCT.findall(question)
            if named:
                product = named[-1]
            elif product and _topic_chars(question) < _OWN_TOPIC:
                question = f"{product} {question}"
            parts.append(question)
    if context and parts:
        parts[-1] = parts[-1] + "，" + "，".join(context)
    return tuple(parts)


def is_statement(text: str) -> bool:
    """True when the message asks nothing."""
    return not split_questions(text)
