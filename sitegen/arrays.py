"""Small numpy helpers the numeric stages share (search_batch, keyterms, discover)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """np.unique(values) of integers: the distinct values, ascending. By a sort: numpy 2's
    np.unique of ints alone hashes them, 20-35x slower than this on 10k-500k values."""
    ordered = np.sort(values, axis=None)
    if len(ordered) < 2:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def ranks_within(counts: np.ndarray) -> np.ndarray:
    """0, 1, .. counts[i] - 1 for each i, one after the other."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


def run_starts(sizes: Sequence[int] | np.ndarray) -> np.ndarray:
    """Where each of some runs of these sizes starts when laid end to end, and the end
    (int64: 0, sizes[0], sizes[0] + sizes[1], ..)."""
    starts = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=starts[1:])
    return starts


def spans(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """starts[i], starts[i] + 1, .. starts[i] + sizes[i] - 1 for each i, one after the other
    (signed integers: the shifts below may be negative)."""
    # One repeat of each run's shift from its place in the output (two, start and rank, took
    # a third longer: 76 ms of a 10k-paper build's search index).
    ends = np.cumsum(sizes)
    total = int(ends[-1]) if len(ends) else 0
    return np.arange(total) + np.repeat(starts - (ends - sizes), sizes)


def runs_at(starts: np.ndarray, runs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of some runs' items (run r's at starts[r] .. starts[r + 1] - 1, as
    run_starts lays them), and whose each is (an index into `runs`)."""
    sizes = starts[runs + 1] - starts[runs]
    return spans(starts[runs], sizes), np.repeat(np.arange(len(runs)), sizes)


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


# Sorting: numpy sorts one int64 column with SIMD, 4-20x faster than np.lexsort's stable pass
# per key or a stable argsort (timsort) of as many values. So where the keys fit, they are
# packed with each row's index into one int64: the packed values are distinct, so any sort
# of them gives np.lexsort's order, ties in index order included.
PACK_BITS = 63


def lex_order(keys: Sequence[np.ndarray]) -> np.ndarray:
    """np.lexsort(keys): row indices sorted by the last key, then the one before it, and so
    on; ties in index order. Integer keys are packed as they are and float keys as the ranks
    of their distinct values (-0.0 is 0.0, as in a sort); without room for the index, the
    packed keys get one stable sort; NaNs, or keys too wide even so, go to np.lexsort."""
    n = len(keys[0]) if len(keys) else 0
    if n < 2:
        return np.lexsort(keys)
    index_bits = (n - 1).bit_length()
    spans = [integer_span(key) for key in keys]
    widths = [index_bits if span is None else span[1].bit_length() for span in spans]
    floats = [key for key, span in zip(keys, spans, strict=True) if span is None]
    if sum(widths) > PACK_BITS or any(np.isnan(key).any() for key in floats):
        return np.lexsort(keys)
    packed, shift = np.zeros(n, np.int64), 0
    for key, span, width in zip(keys, spans, widths, strict=True):
        codes = dense_ranks(key) if span is None else key.astype(np.int64) - span[0]
        if width:  # the first key in the lowest bits, the last (primary) in the highest
            packed |= codes << shift if shift else codes
        shift += width
    if shift + index_bits > PACK_BITS:
        return np.argsort(packed, kind="stable")
    packed <<= index_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << index_bits) - 1
    return packed


def integer_span(key: np.ndarray) -> tuple[int, int] | None:
    """(lowest value, highest minus lowest) of an integer or bool key; None for floats (and
    uint64, whose values need not fit in int64: lex_order ranks it as it ranks floats)."""
    if key.dtype.kind not in "biu" or key.dtype == np.uint64:
        return None
    low = int(key.min())
    return low, int(key.max()) - low


def dense_ranks(key: np.ndarray) -> np.ndarray:
    """Each value's place among the distinct values (equal values one place), as int64."""
    order = np.argsort(key)
    ordered = key[order]
    step = np.empty(len(key), np.int64)
    step[0] = 0
    np.not_equal(ordered[1:], ordered[:-1], out=step[1:])
    ranks = np.empty(len(key), np.int64)
    ranks[order] = np.cumsum(step)
    return ranks


def stable_order(values: np.ndarray) -> np.ndarray:
    """np.argsort(values, kind="stable"), through lex_order."""
    return lex_order((values,))


class Groups(NamedTuple):
    """np.unique(values, return_index=True, return_inverse=True, return_counts=True)."""

    values: np.ndarray  # the distinct values, ascending
    first: np.ndarray  # where each first occurs
    inverse: np.ndarray  # each value's place in `values`
    counts: np.ndarray  # how often each occurs


def groups(values: np.ndarray, spent: bool = False) -> Groups:
    """np.unique of a 1-d integer array with index, inverse and counts, by one sort of
    the values packed with their indices where they fit (np.unique sorts them stably).
    `spent`: the caller drops `values` after this call, so an int64 array is packed in
    place (at 100k papers, discovery's 20M bigrams: 160 MB less at its peak)."""
    n = len(values)
    span = integer_span(values) if n > 1 else None
    index_bits = max(n - 1, 0).bit_length()
    if span is None or span[1].bit_length() + index_bits > PACK_BITS:
        found = np.unique(values, return_index=True, return_inverse=True, return_counts=True)
        return Groups(found[0], found[1], found[2].ravel(), found[3])
    dtype, low = values.dtype, span[0]
    own = spent and dtype == np.int64 and values.flags.writeable
    packed = values if own else values.astype(np.int64)
    del values  # the caller's, packed in place when spent
    packed -= low
    packed <<= index_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    where = packed & ((1 << index_bits) - 1)
    packed >>= index_bits
    opens = np.empty(n, bool)
    opens[0] = True
    np.not_equal(packed[1:], packed[:-1], out=opens[1:])
    starts = np.flatnonzero(opens)
    distinct = (packed[starts] + low).astype(dtype)
    ranks = np.cumsum(opens, out=packed)  # each value's group, in sorted order (from 1)
    ranks -= 1
    inverse = np.empty(n, np.int64)
    inverse[where] = ranks
    return Groups(distinct, where[starts], inverse, np.diff(np.r_[starts, n]))
