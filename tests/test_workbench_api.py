"""The workbench's endpoints (/v1/workbench), in process: sources, try, test, add a case, effect, save."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi")  # the [server] extra, as for the service's own tests

from fastapi.testclient import TestClient  # noqa: E402

from sps_rules.authoring.drafts import DraftError, draft_path  # noqa: E402
from sps_rules.service import Settings, create_app  # noqa: E402
from sps_rules.workbench import mount  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ROSKILDE = "roskilde-2020-01.yaml"


@pytest.fixture
def client(rules: Path) -> TestClient:
    app = create_app(Settings(rules_dir=rules))
    mount(app)
    return TestClient(app)


def released(rules: Path) -> str:
    return (rules / "roskilde" / ROSKILDE).read_text(encoding="utf-8")


def draft(rules: Path, text: str | None = None, name: str = "roskilde-kladde.yaml") -> dict[str, str]:
    return {"ruleset": "roskilde", "name": name, "text": released(rules) if text is None else text}


def new_version(rules: Path) -> str:
    """Roskilde as a later version that raises the age limit to 21 (the released one is closed first)."""
    return (released(rules).replace('version: "2020-01"', 'version: "2027-01"')
            .replace("valid_from: 2020-01-01", "valid_from: 2027-01-01")
            .replace("at_least: 18", "at_least: 21"))


def close_released(rules: Path) -> None:
    path = rules / "roskilde" / ROSKILDE
    path.write_text(released(rules).replace("valid_from: 2020-01-01", "valid_from: 2020-01-01\n  valid_to: 2026-12-31"),
                    encoding="utf-8")


def test_the_page_is_served_at_workbench(client: TestClient) -> None:
    page = client.get("/workbench/")
    assert page.status_code == 200 and '<html lang="da">' in page.text
    assert client.get("/workbench/workbench.js").status_code == 200


def test_every_workbench_endpoint_is_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/workbench/rulesets", "/v1/workbench/sources", "/v1/workbench/try", "/v1/workbench/test",
                 "/v1/workbench/cases", "/v1/workbench/effect", "/v1/workbench/save"):
        assert path in paths


def test_rulesets_lists_version_files_as_released(client: TestClient) -> None:
    listing = {r["ruleset"]: r for r in client.get("/v1/workbench/rulesets").json()}
    assert listing["roskilde"]["files"] == [{"name": ROSKILDE, "released": True, "locked": True}]  # in releases.lock
    assert listing["roskilde"]["cases"] == ["roskilde.yaml"]


def test_a_file_is_read_as_a_draft_and_a_path_outside_is_refused(client: TestClient, rules: Path) -> None:
    assert client.get(f"/v1/workbench/rulesets/roskilde/files/{ROSKILDE}").json()["text"] == released(rules)
    assert client.get("/v1/workbench/rulesets/roskilde/files/..%2F..%2Fpyproject.toml").status_code in (403, 404)
    assert client.get("/v1/workbench/rulesets/Roskilde/files/x.yaml").status_code == 400


def test_sources_split_into_sentences_with_the_rules_citing_them(client: TestClient, rules: Path) -> None:
    data = client.post("/v1/workbench/sources", json=draft(rules)).json()
    sentences = [s for doc in data["documents"] for s in doc["sentences"]]
    citing_age = [s for s in sentences if "target.age" in s["rules"]]
    assert citing_age and "er over 18 år og bosiddende i Roskilde Kommune" in citing_age[0]["text"]
    assert any(s["sentence"] and not s["rules"] and s["relevant"] for s in sentences)  # uncovered sentences exist
    lines = {r["id"]: r["line"] for r in data["rules"]}
    assert released(rules).splitlines()[lines["target.age"] - 1].strip() == "- id: target.age"


def test_an_invalid_draft_gets_its_problems_with_lines(client: TestClient, rules: Path) -> None:
    broken = released(rules).replace("override: true", "override: truex", 1)
    response = client.post("/v1/workbench/sources", json=draft(rules, broken))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [(p["line"], p["column"]) for p in response.json()["problems"]] == [(30, 5)]


def test_trying_a_citizen_gives_the_drafts_decision_and_rule_lines(client: TestClient, rules: Path) -> None:
    facts = {"assessment_date": "2026-03-02", "birth_date": "2009-01-01", "resident_municipality": "roskilde"}
    body = client.post("/v1/workbench/try", json={**draft(rules), "facts": facts}).json()
    assert body["decision"]["eligibility"] == "not_eligible"
    assert "target.age" in body["rule_lines"] and "Borgeren" in body["reasons"]
    older = {**facts, "birth_date": "2006-06-01", "assessment_date": "2027-03-02"}  # 20 years old
    today = client.post("/v1/workbench/try", json={**draft(rules), "facts": older}).json()["decision"]
    stricter = client.post("/v1/workbench/try", json={**draft(rules, new_version(rules)), "facts": older}).json()["decision"]
    assert {c["id"]: c["status"] for c in today["criteria"]}["target.age"] == "met"
    assert {c["id"]: c["status"] for c in stricter["criteria"]}["target.age"] == "not_met"
    assert stricter["ruleset"]["version"] == "2027-01"


def test_bad_facts_are_a_problem_naming_the_field(client: TestClient, rules: Path) -> None:
    response = client.post("/v1/workbench/try", json={**draft(rules), "facts": {"assessment_date": "2026-03-02", "birth_dat": "x"}})
    assert response.status_code == 422 and "birth_dat" in response.json()["detail"]


def test_the_rule_sets_cases_run_against_the_draft_with_coverage(client: TestClient, rules: Path) -> None:
    run = client.post("/v1/workbench/test", json=draft(rules)).json()
    assert run["failed"] == 0 and run["passed"] > 5
    assert run["coverage"]["rules_total"] > len(run["coverage"]["rules_unexercised"])
    broken = client.post("/v1/workbench/test", json=draft(rules, released(rules).replace("at_least: 18", "at_least: 16"))).json()
    assert broken["failed"] >= 1
    assert any("target.age" in f for c in broken["cases"] for f in c["failures"])


def test_a_citizen_is_added_as_a_case_that_then_passes(client: TestClient, rules: Path) -> None:
    facts = {"assessment_date": "2026-03-02", "birth_date": "1990-01-01", "resident_municipality": "koege"}
    added = client.post("/v1/workbench/cases", json={**draft(rules), "facts": facts, "case_name": "Borger i Køge"})
    assert added.status_code == 201
    cases = yaml.safe_load((rules / "roskilde" / "tests" / "workbench.yaml").read_text(encoding="utf-8"))
    assert cases[-1]["name"] == "Borger i Køge" and cases[-1]["expect"]["criteria"]["target.residence"] == "not_met"
    run = client.post("/v1/workbench/test", json=draft(rules)).json()
    assert [c["status"] for c in run["cases"] if c["name"] == "Borger i Køge"] == ["passed"]
    assert not list((rules / "roskilde" / "tests").glob(".*.tmp"))


def test_the_effect_lists_changed_rules_and_citizens(client: TestClient, rules: Path) -> None:
    effect = client.post("/v1/workbench/effect", json=draft(rules, new_version(rules))).json()
    assert effect["old"] == "roskilde@2020-01" and effect["new"] == "roskilde@2027-01"
    assert {"rule_id": "target.age", "change": "changed", "parts": ["when"], "line": 29} in effect["rules"]
    assert effect["changed"] > 0 and effect["citizens"]
    first = effect["citizens"][0]
    assert set(first["differs"]) and first["citizen"] >= 1
    same = client.post("/v1/workbench/effect", json=draft(rules)).json()
    assert same["rules"] == [] and same["changed"] == 0


def test_a_save_lands_as_a_new_file_in_the_folder(client: TestClient, rules: Path) -> None:
    text = new_version(rules)
    close_released(rules)
    response = client.post("/v1/workbench/save", json=draft(rules, text, "roskilde-2027-01.yaml"))
    assert response.status_code == 201, response.text
    assert (rules / "roskilde" / "roskilde-2027-01.yaml").read_text(encoding="utf-8") == text
    assert not list((rules / "roskilde").glob(".*.tmp"))


@pytest.mark.parametrize("name", ["../evil.yaml", "/tmp/evil.yaml", "sub/evil.yaml", "evil.txt", ".hidden.yaml", "..yaml"])
def test_a_save_outside_the_folder_is_refused(client: TestClient, rules: Path, name: str) -> None:
    response = client.post("/v1/workbench/save", json=draft(rules, new_version(rules), name))
    assert response.status_code in (403, 422)
    assert "evil" not in {p.stem for p in rules.rglob("*")}
    assert not (rules.parent / "evil.yaml").exists()


def test_a_save_never_replaces_a_released_version(client: TestClient, rules: Path) -> None:
    before = released(rules)
    over = client.post("/v1/workbench/save", json=draft(rules, new_version(rules), ROSKILDE))
    assert over.status_code == 409 and "frigivet" in over.json()["detail"]
    same_version = client.post("/v1/workbench/save", json=draft(rules, None, "roskilde-kopi.yaml"))
    assert same_version.status_code == 409 and "2020-01" in same_version.json()["detail"]
    same_start = released(rules).replace('version: "2020-01"', 'version: "2020-02"')  # starts the day 2020-01 starts
    overlapping = client.post("/v1/workbench/save", json=draft(rules, same_start, "roskilde-2020-02.yaml"))
    assert overlapping.status_code == 409 and "passer ikke ind" in overlapping.json()["detail"]
    assert released(rules) == before
    assert sorted(p.name for p in (rules / "roskilde").glob("*.yaml")) == [ROSKILDE]


def test_a_version_in_releases_lock_is_not_saved(client: TestClient, rules: Path) -> None:
    text = new_version(rules)
    close_released(rules)
    (rules / "roskilde" / "releases.lock").write_text("roskilde-2027-01.yaml sha256:abc\n", encoding="utf-8")
    response = client.post("/v1/workbench/save", json=draft(rules, text, "roskilde-2027-01.yaml"))
    assert response.status_code == 409 and "releases.lock" in response.json()["detail"]
    assert not (rules / "roskilde" / "roskilde-2027-01.yaml").exists()


def test_an_invalid_draft_is_not_saved(client: TestClient, rules: Path) -> None:
    response = client.post("/v1/workbench/save", json=draft(rules, "ruleset: {}\n", "roskilde-2027-01.yaml"))
    assert response.status_code == 422 and response.json()["problems"]
    assert str(rules) not in response.text  # names no folder of the server
    assert not (rules / "roskilde" / "roskilde-2027-01.yaml").exists()


def test_unknown_keys_in_a_request_are_refused(client: TestClient, rules: Path) -> None:
    response = client.post("/v1/workbench/save", json={**draft(rules), "path": "/etc"})
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"


@settings(max_examples=300, deadline=None)
@given(name=st.text(alphabet=st.sampled_from("ab./\\-_~:%\x00 ").map(str) | st.characters(), max_size=30).map(lambda s: s + ".yaml"))
def test_draft_paths_never_leave_the_rule_sets_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
    root = tmp_path_factory.getbasetemp() / "rules"
    try:
        path = draft_path(root, "roskilde", name)
    except DraftError as exc:
        assert exc.status == 403
        return
    assert path.parent == (root / "roskilde").resolve() and path.name == name
