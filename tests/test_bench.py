"""``sps-rules bench`` measures what it says: the same citizens through our engines and through
durable-rules alone (the peer and the two C-module floors). Figures are printed, never asserted."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

import sps_rules
from sps_rules.cli import main
from sps_rules.run.bench import _eligibility_rules, run


def test_the_peer_and_the_floors_answer_eligibility_and_exclusions_only() -> None:
    ruleset = sps_rules.load_ruleset("gentofte")
    kept = _eligibility_rules(ruleset)
    rules = {r.index: r.loaded.rule for r in ruleset.rules}
    assert kept, "the criteria are there"
    # two probes per rule (true and false), each named by its position among all the rules' probes
    names = ruleset.compiled._probe_names
    for name in kept:
        rule = rules[names.index(name) // 2]
        assert rule.criterion is not None or (rule.request is not None and rule.request.status == "excluded")
    assert len(kept) < len(json.loads(ruleset.compiled.definition_json)), "and nothing else"


# durable-rules' own Host (the peer) calls datetime.utcfromtimestamp, deprecated from Python 3.12
@pytest.mark.filterwarnings("ignore:datetime.datetime.utcfromtimestamp:DeprecationWarning")
def test_bench_reports_every_figure_for_a_small_population() -> None:
    result = run("gentofte", 200, rounds=1)
    figures = {k: v for k, v in vars(result).items() if isinstance(v, float)}
    assert all(math.isfinite(v) and v > 0 for v in figures.values()), figures
    assert math.isclose(result.peer_ratio, result.mean_us / result.peer_us)
    out = CliRunner().invoke(main, ["bench", "-m", "gentofte", "--n", "200", "--format", "json"])
    assert out.exit_code == 0, out.stderr
    assert {"peer_us", "floor_mean_us", "eligibility_floor_us", "line_bytes"} <= set(json.loads(out.stdout))
