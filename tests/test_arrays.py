"""sitegen.arrays: numpy helpers, each equal to the numpy call it stands for."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sitegen.arrays import distinct


@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=60))
def test_distinct_is_np_unique(values: list[int]) -> None:
    array = np.array(values, np.int64)
    assert np.array_equal(distinct(array), np.unique(array))
    assert distinct(array).dtype == np.unique(array).dtype


def test_distinct_of_a_matrix_is_of_all_its_values() -> None:
    matrix = np.array([[3, -1, 3], [0, 7, -1]])
    assert distinct(matrix).tolist() == np.unique(matrix).tolist() == [-1, 0, 3, 7]
