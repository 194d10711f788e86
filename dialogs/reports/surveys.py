"""The survey section of the monthly report: each campaign that ran during the month, its results (the
survey package's pure `compute_results`) and the change from the campaign before it."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.ports import UnitOfWork
from dialogs.reports.period import ReportMonth
from dialogs.survey.campaigns import campaign_results
from dialogs.survey.model import Campaign
from dialogs.survey.results import SurveyComparison, SurveyResults, compare


@dataclass(frozen=True)
class SurveyLine:
    """A campaign of the month with its results, and the change since the previous campaign (if any)."""

    campaign: Campaign
    results: SurveyResults
    change: SurveyComparison | None


def ran_during(campaign: Campaign, month: ReportMonth) -> bool:
    """Whether the campaign was running at some time in the month."""
    started = campaign.started_at
    if started is None or started >= month.end:
        return False
    return campaign.closed_at is None or campaign.closed_at >= month.start


def surveys_of_month(uow: UnitOfWork, month: ReportMonth) -> tuple[SurveyLine, ...]:
    """Results of the campaigns that ran in the month, each compared with the one started before it."""
    started = sorted(
        (c for c in uow.surveys.campaigns() if c.started_at is not None and c.id is not None),
        key=lambda c: (c.started_at, c.id),
    )
    lines = []
    for index, campaign in enumerate(started):
        if not ran_during(campaign, month):
            continue
        assert campaign.id is not None
        _, results = campaign_results(uow, campaign.id)
        change = None
        if index > 0:
            previous = started[index - 1]
            assert previous.id is not None
            change = compare(results, campaign_results(uow, previous.id)[1])
        lines.append(SurveyLine(campaign, results, change))
    return tuple(lines)
