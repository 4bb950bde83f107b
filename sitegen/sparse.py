"""scipy.sparse for discovery (`from sitegen.sparse import sp`), loaded without the numpy
modules it never uses.

scipy's array-API layer copies numpy's namespace as it loads (`from numpy import *`, then a
getattr of every name numpy lists), and numpy loads a listed submodule on first access:
f2py, testing, ma, random, polynomial and the rest, ~200 modules and 0.1 s of CPU, more than
scipy.sparse itself. While scipy.sparse loads, numpy lists only what it has loaded already;
a module left out still loads the moment anything uses it.

`sp` loads it on first use, not on import: a build's side copy finds the key-term candidates
with numpy alone while discovery's process loads scipy beside it (~0.1 s of the shipped
build's head, which both waited for).
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType

import numpy

LOADING = threading.Lock()  # first reads of `sp` may come from two threads (serve's)


def load_sparse() -> ModuleType:
    """scipy.sparse, imported (once) with numpy's lazy submodules left unlisted."""
    with LOADING:
        if "scipy.sparse" in sys.modules:  # loaded, or being loaded by another thread,
            import scipy.sparse  # whose import this one waits for (numpy left as it is)

            return scipy.sparse
        names, listing = numpy.__all__, numpy.__dir__
        loaded = [name for name in names if name in vars(numpy)]
        numpy.__all__, numpy.__dir__ = loaded, lambda: loaded
        try:
            import scipy.sparse
        finally:
            numpy.__all__, numpy.__dir__ = names, listing
        return scipy.sparse


class LazySparse(ModuleType):
    """scipy.sparse, loaded (load_sparse) when one of its names is first read."""

    def __getattr__(self, name: str) -> object:
        module = load_sparse()
        self.__dict__.update(vars(module))  # later reads find the names here, as in the module
        return getattr(module, name)


sp = LazySparse("scipy.sparse")
