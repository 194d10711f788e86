"""The NLU contract: intents, entities and the parse result every backend returns.

The shape mirrors Rasa's `/model/parse` response so that the built-in model and a Rasa server are
interchangeable and `frontdesk nlu parse` prints exactly what Rasa would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class Intent(StrEnum):
    """The intent names: a contract other parts and the evaluations rely on."""

    GREET = "greet"
    GOODBYE = "goodbye"
    THANKS = "thanks"
    AFFIRM = "affirm"
    DENY = "deny"
    CANCEL = "cancel"
    HUMAN_HANDOFF = "human_handoff"
    REPAIR = "repair"
    EMERGENCY = "emergency"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    PRAISE = "praise"
    SERVICE_ORDER = "service_order"
    INQUIRY = "inquiry"
    TICKET_STATUS = "ticket_status"
    OUT_OF_SCOPE = "out_of_scope"


class EntityName(StrEnum):
    """Entity names the NLU extracts."""

    ROOM = "room"
    PHONE = "phone"
    DATETIME = "datetime"
    SERVICE_ITEM = "service_item"
    REPAIR_CATEGORY = "repair_category"
    COMPLAINT_CLASS = "complaint_class"


REPAIR_CATEGORIES: tuple[str, ...] = (
    "plumbing",
    "electrical",
    "drain",
    "door_window",
    "lighting",
    "elevator",
    "gas",
    "appliance",
    "structure",
    "public_facility",
    "other",
)

COMPLAINT_CLASSES: tuple[str, ...] = ("service", "quality", "external")


@dataclass(frozen=True)
class IntentScore:
    """An intent with its calibrated confidence (0..1)."""

    name: str
    confidence: float


@dataclass(frozen=True)
class Entity:
    """An extracted entity; `start`/`end` are character offsets in the text, `value` is normalised."""

    entity: str
    value: str
    start: int
    end: int
    extractor: str
    confidence: float = 1.0


@dataclass(frozen=True)
class ParseResult:
    """What the NLU understood of one message."""

    text: str
    intent: IntentScore
    intent_ranking: tuple[IntentScore, ...]
    entities: tuple[Entity, ...]

    def first(self, name: str) -> str | None:
        """The value of the first entity with this name, if any."""
        for entity in self.entities:
            if entity.entity == name:
                return entity.value
        return None

    def to_rasa(self) -> dict[str, Any]:
        """The JSON shape of Rasa's `POST /model/parse` response."""
        return {
            "text": self.text,
            "intent": {"name": self.intent.name, "confidence": round(self.intent.confidence, 4)},
            "intent_ranking": [
                {"name": score.name, "confidence": round(score.confidence, 4)}
                for score in self.intent_ranking
            ],
            "entities": [
                {
                    "entity": e.entity,
                    "value": e.value,
                    "start": e.start,
                    "end": e.end,
                    "extractor": e.extractor,
                    "confidence_entity": e.confidence,
                }
                for e in self.entities
            ],
        }


class NluBackend(Protocol):
    """Anything that can understand a message: the built-in model or a Rasa server."""

    def parse(self, text: str, *, now: datetime) -> ParseResult:
        """Understand `text`; relative times are resolved against `now` (aware, in the site's zone)."""
        ...

    def parse_many(self, texts: Sequence[str], *, now: datetime) -> list[ParseResult]:
        """`parse` of each text, in order (a backend may understand them together, faster)."""
        ...
