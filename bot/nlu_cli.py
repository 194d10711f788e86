"""`frontdesk nlu …`: parse, train, evaluate and benchmark the NLU from the command line.

`nlu parse` prints exactly what Rasa's `POST /model/parse` would (one JSON object per input line), so the
built-in model and a Rasa server can be compared with the same tooling.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.nlu_factory import DEFAULT_SPEC, make_nlu
from dialogs.clock import SystemClock
from dialogs.nlu.benchmark import run_benchmark
from dialogs.nlu.builtin import BuiltinNlu
from dialogs.nlu.evaluate import evaluate, format_report, held_out_split, load_eval_items
from dialogs.nlu.training_data import load_training_data

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_CACHE_DIR = Path("var/nlu")


def default_data_dir() -> Path:
    """`FRONTDESK_NLU_DATA`, else the repository's `nlu_data/` next to the packages."""
    override = os.environ.get("FRONTDESK_NLU_DATA")
    return Path(override) if override else Path(__file__).resolve().parents[1] / "nlu_data"


def _backend_spec() -> str:
    return os.environ.get("FRONTDESK_NLU", DEFAULT_SPEC)


def _data_options(command: F) -> F:
    """`--data-dir` and `--cache-dir`, shared by every subcommand."""
    command = click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_CACHE_DIR,
        show_default=True,
        help="Where trained models are cached.",
    )(command)
    return click.option(
        "--data-dir",
        type=click.Path(exists=True, path_type=Path),
        default=None,
        help="Rasa NLU training data (default: $FRONTDESK_NLU_DATA or the repository's nlu_data/).",
    )(command)


def _now(value: str | None) -> datetime:
    """The reference time: `--now` (ISO 8601; naive means local time) or the clock, in the local zone."""
    if value is None:
        return SystemClock().now().astimezone()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"not an ISO 8601 time: {value}", param_hint="--now") from error
    return parsed.astimezone() if parsed.tzinfo is None else parsed


@click.group("nlu")
def nlu() -> None:
    """Understand residents' messages: parse, train, evaluate, benchmark."""


@nlu.command("parse")
@_data_options
@click.option("--now", "now_text", default=None, help="Reference time for relative dates (ISO 8601).")
def parse_command(data_dir: Path | None, cache_dir: Path, now_text: str | None) -> None:
    """Read messages from stdin (one a line), write Rasa /model/parse JSON (one a line) to stdout.

    The backend comes from $FRONTDESK_NLU: `builtin` (default) or `rasa:http://host:5005`.
    """
    now = _now(now_text)
    backend = make_nlu(_backend_spec(), data_dir or default_data_dir(), cache_dir)
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        click.echo(json.dumps(backend.parse(text, now=now).to_rasa(), ensure_ascii=False))


@nlu.command("train")
@_data_options
def train_command(data_dir: Path | None, cache_dir: Path) -> None:
    """Retrain the built-in model now (even if a cached one is current)."""
    model = BuiltinNlu.load(data_dir or default_data_dir(), cache_dir, force_train=True)
    report = model.train_report
    assert report is not None  # forced loads always train
    click.echo(
        f"trained in {report.seconds:.2f} s: {report.examples} examples, {report.intents} intents, "
        f"{report.features} features -> {cache_dir}"
    )


@nlu.command("evaluate")
@_data_options
@click.argument("test_file", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--now", "now_text", default="2024-05-06T10:00:00", show_default=True, help="Reference time.")
def evaluate_command(data_dir: Path | None, cache_dir: Path, test_file: Path | None, now_text: str) -> None:
    """Score the NLU on TEST_FILE (Rasa YAML or JSON lines), or on a held-out 20% of the training data.

    Without TEST_FILE the built-in model is trained on the other 80% (cached separately) and scored on the
    rest; with it, the configured backend ($FRONTDESK_NLU) is scored as it is.
    """
    now = _now(now_text)
    source = data_dir or default_data_dir()
    if test_file is None:
        train, items = held_out_split(load_training_data(source))
        report = evaluate(BuiltinNlu.from_data(train, cache_dir), items, now=now)
        click.echo(f"held-out split of {source}: trained on {len(train.examples)}, testing {len(items)}")
    else:
        report = evaluate(make_nlu(_backend_spec(), source, cache_dir), load_eval_items(test_file), now=now)
        click.echo(f"{test_file}:")
    click.echo(format_report(report))


@nlu.command("benchmark")
@_data_options
@click.option("--parses", default=3000, show_default=True, help="Timed parses after warm-up.")
def benchmark_command(data_dir: Path | None, cache_dir: Path, parses: int) -> None:
    """Training time, load time, parse latency p50/p99 and resident memory of the built-in model.

    Trains into a temporary directory (the cache in --cache-dir is left alone) and measures loading and
    parsing in a fresh process.
    """
    del cache_dir  # accepted for symmetry with the other commands
    result = run_benchmark(data_dir or default_data_dir(), parses=parses)
    probe = result.probe
    click.echo(
        f"training      {result.train_seconds:.2f} s ({result.examples} examples, {result.intents} intents)"
    )
    click.echo(f"load          {probe.load_seconds * 1000:.0f} ms")
    click.echo(f"parse p50     {probe.parse_p50_ms:.3f} ms")
    click.echo(f"parse p99     {probe.parse_p99_ms:.3f} ms ({probe.parses} parses after warm-up)")
    click.echo(f"RSS           {probe.rss_mb:.0f} MB")
