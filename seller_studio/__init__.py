"""Seller Studio: capture, compose, stream and run a live-shopping show."""

import os

# numpy's OpenBLAS starts a worker thread per core that spins after any BLAS call; the studio never
# multiplies matrices big enough to gain from it, and on a 2-core laptop the spinning cost about 1 %
# of a core while live. Set before anything imports numpy (a seller's own setting wins).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from seller_studio._version import __version__  # noqa: E402

__all__ = ["__version__"]
