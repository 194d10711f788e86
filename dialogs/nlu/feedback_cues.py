"""The deterministic half of reading a follow-up answer: stated scores and "was it solved" cues.

A resident who writes "5分", "四星", "3/5" or "five stars" has given the rating; a model should not
second-guess a number. Likewise "又漏了" or "not fixed yet" says the problem is not solved whatever
the tone. These rules run first; only answers without a stated score go to the classifier
(see `feedback.py`).
"""

from __future__ import annotations

import math
import re
import unicodedata

MIN_RATING = 1
MAX_RATING = 5

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_EN_DIGITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_CN = "".join(_CN_DIGITS)
_EN = "|".join(_EN_DIGITS)
# Units that make a number a score. The look-aheads keep durations and fractions out: 三分钟, 三分之一,
# 一分钱, 一星期 are no scores.
_CN_UNIT = r"(?:分(?![钟之钱])|颗星|星(?!期))"
_EN_UNIT = r"(?:stars?|points?|/\s*5(?![\d.])|out\s+of\s+(?:5|five)|of\s+5(?![\d.]))"
_NUMBER_SCORE = re.compile(rf"(?<![\d.])(?P<n>[0-5](?:\.\d)?)\s*(?:{_CN_UNIT}|{_EN_UNIT})", re.IGNORECASE)
# A Chinese numeral is a score only when it is not part of a bigger number (十分满意 means "very satisfied").
_CN_SCORE = re.compile(rf"(?<![{_CN}十百千\d])(?P<n>[{_CN}])\s*(?:个)?{_CN_UNIT}")
_EN_WORD_SCORE = re.compile(rf"\b(?P<n>{_EN})\s*(?:{_EN_UNIT})", re.IGNORECASE)
# "I'd give it a 4", "rate it 2", "给个4", "打3": a digit after a rating verb at the end of the answer.
_VERB_SCORE = re.compile(
    r"(?:\b(?:rate|rating|give|gave|score)\b|给|打)\D{0,12}?(?<![\d.])(?P<n>[0-5](?:\.\d)?)\s*[!.。！~]*\s*$",
    re.IGNORECASE,
)
_FULL_MARKS = re.compile(r"满分|full\s+marks", re.IGNORECASE)
_PUNCTUATION_OR_SPACE = re.compile(r"[\s\W_]+")

# Cues that the problem is NOT solved. They are checked against the same text as the "solved" cues, and a
# "solved" match inside a "not solved" one (修好 in 没修好, fixed in not fixed) does not count.
_NOT_SOLVED = re.compile(
    "|".join(
        (
            r"又(?:漏|坏|不亮|不行|堵|响|停|出问题|开始)",
            r"还(?:是|在)?(?:漏|滴|堵|坏|不行|不亮|不热|不通|不好使|有问题|没好|老样子|那样)",
            r"(?:没|没有|未|还没|还没有|并没有|根本没)(?:修好|修|解决|处理|弄好|搞定|好|人来|来)",
            r"没人(?:来|管|处理)",
            r"问题(?:还在|依旧|依然|没变)",
            r"越修越",
            r"\bstill\s+(?:not|isn'?t|doesn'?t|don'?t|broken|leak\w*|drip\w*|blocked|there|the\s+same|no\b)",
            r"\b(?:not|isn'?t|wasn'?t|hasn'?t\s+been|haven'?t\s+been|never\s+(?:got|been))\s+"
            r"(?:yet\s+)?(?:fixed|solved|resolved|repaired|sorted)",
            r"\b(?:broke|broken|leak\w*|stopped\s+working)\s+again\b",
            r"\b(?:came\s+back|nobody\s+came|no\s+one\s+came|didn'?t\s+(?:fix|finish|come|work)|unresolved)\b",
            r"\b(?:doesn'?t|does\s+not|still\s+doesn'?t)\s+work\b",
            r"\b(?:worse\s+than\s+before|made\s+it\s+worse)\b",
        )
    ),
    re.IGNORECASE,
)
_SOLVED = re.compile(
    "|".join(
        (
            r"修好|解决|处理好|弄好|搞定|好使了|能用了|不漏了|不堵了|亮了|通了|恢复了|没问题了|(?:已经|现在|终于|总算|都)好了",
            r"\b(?:fixed|solved|resolved|repaired|sorted(?:\s+out)?)\b",
            r"\b(?:works|working)\s+(?:fine\s+|well\s+)?now\b",
            r"\ball\s+good\s+now\b",
        )
    ),
    re.IGNORECASE,
)


def _fold(text: str) -> str:
    """Full-width to half-width and lower case: "５分" reads like "5分", "Five Stars" like "five stars"."""
    return unicodedata.normalize("NFKC", text).lower()


def _clamp(value: float) -> int:
    """Round half up (3.5 -> 4) into 1..5; a stated zero is the lowest rating there is."""
    return min(MAX_RATING, max(MIN_RATING, math.floor(value + 0.5)))


def _number(raw: str) -> float:
    if raw in _CN_DIGITS:
        return float(_CN_DIGITS[raw])
    if raw in _EN_DIGITS:
        return float(_EN_DIGITS[raw])
    return float(raw)


def explicit_rating(text: str) -> int | None:
    """The 1-5 score the answer states, if it states one; the last one wins ("本来想给5分，只能给3分")."""
    folded = _fold(text)
    bare = _PUNCTUATION_OR_SPACE.sub("", folded)
    if bare in _CN_DIGITS or bare in _EN_DIGITS or re.fullmatch(r"[0-5](?:\.\d)?", bare):
        return _clamp(_number(bare))
    found: list[tuple[int, float]] = []
    for pattern in (_NUMBER_SCORE, _CN_SCORE, _EN_WORD_SCORE, _VERB_SCORE):
        found.extend((m.start(), _number(m.group("n"))) for m in pattern.finditer(folded))
    found.extend((m.start(), float(MAX_RATING)) for m in _FULL_MARKS.finditer(folded))
    if not found:
        return None
    return _clamp(max(found)[1])


def solved_cue(text: str) -> bool | None:
    """False for "not solved" cues, True for "solved" ones, None when neither; the later cue wins.

    "之前没修好，现在修好了" ends solved, "修好了但是第二天又漏了" ends not solved.
    """
    folded = _fold(text)
    negatives = [(m.start(), m.end()) for m in _NOT_SOLVED.finditer(folded)]
    positives = [
        (m.start(), m.end())
        for m in _SOLVED.finditer(folded)
        if not any(start < m.end() and m.start() < end for start, end in negatives)
    ]
    cues = [(start, False) for start, _ in negatives] + [(start, True) for start, _ in positives]
    if not cues:
        return None
    return max(cues)[1]
