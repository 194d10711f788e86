"""`frontdesk survey …`: create, start, follow and close satisfaction survey campaigns (满意度调查).

`create` picks the households (all, one building, or a reproducible sample) and prints how many; `start`
lets the scheduler send the forms (within the rate, outside quiet hours, one reminder); `status` prints the
results as they stand; `close` stops sending and accepting answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from bot.cli_support import command_context
from dialogs.clock import SystemClock
from dialogs.i18n import Catalog
from dialogs.site import SiteConfig
from dialogs.survey.campaigns import (
    CampaignError,
    campaign_results,
    close_campaign,
    create_campaign,
    start_campaign,
)
from dialogs.survey.report import render_results
from storage.uow import SqlUnitOfWorkFactory

__all__ = ["survey"]


@contextmanager
def _context() -> Iterator[tuple[SiteConfig, SqlUnitOfWorkFactory]]:
    """The command's site and database; a campaign rule the operator broke ends in one clear line."""
    with command_context() as (_settings, site, uow_factory):
        try:
            yield site, uow_factory
        except CampaignError as exc:
            raise click.ClickException(str(exc)) from exc


def _rate(value: str | None) -> int | None:
    """`--rate 20` or `--rate 20/min`: forms per minute."""
    if value is None:
        return None
    number = value.strip().lower().removesuffix("/min").strip()
    if not number.isdigit() or int(number) <= 0:
        raise click.BadParameter(f"expected forms per minute such as 20 or 20/min, not {value!r}")
    return int(number)


@click.group()
def survey() -> None:
    """Satisfaction survey campaigns (满意度调查)."""


@survey.command("create")
@click.option(
    "--name", required=True, help="The campaign's name, shown to residents (e.g. 2026年度满意度调查)."
)
@click.option("--building", default=None, help="Only the households of this building.")
@click.option("--sample", type=float, default=None, help="Survey a random share of the households, e.g. 0.3.")
@click.option("--seed", type=int, default=None, help="Seed of the sample (default: derived from the name).")
@click.option("--rate", default=None, help="Forms sent per minute, e.g. 20/min (default: the site's).")
@click.option("--reminder-days", type=int, default=None, help="Remind once after this many days.")
def survey_create(
    name: str,
    building: str | None,
    sample: float | None,
    seed: int | None,
    rate: str | None,
    reminder_days: int | None,
) -> None:
    """Create a campaign (not yet sending) and pick its households."""
    per_minute = _rate(rate)
    with _context() as (site, uow_factory), uow_factory() as uow:
        campaign, targeted = create_campaign(
            uow,
            site,
            name=name,
            now=SystemClock().now(),
            building=building,
            share=sample,
            seed=seed,
            rate_per_minute=per_minute,
            reminder_days=reminder_days,
        )
        uow.commit()
    click.echo(
        f"created survey {campaign.id} {campaign.name!r}: {targeted} households, "
        f"{campaign.rate_per_minute}/min, reminder after {campaign.reminder_days} days; "
        f"send it with `frontdesk survey start {campaign.id}`"
    )


@survey.command("start")
@click.argument("campaign_id", type=int)
def survey_start(campaign_id: int) -> None:
    """Start sending the forms (the scheduler of `frontdesk run` sends them)."""
    with _context() as (_site, uow_factory), uow_factory() as uow:
        campaign = start_campaign(uow, campaign_id, SystemClock().now())
        uow.commit()
    click.echo(f"survey {campaign.id} {campaign.name!r} is running")


@survey.command("status")
@click.argument("campaign_id", type=int)
def survey_status(campaign_id: int) -> None:
    """Print the results so far: forms sent and returned, satisfaction rates, common opinions."""
    with _context() as (site, uow_factory), uow_factory() as uow:
        campaign, results = campaign_results(uow, campaign_id)
    click.echo(render_results(campaign, results, site, Catalog.load()))


@survey.command("close")
@click.argument("campaign_id", type=int)
def survey_close(campaign_id: int) -> None:
    """Stop sending and accepting answers; the results stay."""
    with _context() as (_site, uow_factory), uow_factory() as uow:
        campaign = close_campaign(uow, campaign_id, SystemClock().now())
        uow.commit()
    click.echo(f"survey {campaign.id} {campaign.name!r} is closed")
