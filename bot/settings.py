"""Settings from the environment (and the optional site file they name).

Read once by the CLI and passed to the composition root; nothing here runs at import time, so tests build
settings from a plain mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_API_BASE = "https://api.telegram.org"


class SettingsError(ValueError):
    """An environment variable has a value the bot cannot use."""


def repo_root() -> Path:
    """The project checkout (the package is installed in editable mode)."""
    return Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    """Everything configurable from outside the code."""

    telegram_token: str | None
    telegram_api_base: str
    database_url: str
    staff_chat_id: int | None
    timezone: str | None
    site_config: Path | None
    nlu_spec: str
    nlu_data_dir: Path
    nlu_cache_dir: Path
    var_dir: Path
    log_level: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (defaults suit a laptop)."""
        source = os.environ if env is None else env
        var_dir = Path(source.get("FRONTDESK_VAR_DIR", "var")).resolve()
        staff_chat = source.get("FRONTDESK_STAFF_CHAT_ID", "").strip()
        try:
            staff_chat_id = int(staff_chat) if staff_chat else None
        except ValueError as exc:
            raise SettingsError(
                f"FRONTDESK_STAFF_CHAT_ID must be a chat id (a number), not {staff_chat!r}"
            ) from exc
        site = source.get("FRONTDESK_SITE_CONFIG", "").strip()
        return cls(
            telegram_token=source.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
            telegram_api_base=source.get("TELEGRAM_API_BASE", "").strip().rstrip("/") or DEFAULT_API_BASE,
            database_url=source.get("FRONTDESK_DATABASE_URL", "").strip()
            or f"sqlite:///{(var_dir / 'frontdesk.db').as_posix()}",
            staff_chat_id=staff_chat_id,
            timezone=source.get("FRONTDESK_TIMEZONE", "").strip() or None,
            site_config=Path(site) if site else None,
            nlu_spec=source.get("FRONTDESK_NLU", "").strip() or "builtin",
            nlu_data_dir=Path(source.get("FRONTDESK_NLU_DATA", "") or repo_root() / "nlu_data"),
            nlu_cache_dir=Path(source.get("FRONTDESK_NLU_CACHE", "") or var_dir / "nlu"),
            var_dir=var_dir,
            log_level=source.get("FRONTDESK_LOG_LEVEL", "WARNING").upper(),
        )
