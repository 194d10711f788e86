"""The worker's collector settings: start-up's survivors frozen, later cycles still collected."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from bot.heap import MIDDLE_THRESHOLD, OLD_THRESHOLD, YOUNG_THRESHOLD

# In a fresh interpreter: freezing is process-wide, and the test process must keep its own collector.
_PROBE = textwrap.dedent(
    """
    import gc, weakref
    from bot.heap import settle_heap

    class Node:
        pass

    before = gc.get_freeze_count()
    survivor = Node()
    settle_heap()
    print(gc.get_freeze_count() > before)
    print(*gc.get_threshold())
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    gc.collect()
    print(gone() is None)
    """
)


def test_settle_heap_freezes_start_up_and_still_collects_later_cycles() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    frozen, thresholds, collected = result.stdout.splitlines()
    assert frozen == "True"
    assert thresholds.split() == [str(YOUNG_THRESHOLD), str(MIDDLE_THRESHOLD), str(OLD_THRESHOLD)]
    assert collected == "True"
