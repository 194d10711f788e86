"""Phone numbers: validated and normalised with Google's libphonenumber (the `phonenumbers` package).

Chinese mobiles, landlines with area codes and +86 forms all occur in chat and in Telegram contact cards;
libphonenumber knows the numbering plan, so we do not maintain our own rules. Numbers are stored as digits
only (national format for China, E.164 digits otherwise) so the same phone always compares equal.
"""

from __future__ import annotations

import re

import phonenumbers

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def normalize_phone(raw: str, region: str = "CN") -> str | None:
    """Digits of a valid phone number, or None when `raw` is not one."""
    candidate = raw.strip()
    if not candidate:
        return None
    if candidate.isdigit() and candidate.startswith("86") and len(candidate) == 13:
        candidate = "+" + candidate
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if number.country_code == 86:
        return (
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            .replace(" ", "")
            .replace("-", "")
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def mask_phone(phone: str) -> str:
    """A phone for logs and summaries shown in groups: 138****5678."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_phones_in(text: str) -> str:
    """Free text with every Chinese mobile number masked (for staff groups and logs)."""
    return _MOBILE.sub(r"\1****\2", text)
