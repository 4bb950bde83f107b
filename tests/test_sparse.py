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


LAZY = """
import sys
from sitegen.discover import base_found
from sitegen.catalog import Paper
texts = [("Sparse attention for long documents", "We propose sparse attention (SA) for long "
          "documents. Sparse attention cuts the cost of long documents."),
         ("Graph neural networks on molecules", "Graph neural networks (GNNs) read molecules "
          "as graphs; graph neural networks learn molecule properties.")]
papers = [Paper(f"p{i}", t, a, "", "t", ("t",), (), (), (), "", {}, f"papers/t/p{i}.md")
          for i, (t, a) in enumerate(texts)]
table, counts, later = base_found(papers, {"p0"})  # p1 after the base: its candidates too
assert counts.papers == 1 and len(counts.keys) > 0 and len(later) == 1
print("scipy.sparse" in sys.modules)
from sitegen.sparse import sp
assert sp.csr_matrix is sys.modules["scipy.sparse"].csr_matrix
print("scipy.sparse" in sys.modules, sp.csr_matrix((2, 2)).shape)
try:
    sp.no_such_name
except AttributeError:
    print("refused")
"""


def test_scipy_sparse_loads_on_first_use_and_the_candidates_need_none() -> None:
    # A build's side copy finds the key-term candidates while discovery's process loads
    # scipy.sparse (sitegen.build.build_project forks before it): with numpy alone.
    run = subprocess.run([sys.executable, "-c", LAZY], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:3] == ["False", "True (2, 2)", "refused"]
