"""Small numpy helpers the numeric stages share (search_batch, keyterms)."""

from __future__ import annotations

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """np.unique(values) of integers: the distinct values, ascending. By a sort: numpy 2's
    np.unique of ints alone hashes them, 20-35x slower than this on 10k-500k values."""
    ordered = np.sort(values, axis=None)
    if len(ordered) < 2:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]
