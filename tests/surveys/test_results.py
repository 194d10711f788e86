"""Results figures checked against values counted independently here, and the campaign comparison."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from dialogs.survey.model import Answer, Campaign, CampaignStatus, Delivery, DeliveryStatus
from dialogs.survey.results import compare, compute_results
from dialogs.survey.themes import common_themes, keywords

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
DIMENSIONS = ("heating", "cooling", "power", "water", "safety")


def _campaign(campaign_id: int = 1) -> Campaign:
    return Campaign(
        id=campaign_id,
        name="test",
        status=CampaignStatus.RUNNING,
        dimensions=DIMENSIONS,
        rate_per_minute=10,
        reminder_days=3,
        created_at=T0,
    )


def _random_campaign(seed: int) -> tuple[list[Delivery], list[Answer]]:
    """40 households: some unreachable, some not answering, some half-way, the rest complete."""
    rng = random.Random(seed)
    deliveries: list[Delivery] = []
    answers: list[Answer] = []
    for n in range(40):
        status = DeliveryStatus.UNREACHABLE if n % 10 == 9 else DeliveryStatus.SENT
        rated = 0 if status is DeliveryStatus.UNREACHABLE else rng.choice([0, 2, 5, 5, 5])
        for dimension in DIMENSIONS[:rated]:
            answers.append(Answer(n, dimension, rng.randint(1, 5), None, T0))
        deliveries.append(
            Delivery(
                id=n,
                campaign_id=1,
                household_id=100 + n,
                status=status,
                sent_at=T0,
                completed_at=T0 if rated == len(DIMENSIONS) else None,
                comment=rng.choice([None, "电梯维修太慢", "保洁不错"]) if rated else None,
            )
        )
    return deliveries, answers


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_figures_match_an_independent_count(seed: int) -> None:
    deliveries, answers = _random_campaign(seed)
    results = compute_results(_campaign(), deliveries, answers)

    sent = [d for d in deliveries if d.status is DeliveryStatus.SENT]
    returned = [d for d in deliveries if d.completed_at is not None]
    assert (results.targeted, results.sent, results.returned) == (40, len(sent), len(returned))
    assert results.unreachable == 4
    assert results.distribution_rate == pytest.approx(len(sent) / 40)
    assert results.return_rate == pytest.approx(len(returned) / len(sent))
    good = [a for a in answers if a.score in (4, 5)]
    assert (results.answers, results.satisfied) == (len(answers), len(good))
    assert results.overall_rate == pytest.approx(len(good) / len(answers))
    for dimension in results.dimensions:
        scores = [a.score for a in answers if a.dimension == dimension.dimension]
        assert dimension.answers == len(scores)
        assert dimension.rate == pytest.approx(sum(s >= 4 for s in scores) / len(scores))
        assert dimension.mean == pytest.approx(sum(scores) / len(scores))
    assert [d.dimension for d in results.dimensions] == list(DIMENSIONS)
    assert results.comments == sum(1 for d in deliveries if d.comment)


def test_nothing_to_divide_by_is_no_data_rather_than_zero() -> None:
    deliveries = [Delivery(id=1, campaign_id=1, household_id=1)]  # targeted, not yet sent
    results = compute_results(_campaign(), deliveries, [])
    assert results.distribution_rate == 0.0
    assert results.return_rate is None and results.overall_rate is None
    assert all(d.rate is None and d.mean is None for d in results.dimensions)
    assert results.themes == ()


def test_answers_of_other_campaigns_are_ignored() -> None:
    deliveries = [Delivery(id=1, campaign_id=1, household_id=1, status=DeliveryStatus.SENT)]
    answers = [Answer(1, "heating", 5, None, T0), Answer(2, "heating", 1, None, T0)]
    results = compute_results(_campaign(), deliveries, answers)
    assert (results.answers, results.satisfied) == (1, 1)


def test_comparison_gives_the_change_in_percentage_points() -> None:
    sent = [Delivery(id=n, campaign_id=1, household_id=n, status=DeliveryStatus.SENT) for n in range(4)]
    before = compute_results(
        _campaign(1),
        [
            *sent[:3],
            Delivery(id=3, campaign_id=1, household_id=3, status=DeliveryStatus.SENT, completed_at=T0),
        ],
        [Answer(0, "heating", 5, None, T0), Answer(1, "heating", 2, None, T0)],
    )
    after = compute_results(
        _campaign(2),
        [
            Delivery(id=n, campaign_id=2, household_id=n, status=DeliveryStatus.SENT, completed_at=T0)
            for n in (0, 1)
        ],
        [
            Answer(0, "heating", 5, None, T0),
            Answer(1, "heating", 4, None, T0),
            Answer(1, "water", 1, None, T0),
        ],
    )
    change = compare(after, before)
    assert change.return_rate.points == pytest.approx((2 / 2 - 1 / 4) * 100)
    assert change.overall.points == pytest.approx((2 / 3 - 1 / 2) * 100)
    by_dimension = dict(change.dimensions)
    assert by_dimension["heating"].points == pytest.approx((2 / 2 - 1 / 2) * 100)
    assert by_dimension["water"].previous is None and by_dimension["water"].points is None


def test_themes_count_each_comment_once_and_skip_stop_words() -> None:
    comments = [
        "电梯经常坏，电梯维修太慢",
        "希望电梯维修及时一些",
        "垃圾清理不及时",
        "The lift is broken and the lift repairs are slow",
        "Lift repairs are too slow",
        "",
    ]
    themes = dict(common_themes(comments, top=10))
    assert themes["电梯"] == 2  # twice in the first comment, counted once there
    assert themes["维修"] == 2
    assert themes["lift"] == 2 and themes["slow"] == 2
    assert "希望" not in themes and "the" not in themes and "are" not in themes
    assert keywords("物业服务很好") == set()  # words every comment about the estate has
    ranked = common_themes(comments, top=3)
    assert [count for _, count in ranked] == sorted((count for _, count in ranked), reverse=True)
