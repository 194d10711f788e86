"""The results of a campaign as text for staff (`frontdesk survey status`), in the site's language."""

from __future__ import annotations

from dialogs.i18n import Catalog
from dialogs.site import SiteConfig
from dialogs.survey.model import Campaign
from dialogs.survey.results import SurveyResults


def render_results(campaign: Campaign, results: SurveyResults, site: SiteConfig, catalog: Catalog) -> str:
    """Forms sent and returned, the rates, each dimension and the common opinions."""
    lang = site.default_language
    none = catalog.t(lang, "survey.report.no_data")

    def percent(value: float | None) -> str:
        return f"{value:.1%}" if value is not None else none

    lines = [
        catalog.t(
            lang,
            "survey.report.title",
            name=campaign.name,
            status=catalog.t(lang, f"survey.report.status.{campaign.status.value}"),
        ),
        catalog.t(
            lang,
            "survey.report.forms",
            targeted=results.targeted,
            sent=results.sent,
            distribution=percent(results.distribution_rate),
            unreachable=results.unreachable,
            reminded=results.reminded,
        ),
        catalog.t(
            lang,
            "survey.report.returned",
            returned=results.returned,
            return_rate=percent(results.return_rate),
        ),
        catalog.t(
            lang,
            "survey.report.overall",
            rate=percent(results.overall_rate),
            satisfied=results.satisfied,
            answers=results.answers,
        ),
        catalog.t(lang, "survey.report.dimensions"),
    ]
    for dimension in results.dimensions:
        label = site.survey.dimensions.get(dimension.dimension)
        lines.append(
            catalog.t(
                lang,
                "survey.report.dimension",
                dimension=label.get(lang) if label is not None else dimension.dimension,
                rate=percent(dimension.rate),
                answers=dimension.answers,
                mean=f"{dimension.mean:.2f}" if dimension.mean is not None else none,
            )
        )
    themes = catalog.t(lang, "survey.report.separator").join(
        catalog.t(lang, "survey.report.theme", word=w, count=n) for w, n in results.themes
    )
    lines.append(catalog.t(lang, "survey.report.themes", comments=results.comments, themes=themes or none))
    return "\n".join(lines)
