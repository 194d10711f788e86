"""Keeping promises (时效制): reminders before a promise slips, escalation when it does, a daily digest.

Run on every scheduler tick. For each active ticket the promise clock (`dialogs.sla`) says how much of each
promised time is used; the level it has reached decides who hears about it — 1 the assignee (or the queue,
when nobody has the ticket yet), 2 the queue's supervisors, 3 the managers. Each level is sent once per
promise: it is recorded as an `escalated` event on the ticket, which is also how the ticket shows it, and
claimed as a schedule mark, so two workers ticking at once never both send it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from dialogs.domain import EventKind, StaffMember, Ticket, TicketEvent
from dialogs.i18n import Catalog
from dialogs.messages import ChannelName, Outgoing, Reply
from dialogs.ports import UnitOfWork
from dialogs.routing import managers, supervisors_of
from dialogs.site import SiteConfig
from dialogs.sla import Escalation, PromiseStatus, assess, escalation_level

DIGEST_MARK = "daily-digest"
# How often the whole backlog is assessed. Promises run in hours (the shortest, an emergency's response, in
# minutes), so a minute is early enough, and the ticker's other jobs keep their few-second pace.
CHECK_EVERY = timedelta(seconds=60)


def open_with_history(uow: UnitOfWork) -> list[tuple[Ticket, list[TicketEvent]]]:
    """Every active ticket with its events: one read of the tickets and one per 500 of them for the events
    (the promise check and the metrics read the whole backlog, so one read per ticket would not scale)."""
    tickets = [ticket for ticket in uow.tickets.list_active() if ticket.id is not None]
    history = uow.tickets.events_of(ticket_ids=[ticket.id for ticket in tickets if ticket.id is not None])
    return [(ticket, history[ticket.id]) for ticket in tickets if ticket.id is not None]


class PromiseKeeper:
    """Checks every open ticket's promises and tells the right people (a periodic job of the ticker)."""

    name = "promises"

    def __init__(
        self, *, site: SiteConfig, catalog: Catalog, channel: ChannelName, staff_chat_id: int | None
    ) -> None:
        self._site = site
        self._catalog = catalog
        self._channel = channel
        self._staff_chat_id = staff_chat_id
        self._checked_at: datetime | None = None

    def run(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        """Escalate what is due (at most every `CHECK_EVERY`), and send the daily digest once a day
        (claimed by one worker)."""
        messages: list[Outgoing] = []
        if self._checked_at is None or not timedelta(0) <= now - self._checked_at < CHECK_EVERY:
            messages = self.check(uow, now)
            # Noted before the tick commits: a failed tick delays the escalations it rolled back by up to
            # `CHECK_EVERY` (their schedule marks were rolled back too, so none is lost).
            self._checked_at = now
        if uow.schedule_marks.claim(name=DIGEST_MARK, due_at=self.next_digest_at(now)):
            messages += self.digest(uow, now)
        return messages

    def check(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        """Escalate what is due now; returns the messages (already appended as events on the tickets)."""
        staff = list(uow.staff.list(active_only=True))
        messages: list[Outgoing] = []
        for ticket, events in open_with_history(uow):
            assert ticket.id is not None
            sent = {
                (str(e.data.get("promise")), int(e.data.get("level", 0)))
                for e in events
                if e.kind is EventKind.ESCALATED
            }
            for state in assess(ticket, events, self._site, now, at_risk=self._site.at_risk_fraction):
                level = escalation_level(state, now)
                for step in range(1, int(level) + 1):
                    if (state.kind.value, step) in sent:
                        continue
                    mark = f"escalation:{ticket.reference}:{state.kind.value}:{step}"
                    if not uow.schedule_marks.claim(name=mark, due_at=state.due_at):
                        continue  # another worker's tick is sending this one
                    recipients = self._recipients(ticket, staff, Escalation(step))
                    messages += [
                        self._message(chat_id, ticket, state.kind.value, Escalation(step), state.due_at)
                        for chat_id in recipients
                    ]
                    uow.tickets.append_event(
                        event=TicketEvent(
                            id=None,
                            ticket_id=ticket.id,
                            kind=EventKind.ESCALATED,
                            at=now,
                            actor="system",
                            data={"promise": state.kind.value, "level": step, "to": recipients},
                        )
                    )
        return messages

    def digest(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        """The daily digest for supervisors: open tickets by queue, at risk, overdue."""
        staff = list(uow.staff.list(active_only=True))
        by_queue: Counter[str] = Counter()
        at_risk: list[str] = []
        overdue: list[str] = []
        for ticket, events in open_with_history(uow):
            by_queue[ticket.queue or "-"] += 1
            states = assess(
                ticket,
                events,
                self._site,
                now,
                at_risk=self._site.at_risk_fraction,
            )
            if any(s.status is PromiseStatus.BREACHED for s in states):
                overdue.append(ticket.reference)
            elif any(s.status is PromiseStatus.AT_RISK for s in states):
                at_risk.append(ticket.reference)
        lang = self._site.default_language
        none = self._catalog.t(lang, "common.none")
        queues = self._catalog.t(lang, "digest.separator").join(
            f"{self._queue_name(queue)} {count}" for queue, count in sorted(by_queue.items())
        ) or self._catalog.t(lang, "digest.none")
        text = self._catalog.t(
            lang,
            "digest.text",
            date=now.astimezone(self._site.zone).strftime(self._catalog.t(lang, "format.date")),
            total=sum(by_queue.values()),
            queues=queues,
            at_risk=", ".join(at_risk) or none,
            overdue=", ".join(overdue) or none,
        )
        readers = {m.telegram_id for m in staff if m.role.value in ("supervisor", "manager")}
        return [self._outgoing(chat_id, text) for chat_id in sorted(readers)]

    def next_digest_at(self, now: datetime) -> datetime:
        """The most recent digest time at or before `now` (the mark that makes it once a day)."""
        local = now.astimezone(self._site.zone)
        today = local.replace(
            hour=self._site.digest_time.hour, minute=self._site.digest_time.minute, second=0, microsecond=0
        )
        return today if today <= local else today - timedelta(days=1)

    # -- helpers ---------------------------------------------------------------------------------------------

    def _recipients(self, ticket: Ticket, staff: list[StaffMember], level: Escalation) -> list[int]:
        queue = ticket.queue or self._site.routing.default_queue
        if level is Escalation.ASSIGNEE:
            assignee = next((m for m in staff if m.id == ticket.assignee_id), None)
            if assignee is not None:
                return [assignee.telegram_id]
            return [self._staff_chat_id] if self._staff_chat_id is not None else []
        if level is Escalation.SUPERVISOR:
            return [m.telegram_id for m in supervisors_of(staff, queue)]
        return [m.telegram_id for m in managers(staff)]

    def _message(
        self, chat_id: int, ticket: Ticket, promise: str, level: Escalation, due: datetime
    ) -> Outgoing:
        lang = self._site.default_language
        text = self._catalog.t(
            lang,
            f"escalation.level{int(level)}",
            reference=ticket.reference,
            promise=self._catalog.t(lang, f"escalation.promise.{promise}"),
            due=due.astimezone(self._site.zone).strftime(self._catalog.t(lang, "format.datetime")),
            location=ticket.location or self._catalog.t(lang, "common.none"),
        )
        return self._outgoing(chat_id, text)

    def _outgoing(self, chat_id: int, text: str) -> Outgoing:
        return Outgoing(channel=self._channel, chat_id=chat_id, reply=Reply(text=text), audience="staff")

    def _queue_name(self, queue: str) -> str:
        entry = self._site.queues.get(queue)
        return entry.name.get(self._site.default_language) if entry else queue
