"""Batch never loses data: the input is never its own output, a failed run leaves no file,
arguments are checked first, and bad lines are bounded in memory and length."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sps_rules.cli import main
from sps_rules.run.batch import MAX_BAD_KEPT, MAX_LINE_BYTES, run

GOOD = '{"assessment_date": "2026-03-02", "birth_date": "1990-05-01"}\n'


def batch(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["batch", "roskilde", *args, "--no-progress"])
    return result.exit_code, result.stderr


def test_output_that_is_the_input_is_refused_and_the_input_kept(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(GOOD * 3)
    (tmp_path / "soft.jsonl").symlink_to(source)
    os.link(source, tmp_path / "hard.jsonl")
    for output in (source, tmp_path / "soft.jsonl", tmp_path / "hard.jsonl", tmp_path / "." / "in.jsonl"):
        code, err = batch(str(source), "-o", str(output), "--workers", "1")
        assert code == 2 and "the output is the input" in err, err
        assert source.read_text() == GOOD * 3


@pytest.mark.parametrize("args", [["--workers", "0"], ["--workers", "-1"], ["--on-error", "explode"]])
def test_bad_arguments_leave_an_existing_output_untouched(tmp_path: Path, args: list[str]) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(GOOD)
    target.write_text("earlier results\n")
    code, _ = batch(str(source), "-o", str(target), *args)
    assert code == 2
    assert target.read_text() == "earlier results\n"


def test_unknown_municipality_leaves_no_output(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(GOOD)
    result = CliRunner().invoke(main, ["batch", "atlantis", str(source), "-o", str(target)])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == [source]


@pytest.mark.parametrize("progress", ["--progress", "--no-progress"])
def test_missing_or_special_input_is_a_clear_error(tmp_path: Path, progress: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for source, words in ((tmp_path / "missing.jsonl", "cannot read"), (fifo, "not a regular file"),
                          (tmp_path, "not a regular file")):
        result = CliRunner().invoke(main, ["batch", "roskilde", str(source), "-o", str(tmp_path / "o"), progress])
        assert result.exit_code == 2 and words in result.stderr, result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "o").exists()


def test_a_stopped_run_leaves_no_file_under_the_final_name(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(GOOD * 300 + "{broken\n" + GOOD)
    code, err = batch(str(source), "-o", str(target), "--on-error", "fail", "--workers", "1")
    assert code == 2 and "stopped at line 301" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_a_killed_run_leaves_no_file_under_the_final_name(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(GOOD * 20_000)
    process = subprocess.Popen([sys.executable, "-m", "sps_rules.cli", "batch", "roskilde", str(source), "-o",
                                str(target), "--workers", "1", "--no-progress"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(600):  # wait until it has written part of its output (at most 60 s)
            parts = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
            if parts and parts[0].stat().st_size > 0:
                break
            if process.poll() is not None:
                break
            subprocess.run(["sleep", "0.1"], check=True)
        os.killpg(process.pid, 9)
    finally:
        process.wait(timeout=30)
    assert not target.exists()


def test_the_output_appears_complete(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(GOOD * 5)
    target.write_text("old\n")
    code, err = batch(str(source), "-o", str(target), "--workers", "1")
    assert code == 0, err
    assert [json.loads(line)["line"] for line in target.read_text().splitlines()] == [1, 2, 3, 4, 5]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_bad_lines_are_counted_but_only_the_first_kept() -> None:
    source = io.BytesIO(b"{bad\n" * (MAX_BAD_KEPT + 400) + GOOD.encode())
    sink = io.StringIO()
    summary = run("roskilde", source, sink, workers=1)
    assert summary.bad_count == MAX_BAD_KEPT + 400
    assert len(summary.bad) == MAX_BAD_KEPT
    assert summary.written == 1


def test_an_overlong_line_is_bad_without_being_read_whole() -> None:
    class Tracking(io.BytesIO):
        biggest = 0

        def readline(self, size: int | None = -1) -> bytes:
            line = super().readline(size)
            Tracking.biggest = max(Tracking.biggest, len(line))
            return line

    long_line = b'{"assessment_date": "2026-03-02", "x": "' + b"a" * (3 * MAX_LINE_BYTES) + b'"}\n'
    source = Tracking(GOOD.encode() + long_line + GOOD.encode())
    sink = io.StringIO()
    summary = run("roskilde", source, sink, workers=1)
    assert [(b.line, "longer than" in b.error) for b in summary.bad] == [(2, True)]
    assert summary.written == 2
    assert Tracking.biggest <= MAX_LINE_BYTES + 1


def test_hostile_lines_are_bad_lines_not_a_dead_batch(tmp_path: Path) -> None:
    lines = [
        '{"assessment_date": "2026-03-02", "support_need_level": ' + "9" * 5000 + "}",
        '{"assessment_date": "2026-03-02", "assessment_date": "2020-01-01"}',
        '{"assessment_date": "2026-03-02", "support_need_level": NaN}',
        '{"assessment_date": "2026-03-02", "special_social_problems": "yes"}',
        "[" * 100_000 + "]" * 100_000,
    ]
    source = io.BytesIO(("\n".join(lines) + "\n" + GOOD).encode() + b'{"x": "\xff"}\n')
    sink = io.StringIO()
    summary = run("roskilde", source, sink, workers=1)
    assert [b.line for b in summary.bad] == [1, 2, 3, 4, 5, 7]
    assert "UTF-8" in summary.bad[-1].error
    assert summary.written == 1


def test_input_bytes_are_never_replaced_silently(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_bytes(b'{"assessment_date": "2026-03-02", "resident_municipality": "r\xf8skilde"}\n')
    code, err = batch(str(source), "-o", str(target))
    assert code == 0 and "line 1: the line is not UTF-8 text" in err
