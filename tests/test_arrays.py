"""sitegen.arrays: numpy helpers, each equal to the numpy call it stands for."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen.arrays import (
    distinct,
    groups,
    lex_order,
    percentile,
    run_starts,
    runs_at,
    spans,
    stable_order,
)


@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=60))
def test_distinct_is_np_unique(values: list[int]) -> None:
    array = np.array(values, np.int64)
    assert np.array_equal(distinct(array), np.unique(array))
    assert distinct(array).dtype == np.unique(array).dtype


def test_distinct_of_a_matrix_is_of_all_its_values() -> None:
    matrix = np.array([[3, -1, 3], [0, 7, -1]])
    assert distinct(matrix).tolist() == np.unique(matrix).tolist() == [-1, 0, 3, 7]


@given(st.lists(st.tuples(st.integers(-(2**40), 2**40), st.integers(0, 5)), max_size=30))
def test_spans_are_each_runs_places_in_order(runs: list[tuple[int, int]]) -> None:
    starts = np.array([start for start, _ in runs], np.int64)
    sizes = np.array([size for _, size in runs], np.int64)
    want = [start + k for start, size in runs for k in range(size)]
    assert spans(starts, sizes).tolist() == want
    assert spans(starts, sizes).dtype == np.int64


@pytest.mark.parametrize("q", [0, 1, 2.5, 50, 97.5, 99, 100])
def test_percentile_is_numpys_number_for_number(q: float) -> None:
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 7, 100, 101, 1234):
        values = rng.normal(size=(n, 2)) * 10.0 ** rng.integers(-3, 4)
        got, want = percentile(values, q), np.percentile(values, q, axis=0)
        assert got.tobytes() == want.tobytes(), (n, q)


@given(
    st.lists(st.sampled_from([0.0, -0.0, 1.0, -2.5]) | st.floats(-1e6, 1e6), min_size=2),
    st.sampled_from([0, 1, 33.3, 50, 99, 100]),
)
def test_percentile_is_numpys_for_any_columns(values: list[float], q: float) -> None:
    columns = np.array(values[: len(values) // 2 * 2]).reshape(-1, 2)
    assert percentile(columns, q).tobytes() == np.percentile(columns, q, axis=0).tobytes()


def test_percentile_gives_numpys_zero_where_signed_zeros_tie() -> None:
    # np.sort and numpy's partition leave tied zeros in other orders (the 99th of the first
    # column, 0.0 or -0.0); past the last value (q=100) numpy's formula turns -0.0 into 0.0.
    first = [[1.0, -1.0], [0.0, 0.0], [-1.0, 0.0], [1.0, 0.0], [-0.0, -0.0], [-0.0, -0.0]]
    for columns in (np.array(first), np.array([[0.0, 0.0], [0.0, -0.0], [-0.0, -0.0]])):
        for q in (0, 50, 99, 100):
            got, want = percentile(columns, q), np.percentile(columns, q, axis=0)
            assert got.tobytes() == want.tobytes(), q


# Keys of every kind lex_order packs or hands on: narrow and wide ints (the widest leave no
# room to pack, the middle no room for the index), bools, and floats with ties, -0.0 and NaN.
INT_KEYS = st.sampled_from([(0, 3), (-5, 5), (0, 2**20), (-(2**40), 2**40), (0, 2**62)]).flatmap(
    lambda span: st.integers(*span)
)
FLOAT_KEYS = st.sampled_from([0.0, -0.0, 1.5, -2.5, 1e-300, float("nan")]) | st.floats(-1e6, 1e6)


@st.composite
def key_columns(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    """One to three keys of one length, each of ints, bools or floats."""
    n = draw(st.integers(0, 40))
    keys = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["int", "bool", "float"]))
        element = {"int": INT_KEYS, "bool": st.booleans(), "float": FLOAT_KEYS}[kind]
        dtype = {"int": np.int64, "bool": bool, "float": np.float64}[kind]
        if kind == "int" and draw(st.booleans()):  # uint64, above int64's range too
            values = draw(st.lists(st.integers(0, 2**64 - 1), min_size=n, max_size=n))
            keys.append(np.array(values, np.uint64))
            continue
        keys.append(np.array(draw(st.lists(element, min_size=n, max_size=n)), dtype))
    return tuple(keys)


@given(key_columns())
def test_lex_order_is_np_lexsort(keys: tuple[np.ndarray, ...]) -> None:
    assert lex_order(keys).tolist() == np.lexsort(keys).tolist()


def test_lex_order_packs_large_keys_as_lexsort_orders_them() -> None:
    rng = np.random.default_rng(3)
    n = 200_000  # the sizes a 10k build sorts: ties everywhere, floats of every sign
    row, column = rng.integers(0, 10_000, n).astype(np.int32), rng.integers(0, 9_000, n)
    value = np.round(rng.normal(size=n), 2)
    wide = row.astype(np.int64) << 40
    for keys in [(column, row), (column, -value, row), (-value, row), (wide,), (wide, column)]:
        assert np.array_equal(lex_order(keys), np.lexsort(keys))
    assert np.array_equal(stable_order(row), np.argsort(row, kind="stable"))


@given(st.lists(INT_KEYS, max_size=50), st.sampled_from([np.int32, np.int64, np.uint64, bool]))
def test_groups_is_np_unique(values: list[int], dtype: type) -> None:
    array = np.array(values, np.int64)
    if dtype is np.int32:
        array = (array % 2**31).astype(np.int32)
    elif dtype is np.uint64:  # values beyond int64's range too
        array = array.astype(np.uint64) + np.uint64(2**63)
    elif dtype is bool:
        array = array % 2 == 1
    found = groups(array)
    want = np.unique(array, return_index=True, return_inverse=True, return_counts=True)
    spent = groups(array.copy(), spent=True)  # packed in the caller's buffer: the same
    for got, again, expected in zip(found, spent, want, strict=True):
        assert got.tolist() == again.tolist() == expected.ravel().tolist()
    assert found.values.dtype == spent.values.dtype == array.dtype


@given(
    st.lists(st.integers(0, 5), max_size=12),
    st.lists(st.integers(0, 20), max_size=12),
)
def test_runs_at_are_the_runs_items_one_run_after_another(
    sizes: list[int], picks: list[int]
) -> None:
    # runs_at(starts, runs): each chosen run's positions in turn, and whose each is.
    starts = run_starts(sizes)
    runs = np.array([p % len(sizes) for p in picks] if sizes else [], np.int64)
    at, whose = runs_at(starts, runs)
    expected = [
        (i, n) for n, r in enumerate(runs.tolist()) for i in range(starts[r], starts[r + 1])
    ]
    assert list(zip(at.tolist(), whose.tolist(), strict=True)) == expected
