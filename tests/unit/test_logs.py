"""Logs are JSON lines with ids as fields and phone numbers masked."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter, mask


def test_json_line_with_extra_ids_and_masked_phone() -> None:
    record = logging.LogRecord(
        "frontdesk", logging.INFO, __file__, 1, "resident %s called", ("13812345678",), None
    )
    record.chat_id = 42
    record.note = "call 13912345678 back"
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "resident 138****5678 called"
    assert line["chat_id"] == 42 and line["note"] == "call 139****5678 back"
    assert line["level"] == "INFO"


def test_mask_leaves_other_numbers() -> None:
    assert mask("ticket R2611270001 room 502") == "ticket R2611270001 room 502"
