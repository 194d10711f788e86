"""Speed and size figures of the built-in NLU: training time, load time, parse latency, memory.

Load time, latency and RSS are measured in a fresh child process (`python -m dialogs.nlu.benchmark`) that
only loads the cached model, because the parent has imported scikit-learn to train, which alone adds ~75 MB
and would make the memory figure meaningless.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from dialogs.nlu.builtin import BuiltinNlu
from dialogs.nlu.training_data import load_training_data

WARM_UP_PARSES = 300
DEFAULT_PARSES = 3000
_FIXED_NOW = datetime(2024, 5, 6, 10, 0)


@dataclass(frozen=True)
class ProbeResult:
    """What the child process measured."""

    load_seconds: float
    parse_p50_ms: float
    parse_p99_ms: float
    parses: int
    rss_mb: float


@dataclass(frozen=True)
class BenchResult:
    """All figures of one benchmark run."""

    train_seconds: float
    examples: int
    intents: int
    features: int
    probe: ProbeResult


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def _peak_rss_mb() -> float:
    """Peak resident memory of this process.

    `VmHWM` from /proc is used where it exists because `ru_maxrss` survives fork+exec on Linux and would
    report the parent's (training) peak.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def probe(data_dir: Path, cache_dir: Path, parses: int) -> ProbeResult:
    """Load the (already cached) model, warm it up, time `parses` parses, report peak RSS."""
    started = time.perf_counter()
    nlu = BuiltinNlu.load(data_dir, cache_dir)
    load_seconds = time.perf_counter() - started
    texts = [example.text for example in nlu.data.examples] or ["你好"]
    nlu.warm_up()
    for i in range(WARM_UP_PARSES):
        nlu.parse(texts[i % len(texts)], now=_FIXED_NOW)
    latencies: list[float] = []
    for i in range(parses):
        text = texts[(i * 7919) % len(texts)]
        begin = time.perf_counter()
        nlu.parse(text, now=_FIXED_NOW)
        latencies.append((time.perf_counter() - begin) * 1000)
    latencies.sort()
    return ProbeResult(
        load_seconds, _percentile(latencies, 0.5), _percentile(latencies, 0.99), parses, _peak_rss_mb()
    )


def run_benchmark(data_dir: Path, *, parses: int = DEFAULT_PARSES) -> BenchResult:
    """Train from scratch into a temporary cache, then probe loading and parsing in a child process."""
    with tempfile.TemporaryDirectory(prefix="nlu-bench-") as tmp:
        # A snapshot, so that the child loads exactly the model the parent trained even if the data changes.
        snapshot = Path(tmp) / "data"
        shutil.copytree(data_dir, snapshot)
        data = load_training_data(snapshot)
        cache_dir = Path(tmp) / "cache"
        nlu = BuiltinNlu.from_data(data, cache_dir, force_train=True)
        report = nlu.train_report
        assert report is not None  # a forced load always trains
        command = [sys.executable, "-m", "dialogs.nlu.benchmark", str(snapshot), str(cache_dir), str(parses)]
        completed = subprocess.run(command, capture_output=True, text=True, check=True)
        measured = ProbeResult(**json.loads(completed.stdout.strip().splitlines()[-1]))
    return BenchResult(report.seconds, report.examples, report.intents, report.features, measured)


def main(argv: list[str]) -> None:
    """Child-process entry: `python -m dialogs.nlu.benchmark DATA_DIR CACHE_DIR PARSES` prints JSON."""
    data_dir, cache_dir, parses = Path(argv[0]), Path(argv[1]), int(argv[2])
    print(json.dumps(asdict(probe(data_dir, cache_dir, parses))))


if __name__ == "__main__":
    main(sys.argv[1:])
