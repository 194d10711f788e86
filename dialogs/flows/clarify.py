"""Asking back when the NLU is unsure, instead of guessing (and never answering "I don't know").

Below the confidence threshold the bot offers the two likeliest readings as buttons; after a second miss in
a row it also offers a person (the manual's 唱诺制: find out or escalate, never leave the resident stuck).
"""

from __future__ import annotations

from dialogs.flows.base import REQUEST_INTENTS, FlowName
from dialogs.messages import ActionKind, Button
from dialogs.nlu.types import Intent, ParseResult
from dialogs.turn import Turn

# Intents worth offering as a reading of an unclear request; small talk is not.
OFFERABLE: frozenset[str] = REQUEST_INTENTS | {Intent.EMERGENCY}


class ClarifyFlow:
    """Remembers the unclear text until the resident picks a reading."""

    name = FlowName.CLARIFY

    def start(self, turn: Turn, parse: ParseResult) -> None:
        """Offer the top readings; on the second miss in a row offer a person too."""
        turn.misses += 1
        options = [score.name for score in parse.intent_ranking if score.name in OFFERABLE][:2]
        if not options:
            options = [Intent.REPAIR, Intent.INQUIRY]
        rows: list[tuple[Button, ...]] = [
            tuple(turn.button(f"intent.{name}", ActionKind.CHOOSE_INTENT, name) for name in options)
        ]
        if turn.misses >= 2:
            rows.append((turn.button("button.handoff", ActionKind.HANDOFF),))
            key = "clarify.second_miss"
        else:
            key = "clarify.ask"
        misses = turn.misses
        turn.go(self.name, "choose", text=turn.text, options=options)
        turn.misses = misses
        turn.say(key, buttons=tuple(rows))
