"""Questions (咨询): answered from the site FAQ in the resident's language; a question the FAQ cannot answer
is never met with "I don't know" — a person answers within a stated time (an H ticket).

Retrieval scores each FAQ entry by the site's keywords found in the question (weighted by length, so
"装修押金" outweighs "押金") plus the character pairs it shares with the entry's question, which also catches
wordings no keyword list foresaw.
"""

from __future__ import annotations

import re

from dialogs.flows.handoff import HandoffFlow
from dialogs.site import FaqEntry
from dialogs.turn import Turn

MIN_SCORE = 2.0


def _pairs(text: str) -> set[str]:
    squashed = re.sub(r"\W+", "", text.lower())
    return {squashed[i : i + 2] for i in range(len(squashed) - 1)}


def faq_score(entry: FaqEntry, question: str) -> float:
    """How well an FAQ entry fits a question (0 = not at all)."""
    lowered = question.lower()
    keywords = sum(len(keyword) for keyword in entry.keywords if keyword.lower() in lowered)
    shared = _pairs(question) & (_pairs(entry.question.zh) | _pairs(entry.question.en))
    return keywords + 0.5 * len(shared)


def best_faq(entries: list[FaqEntry], question: str) -> FaqEntry | None:
    """The best-fitting entry, or None when none fits well enough to answer with."""
    scored = sorted(((faq_score(entry, question), i) for i, entry in enumerate(entries)), reverse=True)
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
