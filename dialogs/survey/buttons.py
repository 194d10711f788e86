"""What a survey button carries: campaign, which message it sits on, and what it does.

The argument names everything the press needs ("12|s|heating=5"), so a rating works whatever the
resident's conversation is doing meanwhile. The middle part says which message holds the form — the first
send ("s") or the reminder ("r") — because the form is answered by editing that very message in place
(`Outgoing.key`), one question after another, instead of filling the chat with eleven messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.survey.model import SCORES

FIRST = "s"
REMINDER = "r"
GO = "go"  # start or continue the form
SKIP = "skip"  # no comment
RATE = "rate"  # the `op` of a decoded rating (encoded as "dimension=score")


@dataclass(frozen=True)
class SurveyPress:
    """A decoded survey button."""

    campaign_id: int
    round: str
    op: str
    dimension: str = ""
    score: int = 0


def form_key(campaign_id: int, round_: str) -> str:
    """The `Outgoing.key` of the message that shows a campaign's form."""
    return f"survey:{campaign_id}:{round_}"


def arg(campaign_id: int, round_: str, op: str) -> str:
    """A button argument; `op` is GO, SKIP or `rating(dimension, score)`."""
    return f"{campaign_id}|{round_}|{op}"


def rating(dimension: str, score: int) -> str:
    """The `op` of a rating button."""
    return f"{dimension}={score}"


def parse(value: str) -> SurveyPress | None:
    """The press, or None when the argument is malformed (forged or from an older version)."""
    parts = value.split("|")
    if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in (FIRST, REMINDER):
        return None
    campaign_id, round_, op = int(parts[0]), parts[1], parts[2]
    if op in (GO, SKIP):
        return SurveyPress(campaign_id, round_, op)
    dimension, _, score = op.partition("=")
    if not dimension or not score.isdigit() or int(score) not in SCORES:
        return None
    return SurveyPress(campaign_id, round_, RATE, dimension, int(score))
