"""Garbage-collector settings for a long-running worker, applied once start-up is over.

A worker's heap is mostly what start-up built and never frees: the NLU model, aiogram's and pydantic's
schemas, SQLAlchemy's metadata, the message catalogues. CPython's cyclic collector still walks all of it
again every time an older generation fills up, and a busy worker allocates fast enough (every update makes
thousands of short-lived objects: JSON, pydantic models, rows, dataclasses) to trigger that several times a
second; in the load benchmark the collector took about a tenth of the worker's CPU.

`settle_heap` collects once, then freezes what survives (`gc.freeze`: moved out of the collector's view,
never scanned again) and makes the youngest generation larger, so that a turn's temporaries mostly die
before a collection sees them instead of being promoted and scanned again later. Cycles created after
start-up are still collected. A frozen object is still freed when its last reference goes; only a cycle of
frozen objects would stay, and start-up's survivors live as long as the process anyway (nothing reloads
the model or the schemas).
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG_THRESHOLD", "settle_heap"]

# Allocations (minus deallocations) between young collections; CPython's default is 700. The older
# generations' counts are in collections of the next younger one (defaults 10 and 10).
YOUNG_THRESHOLD = 5_000
MIDDLE_THRESHOLD = 10
OLD_THRESHOLD = 100


def settle_heap() -> None:
    """Collect start-up's garbage, freeze the survivors and widen the young generation (see the module)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
