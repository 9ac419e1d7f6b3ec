"""The ``sps-rules`` command line. Exit 0 on success, 2 with a one-line error for bad input.

One module per layer of the package registers its commands on the group in ``base``.
"""

from __future__ import annotations

from . import author, decide, keys, release, run, serve, workbench  # noqa: F401  (each registers its commands)
from .base import main

__all__ = ["main"]

