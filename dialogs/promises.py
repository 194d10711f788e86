"""The time the center promised a resident for a ticket (时效制), from the site's service promises.

Residents are told this time when they ask about progress. It comes from the same promise clock the staff
side escalates on (`dialogs.sla`), so the two never disagree; a booked visit time is itself the promise.
"""

from __future__ import annotations

from datetime import datetime

from dialogs.domain import Ticket, TicketType
from dialogs.site import SiteConfig
from dialogs.sla import PromiseKind, promises_for

# The promise a resident cares about: the outcome rather than somebody taking the ticket on.
_OUTCOMES = (PromiseKind.COMPLETE, PromiseKind.FEEDBACK, PromiseKind.REPLY)
# Records that promise the resident nothing (acceptance is internal to the desk).
_NOTHING_PROMISED = frozenset({TicketType.SUGGESTION, TicketType.PRAISE})


def promised_by(ticket: Ticket, site: SiteConfig) -> datetime | None:
    """When the ticket should be handled (aware, as made at receipt), or None for records that promise
    nothing (S, P). Without an outcome promise (an emergency, a service wanted right away) it is the
    time somebody takes the ticket on."""
    if ticket.type in _NOTHING_PROMISED:
        return None
    by_kind = {promise.kind: promise.due_at for promise in promises_for(ticket, site)}
    for kind in _OUTCOMES:
        if kind in by_kind:
            return by_kind[kind]
    return by_kind.get(PromiseKind.ACCEPT)
