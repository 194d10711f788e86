"""Asking due follow-ups: the scheduler's periodic job, and the 403 (blocked bot) handler.

Each run, in the ticker's transaction:
1. outbox rows of follow-up messages whose sender died mid-send (`take_unknown`) become phone tasks for staff
   to review: the question may or may not have arrived, so it is never sent again automatically;
2. outside quiet hours, due follow-ups are claimed and their question written to the outbox in the same
   transaction (late ones still go, flagged late); a resident who blocked the bot gets a phone task instead;
3. outside quiet hours, follow-ups asked 48 h ago without an answer are reminded, once; sooner when the
   callback window is short: halfway between asking and the window's end (but at least 12 h after asking);
4. follow-ups reminded 48 h ago without an answer become phone tasks; sooner, when the window ends (but at
   least 12 h after the reminder), so a short window's callback is still made within it.
Every step claims its rows atomically (see `FollowUpRepository`), so two workers never handle one row, and
a batch is bounded so one run stays short and the sender can pace the outbox within Telegram's limits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dialogs.clock import Clock
from dialogs.followup.cards import Cards, followup_id_of
from dialogs.followup.policy import in_quiet_hours
from dialogs.followup.records import (
    ANSWER_WAIT,
    AWAITING_ANSWER,
    MIN_ANSWER_WAIT,
    FollowUp,
    PhoneReason,
)
from dialogs.i18n import Catalog
from dialogs.messages import ChannelName, Outgoing, Reply
from dialogs.ports import UnitOfWork, UnitOfWorkFactory
from dialogs.routing import supervisors_of
from dialogs.site import SiteConfig

log = logging.getLogger(__name__)

BATCH = 500  # rows per step and run: about 17 s of Telegram's 30 msg/s, so the outbox never runs far ahead


@dataclass
class Tally:
    """What the job did (summed over runs), for `frontdesk followups run-due` and logs."""

    asked: int = 0
    late: int = 0
    reminded: int = 0
    phone_tasks: int = 0
    reviews: int = 0

    @property
    def total(self) -> int:
        """Rows handled."""
        return self.asked + self.reminded + self.phone_tasks


def phone_task(
    uow: UnitOfWork, cards: Cards, followup: FollowUp, staff_chat_id: int | None
) -> list[Outgoing]:
    """The phone-callback task: a card to the staff group (phone masked) and to the queue's supervisors
    (phone shown), both edited in place when a result is recorded."""
    ticket = uow.tickets.get(reference=followup.reference)
    resident = uow.residents.get(resident_id=followup.resident_id)
    phone = (ticket.phone if ticket else None) or (resident.phone if resident else None)
    channel = ChannelName(followup.channel)
    buttons = cards.phone_buttons(followup)
    key = cards.phone_key(followup)
    messages: list[Outgoing] = []
    if staff_chat_id is not None:
        text = cards.phone_task(followup, ticket, phone, private=False)
        messages.append(Outgoing(channel, staff_chat_id, Reply(text, buttons), audience="staff", key=key))
    queue = (ticket.queue if ticket else None) or cards.site.routing.default_queue
    for member in supervisors_of(list(uow.staff.list(active_only=True)), queue):
        text = cards.phone_task(followup, ticket, phone, private=True)
        messages.append(
            Outgoing(channel, member.telegram_id, Reply(text, buttons), audience="staff", key=key)
        )
    return messages


class FollowUpJob:
    """The periodic job that asks, reminds and hands follow-ups to staff (see the module docstring)."""

    name = "followups"

    def __init__(
        self, *, site: SiteConfig, catalog: Catalog, staff_chat_id: int | None, batch: int = BATCH
    ) -> None:
        self._site = site
        self._cards = Cards(site=site, catalog=catalog)
        self._staff_chat_id = staff_chat_id
        self._batch = batch
        self.tally = Tally()

    def run(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        """Do one bounded round of due work at `now`; returns the messages to enqueue."""
        messages = self._review_unknown(uow, now)
        if not in_quiet_hours(now, self._site.quiet_hours, self._site):
            messages += self._ask(uow, now)
            messages += self._remind(uow, now)
        messages += self._hand_over(uow, now)
        return messages

    def _review_unknown(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        messages: list[Outgoing] = []
        for key in uow.outbox.take_unknown(now=now, prefix="followup:", limit=self._batch):
            followup_id = followup_id_of(key)
            followup = uow.followups.get(followup_id=followup_id) if followup_id is not None else None
            if followup is None or followup.status not in AWAITING_ANSWER or followup.rating is not None:
                continue  # answered (or rated) meanwhile: it did arrive
            log.warning("follow-up delivery unknown; handed to staff", extra={"followup_id": followup.id})
            messages += self._to_phone(uow, followup, now, PhoneReason.UNKNOWN_DELIVERY)
            self.tally.reviews += 1
        return messages

    def _ask(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        claimed = uow.followups.claim_due(now=now, limit=self._batch)
        if not claimed:
            return []
        blocked = uow.followups.unreachable(resident_ids=[f.resident_id for f in claimed])
        languages = self._languages(uow, claimed)
        messages: list[Outgoing] = []
        for followup in claimed:
            if followup.resident_id in blocked:
                messages += self._to_phone(uow, followup, now, PhoneReason.BLOCKED, unsent=True)
                continue
            messages.append(self._cards.question(followup, languages.get(followup.resident_id, "zh")))
            self.tally.asked += 1
            self.tally.late += int(followup.late)
        return messages

    def _remind(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        claimed = uow.followups.claim_reminders(
            asked_before=now - ANSWER_WAIT, settled_before=now - MIN_ANSWER_WAIT, now=now, limit=self._batch
        )
        languages = self._languages(uow, claimed)
        self.tally.reminded += len(claimed)
        return [self._cards.reminder(f, languages.get(f.resident_id, "zh")) for f in claimed]

    def _hand_over(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        claimed = uow.followups.claim_phone(
            reminded_before=now - ANSWER_WAIT,
            settled_before=now - MIN_ANSWER_WAIT,
            now=now,
            limit=self._batch,
        )
        messages: list[Outgoing] = []
        for followup in claimed:
            messages += phone_task(uow, self._cards, followup, self._staff_chat_id)
            self.tally.phone_tasks += 1
        return messages

    def _to_phone(
        self, uow: UnitOfWork, followup: FollowUp, now: datetime, reason: PhoneReason, *, unsent: bool = False
    ) -> list[Outgoing]:
        """A phone task, unless the resident answered since `followup` was read (a conditional update)."""
        handed = uow.followups.to_phone(
            followup_id=followup.id or 0, reason=reason.value, now=now, unsent=unsent
        )
        if handed is None:
            return []
        self.tally.phone_tasks += 1
        return phone_task(uow, self._cards, handed, self._staff_chat_id)

    def _languages(self, uow: UnitOfWork, followups: Sequence[FollowUp]) -> dict[int, str]:
        """Each resident's current language (they may have switched since the ticket)."""
        return uow.followups.languages(resident_ids=[f.resident_id for f in followups])


class BlockedChats:
    """What a 403 means for follow-ups: the resident is unreachable, and an open follow-up becomes a phone
    task at once (called by the outbox sender's `on_blocked`)."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        site: SiteConfig,
        catalog: Catalog,
        staff_chat_id: int | None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._cards = Cards(site=site, catalog=catalog)
        self._staff_chat_id = staff_chat_id

    def blocked(self, channel: ChannelName, chat_id: int) -> None:
        """Mark the chat's resident unreachable and hand its open follow-ups to staff."""
        now = self._clock.now()
        tasks = 0
        with self._uow_factory() as uow:
            resident = uow.residents.find(channel=channel.value, external_id=chat_id)
            if resident is not None and resident.id is not None:
                uow.followups.set_reachable(resident_id=resident.id, unreachable_since=now)
            seen: set[int | None] = set()
            while (
                followup := uow.followups.awaiting_answer(channel=channel.value, chat_id=chat_id)
            ) is not None and followup.id not in seen:
                seen.add(followup.id)
                # Conditional: an answer stored since the read stays answered (then no phone task).
                handed = uow.followups.to_phone(
                    followup_id=followup.id or 0, reason=PhoneReason.BLOCKED.value, now=now
                )
                if handed is None:
                    continue
                for message in phone_task(uow, self._cards, handed, self._staff_chat_id):
                    uow.outbox.enqueue(message=message, now=now)
                tasks += 1
            uow.commit()
        if tasks:
            log.info("blocked chat: follow-ups handed to staff", extra={"chat_id": chat_id, "count": tasks})
