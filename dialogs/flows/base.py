"""What every conversation flow looks like to the engine.

A flow is one conversation (household linking, a repair report …). Its steps are a `StrEnum`; the engine
stores the flow name, the step and the slots in the conversation record after every turn, so a flow is a
function of (stored state, incoming message) and continues after a restart or on another worker.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from dialogs.nlu.types import Intent
from dialogs.turn import Turn

# What residents come for (not small talk): these start conversations or open tickets.
REQUEST_INTENTS: frozenset[str] = frozenset(
    {
        Intent.REPAIR,
        Intent.COMPLAINT,
        Intent.SUGGESTION,
        Intent.PRAISE,
        Intent.SERVICE_ORDER,
        Intent.INQUIRY,
        Intent.TICKET_STATUS,
        Intent.HUMAN_HANDOFF,
    }
)


class FlowName(StrEnum):
    """The flows the engine can be in."""

    ONBOARDING = "onboarding"
    REPAIR = "repair"
    EMERGENCY = "emergency"
    COMPLAINT = "complaint"
    SERVICE_ORDER = "service_order"
    HANDOFF = "handoff"
    CLARIFY = "clarify"
    STAFF = "staff"
    SURVEY = "survey"
    FOLLOWUP = "followup"


class Flow(Protocol):
    """A conversation that spans several messages."""

    name: FlowName

    def resume(self, turn: Turn) -> None:
        """Handle the turn's message at the flow's current step."""
        ...

    def reprompt(self, turn: Turn) -> None:
        """Ask the current step's question again (after an interruption such as an emergency)."""
        ...
