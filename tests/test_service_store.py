"""The decision log: append-only, hash-chained; any deleted, edited or reordered entry is found;
``sps-rules log verify`` and ``log export``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sps_rules
from sps_rules.cli import main
from sps_rules.model.canonical import canonical_json
from sps_rules.service.logbook import export, verify
from sps_rules.service.store import GENESIS, Entry, SQLiteStore, StoreError, check_chain, entry_hash

from .conftest import ROOT

EXAMPLE = json.loads((ROOT / "examples" / "roskilde-citizen.json").read_text(encoding="utf-8"))


def records(n: int) -> list[str]:
    out = []
    for i in range(n):
        facts = {**EXAMPLE, "support_need_level": i % 5}
        out.append(sps_rules.record("roskilde", facts).to_json())
    return out


@pytest.fixture(scope="module")
def five() -> list[str]:
    return records(5)


def filled(path: Path, items: list[str]) -> Path:
    store = SQLiteStore(path)
    for item in items:
        store.append(item)
    store.close()
    return path


def tamper(path: Path, *statements: str) -> None:
    """What someone with write access to the file could do: drop the triggers and change rows."""
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER decision_log_no_update")
        db.execute("DROP TRIGGER decision_log_no_delete")
        for statement in statements:
            db.execute(statement)


def test_entries_chain_from_genesis(tmp_path: Path, five: list[str]) -> None:
    store = SQLiteStore(filled(tmp_path / "log.db", five))
    entries = list(store.entries())
    assert [e.id for e in entries] == [1, 2, 3, 4, 5] and store.count() == 5
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in zip(entries, entries[1:], strict=False))
    assert store.get(3) == entries[2] and store.get(6) is None
    assert [e.record_json for e in entries] == five
    assert check_chain(store.entries()) == (5, entries[-1].entry_hash, [])
    assert store.path.stat().st_size > 0
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_sql_cannot_update_or_delete(tmp_path: Path, five: list[str]) -> None:
    path = filled(tmp_path / "log.db", five)
    with sqlite3.connect(path) as db:
        for statement in ("UPDATE decision_log SET record_json = '{}' WHERE id = 2", "DELETE FROM decision_log WHERE id = 5"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)


@pytest.mark.parametrize("statements, finding", [
    (["DELETE FROM decision_log WHERE id = 3"], "missing or reordered"),
    (["UPDATE decision_log SET record_json = replace(record_json, '\"support_need_level\": 1', '\"support_need_level\": 4') "
      "WHERE id = 2"],
     "content does not match its hash"),
    (["UPDATE decision_log SET id = 99 WHERE id = 2", "UPDATE decision_log SET id = 2 WHERE id = 4",
      "UPDATE decision_log SET id = 4 WHERE id = 99"], "prev_hash is not the hash"),
    (["UPDATE decision_log SET entry_hash = 'x' || substr(entry_hash, 2) WHERE id = 1"], "was edited"),
], ids=["deleted", "edited", "reordered", "hash-edited"])
def test_tampering_is_found(tmp_path: Path, five: list[str], statements: list[str], finding: str) -> None:
    path = filled(tmp_path / "log.db", five)
    tamper(path, *statements)
    result = verify(path, sample=0)
    assert not result.ok
    assert any(finding in str(problem) for problem in result.chain), result.chain


def test_a_rehashed_edit_is_still_found_by_the_chain_after_it(tmp_path: Path, five: list[str]) -> None:
    """Editing a record and fixing its own entry hash breaks the next entry's prev_hash."""
    path = filled(tmp_path / "log.db", five)
    store = SQLiteStore(path)
    old = store.get(2)
    store.close()
    assert old is not None
    edited = old.record_json.replace('"support_need_level": 1', '"support_need_level": 4')
    assert edited != old.record_json
    tamper(path, f"UPDATE decision_log SET record_json = {_sql(edited)}, "
                 f"entry_hash = '{entry_hash(2, old.prev_hash, edited)}' WHERE id = 2")
    problems = verify(path, sample=0).chain
    assert [p.entry_id for p in problems] == [3]
    # and the replay of the edited record itself says it was altered
    result = verify(path, sample=None)
    assert any(finding.startswith("entry 2:") and "altered" in finding for finding in result.not_reproduced)


def _sql(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(n=st.integers(1, 8), data=st.data())
def test_any_single_change_to_any_entry_breaks_the_chain(n: int, data: st.DataObject) -> None:
    entries: list[Entry] = []
    prev = GENESIS
    for i in range(1, n + 1):
        text = json.dumps({"n": i})
        digest = entry_hash(i, prev, text)
        entries.append(Entry(i, prev, digest, text))
        prev = digest
    assert check_chain(iter(entries))[2] == []
    victim = data.draw(st.integers(0, n - 1))
    kind = data.draw(st.sampled_from(["delete", "edit", "swap", "id"]))
    changed = list(entries)
    if kind == "delete":
        del changed[victim]
        if not changed or victim == n - 1:  # removing the newest entry leaves a valid chain: the head hash shows it
            assert check_chain(iter(changed))[1] != entries[-1].entry_hash
            return
    elif kind == "edit":
        e = changed[victim]
        changed[victim] = Entry(e.id, e.prev_hash, e.entry_hash, e.record_json + " ")
    elif kind == "swap":
        other = data.draw(st.integers(0, n - 1).filter(lambda i: i != victim)) if n > 1 else victim
        if other == victim:
            return
        changed[victim], changed[other] = changed[other], changed[victim]
    else:
        e = changed[victim]
        changed[victim] = Entry(e.id + n, e.prev_hash, e.entry_hash, e.record_json)
    assert check_chain(iter(changed))[2], kind


def test_not_a_log(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a decision log"):
        SQLiteStore(junk)
    with pytest.raises(StoreError, match="no such decision log"):
        SQLiteStore(tmp_path / "missing.db", readonly=True)


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_log_verify_command(tmp_path: Path, five: list[str]) -> None:
    path = filled(tmp_path / "log.db", five)
    code, out, _ = cli("log", "verify", str(path), "--all")
    assert code == 0, out
    assert "OK: 5 entries, chain intact, 5 replayed, 0 not reproduced" in out
    code, out, _ = cli("log", "verify", str(path), "--sample", "2")
    assert code == 0 and "2 replayed" in out
    tamper(path, "DELETE FROM decision_log WHERE id = 2")
    code, out, _ = cli("log", "verify", str(path), "--sample", "0")
    assert code == 1 and "chain: entry 3" in out and "BROKEN" in out
    code, _, err = cli("log", "verify", str(tmp_path / "missing.db"))
    assert code == 2 and "no such decision log" in err


def test_log_export_writes_jsonl_atomically_and_never_over_the_log(tmp_path: Path, five: list[str]) -> None:
    path = filled(tmp_path / "log.db", five)
    out = tmp_path / "audit.jsonl"
    code, _, err = cli("log", "export", str(path), "-o", str(out))
    assert code == 0 and "5 records" in err
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [1, 2, 3, 4, 5]
    assert lines[0]["prev_hash"] == GENESIS and lines[1]["prev_hash"] == lines[0]["entry_hash"]
    assert [line["record"] for line in lines] == [json.loads(text) for text in five]
    assert sps_rules.replay(canonical_json(lines[0]["record"])).reproduced
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no temporary file is left"
    before = path.read_bytes()
    code, _, err = cli("log", "export", str(path), "-o", str(path))
    assert code == 2 and "the output is the input file" in err and path.read_bytes() == before
    assert export(path, tmp_path / "again.jsonl") == 5


def test_concurrent_appends_form_one_unbroken_chain(tmp_path: Path) -> None:
    import threading

    store = SQLiteStore(tmp_path / "log.db")
    got: list[int] = []
    lock = threading.Lock()

    def writer(k: int) -> None:
        for i in range(40):
            entry = store.append(json.dumps({"writer": k, "i": i}))
            with lock:
                got.append(entry.id)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(got) == list(range(1, 321)), "each append got its own place"
    count, _, problems = check_chain(store.entries())
    assert count == 320 and problems == []
    by_writer: dict[int, list[int]] = {}
    for entry in store.entries():
        data = json.loads(entry.record_json)
        by_writer.setdefault(data["writer"], []).append(data["i"])
    assert all(items == list(range(40)) for items in by_writer.values()), "each writer's records keep their order"
    store.close()


def test_log_commands_work_without_the_server_extra(tmp_path: Path, five: list[str]) -> None:
    import subprocess
    import sys

    path = filled(tmp_path / "log.db", five[:2])
    script = ("import sys\n"
              "for name in ('fastapi', 'starlette', 'uvicorn'):\n"
              "    sys.modules[name] = None  # as if sps-rules[server] were not installed\n"
              "from sps_rules.cli import main\n"
              "main(['log', 'verify', sys.argv[1], '--all'])\n")
    result = subprocess.run([sys.executable, "-c", script, str(path)], check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "OK: 2 entries, chain intact, 2 replayed" in result.stdout
