"""Questions (咨询): answered from the site FAQ in the resident's language; a question the FAQ cannot answer
is never met with "I don't know" — a person answers within a stated time (an H ticket).

Retrieval scores each FAQ entry by the site's keywords found in the question (weighted by length, so
"装修押金" outweighs "押金") plus the character pairs it shares with the entry's question, which also catches
wordings no keyword list foresaw.
"""

from __future__ import annotations

import functools
import re

from dialogs.flows.handoff import HandoffFlow
from dialogs.site import FaqEntry
from dialogs.turn import Turn

MIN_SCORE = 2.0


def _pairs(text: str) -> frozenset[str]:
    squashed = re.sub(r"\W+", "", text.lower())
    return frozenset(squashed[i : i + 2] for i in range(len(squashed) - 1))


@functools.lru_cache(maxsize=4096)
def _entry_pairs(zh: str, en: str) -> frozenset[str]:
    """An FAQ entry's character pairs: the site's FAQ is fixed, so each entry's are worked out once."""
    return _pairs(zh) | _pairs(en)


def faq_score(entry: FaqEntry, lowered: str, pairs: frozenset[str]) -> float:
    """How well an FAQ entry fits a question, given lower-cased and as character pairs (0 = not at all)."""
    keywords = sum(len(keyword) for keyword in entry.keywords if keyword.lower() in lowered)
    shared = pairs & _entry_pairs(entry.question.zh, entry.question.en)
    return keywords + 0.5 * len(shared)


def best_faq(entries: list[FaqEntry], question: str) -> FaqEntry | None:
    """The best-fitting entry, or None when none fits well enough to answer with."""
    lowered, pairs = question.lower(), _pairs(question)
    scored = sorted(((faq_score(entry, lowered, pairs), i) for i, entry in enumerate(entries)), reverse=True)
    if not scored or scored[0][0] < MIN_SCORE:
        return None
    return entries[scored[0][1]]


class InquiryFlow:
    """One message: the FAQ answer, or a person's answer promised."""

    def __init__(self, handoff: HandoffFlow) -> None:
        self._handoff = handoff

    def start(self, turn: Turn, text: str) -> None:
        """Answer from the FAQ or hand the question to a person."""
        entry = best_faq(list(turn.site.faq.values()), text)
        if entry is not None:
            turn.say_text(entry.answer.get(turn.lang))
        else:
            self._handoff.start(turn, text, unanswered=True)
