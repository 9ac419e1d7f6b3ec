"""Populations at scale: Dask (LocalCluster, 2 workers), Parquet in and out, and simulate.

Each backend must give exactly what the single-process run gives: the same lines, in the same order.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import sps_rules
from sps_rules.cli import main
from sps_rules.model.errors import SpsRulesError
from sps_rules.model.population import citizens
from sps_rules.run.cluster import Pin, check_pins
from sps_rules.run.formats import DECISION_COLUMNS, decision_row, write_population_parquet
from sps_rules.run.simulate import simulate

pytest.importorskip("distributed")
pq = pytest.importorskip("pyarrow.parquet")

N = 400
BAD_LINE = 37


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[dict[str, object]]]:
    folder = tmp_path_factory.mktemp("population")
    people = list(citizens(N, seed=17))
    jsonl = folder / "people.jsonl"
    with jsonl.open("w", encoding="utf-8") as fh:
        for i, person in enumerate(people, 1):
            fh.write(("{not json" if i == BAD_LINE else json.dumps(person)) + "\n")
    parquet = folder / "people.parquet"
    write_population_parquet(people, parquet)
    return jsonl, parquet, people


def batch(*args: str) -> str:
    result = CliRunner().invoke(main, ["batch", *args, "--no-progress"])
    assert result.exit_code == 0, result.stderr
    return result.stderr


def test_batch_on_a_dask_local_cluster_equals_the_local_run(population: tuple[Path, Path, list[dict[str, object]]],
                                                          tmp_path: Path) -> None:
    jsonl, _, _ = population
    local, on_dask = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    batch("gentofte", str(jsonl), "-o", str(local), "--workers", "2")
    stderr = batch("gentofte", str(jsonl), "-o", str(on_dask), "--dask", "local", "--workers", "2")
    assert local.read_bytes() == on_dask.read_bytes()
    assert f"line {BAD_LINE}:" in stderr
    lines = [json.loads(x)["line"] for x in on_dask.read_text(encoding="utf-8").splitlines()]
    assert lines == [i for i in range(1, N + 1) if i != BAD_LINE]


def test_parquet_population_gives_the_decisions_of_its_json_lines(
        population: tuple[Path, Path, list[dict[str, object]]], tmp_path: Path) -> None:
    _, parquet, people = population
    out = tmp_path / "out.jsonl"
    batch("roskilde", str(parquet), "-o", str(out), "--workers", "1")
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == N
    for row in rows[:: N // 20]:
        expected = sps_rules.evaluate("roskilde", people[row["line"] - 1])
        assert row["decision"] == json.loads(expected.to_json())


def test_parquet_output_flattens_each_decision_beside_its_json(
        population: tuple[Path, Path, list[dict[str, object]]], tmp_path: Path) -> None:
    jsonl, _, _ = population
    out_jsonl, out_parquet = tmp_path / "out.jsonl", tmp_path / "out.parquet"
    batch("roskilde", str(jsonl), "-o", str(out_jsonl), "--workers", "1")
    batch("roskilde", str(jsonl), "-o", str(out_parquet), "--workers", "1")
    table = pq.read_table(out_parquet)
    assert table.column_names == [*DECISION_COLUMNS, "decision"]
    rows = table.to_pylist()
    expected = [json.loads(x) for x in out_jsonl.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == [e["line"] for e in expected]
    for row, item in zip(rows, expected, strict=True):
        assert json.loads(row.pop("decision")) == item["decision"]
        assert row == decision_row(item["line"], item["decision"])
    assert {r["eligibility"] for r in rows} <= {"eligible", "not_eligible", "undetermined"}


def _change(person: dict[str, object]) -> str | None:
    """The eligibility transition of a citizen whose decision differs between the versions, else None."""
    a = sps_rules.load_ruleset_version("gentofte", "2014-06").evaluate(person, check_dates=False)
    b = sps_rules.load_ruleset_version("gentofte", "2022-01").evaluate(person, check_dates=False)
    differs = (a.eligibility != b.eligibility
               or sorted((f.form, f.status) for f in a.support_forms) != sorted((f.form, f.status) for f in b.support_forms)
               or sorted(e.request for e in a.exclusions) != sorted(e.request for e in b.exclusions)
               or sorted(r.to for r in a.referrals) != sorted(r.to for r in b.referrals)
               or sorted((x.kind, str(x.earliest), str(x.due)) for x in a.deadlines)
               != sorted((x.kind, str(x.earliest), str(x.due)) for x in b.deadlines))
    return f"{a.eligibility} → {b.eligibility}" if differs else None


def test_simulate_counts_each_change_as_direct_evaluation_does(
        population: tuple[Path, Path, list[dict[str, object]]]) -> None:
    from sps_rules.run.formats import parquet_lines

    jsonl, parquet, people = population
    changes = [_change(person) for person in people]
    expected: dict[str, int] = {}
    for key in filter(None, changes):
        expected[key] = expected.get(key, 0) + 1
    with jsonl.open(encoding="utf-8") as fh:
        local = simulate("gentofte", "2014-06", "2022-01", fh, workers=2)
    assert local.citizens == N - 1 and local.bad == 1
    assert local.changed == sum(1 for i, c in enumerate(changes, 1) if c and i != BAD_LINE)
    assert sum(local.eligibility.values()) == local.changed
    for key, lines in local.samples.items():
        assert 1 <= len(lines) <= 5 and lines == sorted(lines), key
        assert all(changes[n - 1] == key.split(":")[0] for n in lines), key
    on_dask = simulate("gentofte", "2014-06", "2022-01", parquet_lines(parquet), dask="local", workers=2)
    assert on_dask.citizens == N and on_dask.changed == sum(1 for c in changes if c)
    assert on_dask.eligibility == expected


def test_simulate_command_reports_in_danish_and_as_json(population: tuple[Path, Path, list[dict[str, object]]]) -> None:
    jsonl, _, _ = population
    text = CliRunner().invoke(main, ["simulate", "gentofte", str(jsonl), "--from", "2014-06", "--to", "2022-01",
                                     "--workers", "1"])
    assert text.exit_code == 0, text.stderr
    assert text.stdout.startswith(f"gentofte: 2014-06 → 2022-01 på {N - 1} borgere:")
    assert "1 ugyldige linjer sprunget over" in text.stdout
    data = CliRunner().invoke(main, ["simulate", "gentofte", str(jsonl), "--from", "2014-06", "--to", "2022-01",
                                     "--workers", "1", "--format", "json"])
    assert json.loads(data.stdout)["citizens"] == N - 1


def test_a_worker_with_other_rule_files_refuses_to_evaluate() -> None:
    right = sps_rules.load_ruleset_version("roskilde", "2020-01")
    check_pins((Pin(right.id, right.version, right.sha256),))
    with pytest.raises(SpsRulesError, match="differs from the client's"):
        check_pins((Pin(right.id, right.version, "0" * 64),))


def test_unknown_version_and_bad_scheduler_address_are_clear_errors(
        population: tuple[Path, Path, list[dict[str, object]]], tmp_path: Path) -> None:
    jsonl, _, _ = population
    result = CliRunner().invoke(main, ["simulate", "gentofte", str(jsonl), "--from", "1999-01", "--to", "2022-01"])
    assert result.exit_code == 2 and "no version '1999-01'" in result.stderr
    result = CliRunner().invoke(main, ["batch", "roskilde", str(jsonl), "-o", str(tmp_path / "o.jsonl"),
                                       "--dask", "udp://nowhere", "--no-progress"])
    assert result.exit_code == 2 and "--dask takes 'local' or a scheduler address" in result.stderr
