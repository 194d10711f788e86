"""`frontdesk chat --demo`: the console on a simulated clock, so a newcomer can watch time-driven work happen.

Follow-ups (回访), reminders, escalations and digests fall due hours or days after a request. In the demo the
clock stands still until `/time +3d` (or `/time 2026-12-01 10:00`, site-local) moves it forward; every move
runs the ticker and delivers what fell due, exactly as the scheduler would have done meanwhile.

The demo never touches the real database: it works on `demo.db` in the var directory, recreated on every
start with a small staff roster (a desk agent, a plumber, a supervisor and a manager) and a staff group, so
`/as ID` shows the staff side of the same tickets.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from bot.settings import Settings
from dialogs.clock import FakeClock
from dialogs.domain import StaffMember, StaffRole
from dialogs.ports import UnitOfWorkFactory
from dialogs.site import SiteConfig

DEMO_STAFF_CHAT = -1000
DEMO_STAFF: tuple[tuple[int, str, StaffRole, tuple[str, ...]], ...] = (
    (900001, "李娜", StaffRole.AGENT, ("front_desk", "courtesy")),
    (900002, "王师傅", StaffRole.TECHNICIAN, ("plumbing", "electrical", "general_maintenance")),
    (900003, "赵主管", StaffRole.SUPERVISOR, ()),
    (900004, "钱经理", StaffRole.MANAGER, ()),
)
_STEP = re.compile(r"(\d+)\s*([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class TimeError(ValueError):
    """A `/time` argument the demo cannot use; the message id says which catalogue text explains it."""


def demo_settings(settings: Settings) -> Settings:
    """The settings with the demo's own database and a staff group (the real database stays untouched)."""
    database = settings.var_dir / "demo.db"
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    database.unlink(missing_ok=True)
    return replace(
        settings,
        database_url=f"sqlite:///{database.as_posix()}",
        staff_chat_id=settings.staff_chat_id if settings.staff_chat_id is not None else DEMO_STAFF_CHAT,
    )


def seed_staff(uow_factory: UnitOfWorkFactory) -> None:
    """Register the demo's staff roster."""
    with uow_factory() as uow:
        for telegram_id, name, role, skills in DEMO_STAFF:
            uow.staff.save(
                member=StaffMember(id=None, telegram_id=telegram_id, name=name, role=role, skills=skills)
            )
        uow.commit()


def move_clock(clock: FakeClock, argument: str, site: SiteConfig) -> datetime:
    """Move the simulated clock by `+3d`, `+2h30m` … or to a site-local `YYYY-MM-DD HH:MM`; never back."""
    text = argument.strip()
    if text.startswith("+"):
        steps = _STEP.findall(text[1:])
        if not steps or _STEP.sub("", text[1:]).strip():
            raise TimeError("console.time_usage")
        delta = sum((timedelta(**{_UNITS[unit]: int(n)}) for n, unit in steps), timedelta())
        clock.advance(delta)
        return clock.now()
    try:
        target = datetime.fromisoformat(text)
    except ValueError as exc:
        raise TimeError("console.time_usage") from exc
    if target.tzinfo is None:
        target = target.replace(tzinfo=site.zone)
    if target < clock.now():
        raise TimeError("console.time_backwards")
    clock.set(target)
    return clock.now()
