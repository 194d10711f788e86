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


_NOBODY = _rx(r"没人|没有人|无人|没有被困|没人被困|没人受伤|没有人受伤|空的", r"\bno ?one\b|\bnobody\b|\bno-one\b|\bempty\b")
_RULES: tuple[_Rule, ...] = (
    _Rule(
        "fire",
        _rx(
            r"着火|起火|失火|火灾|火警|烧起来|冒烟|浓烟|烟雾|有烟|一股烟|好多烟|烧焦味|焦糊味|火苗|明火|爆炸",
            r"\bfire\b|\bon fire\b|\bsmoke\b|\bsmoking\b|\bsmoky\b|\bflames?\b|\bburning\b|\bexplo(?:sion|ded)\b",
        ),
        _rx(
            r"演习|演练|消防检查|灭火器|防火门|消防通道.{0,4}(?:堵|占)|禁止吸烟|抽烟|吸烟|油烟机|烟道",
            r"\bdrill\b|\bextinguisher|\bfire (?:door|exit|escape|safety|inspection)|\bno smoking\b"
            r"|\bsmoking (?:area|ban)|\bneighbou?rs? (?:is |are )?smoking|\bcigarette",
        ),
    ),
    _Rule(
        "gas",
        _rx(
            r"(?:煤气|燃气|天然气|液化气)(?:味|泄漏|泄露|漏了|漏气|外泄)|闻到.{0,6}(?:煤气|燃气|天然气|液化气)|漏气",
            r"\bgas (?:leak|smell)|\bsmell(?:s|ing)? (?:of |like )?gas\b|\bleaking gas\b|\bgas is leaking\b",
        ),
    ),
    _Rule(
        "flood",
        _rx(
            r"水漫|漫水|淹了|被淹|淹水|水淹|爆管|水管爆|管子爆|爆裂|喷水|止不住|关不住|跑水|发大水|到处是水|全是水"
            r"|水流成河|水漫金山|积水.{0,4}(?:很深|过脚)|家里进水|进水了|漏水.{0,6}(?:严重|厉害|很大|不停|楼下)",
            r"\bflood(?:ed|ing|s)?\b|\bburst\b|\bwater everywhere\b|\bgushing\b|\bpouring (?:in|out|water)"
            r"|\bcan'?t stop the (?:water|leak)",
        ),
    ),
    _Rule(
        "trapped",
        _rx(
            r"被困|困住|困在|关在电梯|卡在电梯|电梯里有人|电梯.{0,8}(?:关|卡|困)(?:住|着)?(?:了)?.{0,4}(?:人|我|孩子|老人)",
            r"\b(?:stuck|trapped|locked) (?:in|inside)\b|\btrapped\b|\bsomeone (?:is )?(?:stuck|inside)",
        ),
        _NOBODY,
    ),
    _Rule(
        "injury",
        _rx(
            r"晕倒|昏倒|摔倒|跌倒|倒地|受伤|流血|出血|骨折|不省人事|昏迷|晕过去|抽搐|心脏病|急救|救护车"
            r"|(?:打|叫)120|中风|喘不上气|呼吸困难|没有呼吸|没反应了|触电|被电到|烫伤|砸伤|砸到人|快不行了|救命",
            r"\bcollapsed\b|\bunconscious\b|\bfainted\b|\bpassed out\b|\bbleeding\b|\binjured\b|\bhurt\b"
            r"|\bheart attack\b|\bnot breathing\b|\bambulance\b|\belectric shock|\belectrocuted\b|\bfell down\b"
            r"|\bhas fallen\b|\bseizure\b|\bhelp me\b",
        ),
        _NOBODY,
    ),
    _Rule(
        "electrical",
        _rx(
            r"(?:电线|插座|开关|电箱|电表|配电箱|电闸|插头).{0,6}(?:冒火|火花|打火|冒烟|烧|着|爆|噼啪)|火花|漏电|电线裸露",
            r"\bsparks?\b|\bsparking\b|\bexposed wires?\b|\blive wires?\b|\bwires? (?:are |is )?(?:burning|smoking|melting)",
        ),
    ),
    _Rule("urgent", _rx(r"急修|紧急|救命", r"\bemergency\b|\bsos\b|\burgent(?:ly)?\b"), _rx(r"紧急联系|应急电话", r"\bemergency (?:contact|number)")),
)

# A cue directly negated ("没有燃气味", "no smoke") does not count.
_NEGATION_BEFORE = re.compile(r"(?:没有|没|不是|无|未|不|no|not|isn'?t|wasn'?t|there'?s no)\s{0,1}$")
_HYPOTHETICAL = _rx(r"如果|假如|万一|要是|怎么预防|如何预防|注意事项", r"\bin case of\b|\bwhat if\b|\bwhat (?:should|do) (?:i|we) do if\b|\bhow to prevent")
_RESOLVED = _rx(
    r"已经?修好|修好了|已经好了|已经没事|已解决|已经解决|处理好了|处理完了|上次|之前|以前|上个月|上周|去年|早就",
    r"\b(?:was|been|got|already) (?:fixed|repaired|resolved|sorted)|\bfixed now\b|\blast (?:time|week|month|year)\b"
    r"|\bno longer\b|\bnot anymore\b|\bused to\b",
)
_AGAIN = _rx(r"又|再次|再一次|还在|仍然|现在|马上|快来", r"\bagain\b|\bstill\b|\bright now\b|\bhurry\b")
_LIFT_EMPTY = re.compile(r"(?:电梯|\blift\b|\belevator\b)")
# Topics that, once fixed, residents mention in follow-ups ("上次漏水已经修好了").
_DANGER_TOPIC = _rx(r"漏水|渗水|漏气|电梯|火|烟|水管|停电|跳闸|电线", r"\bleak|\blift\b|\belevator\b|\bfire\b|\bsmoke\b|\bgas\b|\bpipe")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _live_cue(rule: _Rule, text: str) -> bool:
    """A cue of this rule that is not directly negated."""
    for match in rule.cues.finditer(text):
        if not _NEGATION_BEFORE.search(text[max(0, match.start() - 12) : match.start()]):
            return True
    return False


def check_emergency(text: str) -> EmergencyCheck:
    """Decide whether the rules see an emergency in `text`."""
    folded = _fold(text)
    guarded: str | None = None
    hypothetical = _HYPOTHETICAL.search(folded) is not None
    resolved = _RESOLVED.search(folded) is not None and _AGAIN.search(folded) is None
    for rule in _RULES:
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
