"""Fixtures for the follow-up tests: a staffed app on the fake clock, a ticker running only the follow-up job,
and the database fixtures of `tests/storage` (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from sqlalchemy.engine import Engine as SqlEngine

from bot.app import App, build_app
from bot.settings import Settings
from dialogs.clock import FakeClock
from dialogs.domain import StaffMember, StaffRole
from dialogs.followup.job import FollowUpJob
from dialogs.followup.records import FollowUp
from dialogs.nlu.feedback import FeedbackReader
from dialogs.nlu.types import NluBackend
from dialogs.ticker import Ticker
from storage.uow import SqlUnitOfWorkFactory
from tests.harness import ChatDriver, Desk
from tests.storage.conftest import (  # noqa: F401  (fixtures, found by name)
    db_url,
    engine,
    postgres_database_url,
    postgres_url,
    sqlite_url,
)

GROUP = -100777
AGENT, PLUMBER, SUPERVISOR, MANAGER = 501, 502, 504, 505


@pytest.fixture
def staffed(settings: Settings, clock: FakeClock, nlu: NluBackend, feedback: FeedbackReader) -> Iterator[App]:
    """The app with a staff group, a front-desk agent, a plumber, a supervisor and a manager."""
    app = build_app(replace(settings, staff_chat_id=GROUP), clock=clock, nlu=nlu, feedback=feedback)
    with app.uow_factory() as uow:
        for telegram_id, name, role, skills in [
            (AGENT, "李前台", StaffRole.AGENT, ()),
            (PLUMBER, "王建国", StaffRole.TECHNICIAN, ("plumbing",)),
            (SUPERVISOR, "赵主管", StaffRole.SUPERVISOR, ("plumbing", "front_desk")),
            (MANAGER, "钱经理", StaffRole.MANAGER, ()),
        ]:
            uow.staff.save(
                member=StaffMember(id=None, telegram_id=telegram_id, name=name, role=role, skills=skills)
            )
        uow.commit()
    yield app
    app.close()


@dataclass
class Center:
    """The resident's chat, the staff desk, and the scheduler's follow-up job on the fake clock."""

    app: App
    clock: FakeClock
    chat: ChatDriver
    desk: Desk
    job: FollowUpJob

    def tick(self) -> None:
        """One scheduler tick of the follow-up job, then deliver what it queued."""
        delivered = self.chat.transport.delivered
        before = len(delivered)
        Ticker(uow_factory=self.app.uow_factory, clock=self.clock, jobs=[self.job]).tick()
        asyncio.run(self.chat.sender.flush())
        self.chat.last = [m.reply for m in delivered[before:] if m.chat_id == self.chat.user_id]

    def complaint_resolved(self, text: str = "我要投诉，楼下饭店油烟太大了，窗户都不敢开") -> str:
        """The resident complains; the desk accepts and resolves it. Returns the reference."""
        self.chat.say(text)
        found = re.search(r"\b[A-Z]\d{10}\b", self.chat.text())
        assert found, self.chat.dump()
        reference = found.group(0)
        self.desk.press(AGENT, "接单")
        self.desk.press(AGENT, "完成")
        self.desk.say(AGENT, "已协调饭店加装油烟净化器")
        return reference

    def followup(self, reference: str) -> FollowUp:
        """The stored follow-up of a ticket."""
        with self.app.uow_factory() as uow:
            ticket = uow.tickets.get(reference=reference)
            assert ticket is not None and ticket.id is not None
            found = uow.followups.for_ticket(ticket_id=ticket.id)
        assert found is not None, f"no follow-up for {reference}"
        return found


@pytest.fixture
def center(staffed: App, clock: FakeClock) -> Center:
    """A registered resident (3栋2单元502, 13812345678) at the staffed center."""
    chat = ChatDriver(staffed)
    chat.register()
    return Center(staffed, clock, chat, Desk(chat, GROUP), staffed.followup_job())


@pytest.fixture
def factory(engine: SqlEngine) -> SqlUnitOfWorkFactory:  # noqa: F811  (the imported fixture, by name)
    """Units of work on the migrated database under test (`db_url`: SQLite and PostgreSQL)."""
    return SqlUnitOfWorkFactory(engine)
