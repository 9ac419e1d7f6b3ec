"""The decision log's interface: an append-only, hash-chained sequence of decision records.

Each entry holds the hash of the entry before it, so a deleted, edited or reordered entry
breaks the chain. The SQLite store is the default; another backend (PostgreSQL) implements
the same Protocol and the service does not change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from ...model.errors import SpsRulesError

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64


class StoreError(SpsRulesError):
    """The decision log cannot be opened, read or written."""


@dataclass(frozen=True)
class Entry:
    """One stored decision record and its place in the chain."""

    id: int
    prev_hash: str
    entry_hash: str
    record_json: str  # the decision record's JSON exactly as stored


def entry_hash(entry_id: int, prev_hash: str, record_json: str) -> str:
    """The hash an entry must carry: over its position, its predecessor's hash and its record."""
    digest = hashlib.sha256()
    digest.update(f"sps-rules decision log\n{entry_id}\n{prev_hash}\n".encode("ascii"))
    digest.update(record_json.encode("utf-8"))
    return digest.hexdigest()


class RecordStore(Protocol):
    """Where the service keeps every decision it makes. Append-only: nothing is updated or deleted."""

    def append(self, record_json: str) -> Entry:
        """Store one record at the end of the chain and return its entry (atomic and durable)."""
        ...

    def get(self, entry_id: int) -> Entry | None:
        """The entry with this id, or None."""
        ...

    def entries(self) -> Iterator[Entry]:
        """Every entry, in chain order."""
        ...

    def count(self) -> int:
        ...

    def close(self) -> None:
        ...


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    message: str

    def __str__(self) -> str:
        return f"entry {self.entry_id}: {self.message}"


def check_chain(entries: Iterator[Entry]) -> tuple[int, str, list[ChainProblem]]:
    """Walk the chain: (entries read, hash of the last entry, problems). Does not replay."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    expected_id = 1
    count = 0
    last = GENESIS
    for entry in entries:
        count += 1
        if entry.id != expected_id:
            problems.append(ChainProblem(entry.id, f"expected entry {expected_id} here: entries are missing or reordered"))
        if entry.prev_hash != expected_prev:
            problems.append(ChainProblem(entry.id, "its prev_hash is not the hash of the entry before it: "
                                                   "an entry before it was deleted, edited or moved"))
        if entry_hash(entry.id, entry.prev_hash, entry.record_json) != entry.entry_hash:
            problems.append(ChainProblem(entry.id, "its content does not match its hash: the entry was edited"))
        expected_prev = entry.entry_hash
        expected_id = entry.id + 1
        last = entry.entry_hash
    return count, last, problems
