"""Batch runs: all cores, in order, bad lines reported by number, constant memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import sps_rules
from sps_rules.cli import main
from sps_rules.model.population import citizens


def write_input(path: Path, n: int, bad: dict[int, str]) -> list[dict[str, object]]:
    people = list(citizens(n, seed=5))
    with path.open("w", encoding="utf-8") as fh:
        for i, person in enumerate(people, 1):
            fh.write(bad.get(i, json.dumps(person)) + "\n")
    return people


BAD = {3: "{not json", 7: '{"assessment_date": "2026-03-02", "shoe": 1}', 11: "[1, 2]",
       13: '{"assessment_date": "2026-03-02", "birth_date": "2030-01-01"}', 17: "[" * 5000 + "]" * 5000}


def test_batch_skips_and_reports_every_bad_line_by_number(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    people = write_input(source, 600, BAD)
    result = CliRunner().invoke(main, ["batch", "roskilde", str(source), "-o", str(target), "--workers", "2"])
    assert result.exit_code == 0, result.stderr
    for line in BAD:
        assert f"line {line}:" in result.stderr
    assert "unknown field" in result.stderr and "after assessment_date" in result.stderr
    rows = [json.loads(x) for x in target.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == [i for i in range(1, 601) if i not in BAD]
    for row in rows[:60]:
        expected = sps_rules.evaluate("roskilde", people[row["line"] - 1]).model_dump(mode="json")
        assert row["decision"] == expected
    assert "595 decisions written" in result.stderr and "5 bad line(s) skipped" in result.stderr


def test_batch_can_make_a_bad_line_fatal(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_input(source, 50, {7: "{not json"})
    result = CliRunner().invoke(main, ["batch", "roskilde", str(source), "-o", str(target), "--on-error", "fail"])
    assert result.exit_code == 2 and "stopped at line 7: invalid JSON" in result.stderr


def test_batch_unknown_municipality(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    write_input(source, 5, {})
    result = CliRunner().invoke(main, ["batch", "atlantis", str(source), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "no rule set 'atlantis'" in result.stderr


def test_batch_of_100k_citizens_streams_at_flat_memory(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    with source.open("w", encoding="utf-8") as fh:
        for person in citizens(100_000, seed=9):
            fh.write(json.dumps(person) + "\n")
    # a wrapper process of its own, so that only the batch and its workers count (not earlier children of pytest)
    wrapper = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "sys.stderr.write(done.stderr); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
               "sys.exit(done.returncode)")
    done = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "sps_rules.cli", "batch", "roskilde",
                           str(source), "-o", str(target), "--no-progress"],
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    assert "100000 decisions written" in done.stderr
    peak_mb = int(done.stdout.split()[-1]) / 1024
    # buffering 100k decisions (about 30 kB of JSON each) would need gigabytes
    assert peak_mb < 400, f"peak RSS {peak_mb:.0f} MB"
    with target.open(encoding="utf-8") as fh:
        assert sum(1 for _ in fh) == 100_000


@pytest.mark.parametrize("depth", [100_000])
def test_deeply_nested_facts_are_refused_with_a_line(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * depth + "]" * depth, encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", "roskilde", str(path)])
    assert result.exit_code == 2 and "nested too deeply" in result.stderr


def test_oversize_facts_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text('{"assessment_date": "2026-03-02", "x": "' + "a" * 1_100_000 + '"}', encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", "roskilde", str(path)])
    assert result.exit_code == 2 and "larger than" in result.stderr


def test_import_error_says_how_to_fix_it() -> None:
    code = ("import sys; sys.modules['durable_rules_engine'] = None\n"
            "import sps_rules\n"  # the API is imported on first use: the engine's absence shows there
            "try:\n    sps_rules.evaluate('roskilde', {'assessment_date': '2026-03-02'})\nexcept ImportError as e:\n"
            "    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False).stdout
    assert "pip install durable-rules==2.0.28" in out
    assert "CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject" in out
