"""sitegen.arrays: numpy helpers, each equal to the numpy call it stands for."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen.arrays import distinct, percentile


@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=60))
def test_distinct_is_np_unique(values: list[int]) -> None:
    array = np.array(values, np.int64)
    assert np.array_equal(distinct(array), np.unique(array))
    assert distinct(array).dtype == np.unique(array).dtype


def test_distinct_of_a_matrix_is_of_all_its_values() -> None:
    matrix = np.array([[3, -1, 3], [0, 7, -1]])
    assert distinct(matrix).tolist() == np.unique(matrix).tolist() == [-1, 0, 3, 7]


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
