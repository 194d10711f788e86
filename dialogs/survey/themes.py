"""The most common themes in survey comments (常见意见): keyword counting with stop words, zh and en.

Chinese runs are segmented with jieba (its full dictionary, loaded once, only when there are comments);
Latin words are taken as they are, lower-cased. Function words, politeness and words every comment about
the estate contains ("物业", "小区", "service") are stop words. A word counts once per comment, so one long
comment repeating a word does not outweigh several residents mentioning it.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

_RUNS = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z][A-Za-z'-]*")

STOP_WORDS_ZH: frozenset[str] = frozenset(
    """
    的 了 是 在 我 我们 你们 他们 也 都 很 就 和 与 及 有 没 不 还 要 能 会 这 那 这个 那个 这些 那些 个 一些
    一下 一点 比较 非常 特别 十分 希望 觉得 感觉 认为 可以 应该 能够 什么 怎么 有点 有些 太 再 多 请 谢谢 感谢
    物业 小区 服务 问题 方面 工作 还是 但是 因为 所以 如果 或者 而且 然后 已经 现在 时候 经常 总是 一直 还有
    没有 不是 就是 真的 挺 蛮 更 最 比 对 把 被 让 给 为 从 到 于 着 过 吧 吗 呢 啊 哦 嗯 好 大家 自己
    其他 一般 目前 以后 之前 有时 有时候 能否 是否 需要 建议 加强 提高 继续 保持 一定
    """.split()  # noqa: SIM905 - a word list reads better as text
)
STOP_WORDS_EN: frozenset[str] = frozenset(
    """
    a an the is are was were be been being am to of and or in on at by for with from as it its this that these
    those there here i me my we our us you your they them their he she his her not no nor so but if then than
    too very really just also more most much many some any all can could would should will shall may might
    must do does did done have has had please thanks thank good bad well get got make made like one two lot
    lots property estate service services management staff's about into over under again still always often
    sometimes need needs needed better improve improved
    """.split()  # noqa: SIM905 - a word list reads better as text
)


@cache
def _tokenizer() -> Any:
    """jieba's default tokenizer, initialised once (its dictionary takes about a second to load)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def keywords(comment: str) -> set[str]:
    """The distinct theme words of one comment."""
    words: set[str] = set()
    for run in _RUNS.findall(comment):
        if "\u4e00" <= run[0] <= "\u9fff":
            for word in _tokenizer().lcut(run):
                if len(word) >= 2 and word not in STOP_WORDS_ZH:
                    words.add(word)
        else:
            word = run.lower().strip("'-")
            if len(word) >= 3 and word not in STOP_WORDS_EN:
                words.add(word)
    return words


def common_themes(comments: Iterable[str], top: int = 5) -> list[tuple[str, int]]:
    """The `top` words mentioned by the most comments, with how many comments mention each (ties by word)."""
    counts: Counter[str] = Counter()
    for comment in comments:
        if comment.strip():
            counts.update(keywords(comment))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:top]
