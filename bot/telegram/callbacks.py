"""Typed callback data for inline buttons.

Telegram hands back at most 64 bytes of callback data and anyone can forge it, so buttons carry a small,
validated `ActionCallback` instead of free text: the prefix marks our format, the kind must be a known
`ActionKind`, and the argument is cut (on a character boundary) rather than letting a long one fail a send.
"""

from __future__ import annotations

import logging

from aiogram.filters.callback_data import MAX_CALLBACK_LENGTH, CallbackData

from dialogs.messages import Action, ActionKind
from dialogs.text import clean

__all__ = ["MAX_CALLBACK_LENGTH", "ActionCallback", "pack_action", "unpack_action"]

logger = logging.getLogger(__name__)


class ActionCallback(CallbackData, prefix="a"):
    """The wire form of a `dialogs.messages.Action`: `a:<kind>:<arg>`."""

    kind: ActionKind
    arg: str = ""

    @classmethod
    def from_action(cls, action: Action) -> ActionCallback:
        """Wrap an action, cutting its argument so the packed form fits Telegram's 64 bytes."""
        if cls.__separator__ in action.arg:
            raise ValueError(f"callback argument must not contain {cls.__separator__!r}")
        head = len(f"{cls.__prefix__}{cls.__separator__}{action.kind.value}{cls.__separator__}".encode())
        room = MAX_CALLBACK_LENGTH - head
        arg = action.arg.encode()[:room].decode(errors="ignore")
        if arg != action.arg:
            logger.warning("callback argument truncated", extra={"kind": str(action.kind)})
        return cls(kind=action.kind, arg=arg)

    def to_action(self) -> Action:
        """The platform-neutral action the engine understands."""
        return Action(kind=self.kind, arg=self.arg)


def pack_action(action: Action) -> str:
    """Callback data for a button that triggers `action`."""
    return ActionCallback.from_action(action).pack()


def unpack_action(data: str | None) -> Action | None:
    """The action encoded in callback data, or None if it is not ours (old, foreign or forged)."""
    if not data:
        return None
    try:
        action = ActionCallback.unpack(data).to_action()
    except (TypeError, ValueError):
        logger.warning("unrecognised callback data", extra={"length": len(data)})
        return None
    if clean(action.arg) != action.arg:  # never ours; a NUL byte would even fail PostgreSQL text columns
        logger.warning("callback data with control characters", extra={"length": len(data)})
        return None
    return action
