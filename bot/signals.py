"""What the words of a message signal: threats, anger, spam, problems, wishes, talk of our business.

Patterns only, no decisions: bot/decide.py and bot/answering.py read them. Chinese has no word
boundaries, so each is a plain alternation matched anywhere in the canonical text.
"""

from __future__ import annotations

import re

# Threats to go public and escalation words: these go to PR whatever the classifier says.
ESCALATION = re.compile(
    r"(?<!\d)(?:12315|12345|315)(?!\d)|3·15|三一五|消协|消费者协会|黑猫|市场监管|工商局|律师|法院|起诉|维权|媒体曝光|去曝光|要曝光|曝光你们|"
    r"虚假宣传|欺诈|骗子公司|投诉你们|举报你们|上新闻|上热搜|等着瞧|走着瞧|诉讼|报纸|记者|连登|辟谣|谣言|倒闭|裁员"
)
# A device that burned, smoked or swelled. Told calmly ("冒烟了，人没事，怎么送修") it is a repair for
# after-sales, first in line; told in alarm, or in public as a warning, it is PR's (INTENSITY).
SAFETY_INCIDENT = re.compile(r"电池.{0,4}鼓|后盖.{0,4}鼓|冒烟|冒了点烟|冒了烟|爆炸|起火|自燃|炸了|鼓包|鼓起来|烫伤|火花|着火|烧焦|烧了")
INTENSITY = re.compile(r"吓死|吓人|吓坏|差点|危险|隐患|说法|受伤|烧到|烧着|烧了个|炸|孩子|小孩|宝宝|必须|怎么敢|"
                       r"[!！]{2,}|[?？]{2,}|第[二三四五六七八九十\d]+例|又一例")
# Harm to a person from a device: a safety incident when a device of ours is named.
SAFETY = re.compile(r"烫红|灼伤|起泡|过敏|漏电|电到|烫到")
DEVICE = re.compile(r"手机|手表|耳机|充电|表带|x5|a3|buds|watch", re.IGNORECASE)
# Commands for a phone's own voice assistant ("打开蓝牙", "放一首歌"): not said to an account.
COMMAND = re.compile(r"^(?:请|帮我|麻烦)?(?:打开|关闭|关掉|开启|调高|调低|调大|调小|播放|放一首|放首|导航到|导航去|"
                     r"定个|设个|设置一个|拨打|打电话给|发短信给|截个屏|截屏)")
# A spam guess this sure is not a complaint, whatever words it borrows ("法院传票", a phone number).
SURE_SPAM = 0.8
# Anger at us: a complaint for PR whatever topic it is about.
ANGER = re.compile(r"什么破|破服务|破手机|太差劲|差劲|垃圾服务|垃圾手机|垃圾客服|恶心|骗子|坑爹|气死|无语死了|太坑|"
                   r"删差评|删评论|控评|装死|截图为证|我都截图了|复制粘贴|有没有活人|踢皮球|敷衍|道歉|个屁|屁用|"
                   r"爱答不理|爱理不理|态度差|态度很差|态度恶劣|体验太差|服务太差|不理人")
# In a repost chain or a topic, a warning to other fans is a public complaint too.
CHAIN_ALARM = re.compile(r"别买|不要买|千万别|避坑|避雷|踩雷|坑人|垃圾|智商税|翻车|退钱|骗钱|黑心|双标|拒保|成摆设|"
                         r"质量问题|售后差|维权|曝光|装死|个屁|屁用|复制粘贴|投诉了|投诉无门|敷衍|踢皮球|内定|假抽奖|黑幕|媒体|"
                         r"烂得|太烂|真烂|没人管|拖了")
CHAIN_TOPIC = re.compile(r"#([^#\n]{1,30})#")  # a #topic# in the quoted chain
TOPIC_ALARM = re.compile(r"质量|品质|投诉|维权|翻车|避雷|避坑|差评|黑心|售后|骗|曝光|问题|发热|发烫|差$|门$")
# A device that does not work as it should: reported, not asked about.
_MALFUNCTION = (r"坏|故障|不行|没法|无法|失败|异常|卡顿|卡死|发烫|烫|断|闪退|黑屏|死机|耗电|掉电|充不|不可用|用不了|失效|不灵|"
                r"失灵|没动静|没反应|掉帧|不流畅|自动关机|老是关机|开不了机|不响|没声|没有声|无声|听不到|听不见|读不出|识别不了|不识别|不显示|碎|裂|鼓起|膨胀|变形|"
                r"顶开|顶起|掉线|断线|断网|连不上|连接不上|bug")
MALFUNCTION = re.compile(_MALFUNCTION, re.IGNORECASE)
# Words that make a statement about a topic a report of a problem rather than small talk.
# "不错", "没错", "差不多", "出差", "差点" are not problems.
PROBLEM = re.compile(_MALFUNCTION + r"|(?<![没无])问题|不能|太慢|全没了|损失|谁来赔|赔偿|没现货|缺货|断货|寄错|寄到旧|结果还是|不满足|"
                     r"(?<![不出偏落])差(?!不多|点)|退|没到|没收到|"
                     r"不动|丢|(?<![不没])错|漏|少|破|划痕|重启|慢|没消息|没下文|被取消|已取消|显示取消|自动取消|"
                     r"拉胯|拉垮|真拉|太拉|掉得快|掉得飞快|掉得厉害|不耐用|不经用|"
                     r"待发货|还没发|不发货|还不发|没发货|一直没|迟迟|糊|"
                     # "希望云雀越来越好" is a good wish, not a wish for something.
                     r"建议|希望(?!.{0,8}(?:越来越好|大卖|加油|更好|顺利|长虹|发展))|要是能|最好能|诚意", re.IGNORECASE)
# A fan talking about one concrete order or device needs a human even when the topic is in the FAQ.
SPECIFIC = re.compile(
    r"我的订单|订单号|单号|我(?:的|这)?(?:快递|包裹)|(?:物流|快递).{0,6}(?:不动|没更新|不更新|停)|还没(?:收到|到账|寄回)|"
    r"没收到|丢件|少件|漏发|破损|压坏|压扁|已经发货.{0,8}改|已发货.{0,8}改|进度"
)
# Ads and traffic farming: never answered, never escalated.
SPAM = re.compile(
    r"涨粉|刷粉|活粉|兼职|日结|刷单|代开|加薇|加v|加微|v同号|vx|威信|薇信|点我主页|看我主页|引流|互粉|互赞|有关必回",
    re.IGNORECASE,
)
# Gratitude with no question in it is small talk, whatever topic it mentions.
GRATITUDE = re.compile(r"谢谢|感谢|多谢|thank|thx|辛苦", re.IGNORECASE)
QUESTION = re.compile(r"[?？吗呢么嘛]|怎么|怎样|如何|咋|多少|多久|多长|几|什么|啥|哪|能不能|可不可以|是不是|有没有|请问|求问")
# Mentions of our products or of us: a comparison without them is not about us.
ABOUT_US = re.compile(r"云雀|小雀|yunque|你们|贵司|官博|官方|小编|客服|x5|a3|buds|watch|care|天枢", re.IGNORECASE)
RIVAL_LOOKUP = "rival_brand"  # the lookup table of other brands (data/nlu/lookups.yml)
# Our brand or a product name: a question about it deserves a human even when the intent is unsure.
OUR_NAMES = re.compile(r"云雀|yunque|x5|a3|buds|watch\s*s|(?<![a-z])care\+|天枢|"
                       r"曜石黑|雪域白|湖光蓝|钛金灰|星空紫|薄荷绿", re.IGNORECASE)  # our colours name our phones
# Words that ask the account itself to act, even in a comment written to another fan.
ASKS_US = re.compile(r"你们|贵司|小编|官博|官方|客服")
# Words that speak to the account itself.
ADDRESSED = re.compile(r"你们|贵司|小编|官博|云雀")
# Our trade-in: a fan naming the rival phone they trade in is still asking about our business.
TRADE_IN = re.compile(r"以旧换新|换新|旧机|旧手机|估价|回收|折价|抵扣")
# The account called by a pet name ("小云雀在吗", "云雀小编摸鱼了吗"): the words name nothing we sell.
ADDRESS_FORM = re.compile(r"小云雀|云雀小编|云雀君|云雀酱|云雀官博|云雀宝宝|云雀家小编")
# Selling a service under our posts (水军, 刷量): spam, even where it borrows a complaint's words ("控评").
SELLING = re.compile(r"接单|价格美丽|价格优惠|量大从优|有需要的私|需要的私|有意私聊|欢迎咨询|诚信经营")
# What a scam asks for; an entry that says we never ask for it answers a fan who got such a request.
CREDENTIALS = re.compile(r"验证码|银行卡|密码")
# A wish for something we do not offer ("求出个曜石黑", "希望出小屏版"): a suggestion for product.
SUGGESTION = re.compile(r"求出|希望出|建议出|出个|出一款|出一个|再出|能不能出|可以出|建议|希望能(?!选上|中|抽中|被选|早日|早点|快点|收到|顺利)|希望你们|希望可以|"
                        r"(?:会|会不会|有没有得|有冇得|以后)出(?![货发厂来])")
# Words of our business: text with none of them and no confident intent is not for this account.
OUR_BUSINESS = re.compile(r"商城|订单|下单|发货|快递|物流|退货|退款|换货|保修|售后|维修|抽奖|中奖|优惠|券|以旧换新|"
                          r"发票|分期|预售|新品|发布会|系统|升级|更新|手机|耳机|手表|寄修|服务中心|客服|充电器|毛病|新机|换机|返修|"
                          r"开不了机|中了|领奖|收货|付款|支付|付钱|送修|补贴|差价|价保|换新|"
                          r"\bship|deliver|order|warranty|repair|refund|price|coupon|lottery|invoice", re.IGNORECASE)
# A problem reported as over ("终于不断了", "修好了"): good news, not a request for help.
RESOLVED = re.compile(r"终于.{0,6}(?:不|好|正常)|点个?赞|解决了|修好了|正常了|不再|没再")
# FAQ intents whose entries answer a reported problem, not only a question.
SELF_HELP = frozenset({"ask_troubleshoot", "ask_known_issue"})
# A problem still there after a system update ("系统也是最新版了，还是烫"): the system's, R&D's.
AFTER_UPDATE = re.compile(r"(?:升级|更新|升)(?:了|完|到|过)?.{0,10}(?:系统|版本|最新)|系统.{0,6}最新|最新版|升完级|升级完|更新完|"
                          r"(?:升级|更新)(?:都|后|以后|之后)")
# Unlocking the bootloader, flashing, rooting: the system's, R&D's.
FLASHING = re.compile(r"解锁\s*bl|解\s*bl|bl\s*锁|刷机|刷.{0,4}rom|(?<![a-z])rom(?![a-z])|(?<![a-z])root(?![a-z])", re.IGNORECASE)
# An order that should have shipped and has not, or when one ships: logistics', whatever product it names.
LATE_SHIPMENT = re.compile(r"待发货|还没发货|还不发货|没发货|迟迟不发|还没发出|一直不发|不给发货|还没发(?![布现言])|"
                           r"(?:多久|什么时候|啥时候|几天|何时|几时|几号|哪天)(?:能|会|可以|才)?发货")
SHIPPING = re.compile(r"寄到|寄给|邮寄|寄来|寄出|发货|快递|物流|收货")
# Prizes and coupons (marketing's activities).
PRIZE = re.compile(r"抽中|中奖|抽奖|奖品|领奖|优惠券|福利")
# Abuse with nothing to act on ("垃圾小编"): no reply, no ticket. Anger at our service is ANGER, not this.
INSULT = re.compile(r"垃圾小编|小编垃圾|智障|脑残|傻逼|傻b|(?<![a-z])sb(?![a-z])|弱智|去死|滚粗|废物小编", re.IGNORECASE)
# A fan calling other fans ("有没有人一起去见面会"), not asking the account.
FAN_CALL = re.compile(r"有没有人(?:一起|一齐|要|想|组队|拼)|有人(?:一起|一齐|组队|拼)|谁(?:一起|一齐|要一起)|求组队|一起组队|约吗|求搭子|找搭子")
# Fans talking to each other under a post ("楼上说得对"), not to the account.
BETWEEN_FANS = re.compile(r"^(?:楼上|楼主|楼下|层主|\d+楼)")
# A fan asking whether a message that used our name is real ("自称云雀官方……是真的吗"): a human answers.
SCAM_REPORT = re.compile(
    r"(?:自称|冒充|假冒|说是|号称).{0,12}(?:云雀|官方|客服|工作人员).{0,40}(?:真的吗|是真的|骗|可信|靠谱吗)|"
    # A fan quoting a message they got and asking whether we sent it ("……是你们发的吗？").
    r"(?:收到|接到).{0,12}(?:私信|短信|消息|电话|链接).{0,20}(?:是你们|是官方|是云雀|是真的|是不是真的|是不是你们)|"
    r"(?:中奖|领取|银行卡|验证码|链接).{0,60}(?:是你们发的|是官方发的|是你们的人|是不是你们)")
