"""Weibo text normalisation."""

import pytest

from bot.text import addressee, normalise

CASES = [
    # repost chains: keep the fan's newest words, drop the quoted chain
    ("这次奖品是啥？//@豆豆:冲冲冲//@云雀手机:#云雀X5# 上市转发抽奖来啦", "上市转发抽奖来啦,这次奖品是啥?"),
    ("正经问下在那里买靠谱 //@数码小白菜:同问", "正经问下在那里买靠谱"),
    ("//@小鱼干不吃鱼:转发//@阿杰Jay:[doge]", ""),
    ("//@某某: 转发微博", ""),
    ("转发微博//@某某:好看", ""),
    ("转发微博", ""),
    ("转发", "转发"),
    # nothing of their own, or only an echo: the newest fan question in the chain is theirs,
    # never the official account's own post
    ("//@阿茶: 同问//@小鱼: X5 Pro和X5到底差在哪？", "X5 Pro和X5到底差在哪?"),
    ("//@路人甲: 我也是！//@可乐加冰: A3升级后指纹好慢！有人知道咋办吗", "A3升级后指纹好慢!有人知道咋办吗"),
    ("//@云雀手机:【X5上市转发抽奖】关注+转发，抽3台云雀X5！", ""),
    ("求官方回复//@云雀客服: 已私信//@小鱼: Buds 3能连安卓吗", "Buds 3能连安卓吗"),
    # a salutation before a real question is dropped; a bare greeting stays
    ("你好，想问下A3能不能无线充电？", "A3能不能无线充电?"),
    ("您好 请问 X5多少钱", "X5多少钱"),
    ("你好呀", "你好呀"),
    ("在吗", "在吗"),
    ("hello 我是大二学生，有学生优惠吗", "我是大二学生,有学生优惠吗"),
    # HTML mention links and plain mentions
    ('<a href="https://weibo.com/n/云雀客服">@云雀客服</a> 保修多久', "保修多久"),
    ("@云雀手机 商城买的X5 Pro物流5天没更新了", "商城买的X5 Pro物流5天没更新了"),
    ("转发抽奖 @阿花花 @老李不秃 求中", "转发抽奖 求中"),
    # topics, emoticons, URLs, t.cn links
    ("#云雀X5# X5和X5 Pro到底差在哪？？[允悲]", "X5和X5 Pro到底差在哪??"),
    ("沙发[哈哈]", "沙发"),
    ("免费领取X5 Pro：http://t.cn/A6bxQz9k 限时24小时", "免费领取X5 Pro: 限时24小时"),
    ("看这个 t.cn/A6bxQz9k 靠谱吗", "看这个 靠谱吗"),
    ("淘宝店 https://m.tb.cn/h.5xYzA9 靠谱吗", "淘宝店 靠谱吗"),
    # full-width forms and white space
    ("Ｘ５　Ｐｒｏ　多少钱？", "X5 Pro 多少钱?"),
    ("  保修\n\n多久  ", "保修 多久"),
    ("１２＋２５６的多少钱", "12+256的多少钱"),
    # traditional to simplified, Taiwan phrasing included
    ("請問A3有沒有耳機孔？能不能插記憶卡？", "A3有没有耳机孔?能不能插存储卡?"),
    ("幾號開獎啊", "几号开奖啊"),
    ("軟體更新後螢幕閃爍", "软件更新后屏幕闪烁"),  # OpenCC, then the regional lexicon
    # simplified text stays as it is (no 么 -> 幺)
    ("在么 怎么还没发货", "在么 怎么还没发货"),
    # counting mentions is a question, not a mention
    ("转发要@几个人啊", "转发要@几个人啊"),
    ("只@一个好友可以吗", "只@一个好友可以吗"),
    ("要@2位好友吗", "要@2位好友吗"),
    # 小编 / 客服 say the message is aimed at us: kept
    ("小编周末去哪玩了", "小编周末去哪玩了"),
    # never a leading '/': Rasa would read an intent shortcut
    ("/greet", "greet"),
    ("/restart", "restart"),
    ('/inform{"product":"X5"}', 'inform{"product":"X5"}'),
    ("  //greet", "greet"),
    ("[心][心] /stop", "stop"),
    # HTML entities
    ("X5 &amp; A3 哪个好", "X5 & A3 哪个好"),
]


@pytest.mark.parametrize("raw,expected", CASES)
def test_normalise_keeps_only_the_fans_own_canonical_words(raw, expected):
    assert normalise(raw).text == expected


@pytest.mark.parametrize("raw", [c[0] for c in CASES])
def test_normalised_text_never_starts_with_a_slash_and_is_stable(raw):
    once = normalise(raw).text
    assert not once.startswith("/")
    assert normalise(once).text == once


def test_signals_keep_what_was_removed():
    norm = normalise("@云雀客服 修了三次还是黑屏[怒][怒] #云雀X5# http://t.cn/abc //@路人:同问")
    assert norm.text == "修了三次还是黑屏"
    assert norm.emoticons == ["怒", "怒"]
    assert norm.mentions == ["云雀客服"]
    assert norm.topics == ["云雀X5"]
    assert norm.urls == ["http://t.cn/abc"]
    assert norm.repost_chain == "//@路人:同问"


def test_emoticons_only_message_is_empty_but_keeps_signal():
    norm = normalise("[赞][赞][赞]")
    assert norm.is_empty
    assert norm.emoticons == ["赞", "赞", "赞"]


@pytest.mark.parametrize("bad", [None, 123])
def test_non_text_input_becomes_empty(bad):
    assert normalise(bad).text == ""


@pytest.mark.parametrize("raw, text", [
    ("Pro版能插卡吗", "X5 Pro版能插卡吗"),
    ("我买的pro款有几个颜色", "我买的X5 Pro款有几个颜色"),
    ("X5 Pro版多少钱", "X5 Pro版多少钱"),
    ("A3 pro版有吗", "A3 pro版有吗"),
    ("iPhone pro的", "iPhone pro的"),
    ("双12 pro版降多少", "双12 X5 Pro版降多少"),
])
def test_a_bare_pro_is_our_only_pro(raw, text):
    assert normalise(raw).text == text


@pytest.mark.parametrize("raw, text", [
    ("+1 我的也是//@甲:升级后蓝牙老断", "升级后蓝牙老断"),
    ("帮朋友问一下//@乙:X5 Pro和X5差在哪", "X5 Pro和X5差在哪"),
    ("后盖呢//@丙:X5换屏多少钱", "X5换屏多少钱,后盖呢"),
    ("我的也是这样，怎么办//@丁:屏幕有条绿线", "屏幕有条绿线,我的也是这样,怎么办"),
    ("哈哈哈//@戊:X5多少钱", "哈哈哈"),
])
def test_own_words_that_point_back_at_the_quoted_post_are_read_with_it(raw, text):
    assert normalise(raw).text == text


@pytest.mark.parametrize("raw, name", [
    ("回复@数码小白:我用的就是湖光蓝", "数码小白"),
    ("@小美 你那台X5到了没", "小美"),
    ("@云雀客服 我的订单怎么还没发", None),  # one of our accounts: the fan is asking us
    ("X5多少钱 @小美", None),  # tags a friend at the end: not written to them
])
def test_the_user_a_comment_opens_by_speaking_to(raw, name):
    assert addressee(raw) == name


def test_a_bare_question_under_our_reposted_post_is_about_that_post():
    text = normalise("转了！请问今天几点截止？//@云雀手机:X5上市转发抽奖！关注+转发并@2位好友").text
    assert text.startswith("X5上市转发抽奖") and "几点截止" in text
    # A question that names its subject, or a bare repost, stays as written.
    assert normalise("这次奖品是啥？几台X5啊//@云雀手机:上市转发抽奖来啦").text.startswith("这次奖品")
    assert normalise("转发抽奖 @a @b //@云雀手机:【X5上市转发抽奖】关注").text == "转发抽奖"
