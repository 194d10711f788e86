"""Callback follow-ups (回访): who is called back, when, and the record kept for every resolved ticket.

The manual's callback table is the default of the site's `callbacks` policy: complaints 100 % within 3 days
after handling, repairs 30 % within 3 days, emergencies with a person hurt 100 % within a week (maintenance
works and activities have no ticket type yet; their rules are accepted and wait for one). When a ticket of a
kind with a policy is resolved, `schedule` writes a `FollowUp` in the same unit of work as the resolution:
sampled ones get a due time inside the window, outside quiet hours; the others are kept as `not_sampled`, so
the monthly statistics can report the rate actually achieved against the policy.

Sampling is random but reproducible: a hash of (the site's callback seed, the ticket reference) decides, so
re-running a month gives the same sample and nobody can pick which residents are asked.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, time, timedelta

from dialogs.domain import Ticket, TicketType
from dialogs.followup.records import FollowUp, FollowUpKind, FollowUpStatus
from dialogs.site import CallbackRule, QuietHours, SiteConfig
from dialogs.turn import Turn

# The local hour a callback is asked at when the window allows it: mid-morning, when people read messages.
CALLBACK_HOUR = time(10, 0)


def kind_of(ticket: Ticket) -> FollowUpKind | None:
    """Which callback rule a ticket falls under, if any (an emergency only when someone was hurt)."""
    if ticket.type is TicketType.COMPLAINT:
        return FollowUpKind.COMPLAINT
    if ticket.type is TicketType.REPAIR:
        return FollowUpKind.REPAIR
    if ticket.type is TicketType.EMERGENCY and ticket.details.get("hazard") == "injury":
        return FollowUpKind.EMERGENCY
    return None


def sampled(seed: str, reference: str, rate: float) -> bool:
    """Whether this ticket is drawn at `rate`: a stable hash of (seed, reference) in [0, 1) below the rate."""
    if rate >= 1.0:
        return True
    digest = hashlib.sha256(f"{seed}:{reference}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64 < rate


def in_quiet_hours(when: datetime, quiet: QuietHours, site: SiteConfig) -> bool:
    """Whether a moment falls in the site's quiet hours (a span that may cross midnight)."""
    local = when.astimezone(site.zone).time()
    if quiet.start <= quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


def after_quiet_hours(when: datetime, site: SiteConfig) -> datetime:
    """`when`, or the end of the quiet hours it falls in."""
    quiet = site.quiet_hours
    if not in_quiet_hours(when, quiet, site):
        return when
    local = when.astimezone(site.zone)
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end


def window(resolved_at: datetime, rule: CallbackRule) -> tuple[datetime, datetime]:
    """The callback window after handling: (earliest, latest)."""
    return (
        resolved_at + timedelta(days=rule.window_start_days),
        resolved_at + timedelta(days=rule.window_end_days),
    )


def due_time(resolved_at: datetime, rule: CallbackRule, site: SiteConfig) -> datetime:
    """When to ask: the first day after the window opens at `CALLBACK_HOUR` local, moved out of quiet hours;
    if the window is too short for that, as soon as the window opens (again outside quiet hours)."""
    start, end = window(resolved_at, rule)
    local = start.astimezone(site.zone)
    candidate = after_quiet_hours(
        datetime.combine(local.date() + timedelta(days=1), CALLBACK_HOUR, tzinfo=site.zone), site
    )
    if candidate > end:
        candidate = after_quiet_hours(start, site)
    return candidate


def plan(ticket: Ticket, site: SiteConfig, now: datetime) -> FollowUp | None:
    """The follow-up record for a ticket resolved at `now`, or None when its kind has no policy."""
    kind = kind_of(ticket)
    rule = site.callbacks.get(kind.value) if kind is not None else None
    if kind is None or rule is None or ticket.id is None:
        return None
    drawn = sampled(site.callback_seed, ticket.reference, rule.rate)
    return FollowUp(
        id=None,
        ticket_id=ticket.id,
        reference=ticket.reference,
        kind=kind,
        status=FollowUpStatus.SCHEDULED if drawn else FollowUpStatus.NOT_SAMPLED,
        resident_id=ticket.resident_id,
        channel=ticket.channel,
        chat_id=ticket.chat_id,
        resolved_at=now,
        due_at=due_time(now, rule, site) if drawn else None,
        window_end=window(now, rule)[1],
        created_at=now,
    )


def schedule(turn: Turn, ticket: Ticket) -> FollowUp | None:
    """Record the ticket's follow-up in the turn's unit of work (called where a ticket is resolved).

    A ticket has one follow-up. Resolved again after a reopening, a follow-up that has not been asked yet
    is re-planned from the new resolution; one already asked or answered stays as it is.
    """
    planned = plan(ticket, turn.site, turn.now)
    if planned is None:
        return None
    existing = turn.uow.followups.for_ticket(ticket_id=planned.ticket_id)
    if existing is None:
        return turn.uow.followups.add(followup=planned)
    if existing.status in (FollowUpStatus.SCHEDULED, FollowUpStatus.NOT_SAMPLED):
        return turn.uow.followups.save(followup=replace(planned, id=existing.id))
    return existing
