"""Records, keys and documents are written atomically (issue 18 §4): a temporary file beside
the target, fsync, rename; a failure leaves the target as it was and nothing else behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

import sps_rules
from sps_rules.model.io import write_atomic
from sps_rules.cli import main

from .conftest import ROOT

FACTS = ROOT / "examples" / "roskilde-citizen.json"


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def fail_on(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, name, broken)


@pytest.mark.parametrize("step", ["fsync", "replace", "fchmod"])
def test_a_failed_record_write_leaves_the_old_record_and_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    target = tmp_path / "record.json"
    target.write_text("the record from yesterday\n", encoding="utf-8")
    fail_on(monkeypatch, step)
    code, _, err = cli("evaluate", "roskilde", str(FACTS), "--record", str(target))
    monkeypatch.undo()
    assert code == 2 and "No space left on device" in err and err.count("\n") == 1
    assert target.read_text(encoding="utf-8") == "the record from yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]


def test_a_record_is_complete_when_it_appears_and_only_its_owner_reads_it(tmp_path: Path) -> None:
    target = tmp_path / "record.json"
    seen: list[bytes] = []
    real_replace = os.replace

    def watching(src: str, dst: str) -> None:
        seen.append(Path(src).read_bytes())  # the temporary file is complete before the rename
        assert Path(src).parent == target.parent and not target.exists()
        real_replace(src, dst)

    os.replace = watching  # type: ignore[assignment]
    try:
        sps_rules.record("roskilde", FACTS).write(target)
    finally:
        os.replace = real_replace
    assert seen == [target.read_bytes()]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sps_rules.replay(target).reproduced


def test_docs_output_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "roskilde.html"
    target.write_text("old document", encoding="utf-8")
    fail_on(monkeypatch, "fsync")
    code, _, err = cli("docs", "roskilde", "-o", str(target))
    monkeypatch.undo()
    assert code == 2 and "cannot write" in err
    assert target.read_text(encoding="utf-8") == "old document"
    assert [p.name for p in tmp_path.iterdir()] == ["roskilde.html"]
    code, _, err = cli("docs", "roskilde", "-o", str(target))
    assert code == 0, err
    assert target.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html>")


def test_docs_never_overwrites_the_rule_file_it_documents(tmp_path: Path) -> None:
    rule_file = tmp_path / "roskilde-2020-01.yaml"
    original = (ROOT / "rules" / "roskilde" / "roskilde-2020-01.yaml").read_bytes()
    rule_file.write_bytes(original)
    code, _, err = cli("docs", str(rule_file), "-o", str(rule_file))
    assert code == 2
    assert rule_file.read_bytes() == original


def test_evaluate_never_writes_the_record_over_its_facts(tmp_path: Path) -> None:
    facts = tmp_path / "f.json"
    facts.write_bytes(FACTS.read_bytes())
    (tmp_path / "link.json").symlink_to(facts)
    for target in (facts, tmp_path / "link.json", tmp_path / "." / "f.json"):
        code, _, err = cli("evaluate", "roskilde", str(facts), "--record", str(target))
        assert code == 2 and "would overwrite the facts file" in err
    assert facts.read_bytes() == FACTS.read_bytes()


def test_write_atomic_without_replace_never_touches_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "key"
    target.write_bytes(b"old")
    with pytest.raises(sps_rules.SpsRulesError, match="never overwritten"):
        write_atomic(target, b"new", replace=False)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["key"]
