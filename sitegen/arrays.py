"""Small numpy helpers the numeric stages share (search_batch, keyterms, discover)."""

from __future__ import annotations

import math

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """np.unique(values) of integers: the distinct values, ascending. By a sort: numpy 2's
    np.unique of ints alone hashes them, 20-35x slower than this on 10k-500k values."""
    ordered = np.sort(values, axis=None)
    if len(ordered) < 2:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def percentile(values: np.ndarray, q: float) -> np.ndarray:
    """np.percentile(values, q, axis=0), q in [0, 100], as numpy's linear method computes it
    (the same partition, so the same zero where -0.0 and 0.0 tie), without its np.unique,
    which loads numpy.ma (8 ms on a shipped build's critical path)."""
    virtual = (len(values) - 1) * (q / 100)
    below = -1 if virtual >= len(values) - 1 else math.floor(virtual)  # -1: the largest
    above = -1 if below == -1 else below + 1
    ordered = np.partition(values, sorted({0, -1, below, above}), axis=0)
    low, high, gamma = ordered[below], ordered[above], virtual - below
    step = high - low
    return high - step * (1 - gamma) if gamma >= 0.5 else low + step * gamma
