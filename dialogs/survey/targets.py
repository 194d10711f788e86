"""Which households a campaign asks: all, one building, or a reproducible random sample of a share.

The sample is drawn from the candidates sorted by id with a seeded generator, so the same seed over the
same households always gives the same sample (a campaign can be re-created and checked); at least one
household is drawn when there are any.
"""

from __future__ import annotations

import random
from collections.abc import Iterable


def sample_households(household_ids: Iterable[int], share: float | None, seed: int) -> list[int]:
    """The households to survey, sorted; `share` None (or 1) means all of them."""
    candidates = sorted(set(household_ids))
    if share is None or share >= 1.0 or not candidates:
        return candidates
    if share <= 0.0:
        raise ValueError("the sample share must be above 0")
    size = max(1, round(len(candidates) * share))
    return sorted(random.Random(seed).sample(candidates, size))
