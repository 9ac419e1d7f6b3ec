"""The decision log: a ``RecordStore`` Protocol and its SQLite implementation."""

from __future__ import annotations

from .base import GENESIS, ChainProblem, Entry, RecordStore, StoreError, check_chain, entry_hash
from .sqlite import SQLiteStore

__all__ = ["GENESIS", "ChainProblem", "Entry", "RecordStore", "SQLiteStore", "StoreError", "check_chain", "entry_hash"]
