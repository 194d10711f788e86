"""Fixtures shared by the test tiers: the trained NLU (once per session) and a wired app on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.nlu_factory import make_feedback_reader
from bot.settings import Settings, repo_root
from dialogs.clock import FakeClock
from dialogs.nlu.builtin import BuiltinNlu
from dialogs.nlu.feedback import FeedbackReader
from dialogs.nlu.types import NluBackend

# Friday 27 November 2026, 10:00 in Shanghai: inside office hours.
START = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def nlu() -> NluBackend:
    """The real built-in model, trained from nlu_data/ (cached by data hash under var/nlu)."""
    return BuiltinNlu.load(repo_root() / "nlu_data", repo_root() / "var" / "nlu")


@pytest.fixture(scope="session")
def feedback() -> FeedbackReader:
    """The real follow-up answer reader, trained from feedback_data/ (cached under var/nlu/feedback)."""
    return make_feedback_reader(repo_root() / "var" / "nlu")


@pytest.fixture
def clock() -> FakeClock:
    """A clock that only moves when the test says so."""
    return FakeClock(START)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an isolated app on a fresh SQLite file."""
    # The model cache is shared (keyed by data hash), so apps built without a ready reader do not retrain.
    return Settings.from_env(
        {"FRONTDESK_VAR_DIR": str(tmp_path / "var"), "FRONTDESK_NLU_CACHE": str(repo_root() / "var" / "nlu")}
    )


@pytest.fixture
def app(settings: Settings, clock: FakeClock, nlu: NluBackend, feedback: FeedbackReader) -> Iterator[App]:
    """The wired application on SQLite with the fake clock."""
    application = build_app(settings, clock=clock, nlu=nlu, feedback=feedback)
    yield application
    application.close()
