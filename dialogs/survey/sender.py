"""Sending the forms: a periodic job of the ticker that claims due forms within the campaign's rate.

Each tick, outside quiet hours, every running campaign may send once per minute: the minute is claimed as
a schedule mark ("survey:<id>" at the minute's start), so with several workers exactly one uses it, and it
sends at most `rate_per_minute` messages — reminders first (they are older business), then new forms.
The budget counts messages, not forms: a form goes to every bot user of the household, so forms that would
overshoot are released to the next minute (see `SurveySender._fill`). The forms themselves are claimed
atomically (`SurveyRepository.claim_due`/`claim_reminders`) in the same transaction as the outbox messages
they cause, so a form is never sent twice, and a failed tick leaves everything as it was, minute mark
included.

A form goes to every resident of the household who uses the bot on this channel (one form per household:
the first of them to answer fills it); a household nobody can be reached in is counted as not distributed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from dialogs.domain import Resident
from dialogs.i18n import Catalog
from dialogs.messages import Action, ActionKind, Button, ChannelName, Outgoing, Reply
from dialogs.ports import UnitOfWork
from dialogs.site import SiteConfig
from dialogs.survey import buttons
from dialogs.survey.model import Campaign, CampaignStatus, Delivery
from dialogs.survey.quiet import in_quiet_hours


def minute_mark(campaign_id: int, now: datetime) -> tuple[str, datetime]:
    """The schedule mark that lets one worker send a campaign's batch for the minute `now` falls in."""
    return f"survey:{campaign_id}", now.replace(second=0, microsecond=0)


class SurveySender:
    """Sends survey forms and the one reminder (a `dialogs.ticker.PeriodicJob`)."""

    name = "surveys"

    def __init__(self, *, site: SiteConfig, catalog: Catalog, channel: ChannelName) -> None:
        self._site = site
        self._catalog = catalog
        self._channel = channel

    def run(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        """Send what each running campaign may send this minute; nothing during quiet hours."""
        if in_quiet_hours(self._site, now):
            return []
        messages: list[Outgoing] = []
        for campaign in uow.surveys.campaigns(status=CampaignStatus.RUNNING):
            assert campaign.id is not None
            name, minute = minute_mark(campaign.id, now)
            if not uow.schedule_marks.claim(name=name, due_at=minute):
                continue  # this minute's batch is sent already (by this worker or another)
            messages += self._send(uow, campaign, now)
        return messages

    def _send(self, uow: UnitOfWork, campaign: Campaign, now: datetime) -> list[Outgoing]:
        assert campaign.id is not None
        budget = campaign.rate_per_minute
        messages: list[Outgoing] = []
        reminders = uow.surveys.claim_reminders(
            campaign_id=campaign.id,
            sent_before=now - timedelta(days=campaign.reminder_days),
            now=now,
            limit=budget,
        )
        if self._fill(uow, campaign, reminders, buttons.REMINDER, budget, messages):
            return messages
        # Every reachable form costs at least one message, so no more forms than that can fit.
        forms = uow.surveys.claim_due(campaign_id=campaign.id, now=now, limit=budget - len(messages))
        self._fill(uow, campaign, forms, buttons.FIRST, budget, messages)
        return messages

    def _fill(
        self,
        uow: UnitOfWork,
        campaign: Campaign,
        claimed: Sequence[Delivery],
        round_: str,
        budget: int,
        messages: list[Outgoing],
    ) -> bool:
        """Add the claimed forms' messages (one per resident) to `messages` while they fit the minute's
        budget; returns True when the minute is full.

        The first form that would overshoot, and every one claimed after it, is released: it stays first
        in line and starts the next minute. Only a form that starts a minute may overshoot — a household with
        more bot users than the rate then goes alone in a minute of its own rather than never."""
        for index, delivery in enumerate(claimed):
            assert delivery.id is not None
            sent = self._messages(uow, campaign, delivery, round_)
            if messages and len(messages) + len(sent) > budget:
                unsent = [later.id for later in claimed[index:] if later.id is not None]
                if round_ == buttons.REMINDER:
                    uow.surveys.release_reminders(delivery_ids=unsent)
                else:
                    uow.surveys.release_forms(delivery_ids=unsent)
                return True
            if not sent and round_ == buttons.FIRST:
                uow.surveys.mark_unreachable(delivery_id=delivery.id)
            messages += sent
        return len(messages) >= budget

    def _messages(
        self, uow: UnitOfWork, campaign: Campaign, delivery: Delivery, round_: str
    ) -> list[Outgoing]:
        residents = [
            r
            for r in uow.residents.list_for_household(household_id=delivery.household_id)
            if r.channel == self._channel.value
        ]
        return [self._message(campaign, resident, round_) for resident in residents]

    def _message(self, campaign: Campaign, resident: Resident, round_: str) -> Outgoing:
        assert campaign.id is not None
        lang = resident.language
        key = "survey.intro" if round_ == buttons.FIRST else "survey.reminder"
        text = self._catalog.t(
            lang, key, site=self._site.name.get(lang), name=campaign.name, count=len(campaign.dimensions)
        )
        label = self._catalog.t(lang, "survey.start" if round_ == buttons.FIRST else "survey.continue")
        button = Button(
            label=label, action=Action(ActionKind.SURVEY, buttons.arg(campaign.id, round_, buttons.GO))
        )
        # A resident's private chat has the id of the resident's user id on the channels we serve.
        return Outgoing(
            channel=self._channel,
            chat_id=resident.external_id,
            reply=Reply(text=text, buttons=((button,),)),
            key=buttons.form_key(campaign.id, round_),
        )
