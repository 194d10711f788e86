"""High-recall emergency rules that run beside the intent model.

Missing a fire or a person trapped in a lift is far worse than sending a few extra messages to the urgent
queue, and a statistical model trained on a few dozen emergency examples cannot promise that. So these
patterns fire on the signs of danger (fire/smoke, gas smell, flooding, trapped in a lift, a person hurt or
collapsed, sparking wires) in Chinese and English, and guards stop the obvious false alarms: a negated cue
("没有燃气味"), a hypothetical ("如果着火了怎么办"), a drill, a lift with nobody inside, or a problem that is
already fixed ("上次漏水已经修好了") unless it is happening again.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """What the rules conclude about one message."""

    EMERGENCY = "emergency"  # a danger cue with no guard: force the emergency intent
    NOT_EMERGENCY = "not_emergency"  # a danger topic, but guarded: the model must not say emergency either
    UNDECIDED = "undecided"  # nothing to say: the model decides


@dataclass(frozen=True)
class EmergencyCheck:
    """The verdict and the rule that decided it (for logs and tests)."""

    verdict: Verdict
    rule: str | None = None


@dataclass(frozen=True)
class _Rule:
    name: str
    cues: re.Pattern[str]
    guards: re.Pattern[str] | None = None


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts))


_NOBODY = _rx(
    r"没人(?![理管接来应回])|没有人(?![理管接来应回])|无人|没有被困|没人被困|没人受伤|没有人受伤|空的",
    r"\bno ?one\b|\bnobody\b|\bno-one\b|\bempty\b",
)
_RULES: tuple[_Rule, ...] = (
    _Rule(
        "fire",
        _rx(
            r"着火|起火|失火|火灾|火警|烧起来|冒烟|浓烟|烟雾|有烟|一股烟|好多烟|烟很大|[黑白]烟|焦味|焦糊味|火苗|明火|火光"
            r"|全是烟|烟.{0,2}呛|呛死|爆炸|炸了|自燃|烟感.{0,4}[叫响]|(?:电池|电瓶).{0,2}[爆炸]",
            r"\bfire\b|\bon fire\b|\bsmoke\b|\bsmoking\b|\bsmoky\b|\bflames?\b|\bburning\b"
            r"|\bexplo(?:sion|ded)\b",
        ),
        _rx(
            r"演习|演练|消防检查|灭火器|防火门|消防通道.{0,4}(?:堵|占)|禁止吸烟|抽烟|吸烟|油烟机|烟道",
            r"\bdrill\b|\bextinguisher|\bfire (?:door|exit|escape|safety|inspection|lane)|\bno smoking\b"
            r"|\bsmoking (?:area|ban)|\bneighbou?rs? (?:is |are )?smok(?:e|es|ing)\b|\bcigarette",
        ),
    ),
    _Rule(
        "gas",
        _rx(
            r"(?:煤气|燃气|天然气|液化气)(?:味|泄漏|泄露|漏了|漏气|外泄)|闻到.{0,6}(?:煤气|燃气|天然气|液化气)|漏气"
            r"|(?:煤气|燃气)灶.{0,4}没关|(?:燃气|煤气)?报警器.{0,4}[叫响]|刺鼻",
            r"\bgas (?:leak|smell)|\bsmell(?:s|ing)? (?:of |like )?gas\b|\bleaking gas\b|\bgas is leaking\b",
        ),
    ),
    _Rule(
        "flood",
        _rx(
            r"水漫|漫水|淹了|被淹|淹水|水淹|爆管|水管爆|管子爆|爆裂|喷水|止不住|关不住|跑水|发大水|到处是水|全是水"
            r"|水流成河|成河|水漫金山|积水.{0,4}(?:很深|过脚)|家里进水|进水了|漏水.{0,6}(?:严重|厉害|很大|不停)|到处都是水|喷得到处|消防栓.{0,3}[爆喷]"
            r"|倒灌|水泡了|泡了|越流越多|往下流|到脚踝|没过脚",
            r"\bflood(?:ed|ing|s)?\b|\bburst\b|\bwater everywhere\b|\bgushing\b|\bpouring (?:in|out|water)"
            r"|\bcan'?t stop the (?:water|leak)|\bpouring (?:through|from|down)",
        ),
        _rx(r"喷灌|喷泉|洒水", r"\bsprinkler"),
    ),
    _Rule(
        "trapped",
        _rx(
            r"被困|困住|困在|关在电梯|卡在电梯|电梯里有人|在电梯里.{0,8}(?:出不去|打不开|开不了)"
            r"|电梯.{0,10}(?:关人|有人在|里面有人|出不去|门打不开|在里面|掉下去|下坠|坠落)|(?:孩子|小孩|老人|人)卡(?:在|住)|电梯.{0,8}(?:关|卡|困)(?:住|着)?(?:了)?.{0,4}(?:人|我|孩子|老人)",
            r"\b(?:stuck|trapped|locked) (?:in|inside)\b|\btrapped\b|\bsomeone (?:is )?(?:stuck|inside)",
        ),
        _NOBODY,
    ),
    _Rule(
        "injury",
        _rx(
            r"晕倒|昏倒|摔倒|跌倒|倒地|受伤|流血|出血|骨折|不省人事|昏迷|晕过去|抽搐|心脏病|急救|救护车"
            r"|(?:打|叫)120|中风|喘不上气|呼吸困难|没有呼吸|没反应了|触电|被电到|烫伤|砸伤|砸到|划伤|快不行了|救命"
            r"|(?:老人|孩子|小孩|有人|人)(?:摔|跌)|(?:有人|人|孩子|小孩|老人).{0,4}掉下|溺水|落水|掉进|坠落|坠楼|被车撞|车祸|撞了人|压住|压到人|呼吸机|氧气机",
            r"\bcollapsed\b|\bunconscious\b|\bfainted\b|\bpassed out\b|\bbleeding\b|\binjured\b|\bhurt\b"
            r"|\bheart attack\b|\bnot breathing\b|\bambulance\b|\belectric shock|\belectrocuted\b"
            r"|\bhas fallen\b|\bseizure\b|\bdrown"
            r"|\b(?:someone|somebody|child|kid|boy|girl|man|woman|person|he|she|lady|guy|grandma|grandpa"
            r"|dad|mum|mom|father|mother|neighbou?r) (?:just )?fell\b|\bhit (?:by a car|someone)\b"
            r"|\bcar accident\b|\brun over\b|\bnot moving\b",
        ),
        _NOBODY,
    ),
    _Rule(
        "electrical",
        _rx(
            r"(?:电线|插座|开关|电箱|电表|配电箱|电闸|插头).{0,6}(?:冒火|火花|打火|冒烟|烧|着|爆|噼啪)|火花|漏电|电线裸露|带电|带着电",
            r"\bsparks?\b|\bsparking\b|\bexposed wires?\b|\blive wires?\b"
            r"|\bwires? (?:are |is )?(?:burning|smoking|melting)",
        ),
        _rx(r"漏电保护|漏保"),
    ),
    _Rule(
        "security",
        _rx(
            r"小偷|进贼|有贼|盗窃|入室|撬(?:门|锁|窗|开|棍)|害怕|好怕|抢劫|抢包|持刀|拿刀|拿着刀|打架|斗殴|打起来|砸车|闹事|跳楼|轻生|自杀|闯进|见血",
            r"\bburglar|\bbreak(?:ing)? in|\bbroke into\b|\bintruder|\brobbe(?:d|ry)\b|\bknife\b|\bgun\b"
            r"|\bweapons?\b|\bfight(?:ing)?\b|\bsmashing\b|\bforc(?:e|ing) (?:my|the|our) door|\bsuicide\b"
            r"|\bjump(?:ing)? off\b",
        ),
        _rx(r"防盗|监控|门禁卡", r"\bfire ?fight"),
    ),
    _Rule(
        "collapse",
        _rx(
            r"坍塌|塌了|倒塌|往下掉.{0,6}(?:块|砖|石|玻璃)|掉.{0,3}(?:混凝土|水泥块|砖头)|树倒了|玻璃.{0,4}爆",
            r"\bcollapsing\b|\bcaved in\b",
        ),
    ),
    _Rule(
        "urgent",
        _rx(
            r"急修|紧急|救命|急急急|十万火急|出大事|出事了|快来人|救人|快叫保安|快来保安|叫保安",
            r"\bemergency\b|\bsos\b|\burgent(?:ly)?\b|\bhelp\s*!|\bcome quick(?:ly)?\b|\bsend security\b",
        ),
        _rx(
            r"紧急(?:联系|维修|呼叫)|应急电话|哪个电话|按钮|紧急出口",
            r"\bemergency (?:contact|number|exit|line)",
        ),
    ),
)

# A cue directly negated ("没有燃气味", "no smoke") does not count.
_NEGATION_BEFORE = re.compile(r"(?:没有|没|不是|无|未|不|no|not|isn'?t|wasn'?t|there'?s no)\s{0,1}$")
_HYPOTHETICAL = _rx(
    r"如果|假如|万一|要是|怎么预防|如何预防|注意事项",
    r"\bin case of\b|\bwhat if\b|\bwhat (?:should|do) (?:i|we) do if\b|\bhow to prevent",
)
_RESOLVED = _rx(
    r"已经?修好|修好了|已经好了|已经没事|已解决|已经解决|处理好了|处理完了|上次|之前|以前|上个月|上周|去年|早就",
    r"\b(?:was|been|got|already) (?:fixed|repaired|resolved|sorted)|\bfixed now\b"
    r"|\blast (?:time|week|month|year)\b"
    r"|\bno longer\b|\bnot anymore\b|\bused to\b",
)
_AGAIN = _rx(r"又|再次|再一次|还在|仍然|现在|马上|快来", r"\bagain\b|\bstill\b|\bright now\b|\bhurry\b")
_LIFT_EMPTY = re.compile(r"(?:电梯|\blift\b|\belevator\b)")
# Topics that, once fixed, residents mention in follow-ups ("上次漏水已经修好了").
_DANGER_TOPIC = _rx(
    r"漏水|渗水|漏气|电梯|火|烟|水管|停电|跳闸|电线",
    r"\bleak|\blift\b|\belevator\b|\bfire\b|\bsmoke\b|\bgas\b|\bpipe",
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _live_cue(rule: _Rule, text: str) -> bool:
    """A cue of this rule that is not directly negated."""
    for match in rule.cues.finditer(text):
        if not _NEGATION_BEFORE.search(text[max(0, match.start() - 12) : match.start()]):
            return True
    return False


# Any rule's cue at all: most messages have none, and for them one search replaces two per rule.
_ANY_CUE = re.compile("|".join(f"(?:{rule.cues.pattern})" for rule in _RULES))


def check_emergency(text: str) -> EmergencyCheck:
    """Decide whether the rules see an emergency in `text`."""
    folded = _fold(text)
    guarded: str | None = None
    resolved = _RESOLVED.search(folded) is not None and _AGAIN.search(folded) is None
    cued = _ANY_CUE.search(folded) is not None
    hypothetical = cued and _HYPOTHETICAL.search(folded) is not None
    for rule in _RULES if cued else ():
        if not _live_cue(rule, folded):
            if rule.cues.search(folded):
                guarded = guarded or rule.name
            continue
        if hypothetical or resolved or (rule.guards is not None and rule.guards.search(folded)):
            guarded = guarded or rule.name
            continue
        return EmergencyCheck(Verdict.EMERGENCY, rule.name)
    if guarded is not None:
        return EmergencyCheck(Verdict.NOT_EMERGENCY, guarded)
    if resolved and _DANGER_TOPIC.search(folded):
        return EmergencyCheck(Verdict.NOT_EMERGENCY, "resolved")
    if _LIFT_EMPTY.search(folded) and _NOBODY.search(folded):
        return EmergencyCheck(Verdict.NOT_EMERGENCY, "lift_empty")
    return EmergencyCheck(Verdict.UNDECIDED)
