"""A campaign's results, computed from its stored forms and answers: a pure function, no storage.

The manual's report: forms sent and returned, return rate, the overall satisfaction rate, the rate per
dimension and the common opinions. Satisfaction rate = share of ratings of 4 or 5. Every recorded rating
counts, including those of forms left unfinished: each is a household's opinion on that dimension. The
overall rate pools the ratings of all dimensions. Rates are None when there is nothing to divide by, so a
report says "no data" instead of a misleading 0 %. `compare` gives the change between two campaigns (month
over month) for the report section that follows the trend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dialogs.survey.model import SATISFIED_FROM, Answer, Campaign, Delivery, DeliveryStatus
from dialogs.survey.themes import common_themes


@dataclass(frozen=True)
class DimensionResult:
    """The ratings of one dimension."""

    dimension: str
    answers: int
    satisfied: int
    rate: float | None
    mean: float | None


@dataclass(frozen=True)
class SurveyResults:
    """What a campaign found."""

    campaign_id: int | None
    name: str
    targeted: int
    sent: int
    unreachable: int
    returned: int
    reminded: int
    distribution_rate: float | None  # forms sent / households targeted
    return_rate: float | None  # forms returned / forms sent
    answers: int
    satisfied: int
    overall_rate: float | None
    dimensions: tuple[DimensionResult, ...]
    comments: int
    themes: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class RateChange:
    """A rate now and before, and the change in percentage points (None when either is unknown)."""

    current: float | None
    previous: float | None
    points: float | None


@dataclass(frozen=True)
class SurveyComparison:
    """How a campaign compares with an earlier one (month over month, year over year)."""

    return_rate: RateChange
    overall: RateChange
    dimensions: tuple[tuple[str, RateChange], ...]


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def compute_results(
    campaign: Campaign,
    deliveries: Sequence[Delivery],
    answers: Iterable[Answer],
    *,
    top_themes: int = 5,
) -> SurveyResults:
    """The results of `campaign` from its deliveries and all answers recorded for them."""
    own = {d.id for d in deliveries}
    scores: dict[str, list[int]] = defaultdict(list)
    for answer in answers:
        if answer.delivery_id in own:
            scores[answer.dimension].append(answer.score)
    dimensions = tuple(_dimension(key, scores.get(key, [])) for key in campaign.dimensions)
    total = sum(d.answers for d in dimensions)
    satisfied = sum(d.satisfied for d in dimensions)
    sent = sum(1 for d in deliveries if d.status is DeliveryStatus.SENT)
    returned = sum(1 for d in deliveries if d.completed_at is not None)
    comments = [d.comment for d in deliveries if d.comment]
    return SurveyResults(
        campaign_id=campaign.id,
        name=campaign.name,
        targeted=len(deliveries),
        sent=sent,
        unreachable=sum(1 for d in deliveries if d.status is DeliveryStatus.UNREACHABLE),
        returned=returned,
        reminded=sum(1 for d in deliveries if d.reminded_at is not None),
        distribution_rate=_rate(sent, len(deliveries)),
        return_rate=_rate(returned, sent),
        answers=total,
        satisfied=satisfied,
        overall_rate=_rate(satisfied, total),
        dimensions=dimensions,
        comments=len(comments),
        themes=tuple(common_themes(comments, top=top_themes)) if comments else (),
    )


def _dimension(key: str, scores: list[int]) -> DimensionResult:
    satisfied = sum(1 for score in scores if score >= SATISFIED_FROM)
    return DimensionResult(
        dimension=key,
        answers=len(scores),
        satisfied=satisfied,
        rate=_rate(satisfied, len(scores)),
        mean=sum(scores) / len(scores) if scores else None,
    )


def _change(current: float | None, previous: float | None) -> RateChange:
    points = (current - previous) * 100 if current is not None and previous is not None else None
    return RateChange(current=current, previous=previous, points=points)


def compare(current: SurveyResults, previous: SurveyResults) -> SurveyComparison:
    """The change from `previous` to `current`, per dimension of the current campaign."""
    before = {d.dimension: d.rate for d in previous.dimensions}
    return SurveyComparison(
        return_rate=_change(current.return_rate, previous.return_rate),
        overall=_change(current.overall_rate, previous.overall_rate),
        dimensions=tuple((d.dimension, _change(d.rate, before.get(d.dimension))) for d in current.dimensions),
    )
