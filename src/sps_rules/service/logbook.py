"""Checking and exporting a decision log (``sps-rules log verify`` and ``log export``)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..audit.records import read_record, replay
from ..model.errors import RecordError
from ..model.io import atomic_output, check_output
from .store import ChainProblem, SQLiteStore, check_chain


@dataclass
class Verification:
    entries: int
    head: str  # the hash of the last entry: note it down, so a later truncation is detected too
    chain: list[ChainProblem] = field(default_factory=list)
    replayed: int = 0
    not_reproduced: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.chain and not self.not_reproduced


def verify(path: Path | str, *, sample: int | None = 100, seed: int = 85, root: Path | None = None,
           progress: Callable[[int], None] | None = None) -> Verification:
    """Check the whole chain, then replay ``sample`` records chosen at random (all when ``sample`` is None)."""
    store = SQLiteStore(path, readonly=True)
    try:
        count, head, problems = check_chain(store.entries())
        result = Verification(count, head, problems)
        ids = list(range(1, count + 1))
        chosen = ids if sample is None or sample >= count else sorted(random.Random(seed).sample(ids, sample))
        for number, entry_id in enumerate(chosen, 1):
            entry = store.get(entry_id)
            if entry is None:
                result.not_reproduced.append(f"entry {entry_id}: missing")
                continue
            try:
                outcome = replay(read_record(entry.record_json.encode("utf-8")), root=root)
            except RecordError as exc:
                result.not_reproduced.append(f"entry {entry_id}: {exc}")
                continue
            result.replayed += 1
            if not outcome.reproduced:
                result.not_reproduced.append(f"entry {entry_id}: " + outcome.report().replace("\n", "; "))
            if progress is not None:
                progress(number)
        return result
    finally:
        store.close()


def export(path: Path | str, output: Path | str) -> int:
    """Write every entry as one JSON line (id, prev_hash, entry_hash, record) to ``output``, atomically.

    The output never replaces the log itself, and appears only complete.
    """
    check_output(output, path, error=RecordError)
    store = SQLiteStore(path, readonly=True)
    count = 0
    try:
        with atomic_output(output, error=RecordError) as out:
            for entry in store.entries():
                line = {"id": entry.id, "prev_hash": entry.prev_hash, "entry_hash": entry.entry_hash,
                        "record": json.loads(entry.record_json)}
                out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
    finally:
        store.close()
    return count
