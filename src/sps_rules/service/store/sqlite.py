"""The decision log in one SQLite file (Python's own sqlite3, WAL mode, synchronous=FULL).

Appends run in ``BEGIN IMMEDIATE`` transactions, so the chain stays in order even with more
than one writing process; appends that arrive together share one transaction and one fsync.
Triggers refuse UPDATE and DELETE, so the file is append-only for anyone using SQL (someone
editing the file's bytes is caught by ``check_chain``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from .base import GENESIS, Entry, StoreError, entry_hash

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decision_log (
    id INTEGER PRIMARY KEY,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    record_json TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS decision_log_no_update BEFORE UPDATE ON decision_log
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS decision_log_no_delete BEFORE DELETE ON decision_log
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
"""


class _Ticket:
    """One record waiting to be written, and what became of it."""

    __slots__ = ("done", "entry", "error", "record_json")

    def __init__(self, record_json: str):
        self.record_json = record_json
        self.done = False
        self.entry: Entry | None = None
        self.error: StoreError | None = None


class SQLiteStore:
    """A ``RecordStore`` in an SQLite file; safe to share between threads."""

    def __init__(self, path: Path | str, *, readonly: bool = False):
        self.path = Path(path)
        self._lock = threading.Lock()  # one writer (and one reader) of the connection at a time
        self._queue_lock = threading.Lock()
        self._queue: list[_Ticket] = []
        try:
            if readonly:
                if not self.path.is_file():
                    raise StoreError(f"{self.path}: no such decision log")
                self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False,
                                           isolation_level=None)
            else:
                self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.executescript(_SCHEMA)
            self._db.execute("SELECT count(*) FROM decision_log").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a decision log ({exc})") from None

    def append(self, record_json: str) -> Entry:
        """Append one record; concurrent appends share one transaction and one fsync (group commit).

        Each caller queues its record, then takes the write lock: whoever holds it writes every
        record queued so far, in queue order, and commits once. A caller whose record was written
        by another returns at once. Every caller returns only after its record is on disk.
        """
        ticket = _Ticket(record_json)
        with self._queue_lock:
            self._queue.append(ticket)
        with self._lock:
            if not ticket.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._write(batch)
        if ticket.error is not None:
            raise ticket.error
        assert ticket.entry is not None
        return ticket.entry

    def _write(self, batch: list[_Ticket]) -> None:
        entries: list[Entry] = []
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT id, entry_hash FROM decision_log ORDER BY id DESC LIMIT 1").fetchone()
                entry_id, prev = (row[0], row[1]) if row else (0, GENESIS)
                for ticket in batch:
                    entry_id += 1
                    digest = entry_hash(entry_id, prev, ticket.record_json)
                    entries.append(Entry(entry_id, prev, digest, ticket.record_json))
                    prev = digest
                self._db.executemany("INSERT INTO decision_log (id, prev_hash, entry_hash, record_json) VALUES (?, ?, ?, ?)",
                                     [(e.id, e.prev_hash, e.entry_hash, e.record_json) for e in entries])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            error = StoreError(f"{self.path}: cannot append to the decision log ({exc})")
            for ticket in batch:
                ticket.error, ticket.done = error, True
            return
        for ticket, entry in zip(batch, entries, strict=True):
            ticket.entry, ticket.done = entry, True

    def get(self, entry_id: int) -> Entry | None:
        with self._lock:
            try:
                row = self._db.execute("SELECT id, prev_hash, entry_hash, record_json FROM decision_log WHERE id = ?",
                                       (entry_id,)).fetchone()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot read the decision log ({exc})") from None
        return Entry(*row) if row else None

    def entries(self) -> Iterator[Entry]:
        """Every entry in id order, read in pages so a large log is never all in memory."""
        after = 0
        while True:
            with self._lock:
                try:
                    rows = self._db.execute(
                        "SELECT id, prev_hash, entry_hash, record_json FROM decision_log WHERE id > ? ORDER BY id LIMIT 500",
                        (after,)).fetchall()
                except sqlite3.Error as exc:
                    raise StoreError(f"{self.path}: cannot read the decision log ({exc})") from None
            if not rows:
                return
            for row in rows:
                yield Entry(*row)
            after = rows[-1][0]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM decision_log").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
