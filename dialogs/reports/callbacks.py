"""Monthly callback statistics (回访统计): per kind, due, done, on time, the rate achieved against the
site's policy (100 % complaints, 30 % repairs …), satisfaction; and the failed callbacks to flag.

Read from the follow-up records (`dialogs.followup`) of the tickets resolved in the month: every resolved
ticket of a kind with a policy has one, sampled or not, so the achieved rate is callbacks done over tickets
handled — the figure the manual's rate is about. A callback is done when the resident answered, or staff
phoned and reached them; on time when that happened before its window closed. Satisfied means a rating of
4 or 5 (or "satisfied" on the phone) among the callbacks that gave one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dialogs.followup.records import FollowUp, FollowUpKind, FollowUpStatus, PhoneResult
from dialogs.site import SiteConfig

SATISFIED_RATING = 4
_REACHED = frozenset({PhoneResult.SATISFIED.value, PhoneResult.UNSATISFIED.value})


@dataclass(frozen=True)
class CallbackLine:
    """One kind's callbacks in the month."""

    kind: str
    required_rate: float
    handled: int  # tickets of this kind resolved in the month (each has a follow-up record)
    due: int  # sampled for a callback
    done: int
    on_time: int
    rated: int
    satisfied: int

    @property
    def achieved_rate(self) -> float | None:
        """Callbacks done over tickets handled (compare with `required_rate`)."""
        return self.done / self.handled if self.handled else None

    @property
    def on_time_rate(self) -> float | None:
        """Share of the done callbacks made inside their window."""
        return self.on_time / self.done if self.done else None

    @property
    def satisfaction(self) -> float | None:
        """Share satisfied among the callbacks that gave a verdict."""
        return self.satisfied / self.rated if self.rated else None


@dataclass(frozen=True)
class FailedCallback:
    """A callback that failed: nobody reached, its window passed undone, or the resident was unsatisfied."""

    reference: str
    reason: str  # unreached | overdue | unsatisfied
    complaint_reference: str | None


def done_at(followup: FollowUp) -> datetime | None:
    """When the callback was made (answered, or phoned and reached), or None."""
    if followup.status is FollowUpStatus.ANSWERED:
        return followup.answered_at
    if followup.status is FollowUpStatus.DONE and followup.phone_result in _REACHED:
        return followup.phone_at
    return None


def verdict(followup: FollowUp) -> bool | None:
    """True satisfied, False not, None no verdict."""
    if followup.rating is not None:
        return followup.rating >= SATISFIED_RATING and followup.solved is not False
    if followup.phone_result in _REACHED:
        return followup.phone_result == PhoneResult.SATISFIED.value
    return None


def callback_lines(followups: Sequence[FollowUp], site: SiteConfig) -> tuple[CallbackLine, ...]:
    """One line per kind that has a policy or records, in the manual's order."""
    lines = []
    for kind in FollowUpKind:
        own = [f for f in followups if f.kind is kind]
        rule = site.callbacks.get(kind.value)
        if rule is None and not own:
            continue
        made = [(f, done_at(f)) for f in own]
        verdicts = [verdict(f) for f in own]
        lines.append(
            CallbackLine(
                kind=kind.value,
                required_rate=rule.rate if rule is not None else 0.0,
                handled=len(own),
                due=sum(1 for f in own if f.sampled),
                done=sum(1 for _, at in made if at is not None),
                on_time=sum(1 for f, at in made if at is not None and at <= f.window_end),
                rated=sum(1 for v in verdicts if v is not None),
                satisfied=sum(1 for v in verdicts if v is True),
            )
        )
    return tuple(lines)


def failed_callbacks(followups: Sequence[FollowUp], as_of: datetime) -> tuple[FailedCallback, ...]:
    """The callbacks to flag, as they stand at `as_of`."""
    failed = []
    for followup in followups:
        if not followup.sampled:
            continue
        if followup.phone_result == PhoneResult.UNREACHED.value:
            reason = "unreached"
        elif verdict(followup) is False:
            reason = "unsatisfied"
        elif done_at(followup) is None and followup.window_end < as_of:
            reason = "overdue"
        else:
            continue
        failed.append(FailedCallback(followup.reference, reason, followup.complaint_reference))
    return tuple(sorted(failed, key=lambda f: f.reference))
