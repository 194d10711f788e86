"""Creating, starting and closing campaigns, and reading their results (what `frontdesk survey` does).

A campaign picks its households when it is created (so `status` shows how many it will ask before it
starts) and copies the site's dimensions, rate and reminder delay unless told otherwise. Only a running
campaign sends forms and accepts answers; a closed one answers presses politely and sends nothing more.
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import datetime

from dialogs.ports import UnitOfWork
from dialogs.site import SiteConfig
from dialogs.survey.model import Campaign, CampaignStatus
from dialogs.survey.results import SurveyResults, compute_results
from dialogs.survey.targets import sample_households


class CampaignError(ValueError):
    """The campaign cannot do that (unknown id, wrong state, bad target); the message says why."""


def default_seed(name: str) -> int:
    """A stable seed from the campaign's name, so re-creating the same campaign draws the same sample."""
    return zlib.crc32(name.encode("utf-8"))


def create_campaign(
    uow: UnitOfWork,
    site: SiteConfig,
    *,
    name: str,
    now: datetime,
    building: str | None = None,
    share: float | None = None,
    seed: int | None = None,
    rate_per_minute: int | None = None,
    reminder_days: int | None = None,
) -> tuple[Campaign, int]:
    """A new draft campaign and its forms; returns it with the number of households targeted."""
    if not name.strip():
        raise CampaignError("a campaign needs a name")
    if share is not None and not 0.0 < share <= 1.0:
        raise CampaignError("the sample share must be above 0 and at most 1")
    if building is not None and site.buildings and building not in site.buildings:
        raise CampaignError(f"no building {building!r} on this site")
    rate = rate_per_minute if rate_per_minute is not None else site.survey.rate_per_minute
    days = reminder_days if reminder_days is not None else site.survey.reminder_days
    if rate <= 0 or days <= 0:
        raise CampaignError("the rate and the reminder delay must be positive")
    campaign = uow.surveys.add_campaign(
        campaign=Campaign(
            id=None,
            name=name.strip(),
            status=CampaignStatus.DRAFT,
            dimensions=tuple(site.survey.dimensions),
            rate_per_minute=rate,
            reminder_days=days,
            created_at=now,
            building=building,
            sample_share=share,
            seed=default_seed(name.strip()) if seed is None else seed,
        )
    )
    assert campaign.id is not None
    households = sample_households(uow.surveys.household_ids(building=building), share, campaign.seed)
    targeted = uow.surveys.add_deliveries(campaign_id=campaign.id, household_ids=households)
    return campaign, targeted


def _get(uow: UnitOfWork, campaign_id: int) -> Campaign:
    campaign = uow.surveys.get_campaign(campaign_id=campaign_id)
    if campaign is None:
        raise CampaignError(f"no survey campaign {campaign_id}")
    return campaign


def start_campaign(uow: UnitOfWork, campaign_id: int, now: datetime) -> Campaign:
    """Let the scheduler send the forms from now on."""
    campaign = _get(uow, campaign_id)
    if campaign.status is not CampaignStatus.DRAFT:
        raise CampaignError(f"campaign {campaign_id} is {campaign.status.value}; only a draft can start")
    started = replace(campaign, status=CampaignStatus.RUNNING, started_at=now)
    uow.surveys.save_campaign(campaign=started)
    return started


def close_campaign(uow: UnitOfWork, campaign_id: int, now: datetime) -> Campaign:
    """Stop sending and stop accepting answers; the results stay."""
    campaign = _get(uow, campaign_id)
    if campaign.status is CampaignStatus.CLOSED:
        raise CampaignError(f"campaign {campaign_id} is already closed")
    closed = replace(campaign, status=CampaignStatus.CLOSED, closed_at=now)
    uow.surveys.save_campaign(campaign=closed)
    return closed


def campaign_results(uow: UnitOfWork, campaign_id: int) -> tuple[Campaign, SurveyResults]:
    """The campaign and its results from what is stored now."""
    campaign = _get(uow, campaign_id)
    assert campaign.id is not None
    deliveries = uow.surveys.deliveries(campaign_id=campaign.id)
    return campaign, compute_results(campaign, deliveries, uow.surveys.answers(campaign_id=campaign.id))
