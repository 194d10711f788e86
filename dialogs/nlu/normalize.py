"""The text normalisation the intent classifier sees (training and parsing alike)."""

from __future__ import annotations

import re
import unicodedata

from dialogs.nlu.patterns import PHONE, ROOM

ROOM_MASK = "§"
PHONE_MASK = "¤"
_DIGITS = re.compile(r"\d+")


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), lowercase, rooms/phones masked, digit runs collapsed to one `0`.

    Masking and collapsing stop the model from learning particular numbers: a room or a phone number says
    nothing about the intent, only that one was given.
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = PHONE.sub(PHONE_MASK, folded)
    folded = ROOM.sub(ROOM_MASK, folded)
    folded = _DIGITS.sub("0", folded)
    return " ".join(folded.split())
