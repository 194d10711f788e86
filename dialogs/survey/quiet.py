"""Quiet hours (免打扰时段): whether a site-local time falls in the window when nothing unasked is sent."""

from __future__ import annotations

from datetime import datetime

from dialogs.site import SiteConfig


def in_quiet_hours(site: SiteConfig, now: datetime) -> bool:
    """True between `quiet_hours.start` and `.end` in the site's zone; the window may span midnight."""
    local = now.astimezone(site.zone).time()
    start, end = site.quiet_hours.start, site.quiet_hours.end
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end
