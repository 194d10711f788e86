"""`python -m benchmarks.nlu_bench`: the NLU's speed, size and quality as a markdown table.

Quality is macro-F1 on the held-out 20% of our own data and, when the file is there, on the external
evaluation set `../shared/eval/external.jsonl` (relative to the repository; measured, never trained on).
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from dialogs.nlu.benchmark import run_benchmark
from dialogs.nlu.builtin import BuiltinNlu
from dialogs.nlu.evaluate import evaluate, held_out_split, load_eval_items
from dialogs.nlu.training_data import load_training_data

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "nlu_data"
EXTERNAL = REPO.parent / "shared" / "eval" / "external.jsonl"
NOW = datetime(2024, 5, 6, 10, 0)


def main() -> None:
    """Measure and print the table."""
    bench = run_benchmark(DATA_DIR)
    probe = bench.probe
    rows = [
        ("training examples / intents", f"{bench.examples} / {bench.intents}"),
        ("features", f"{bench.features}"),
        ("training time", f"{bench.train_seconds:.2f} s"),
        ("load time (cached model)", f"{probe.load_seconds * 1000:.0f} ms"),
        (f"parse p50 ({probe.parses} parses, warm)", f"{probe.parse_p50_ms:.3f} ms"),
        ("parse p99", f"{probe.parse_p99_ms:.3f} ms"),
        ("peak RSS of a process with the loaded model", f"{probe.rss_mb:.0f} MB"),
    ]
    data = load_training_data(DATA_DIR)
    with tempfile.TemporaryDirectory(prefix="nlu-bench-") as tmp:
        train, held = held_out_split(data)
        held_report = evaluate(BuiltinNlu.from_data(train, Path(tmp)), held, now=NOW)
        rows.append(("macro-F1, held-out 20% of nlu_data", f"{held_report.macro_f1:.3f}"))
        recall = held_report.recall_of("emergency")
        rows.append(("emergency recall, held-out", f"{recall:.3f}" if recall is not None else "-"))
        if EXTERNAL.is_file():
            ext_report = evaluate(BuiltinNlu.from_data(data, Path(tmp)), load_eval_items(EXTERNAL), now=NOW)
            rows.append(("macro-F1, external.jsonl", f"{ext_report.macro_f1:.3f}"))
            rows.extend(
                (f"accuracy, external.jsonl / {source}", f"{accuracy:.3f} (n={n})")
                for source, (n, accuracy) in ext_report.per_source.items()
            )
        else:
            rows.append(("macro-F1, external.jsonl", "file not present"))
    print("| measure | value |")
    print("| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
