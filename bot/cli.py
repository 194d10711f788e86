"""The `frontdesk` command line (also `python -m bot`).

Each command reads settings from the environment, builds the app through the composition root and runs
one job. Errors a person can fix (no token, a bad site file) end with one clear line and a non-zero exit.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

import click

from bot import logs
from bot.app import App, build_app, load_site_for
from bot.cli_followups import followups
from bot.cli_records import records
from bot.cli_reports import report
from bot.cli_surveys import survey
from bot.heap import settle_heap
from bot.metrics import Metrics, TimedNlu
from bot.nlu_cli import nlu
from bot.nlu_factory import make_nlu
from bot.settings import Settings, SettingsError
from dialogs.clock import FakeClock, SystemClock
from dialogs.domain import StaffMember, StaffRole
from dialogs.household import HouseholdFile
from dialogs.i18n import Catalog
from dialogs.site import SiteConfigError
from storage.database import make_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _logging(settings: Settings) -> None:
    logs.configure(settings.log_level)


def _app(settings: Settings, *, metrics: Metrics | None = None) -> App:
    _logging(settings)
    click.echo("frontdesk: loading the NLU model (the first run trains it, about 15 s)…", err=True)
    try:
        if metrics is None:
            return build_app(settings)
        # The NLU is timed for /metrics: wrapped before the engine is built around it.
        nlu = make_nlu(settings.nlu_spec, settings.nlu_data_dir, settings.nlu_cache_dir)
        return build_app(settings, nlu=TimedNlu(nlu, metrics.nlu_seconds))
    except SiteConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def _database(settings: Settings) -> Iterator[SqlUnitOfWorkFactory]:
    """Just the database, for commands that never read free text (no NLU model to load)."""
    _logging(settings)
    engine = make_engine(settings.database_url)
    try:
        if engine.dialect.name == "sqlite":
            upgrade(engine)
        yield SqlUnitOfWorkFactory(engine)
    finally:
        engine.dispose()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Front-desk chatbot for property-management customer service centers (物业客户服务中心)."""


@cli.command()
@click.option("--webhook", is_flag=True, help="Receive updates on a webhook instead of long polling.")
@click.option(
    "--listen",
    default="127.0.0.1:8080",
    show_default=True,
    help="Webhook: listen on HOST:PORT.",
)
@click.option(
    "--public-url", default=None, help="Webhook: the HTTPS base URL Telegram reaches; registers the webhook."
)
@click.option(
    "--secret",
    envvar="FRONTDESK_WEBHOOK_SECRET",
    default=None,
    help="Webhook: the secret token Telegram sends back (default: derived from the bot token).",
)
@click.option(
    "--deliver/--no-deliver",
    default=True,
    show_default=True,
    help="Webhook: also send and tick here (--no-deliver leaves it to `frontdesk worker`).",
)
@click.option(
    "--redis-url",
    envvar="FRONTDESK_REDIS_URL",
    default=None,
    help="Webhook with --no-deliver: nudge `frontdesk worker` through this Redis after each update.",
)
def run(
    webhook: bool,
    listen: str,
    public_url: str | None,
    secret: str | None,
    deliver: bool,
    redis_url: str | None,
) -> None:
    """Serve residents on Telegram by long polling, or by webhook (needs TELEGRAM_BOT_TOKEN)."""
    settings = _settings()
    token = _token(settings)
    from bot.telegram.runner import make_bot
    from bot.telegram.service import serve_telegram, serve_webhook
    from bot.wakeups import RedisWakeups

    host, port = _address(listen)
    secret = secret or _derived_secret(token)
    metrics = Metrics()
    app = _app(settings, metrics=metrics if webhook else None)
    settle_heap()

    async def main() -> None:
        bot = make_bot(token, settings.telegram_api_base)
        try:
            if webhook:
                await serve_webhook(
                    app,
                    bot,
                    host=host,
                    port=port,
                    secret=secret,
                    public_url=public_url,
                    deliver=deliver,
                    metrics=metrics,
                    wakeups=RedisWakeups(redis_url) if redis_url and not deliver else None,
                )
            else:
                await serve_telegram(app, bot)
        finally:
            await bot.session.close()

    try:
        asyncio.run(main())
    finally:
        app.close()


@cli.command()
@click.option(
    "--listen", default=None, help="Serve /healthz, /readyz and /metrics on HOST:PORT (default: none)."
)
@click.option("--interval", type=float, default=0.5, show_default=True, help="Seconds between outbox polls.")
@click.option(
    "--lease",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    help="Seconds a claimed message is held.",
)
@click.option(
    "--redis-url",
    envvar="FRONTDESK_REDIS_URL",
    default=None,
    help="Be woken by webhook workers through Redis.",
)
def worker(listen: str | None, interval: float, lease: int, redis_url: str | None) -> None:
    """Run the outbox sender and the scheduler without receiving updates (beside webhook workers)."""
    settings = _settings()
    token = _token(settings)
    from bot.telegram.runner import make_bot
    from bot.telegram.service import run_worker
    from bot.wakeups import RedisWakeups

    host, port = _address(listen) if listen else (None, None)
    app = _app(settings)
    settle_heap()

    async def main() -> None:
        bot = make_bot(token, settings.telegram_api_base)
        try:
            wakeups = RedisWakeups(redis_url) if redis_url else None
            await run_worker(
                app, bot, host=host, port=port, interval=interval, lease_seconds=lease, wakeups=wakeups
            )
        finally:
            await bot.session.close()

    try:
        asyncio.run(main())
    finally:
        app.close()


@cli.command("set-webhook")
@click.argument("public_url")
@click.option("--path", default=None, help="The webhook path behind PUBLIC_URL (default: /telegram/webhook).")
@click.option("--secret", envvar="FRONTDESK_WEBHOOK_SECRET", default=None, help="As for `run --webhook`.")
def set_webhook(public_url: str, path: str | None, secret: str | None) -> None:
    """Point Telegram at PUBLIC_URL (the load balancer) once, for all webhook workers behind it."""
    settings = _settings()
    token = _token(settings)
    from bot.telegram.runner import make_bot
    from bot.telegram.service import menu_for, register_webhook
    from bot.telegram.webhook import WEBHOOK_PATH

    try:
        menu = menu_for(load_site_for(settings), Catalog.load())
    except SiteConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    url = public_url.rstrip("/") + (path or WEBHOOK_PATH)

    async def main() -> None:
        bot = make_bot(token, settings.telegram_api_base)
        try:
            await register_webhook(bot, url=url, secret=secret or _derived_secret(token), menu=menu)
        finally:
            await bot.session.close()

    asyncio.run(main())
    click.echo(f"webhook set to {url}")


def _token(settings: Settings) -> str:
    if not settings.telegram_token:
        raise click.ClickException(
            "TELEGRAM_BOT_TOKEN is not set: set it, or run `frontdesk chat` for the console."
        )
    return settings.telegram_token


def _address(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise click.ClickException(f"--listen must be HOST:PORT, not {listen!r}")
    return host, int(port)


def _derived_secret(token: str) -> str:
    """The same secret in every worker without configuring one: a hash of the bot token (never the token)."""
    return hashlib.sha256(f"frontdesk-webhook:{token}".encode()).hexdigest()[:48]


@cli.command()
@click.option("--user-id", type=int, default=10001, show_default=True, help="Who is typing (a resident id).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="The resident's language.")
@click.option(
    "--demo", is_flag=True, help="A fresh demo database with staff, on a simulated clock moved by /time +3d."
)
@click.option("--start", default=None, help="With --demo: the simulated start (ISO, site-local if naive).")
def chat(user_id: int, lang: str | None, demo: bool, start: str | None) -> None:
    """Talk to the bot on the console (interactive, or lines piped on stdin)."""
    from bot.console import make_session
    from bot.console_demo import DEMO_STAFF, DEMO_STAFF_CHAT, demo_settings, seed_staff

    settings = _settings()
    if not demo:
        app = _app(settings)
        try:
            asyncio.run(make_session(app, user_id=user_id, language=lang).run())
        finally:
            app.close()
        return
    site = load_site_for(settings)
    try:
        begin = datetime.fromisoformat(start) if start else SystemClock().now()
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO date-time: {start}", param_hint="--start") from exc
    clock = FakeClock(begin if begin.tzinfo else begin.replace(tzinfo=site.zone))
    settings = demo_settings(settings)
    _logging(settings)
    click.echo("frontdesk: loading the NLU model (the first run trains it, about 15 s)…", err=True)
    app = build_app(settings, clock=clock)
    try:
        seed_staff(app.uow_factory)
        language = lang or site.default_language
        staff = ", ".join(f"{name} {telegram_id}" for telegram_id, name, _, _ in DEMO_STAFF)
        click.echo(
            app.catalog.t(language, "console.demo_banner", staff=staff, group=DEMO_STAFF_CHAT, user=user_id)
        )
        asyncio.run(make_session(app, user_id=user_id, language=lang, demo_clock=clock).run())
    finally:
        app.close()


@cli.group()
def staff() -> None:
    """The staff registry."""


@staff.command("add")
@click.option("--telegram-id", type=int, required=True, help="The staff member's Telegram user id.")
@click.option("--name", required=True, help="Name shown to residents (first name is used).")
@click.option("--role", type=click.Choice([role.value for role in StaffRole]), required=True)
@click.option("--skills", default="", help="Comma-separated queues or trades, e.g. plumbing,electrical.")
def staff_add(telegram_id: int, name: str, role: str, skills: str) -> None:
    """Register (or update) a staff member."""
    with _database(_settings()) as uow_factory, uow_factory() as uow:
        existing = uow.staff.find(telegram_id=telegram_id)
        member = StaffMember(
            id=existing.id if existing else None,
            telegram_id=telegram_id,
            name=name,
            role=StaffRole(role),
            skills=tuple(skill.strip() for skill in skills.split(",") if skill.strip()),
            active=True,
        )
        uow.staff.save(member=member)
        uow.commit()
    click.echo(f"{'updated' if existing else 'added'} {name} ({role}, telegram id {telegram_id})")


@staff.command("remove")
@click.option("--telegram-id", type=int, required=True, help="The staff member's Telegram user id.")
def staff_remove(telegram_id: int) -> None:
    """Deactivate a staff member (kept for the record: their tickets and history stay readable)."""
    with _database(_settings()) as uow_factory, uow_factory() as uow:
        member = uow.staff.find(telegram_id=telegram_id)
        if member is None:
            raise click.ClickException(f"no staff member with telegram id {telegram_id}")
        uow.staff.save(member=replace(member, active=False))
        uow.commit()
    click.echo(f"removed {member.name} (telegram id {telegram_id})")


@staff.command("set-skills")
@click.option("--telegram-id", type=int, required=True, help="The staff member's Telegram user id.")
@click.argument("skills")
def staff_set_skills(telegram_id: int, skills: str) -> None:
    """Replace a staff member's skills (comma-separated queues or trades, e.g. plumbing,electrical)."""
    with _database(_settings()) as uow_factory, uow_factory() as uow:
        member = uow.staff.find(telegram_id=telegram_id)
        if member is None:
            raise click.ClickException(f"no staff member with telegram id {telegram_id}")
        parsed = tuple(skill.strip() for skill in skills.split(",") if skill.strip())
        uow.staff.save(member=replace(member, skills=parsed))
        uow.commit()
    click.echo(f"{member.name}: {','.join(parsed) or '-'}")


@staff.command("list")
def staff_list() -> None:
    """List registered staff."""
    with _database(_settings()) as uow_factory, uow_factory() as uow:
        members = list(uow.staff.list(active_only=False))
    if not members:
        click.echo("no staff registered")
    for member in members:
        skills = ",".join(member.skills) or "-"
        state = "active" if member.active else "inactive"
        click.echo(f"{member.telegram_id}\t{member.name}\t{member.role.value}\t{skills}\t{state}")


@cli.group()
def household() -> None:
    """The household file (一户一档)."""


@household.command("show")
@click.argument("room")
def household_show(room: str) -> None:
    """Print everything about one household in time order, e.g. `frontdesk household show 3栋2单元502`."""
    settings = _settings()
    try:
        site = load_site_for(settings)
    except SiteConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    with _database(settings) as uow_factory, uow_factory() as uow:
        click.echo(HouseholdFile(site=site, catalog=Catalog.load()).render(uow, room))


@cli.group()
def db() -> None:
    """Database administration."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply Alembic migrations up to the newest schema."""
    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    click.echo("database is up to date")


cli.add_command(nlu)
cli.add_command(followups)
cli.add_command(records)
cli.add_command(report)
cli.add_command(survey)


def main() -> None:
    """Console-script entry point."""
    cli()
