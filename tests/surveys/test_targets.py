"""Who is asked: all households, one building, or a reproducible sample of a share."""

from __future__ import annotations

import pytest

from bot.app import App
from dialogs.survey.campaigns import CampaignError, create_campaign, start_campaign
from dialogs.survey.targets import sample_households
from tests.surveys.support import add_household


def test_the_sample_is_reproducible_and_of_the_given_share() -> None:
    households = list(range(1, 201))
    first = sample_households(households, 0.3, seed=7)
    assert len(first) == 60 and set(first) <= set(households) and first == sorted(first)
    assert sample_households(reversed(households), 0.3, seed=7) == first  # input order does not matter
    assert sample_households(households, 0.3, seed=8) != first
    assert sample_households(households, None, seed=7) == households
    assert sample_households([5, 6, 7], 0.01, seed=1) in ([5], [6], [7])  # at least one household


def test_campaign_targets_by_building_and_sample(app: App) -> None:
    now = app.clock.now()
    with app.uow_factory() as uow:
        in_a = [add_household(uow, f"A-{n}", building="A") for n in range(10)]
        in_b = [add_household(uow, f"B-{n}", building="B") for n in range(30)]
        everyone, all_count = create_campaign(uow, app.site, name="all", now=now)
        building, building_count = create_campaign(uow, app.site, name="A only", now=now, building="A")
        sample, sample_count = create_campaign(uow, app.site, name="sample", now=now, share=0.25, seed=3)
        assert everyone.id and building.id and sample.id
        households = {
            campaign.id: {d.household_id for d in uow.surveys.deliveries(campaign_id=campaign.id)}
            for campaign in (everyone, building, sample)
            if campaign.id is not None
        }
        uow.commit()
    assert (all_count, building_count, sample_count) == (40, 10, 10)
    assert households[everyone.id] == set(in_a + in_b)
    assert households[building.id] == set(in_a)
    assert households[sample.id] == set(sample_households(in_a + in_b, 0.25, seed=3))
    assert everyone.dimensions == tuple(app.site.survey.dimensions)
    assert everyone.rate_per_minute == app.site.survey.rate_per_minute


def test_bad_targets_and_states_are_refused(app: App) -> None:
    now = app.clock.now()
    with app.uow_factory() as uow:
        with pytest.raises(CampaignError, match="sample share"):
            create_campaign(uow, app.site, name="x", now=now, share=1.5)
        with pytest.raises(CampaignError, match="no building"):
            create_campaign(uow, app.site, name="x", now=now, building="Z")
        campaign, _ = create_campaign(uow, app.site, name="x", now=now)
        assert campaign.id is not None
        start_campaign(uow, campaign.id, now)
        with pytest.raises(CampaignError, match="only a draft"):
            start_campaign(uow, campaign.id, now)
        with pytest.raises(CampaignError, match="no survey campaign"):
            start_campaign(uow, 999, now)
