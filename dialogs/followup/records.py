"""The callback follow-up (回访) record and its states: what the monthly callback statistics are read from.

Every resolved ticket of a kind with a callback policy gets one `FollowUp`, sampled or not, so the report can
show due, done, on time and the rate achieved per kind against the policy, and the satisfaction given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# Without an answer after this long (or, for a short window, halfway between asking and the window's end)
# the resident is reminded once; as long again (or when the window ends), staff phone instead.
ANSWER_WAIT = timedelta(hours=48)
# The least time given to answer the question, then the reminder, however short the window (or late the ask).
MIN_ANSWER_WAIT = timedelta(hours=12)
LOW_RATING = 2  # a rating at or below this is "unsatisfactory": reopened, supervisors told, a complaint


class FollowUpKind(StrEnum):
    """The rows of the manual's callback table (the keys of the site's `callbacks` policy)."""

    COMPLAINT = "complaint"
    REPAIR = "repair"
    MAINTENANCE_WORKS = "maintenance_works"
    EMERGENCY = "emergency"
    ACTIVITY = "activity"


class FollowUpStatus(StrEnum):
    """Where a follow-up stands."""

    NOT_SAMPLED = "not_sampled"  # the kind has a policy, this ticket was not drawn: kept for the statistics
    SCHEDULED = "scheduled"  # waiting for its due time (and for its ticket to be resolved)
    ASKED = "asked"  # the question is in the outbox
    REMINDED = "reminded"  # no answer in 48 h (or by half the window): reminded once
    ANSWERED = "answered"  # the resident rated it and said whether it was solved
    PHONE = "phone"  # handed to staff as a phone-callback task (no answer, blocked bot, unknown delivery)
    DONE = "done"  # staff recorded the phone callback's result


class PhoneReason(StrEnum):
    """Why a follow-up became a phone-callback task."""

    NO_ANSWER = "no_answer"
    BLOCKED = "blocked"
    UNKNOWN_DELIVERY = "unknown_delivery"  # the sender died mid-send: maybe delivered, so never re-sent


class PhoneResult(StrEnum):
    """What staff record after phoning."""

    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
    UNREACHED = "unreached"


AWAITING_ANSWER: frozenset[FollowUpStatus] = frozenset({FollowUpStatus.ASKED, FollowUpStatus.REMINDED})


@dataclass(frozen=True)
class FollowUp:
    """One callback: the record the monthly callback statistics are computed from."""

    id: int | None
    ticket_id: int
    reference: str
    kind: FollowUpKind
    status: FollowUpStatus
    resident_id: int
    channel: str
    chat_id: int
    resolved_at: datetime
    due_at: datetime | None  # None when not sampled
    window_end: datetime
    created_at: datetime
    sent_at: datetime | None = None
    reminded_at: datetime | None = None
    answered_at: datetime | None = None
    phone_at: datetime | None = None
    phone_reason: str | None = None
    phone_result: str | None = None
    rating: int | None = None  # 1 非常不满意 … 5 非常满意
    solved: bool | None = None
    comment: str = ""
    late: bool = False  # asked after the window had ended
    complaint_reference: str | None = None  # the complaint opened because the callback was unsatisfactory

    @property
    def sampled(self) -> bool:
        """Whether the resident is (or was to be) called back."""
        return self.status is not FollowUpStatus.NOT_SAMPLED

    @property
    def unsatisfactory(self) -> bool:
        """A low rating or "not solved": the manual sends it to the director and the complaint process."""
        return (self.rating is not None and self.rating <= LOW_RATING) or self.solved is False
