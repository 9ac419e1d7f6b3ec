"""The workbench's markers and the service behind them: the quick pass of /v1/validate, the strict
reading of the workbench's request bodies, and rule files saved while the service runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("fastapi")  # the [server] extra, as for the service's own tests

from fastapi.testclient import TestClient  # noqa: E402

from sps_rules.authoring.validate import draft_findings, validate  # noqa: E402
from sps_rules.service import Settings, create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ROSKILDE = "roskilde-2020-01.yaml"
INTERPRETATION = '''    interpretation: >-
      "over 18 år" læses som fyldt 18 år (alder i hele år på vurderingsdagen), som i servicelovens
      afgrænsning til voksne.
'''
LESS_INTRUSIVE_QUOTE = '''      quote: >-
        ikke kan få afhjulpet dit støttebehov på anden og mindre indgribende måde - fx i Roskilde
        Kommunes åbne tilbud
'''
#: What only the population run finds (reachability, contradictions, the two engines' cross-check).
POPULATION_WORDS = ("never applies", "contradictory conclusions", "the two engines disagree", "not cross-checked")


@pytest.fixture
def client(rules: Path) -> TestClient:
    return TestClient(create_app(Settings(rules_dir=rules)))


def released(rules: Path) -> str:
    return (rules / "roskilde" / ROSKILDE).read_text(encoding="utf-8")


BROKEN = {
    "schema": lambda t: t.replace("override: true", "override: truex", 1),
    "meaning": lambda t: t.replace("fact: age\n", "fact: agee\n", 1),
    "quote": lambda t: t.replace("quote: er over 18 år og bosiddende", "quote: er over 19 år og bosiddende", 1),
    "two at once": lambda t: t.replace("fact: age\n", "fact: agee\n", 1).replace("equals: roskilde", "equals: 7", 1),
    "threshold without interpretation": lambda t: t.replace(INTERPRETATION, "", 1),
    "uncited sentence": lambda t: t.replace(LESS_INTRUSIVE_QUOTE, "      quote: er over 18 år og bosiddende i Roskilde Kommune\n", 1),
    "unreachable rule": lambda t: t.replace("at_least: 18", "at_least: 150", 1),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_the_quick_pass_reports_what_the_full_one_does_but_the_population_run(rules: Path, kind: str) -> None:
    text = BROKEN[kind](released(rules))
    path = rules / "roskilde" / ROSKILDE
    quick = [str(f) for f in draft_findings(text, path, root=rules, checks="quick")]
    full = [str(f) for f in draft_findings(text, path, root=rules, checks="full")]
    assert full[: len(quick)] == quick  # the same findings, worded alike, listed first
    assert all(any(w in f for w in POPULATION_WORDS) for f in full[len(quick):])
    assert not any(w in f for f in quick for w in POPULATION_WORDS)
    path.write_text(text, encoding="utf-8")
    assert set(full) <= {str(f) for f in validate(path)}  # as `sps-rules validate` words them
    if kind == "unreachable rule":
        assert quick == [] and len(full) == 1 and "'target.age' never applies" in full[0]
    elif kind == "two at once":
        assert len(quick) == 2
    else:
        assert len(quick) == 1


def test_the_service_answers_either_pass_with_the_same_messages(client: TestClient, rules: Path) -> None:
    body = {"ruleset": "roskilde", "filename": "roskilde-kladde.yaml", "text": BROKEN["meaning"](released(rules))}
    quick = client.post("/v1/validate", json={**body, "checks": "quick"})
    full = client.post("/v1/validate", json=body)
    assert quick.status_code == full.status_code == 200
    assert quick.json()["checks"] == "quick" and full.json()["checks"] == "full"
    assert quick.json()["findings"] == full.json()["findings"]
    assert quick.json()["findings"][0]["file"] == "roskilde/roskilde-kladde.yaml" and quick.json()["ok"] is False
    unreachable = {**body, "text": BROKEN["unreachable rule"](released(rules))}
    assert client.post("/v1/validate", json={**unreachable, "checks": "quick"}).json() == {"ok": True, "checks": "quick", "findings": []}
    assert client.post("/v1/validate", json={**unreachable, "checks": "full"}).json()["ok"] is False


def test_checks_takes_only_quick_or_full(client: TestClient, rules: Path) -> None:
    body = {"ruleset": "roskilde", "filename": "roskilde-kladde.yaml", "text": released(rules)}
    for wrong in ("fast", 1, None, ["quick"]):
        response = client.post("/v1/validate", json={**body, "checks": wrong})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "checks"


def test_the_quick_pass_is_in_the_openapi_document(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["ValidateInInput"]["properties"]["checks"]["enum"] == ["quick", "full"]
    assert "checks" in schemas["ValidateOut"]["properties"]


# --- the workbench's bodies: the service's strict, value-free reading ---------------------------------

CPR = "0101901234"
FACTS = {"assessment_date": "2026-03-02", "birth_date": "1990-01-01", "resident_municipality": "roskilde"}
ENDPOINTS = ["sources", "try", "test", "cases", "effect", "save"]


def body_for(endpoint: str, rules: Path) -> dict[str, object]:
    body: dict[str, object] = {"ruleset": "roskilde", "name": "roskilde-kladde.yaml", "text": released(rules)}
    if endpoint in ("try", "cases"):
        body["facts"] = FACTS
    if endpoint == "cases":
        body["case_name"] = "Borger fra testen"
    return body


def post_raw(client: TestClient, path: str, raw: bytes) -> tuple[int, dict[str, object], str]:
    response = client.post(path, content=raw, headers={"content-type": "application/json"})
    return response.status_code, response.json(), response.headers["content-type"]


def _validate_body(rules: Path) -> dict[str, object]:
    return {"ruleset": "roskilde", "filename": "roskilde-kladde.yaml", "text": released(rules)}


Spoil = Callable[[dict[str, object]], dict[str, object]]
BAD: dict[str, tuple[Spoil, str]] = {
    # a value of the wrong JSON type (a personal value where text belongs must never come back)
    "wrong type": (lambda b: {**b, "ruleset": int(CPR)}, "ruleset"),
    "unknown key": (lambda b: {**b, "cpr": CPR}, "cpr"),
    "text as a list": (lambda b: {**b, "text": [CPR]}, "text"),
    "missing key": (lambda b: {k: v for k, v in b.items() if k != "text"}, "text"),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_workbench_body_is_the_same_422_as_elsewhere(client: TestClient, rules: Path, endpoint: str, kind: str) -> None:
    spoil, field = BAD[kind]
    status, problem, media = post_raw(client, f"/v1/workbench/{endpoint}", json.dumps(spoil(body_for(endpoint, rules))).encode())
    v_status, v_problem, _ = post_raw(client, "/v1/validate", json.dumps(spoil(_validate_body(rules))).encode())
    assert (status, media) == (422, "application/problem+json")
    assert (problem["type"], problem["title"]) == (v_problem["type"], v_problem["title"]) and v_status == 422
    errors = problem["errors"]
    assert isinstance(errors, list) and errors[0]["field"] == field
    assert CPR not in json.dumps(problem)
    assert not list((rules / "roskilde").glob("roskilde-kladde.yaml"))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_duplicate_key_is_refused_as_elsewhere(client: TestClient, rules: Path, endpoint: str) -> None:
    raw = b'{"ruleset": "roskilde", "ruleset": "' + CPR.encode() + b'", "name": "x.yaml", "text": ""}'
    status, problem, media = post_raw(client, f"/v1/workbench/{endpoint}", raw)
    v_status, v_problem, _ = post_raw(client, "/v1/validate", raw)
    assert (status, problem["type"], media) == (v_status, v_problem["type"], "application/problem+json")
    assert status in (400, 422) and "duplicate" in str(problem["detail"]).lower()
    assert CPR not in str(problem)


@pytest.mark.parametrize("endpoint", ["try", "cases"])
def test_facts_are_read_as_strictly_as_for_evaluate(client: TestClient, rules: Path, endpoint: str) -> None:
    facts = {**FACTS, "birth_date": 19900101}  # a number where a date belongs
    body = {**body_for(endpoint, rules), "facts": facts}
    response = client.post(f"/v1/workbench/{endpoint}", json=body)
    elsewhere = client.post("/v1/rulesets/roskilde/evaluate", json=facts)
    assert response.status_code == elsewhere.status_code == 422
    assert response.json()["type"] == elsewhere.json()["type"]
    assert "birth_date" in response.json()["detail"] and "19900101" not in response.text
    assert not (rules / "roskilde" / "tests" / "workbench.yaml").exists()


def test_a_body_that_is_not_an_object_is_refused(client: TestClient) -> None:
    status, problem, _ = post_raw(client, "/v1/workbench/save", b'["roskilde"]')
    assert status == 422 and problem["type"] == post_raw(client, "/v1/validate", b'["roskilde"]')[1]["type"]


# --- files saved while the service runs -----------------------------------------------------------

def later_version(rules: Path) -> str:
    return (released(rules).replace('version: "2020-01"', 'version: "2027-01"')
            .replace("valid_from: 2020-01-01", "valid_from: 2027-01-01").replace("at_least: 18", "at_least: 21"))


def close_released(rules: Path) -> None:
    path = rules / "roskilde" / ROSKILDE
    path.write_text(released(rules).replace("valid_from: 2020-01-01", "valid_from: 2020-01-01\n  valid_to: 2026-12-31"),
                    encoding="utf-8")


def served(client: TestClient) -> list[str]:
    return [f"{r['id']}@{r['version']}" for r in client.get("/v1/rulesets").json()["rulesets"] if r["id"] == "roskilde"]


def test_a_draft_saved_through_the_workbench_is_served_without_a_restart(client: TestClient, rules: Path) -> None:
    later = later_version(rules)
    close_released(rules)
    citizen = {**FACTS, "assessment_date": "2027-03-02", "birth_date": "2006-06-01"}  # 20 years old in 2027
    assert client.post("/v1/rulesets/roskilde/evaluate", json=citizen).status_code == 404  # no version applies yet
    saved = client.post("/v1/workbench/save", json={"ruleset": "roskilde", "name": "roskilde-2027-01.yaml",
                                                      "text": later})
    assert saved.status_code == 201
    assert served(client) == ["roskilde@2020-01", "roskilde@2027-01"]
    decision = client.post("/v1/rulesets/roskilde/evaluate", json=citizen)
    assert decision.status_code == 200 and decision.headers["SPS-Ruleset-Version"] == "2027-01"
    assert {c["id"]: c["status"] for c in decision.json()["criteria"]}["target.age"] == "not_met"
    earlier = client.post("/v1/rulesets/roskilde/evaluate", json={**citizen, "assessment_date": "2026-12-01"})
    assert earlier.headers["SPS-Ruleset-Version"] == "2020-01"
    pinned = client.post("/v1/rulesets/roskilde/evaluate?version=2027-01", json=citizen)
    assert pinned.status_code == 200 and pinned.headers["SPS-Ruleset-Version"] == "2027-01"


def test_a_file_changed_or_removed_on_disk_is_served_as_it_now_is(client: TestClient, rules: Path) -> None:
    citizen = {**FACTS, "birth_date": "2006-06-01"}  # 19 years old on 2026-03-02
    first = client.post("/v1/rulesets/roskilde/evaluate", json=citizen)
    assert {c["id"]: c["status"] for c in first.json()["criteria"]}["target.age"] == "met"
    path = rules / "roskilde" / ROSKILDE
    later = later_version(rules)
    path.write_text(released(rules).replace("at_least: 18", "at_least: 21"), encoding="utf-8")
    changed = client.post("/v1/rulesets/roskilde/evaluate", json=citizen)
    assert {c["id"]: c["status"] for c in changed.json()["criteria"]}["target.age"] == "not_met"
    assert changed.headers["SPS-Ruleset-Sha256"] != first.headers["SPS-Ruleset-Sha256"]
    close_released(rules)
    (rules / "roskilde" / "roskilde-2027-01.yaml").write_text(later, encoding="utf-8")
    assert served(client) == ["roskilde@2020-01", "roskilde@2027-01"]
    (rules / "roskilde" / "roskilde-2027-01.yaml").unlink()
    assert served(client) == ["roskilde@2020-01"]
    path.write_text("ruleset: {}\n", encoding="utf-8")  # a broken file: that rule set is unavailable, the rest served
    assert client.post("/v1/rulesets/roskilde/evaluate", json=citizen).status_code == 503
    assert client.post("/v1/rulesets/gentofte/evaluate", json=citizen).status_code == 200


def test_a_running_server_serves_a_draft_saved_through_the_workbench(rules: Path, tmp_path: Path) -> None:
    """The same with a real ``sps-rules serve`` process: save, then list and evaluate, no restart."""
    import httpx

    from tests.service_process import serving

    text = (rules / "gentofte" / "gentofte-2022-01.yaml").read_text(encoding="utf-8")
    later = text.replace('version: "2022-01"', 'version: "2030-01"').replace("valid_from: 2022-01-01", "valid_from: 2030-01-01")
    citizen = {**FACTS, "assessment_date": "2030-02-03", "resident_municipality": "gentofte"}
    with serving(["--rules", str(rules)], tmp_path / "server.log") as server:
        before = httpx.post(f"{server.url}/v1/rulesets/gentofte/evaluate", json=citizen, timeout=30)
        assert before.headers["SPS-Ruleset-Version"] == "2022-01"
        saved = httpx.post(f"{server.url}/v1/workbench/save", timeout=30,
                           json={"ruleset": "gentofte", "name": "gentofte-2030-01.yaml", "text": later})
        assert saved.status_code == 201, saved.text
        listed = httpx.get(f"{server.url}/v1/rulesets", timeout=30).json()["rulesets"]
        assert [r["version"] for r in listed if r["id"] == "gentofte"] == ["2014-06", "2022-01", "2030-01"]
        after = httpx.post(f"{server.url}/v1/rulesets/gentofte/evaluate", json=citizen, timeout=30)
        assert after.status_code == 200 and after.headers["SPS-Ruleset-Version"] == "2030-01"
        earlier = httpx.post(f"{server.url}/v1/rulesets/gentofte/evaluate", json={**citizen, "assessment_date": "2029-12-31"},
                             timeout=30)
        assert earlier.headers["SPS-Ruleset-Version"] == "2022-01"  # the saved version ends the one before it
