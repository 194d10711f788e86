"""Site configuration: what the bot knows about one estate, with the manual's numbers as defaults.

A site file (YAML) holds the estate's name, hotline, time zone, office hours, buildings, staff queues, the
repair categories and where they go, the courtesy-service catalogue with prices, the FAQ, the service
promises and the callback policy. The packaged `site_default.yaml` is complete; a site's own copy is named by
`FRONTDESK_SITE_CONFIG`. Validation errors name the file, the key and the reason, because whoever edits this
file is an office manager, not a developer.
"""

from __future__ import annotations

from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class SiteConfigError(Exception):
    """The site file cannot be used; the message says where and why."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Model):
    """A piece of site-specific text in both languages (site content, not product wording)."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        """The text in `lang`, Chinese when the language is unknown."""
        return self.en if lang == "en" else self.zh


class OfficeHours(_Model):
    """When the front desk is staffed; the promise clock for 'accepted within 30 minutes' runs then."""

    start: time = time(8, 30)
    end: time = time(17, 30)
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)

    @field_validator("weekdays")
    @classmethod
    def _valid_weekdays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(day < 1 or day > 7 for day in value):
            raise ValueError("weekdays are numbers 1 (Monday) to 7 (Sunday)")
        return value


class QuietHours(_Model):
    """No follow-ups or surveys are sent between these local times."""

    start: time = time(21, 0)
    end: time = time(8, 30)


class Queue(_Model):
    """A staff queue (front desk, maintenance trades, cleaning …)."""

    name: Localized


class RepairCategory(_Model):
    """A repair category: its label, the queue that handles it, and whether it is usually a small job."""

    label: Localized
    queue: str
    small: bool = True


class ServiceItem(_Model):
    """One line of the courtesy-service catalogue (便民服务)."""

    name: Localized
    price: Localized
    lead_time_hours: int = Field(ge=0)
    queue: str


class FaqEntry(_Model):
    """A question residents ask and the site's answer."""

    question: Localized
    answer: Localized
    keywords: tuple[str, ...] = ()


class Promises(_Model):
    """Service promises (时效制), in hours or minutes, from the manual."""

    complaint_feedback_hours: int = Field(default=24, gt=0)
    small_repair_same_day: bool = True
    large_repair_days: int = Field(default=3, gt=0)
    emergency_accept_minutes: int = Field(default=10, gt=0)
    accept_minutes: int = Field(default=30, gt=0)
    handoff_reply_hours: int = Field(default=2, gt=0)


class RoutingRule(_Model):
    """A site's own rule, checked before the defaults: every field given must match the ticket."""

    queue: str
    type: str | None = None  # a ticket letter: R, E, C, S, P, O, H
    category: str | None = None  # repair category or service item
    complaint_class: str | None = None
    hazard: str | None = None
    building: str | None = None


class Routing(_Model):
    """Which queue gets a ticket: the site's rules first, then by category, hazard, complaint class, or the
    default (front desk)."""

    rules: tuple[RoutingRule, ...] = ()

    default_queue: str = "front_desk"
    emergency: dict[str, str] = {
        "fire": "security",
        "gas": "plumbing",
        "flood": "plumbing",
        "trapped": "lifts",
        "injury": "security",
        "electrical": "electrical",
        "security": "security",
        "collapse": "general_maintenance",
        "urgent": "security",
    }
    complaint: dict[str, str] = {
        "service": "front_desk",
        "quality": "developer_liaison",
        "external": "front_desk",
    }
    praise: str = "front_desk"
    suggestion: str = "front_desk"
    handoff: str = "front_desk"


class CallbackRule(_Model):
    """Who gets a callback (回访): the share sampled and the window after handling, in days."""

    rate: float = Field(ge=0.0, le=1.0)
    window_start_days: int = Field(default=0, ge=0)
    window_end_days: int = Field(gt=0)


def _default_survey_dimensions() -> dict[str, Localized]:
    """The manual's ten dimensions of the yearly satisfaction survey (part 1, monthly and yearly analysis)."""
    names = {
        "heating": ("供暖", "Heating"),
        "cooling": ("制冷", "Cooling"),
        "power": ("供电", "Power supply"),
        "water": ("供水", "Water supply"),
        "safety": ("消防与安全", "Fire safety and security"),
        "cleaning": ("清洁卫生", "Cleanliness"),
        "landscaping": ("绿化", "Landscaping"),
        "facilities": ("公共设施", "Public facilities"),
        "repair": ("维修服务", "Repair service"),
        "staff": ("员工服务态度", "Staff attitude"),
    }
    return {key: Localized(zh=zh, en=en) for key, (zh, en) in names.items()}


class SurveyPolicy(_Model):
    """The satisfaction survey (满意度调查): what is asked, how fast forms go out, when to remind once.

    Dimension keys travel in button data (Telegram allows 64 bytes), hence short keys of letters and `_`.
    """

    dimensions: dict[str, Localized] = Field(default_factory=_default_survey_dimensions)
    rate_per_minute: int = Field(default=20, gt=0)
    reminder_days: int = Field(default=3, gt=0)

    @field_validator("dimensions")
    @classmethod
    def _short_keys(cls, value: dict[str, Localized]) -> dict[str, Localized]:
        if not value:
            raise ValueError("a survey needs at least one dimension")
        for key in value:
            if not key.replace("_", "").isalpha() or not key.isascii() or len(key) > 16:
                raise ValueError(f"dimension key {key!r}: up to 16 ASCII letters or _")
        return value


class SiteConfig(_Model):
    """One estate."""

    name: Localized
    hotline: str
    emergency_hotline: str
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh"
    office_hours: OfficeHours = OfficeHours()
    # Public holidays close the desk on working weekdays; make-up days (调休补班) open it on days off.
    holidays: tuple[date, ...] = ()
    workdays_extra: tuple[date, ...] = ()
    quiet_hours: QuietHours = QuietHours()
    buildings: tuple[str, ...] = ()
    common_area_keywords: tuple[str, ...] = ()
    queues: dict[str, Queue]
    repair_categories: dict[str, RepairCategory]
    service_catalogue: dict[str, ServiceItem]
    faq: dict[str, FaqEntry] = {}
    promises: Promises = Promises()
    callbacks: dict[str, CallbackRule] = {}
    # Seed of the reproducible callback sample (a hash of seed and reference decides who is called back).
    callback_seed: str = "回访"
    routing: Routing = Routing()
    assignment: Literal["grab", "round_robin", "least_loaded"] = "grab"
    at_risk_fraction: float = Field(default=0.8, gt=0.0, lt=1.0)
    digest_time: time = time(8, 0)
    # Records are kept this long after a matter is finished (manual: archived quarterly, kept 2 years).
    retention_days: int = Field(default=730, ge=30)
    survey: SurveyPolicy = SurveyPolicy()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("zh", "en"):
            raise ValueError("default_language is zh or en")
        return value

    @model_validator(mode="after")
    def _holidays_are_not_workdays(self) -> SiteConfig:
        both = sorted(set(self.holidays) & set(self.workdays_extra))
        if both:
            raise ValueError(f"workdays_extra: {both[0]} is also listed in holidays")
        return self

    @model_validator(mode="after")
    def _queues_exist(self) -> SiteConfig:
        routed = {
            "routing.default_queue": self.routing.default_queue,
            "routing.praise": self.routing.praise,
            "routing.suggestion": self.routing.suggestion,
            "routing.handoff": self.routing.handoff,
            **{f"routing.emergency.{k}": v for k, v in self.routing.emergency.items()},
            **{f"routing.complaint.{k}": v for k, v in self.routing.complaint.items()},
            **{f"routing.rules.{i}.queue": rule.queue for i, rule in enumerate(self.routing.rules)},
        }
        for key, queue in routed.items():
            if queue not in self.queues:
                raise ValueError(f"{key}: no queue named {queue!r}")
        for key, category in self.repair_categories.items():
            if category.queue not in self.queues:
                raise ValueError(f"repair_categories.{key}.queue: no queue named {category.queue!r}")
        for key, item in self.service_catalogue.items():
            if item.queue not in self.queues:
                raise ValueError(f"service_catalogue.{key}.queue: no queue named {item.queue!r}")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone."""
        return ZoneInfo(self.timezone)


def _format_error(source: str, error: ValidationError) -> str:
    lines = [f"{source}: invalid site configuration"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {key}: {item['msg']}")
    return "\n".join(lines)


def parse_site(data: Any, source: str) -> SiteConfig:
    """Validate loaded YAML data; errors name the source, the key and the reason."""
    if not isinstance(data, dict):
        raise SiteConfigError(f"{source}: the site file must be a YAML mapping")
    try:
        return SiteConfig.model_validate(data)
    except ValidationError as exc:
        raise SiteConfigError(_format_error(source, exc)) from exc


def load_site(path: Path | None = None) -> SiteConfig:
    """Load a site file, or the packaged default when `path` is None."""
    if path is None:
        text = resources.files("dialogs").joinpath("site_default.yaml").read_text(encoding="utf-8")
        source = "site_default.yaml"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SiteConfigError(f"{path}: cannot read the site file ({exc.strerror})") from exc
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SiteConfigError(f"{source}: not valid YAML ({exc})") from exc
    return parse_site(data, source)
