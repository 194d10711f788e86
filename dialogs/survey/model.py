"""The survey's records: a campaign, one delivery (form) per targeted household, and the answers.

Frozen dataclasses, like the rest of the domain: the repository maps them to rows. A delivery moves
pending → sent (or unreachable, when no one of the household uses the bot); `completed_at` marks the form
as returned (every dimension rated) and `finished_at` the end of the optional comment step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

SATISFIED_FROM = 4  # scores 4 (满意) and 5 (非常满意) count as satisfied
SCORES: tuple[int, ...] = (5, 4, 3, 2, 1)  # the order the buttons show them: best first, as on paper forms


class CampaignStatus(StrEnum):
    """Where a campaign stands: only running campaigns send forms and accept answers."""

    DRAFT = "draft"
    RUNNING = "running"
    CLOSED = "closed"


class DeliveryStatus(StrEnum):
    """Whether a household's form has gone out."""

    PENDING = "pending"
    SENT = "sent"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Campaign:
    """One survey round. The dimensions are copied from the site when it is created, so changing the site
    file later does not change what an earlier campaign asked."""

    id: int | None
    name: str
    status: CampaignStatus
    dimensions: tuple[str, ...]
    rate_per_minute: int
    reminder_days: int
    created_at: datetime
    building: str | None = None
    sample_share: float | None = None
    seed: int = 0
    started_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """The form of one household in one campaign."""

    id: int | None
    campaign_id: int
    household_id: int
    status: DeliveryStatus = DeliveryStatus.PENDING
    sent_at: datetime | None = None
    reminded_at: datetime | None = None
    completed_at: datetime | None = None
    finished_at: datetime | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Answer:
    """One rating; a household rates each dimension once (the first press counts)."""

    delivery_id: int
    dimension: str
    score: int
    resident_id: int | None
    answered_at: datetime
