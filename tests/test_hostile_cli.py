"""The command line on hostile arguments: no data loss, no traceback, no crash on any encoding."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sps_rules import RuleFileError
from sps_rules.cli import main
from sps_rules.engine.loader import load_file

ROOT = Path(__file__).resolve().parents[1]
ROSKILDE = ROOT / "rules" / "roskilde" / "roskilde-2020-01.yaml"
FACTS = '{"assessment_date": "2026-03-02", "birth_date": "1990-05-01", "resident_municipality": "roskilde"}'


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_evaluate_refuses_a_record_that_is_its_own_input(tmp_path: Path) -> None:
    facts = tmp_path / "f.json"
    facts.write_text(FACTS)
    (tmp_path / "link.json").symlink_to(facts)
    for record in (facts, tmp_path / "link.json"):
        code, _, err = cli("evaluate", "roskilde", str(facts), "--record", str(record))
        assert code == 2 and "would overwrite the facts file" in err
        assert facts.read_text() == FACTS


def test_evaluate_writes_the_record_whole(tmp_path: Path) -> None:
    facts, record = tmp_path / "f.json", tmp_path / "r.json"
    facts.write_text(FACTS)
    code, _, err = cli("evaluate", "roskilde", str(facts), "--record", str(record))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json", "r.json"]
    code, out, _ = cli("replay", str(record))
    assert code == 0 and "reproduced exactly" in out


@pytest.mark.parametrize("n", ["0", "-5"])
def test_diff_refuses_an_empty_or_negative_population(n: str) -> None:
    code, _, err = cli("diff", "roskilde@2020-01", "roskilde@2020-01", "--n", n)
    assert code == 2 and "--n" in err


def test_bench_refuses_a_tiny_population() -> None:
    code, _, err = cli("bench", "--n", "5")
    assert code == 2 and "--n" in err


def test_docs_never_overwrites_the_rule_file(tmp_path: Path) -> None:
    copy = tmp_path / "roskilde-2020-01.yaml"
    code, _, err = cli("docs", str(ROSKILDE), "-o", str(ROSKILDE))
    assert code == 2 and "the output is the input" in err
    code, _, err = cli("docs", "roskilde", "-o", str(copy))
    assert code == 0, err
    assert copy.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_inputs_that_are_not_regular_files_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    for args in (["evaluate", "roskilde", str(fifo)], ["evaluate", "roskilde", "/dev/zero"],
                 ["replay", str(fifo)], ["replay", "/dev/zero"], ["explain", "/dev/zero"],
                 ["compare", "/dev/zero"]):
        code, _, err = cli(*args)
        assert code == 2 and "not a regular file" in err, (args, err)


def test_validate_refuses_a_fifo_rule_file(tmp_path: Path) -> None:
    folder = tmp_path / "rules" / "testkommune"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "testkommune-2024-01.yaml")
    result = CliRunner().invoke(main, ["validate", str(folder / "testkommune-2024-01.yaml")])
    assert result.exit_code == 1 and "INVALID" in result.stdout
    with pytest.raises(RuleFileError, match="not a regular file"):
        load_file(folder / "testkommune-2024-01.yaml")


def test_a_latin1_terminal_gets_output_not_a_traceback(tmp_path: Path) -> None:
    facts = tmp_path / "f.json"
    facts.write_text(FACTS)
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    for args in (["explain", "--facts", str(facts), "--municipality", "roskilde"],
                 ["evaluate", "roskilde", str(facts)], ["list"]):
        done = subprocess.run([sys.executable, "-m", "sps_rules.cli", *args], capture_output=True, env=env,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr.decode("latin-1")
        assert b"Traceback" not in done.stderr
