"""sitegen.sparse: scipy.sparse without numpy's unused submodules, numpy left as it was."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import numpy
names = list(numpy.__all__)
from sitegen.sparse import sp
assert sp.csr_matrix is sys.modules["scipy.sparse"].csr_matrix
assert list(numpy.__all__) == names and "f2py" in dir(numpy)
print(sorted(m for m in ("numpy.f2py", "numpy.testing", "numpy.ma") if m in sys.modules))
"""


def test_scipy_sparse_loads_without_numpys_unused_submodules() -> None:
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
