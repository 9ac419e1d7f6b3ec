"""The HTTP API in process (FastAPI's TestClient): every endpoint, its headers, and every class of bad input."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

import sps_rules  # noqa: E402
from sps_rules.service import Settings, create_app  # noqa: E402

from .conftest import ROOT, RULES  # noqa: E402

EXAMPLE = json.loads((ROOT / "examples" / "roskilde-citizen.json").read_text(encoding="utf-8"))
YOUNG = {**EXAMPLE, "birth_date": "2008-03-03"}  # 17 on the assessment date: not eligible
UNKNOWN_AGE = {k: v for k, v in EXAMPLE.items() if k != "birth_date"}  # undetermined
JSON = {"content-type": "application/json"}
KEY = "k" * 20 + "-service-test"


def post(client: TestClient, url: str, data: Any, **headers: str) -> Any:
    return client.post(url, content=json.dumps(data).encode(), headers={**JSON, **headers})


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as c:
        yield c


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(record_store=tmp_path / "log.db"))) as c:
        yield c


def is_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].endswith("/" + kind), body
    assert body["title"] and body["detail"]
    return body


# --- meta ---------------------------------------------------------------------------------------


def test_healthz(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body == {"status": "ok", "engine_version": sps_rules.__version__, "rulesets": len(sps_rules.list_rulesets()),
                    "decision_log": False}


def test_openapi_documents_every_endpoint_with_library_schemas(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = set(document["paths"])
    assert {"/healthz", "/v1/rulesets", "/v1/rulesets/{municipality}/evaluate", "/v1/rulesets/{municipality}/why-not",
            "/v1/rulesets/{municipality}/test", "/v1/rulesets/{municipality}/diff", "/v1/validate", "/v1/compare",
            "/v1/replay", "/v1/records/{record_id}", "/v1/records/{record_id}/replay", "/v1/schemas/facts",
            "/v1/schemas/ruleset"} <= paths
    schemas = document["components"]["schemas"]
    assert set(schemas["CitizenFactsInput"]["properties"]) == set(sps_rules.CitizenFacts.model_fields)
    assert set(schemas["Decision"]["properties"]) == set(sps_rules.Decision.model_fields)
    evaluate = document["paths"]["/v1/rulesets/{municipality}/evaluate"]["post"]
    assert evaluate["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CitizenFactsInput")
    assert {"200", "400", "404", "413", "415", "422"} <= set(evaluate["responses"])
    assert "SPS-Ruleset-Sha256" in evaluate["responses"]["200"]["headers"]
    assert client.get("/docs").status_code == 200


def test_every_reference_in_the_openapi_document_resolves(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    refs: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                extra = set(node) - {"$ref", "description", "title", "default", "examples"}
                assert not extra, f"a $ref beside other constraints is ambiguous: {node}"
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    names = set(document["components"]["schemas"])
    assert refs and {ref.rsplit("/", 1)[1] for ref in refs} <= names


def test_schemas_are_the_library_schemas(client: TestClient) -> None:
    assert client.get("/v1/schemas/facts").json() == sps_rules.CitizenFacts.model_json_schema()
    assert client.get("/v1/schemas/ruleset").json()["title"]


def test_rulesets_lists_every_version_with_validity_and_sha256(client: TestClient) -> None:
    listed = client.get("/v1/rulesets").json()["rulesets"]
    assert [(r["id"], r["version"], r["sha256"]) for r in listed] == [
        (rs.id, rs.version, rs.sha256) for rs in sps_rules.list_rulesets()]
    assert all("valid_from" in r and "valid_to" in r for r in listed)


# --- evaluate -----------------------------------------------------------------------------------


@pytest.mark.parametrize("facts", [EXAMPLE, YOUNG, UNKNOWN_AGE], ids=["eligible", "not_eligible", "undetermined"])
def test_evaluate_gives_the_library_decision_and_names_the_version(client: TestClient, facts: dict[str, Any]) -> None:
    response = post(client, "/v1/rulesets/roskilde/evaluate", facts)
    assert response.status_code == 200, response.text
    expected = sps_rules.evaluate("roskilde", facts)
    assert response.json() == json.loads(expected.to_json())
    assert response.content == expected.model_dump_json().encode()  # byte-identical, deterministic
    ruleset = sps_rules.load_ruleset("roskilde")
    assert response.headers["SPS-Engine-Version"] == sps_rules.__version__
    assert response.headers["SPS-Ruleset-Id"] == "roskilde"
    assert response.headers["SPS-Ruleset-Version"] == ruleset.version
    assert response.headers["SPS-Ruleset-Sha256"] == ruleset.sha256
    assert "SPS-Record-Id" not in response.headers


def test_evaluate_picks_the_version_of_the_assessment_date_or_the_pinned_one(client: TestClient) -> None:
    old = {"assessment_date": "2016-05-10", "birth_date": "1980-01-01"}
    assert post(client, "/v1/rulesets/gentofte/evaluate", old).headers["SPS-Ruleset-Version"] == "2014-06"
    pinned = post(client, "/v1/rulesets/gentofte/evaluate?version=2014-06", old)
    assert pinned.status_code == 200 and pinned.headers["SPS-Ruleset-Version"] == "2014-06"
    outside = post(client, "/v1/rulesets/gentofte/evaluate?version=2022-01", old)
    assert "outside rule set gentofte version 2022-01" in is_problem(outside, 422, "invalid-facts")["detail"]
    missing = post(client, "/v1/rulesets/gentofte/evaluate?version=1999-01", old)
    assert "no version '1999-01'" in is_problem(missing, 404, "ruleset-not-found")["detail"]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_evaluate_with_explain_adds_the_danish_rendering(client: TestClient, fmt: str) -> None:
    body = post(client, f"/v1/rulesets/roskilde/evaluate?explain={fmt}", EXAMPLE).json()
    decision = sps_rules.evaluate("roskilde", EXAMPLE)
    assert body["decision"] == decision.model_dump(mode="json")
    assert body["explanation"] == {"format": fmt, "text": sps_rules.explain(decision, format=fmt)}  # type: ignore[arg-type]


def test_explain_must_be_a_known_format(client: TestClient) -> None:
    body = is_problem(post(client, "/v1/rulesets/roskilde/evaluate?explain=pdf", EXAMPLE), 422, "invalid-parameters")
    assert body["errors"][0]["field"] == "explain"


def test_unknown_rule_set_is_404_before_the_facts_are_read(client: TestClient) -> None:
    body = is_problem(post(client, "/v1/rulesets/atlantis/evaluate", {"nonsense": 1}), 404, "ruleset-not-found")
    assert "atlantis" in body["detail"] and "roskilde" in body["detail"]
    assert str(RULES) not in body["detail"], "no folder of the server is named"
    assert post(client, "/v1/rulesets/..%2F..%2Fetc/evaluate", EXAMPLE).status_code == 404
    is_problem(post(client, "/v1/rulesets/..etc/evaluate", EXAMPLE), 404, "ruleset-not-found")


def test_invalid_facts_name_the_field_and_never_echo_a_personal_value(client: TestClient) -> None:
    body = is_problem(post(client, "/v1/rulesets/roskilde/evaluate", {**EXAMPLE, "cpr": "010190-1234"}), 422, "invalid-facts")
    assert body["errors"][0]["field"] == "cpr" and "unknown field" in body["detail"]
    assert "010190-1234" not in json.dumps(body)
    body = is_problem(post(client, "/v1/rulesets/roskilde/evaluate", {**EXAMPLE, "support_need_level": "2"}), 422, "invalid-facts")
    assert body["errors"][0]["field"] == "support_need_level", "declared types only: no text for a number"
    body = is_problem(post(client, "/v1/rulesets/roskilde/evaluate", {"birth_date": "1990-01-01"}), 422, "invalid-facts")
    assert body["errors"][0]["field"] == "assessment_date"
    for given in ("1991-02-30", "1801-01-01", "31-12-1990"):
        body = is_problem(post(client, "/v1/rulesets/roskilde/evaluate", {**EXAMPLE, "birth_date": given}), 422, "invalid-facts")
        assert body["errors"][0]["field"] == "birth_date" and given not in json.dumps(body), "no birth date is echoed"
    body = is_problem(post(client, "/v1/rulesets/roskilde/evaluate", {**EXAMPLE, "resident_municipality": "Anne Hansen"}),
                      422, "invalid-facts")
    assert "Anne Hansen" not in json.dumps(body)
    body = is_problem(post(client, "/v1/rulesets/roskilde/evaluate", {**EXAMPLE, "needs": ["flying"]}), 422, "invalid-facts")
    assert body["errors"][0]["field"] == "needs.0" and "'finances'" in body["detail"] and "got" not in body["detail"]
    is_problem(post(client, "/v1/rulesets/roskilde/evaluate", [EXAMPLE]), 422, "invalid-input")


@pytest.mark.parametrize("raw, needle", [
    (b'{"assessment_date": "2026-03-02", "assessment_date": "2026-03-03"}', "duplicate key"),
    (b'{"assessment_date": "2026-03-02", "support_need_level": NaN}', "NaN"),
    (b'{"assessment_date": "2026-03-02", "support_need_level": 1e999}', "too large"),
    (b'{"assessment_date": "2026-03-02", "support_need_level": 123456789012345678901234567890}', "digits"),
    (b'{"assessment_date": "2026-03-02",}', "line 1, column"),
    (b"", "empty"),
    (b"\xff\xfe{}", "UTF-8"),
    (b"[" * 40 + b"]" * 40, "nested too deeply"),
])
def test_bad_json_is_400(client: TestClient, raw: bytes, needle: str) -> None:
    response = client.post("/v1/rulesets/roskilde/evaluate", content=raw, headers=JSON)
    assert needle in is_problem(response, 400, "invalid-json")["detail"]


def test_only_json_is_accepted(client: TestClient) -> None:
    response = client.post("/v1/rulesets/roskilde/evaluate", content=json.dumps(EXAMPLE), headers={"content-type": "text/plain"})
    is_problem(response, 415, "unsupported-media-type")
    response = client.post("/v1/rulesets/roskilde/evaluate", content=json.dumps(EXAMPLE),
                           headers={"content-type": "application/json; charset=utf-8"})
    assert response.status_code == 200


def test_a_large_body_is_413_whether_declared_or_streamed(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(max_body_bytes=2_000))) as small:
        big = json.dumps({**EXAMPLE, "needs": ["x" * 50] * 100}).encode()
        is_problem(small.post("/v1/rulesets/roskilde/evaluate", content=big, headers=JSON), 413, "too-large")

        def chunks() -> Iterator[bytes]:
            yield b'{"needs": ['
            for _ in range(100):
                yield b'"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",'
            yield b'"x"]}'

        streamed = small.post("/v1/rulesets/roskilde/evaluate", content=chunks(), headers=JSON)  # no Content-Length
        is_problem(streamed, 413, "too-large")


def test_unknown_paths_and_methods_are_problems(client: TestClient) -> None:
    is_problem(client.get("/v1/nothing"), 404, "not-found")
    is_problem(client.get("/v1/rulesets/roskilde/evaluate"), 405, "method-not-allowed")


# --- why-not, compare, replay --------------------------------------------------------------------


def test_why_not_is_the_library_analysis(client: TestClient) -> None:
    response = post(client, "/v1/rulesets/roskilde/why-not", YOUNG)
    assert response.status_code == 200 and response.headers["SPS-Ruleset-Id"] == "roskilde"
    body = response.json()
    expected = sps_rules.why_not("roskilde", YOUNG)
    assert body["eligibility"] == expected.eligibility == "not_eligible"
    assert body["deciding_facts"] == expected.deciding_facts
    assert [(c["fact"], c["value"], c["eligibility"]) for c in body["changes"]] == [
        (c.fact, c.value, c.eligibility) for c in expected.changes]
    assert any(c["fact"] == "birth_date" and c["eligibility"] == "eligible" for c in body["changes"])


def test_compare_gives_one_column_per_municipality(client: TestClient) -> None:
    body = post(client, "/v1/compare", {"facts": EXAMPLE, "on": ["2016-05-10", "2026-03-02"]}).json()
    columns = body["columns"]
    assert {c["ruleset"] for c in columns} == {"roskilde", "gentofte", "faaborg_midtfyn"}
    assert {c["assessment_date"] for c in columns} == {"2016-05-10", "2026-03-02"}
    is_problem(post(client, "/v1/compare", {"facts": EXAMPLE, "on": [20160510]}), 422, "invalid-input")
    is_problem(post(client, "/v1/compare", {"facts": {"assessment_date": "x"}}), 422, "invalid-facts")


def test_replay_of_a_record_reproduces_it_and_finds_an_edit(client: TestClient) -> None:
    written = sps_rules.record("roskilde", EXAMPLE).to_json()
    response = client.post("/v1/replay", content=written.encode(), headers=JSON)  # the record's bytes as written
    record = json.loads(written)
    body = response.json()
    assert body["reproduced"] is True and body["problems"] == [] and body["differences"] == []
    assert body["report"].startswith("reproduced exactly")
    assert response.headers["SPS-Ruleset-Sha256"] == record["ruleset"]["sha256"]
    record["decision"]["eligibility"] = "not_eligible"
    body = post(client, "/v1/replay", record).json()
    assert body["reproduced"] is False
    assert any("altered after it was written" in p for p in body["problems"])
    assert {"path": "eligibility", "recorded": "not_eligible", "replayed": "eligible"} in body["differences"]


def test_replay_of_a_record_with_a_huge_integer_is_answered(client: TestClient) -> None:
    record = json.loads(sps_rules.record("roskilde", EXAMPLE).to_json())
    record["facts"]["x"] = [-9223372036854775809]  # beyond 64 bits, within the reader's 20 digits
    response = post(client, "/v1/replay", record)
    assert "beyond ±2**53" in is_problem(response, 422, "invalid-record")["detail"], "not a 500"


def test_replay_refuses_what_is_not_a_record(client: TestClient) -> None:
    body = is_problem(post(client, "/v1/replay", {"facts": {}}), 422, "invalid-record")
    assert "invalid decision record" in body["detail"]
    is_problem(post(client, "/v1/replay", [1, 2]), 422, "invalid-record")
    record = json.loads(sps_rules.record("roskilde", EXAMPLE).to_json())
    record["ruleset"]["valid_to"] = "someday"
    is_problem(post(client, "/v1/replay", record), 422, "invalid-record")


# --- the decision log through the API -------------------------------------------------------------


def test_decisions_are_logged_and_can_be_read_and_replayed(logged: TestClient, tmp_path: Path) -> None:
    first = post(logged, "/v1/rulesets/roskilde/evaluate", EXAMPLE)
    second = post(logged, "/v1/rulesets/roskilde/evaluate?explain=text", YOUNG)
    assert first.headers["SPS-Record-Id"] == "1" and second.headers["SPS-Record-Id"] == "2"
    assert first.content == sps_rules.evaluate("roskilde", EXAMPLE).model_dump_json().encode(), "same bytes with a log"
    stored = logged.get("/v1/records/2").json()
    assert stored["id"] == 2 and stored["record"]["facts"] == YOUNG
    assert stored["record"]["decision"] == second.json()["decision"]
    assert logged.get("/healthz").json()["decision_log"] is True
    assert logged.post("/v1/records/1/replay").json()["reproduced"] is True, "the log keeps the record's canonical bytes"
    is_problem(logged.get("/v1/records/3"), 404, "record-not-found")
    is_problem(logged.get("/v1/records/0"), 422, "invalid-parameters")
    is_problem(logged.get("/v1/records/abc"), 422, "invalid-parameters")
    with sqlite3.connect(tmp_path / "log.db") as db:
        assert db.execute("select count(*) from decision_log").fetchone()[0] == 2


def test_bad_input_is_not_logged(logged: TestClient, tmp_path: Path) -> None:
    post(logged, "/v1/rulesets/roskilde/evaluate", {"assessment_date": "nope"})
    post(logged, "/v1/rulesets/atlantis/evaluate", EXAMPLE)
    with sqlite3.connect(tmp_path / "log.db") as db:
        assert db.execute("select count(*) from decision_log").fetchone()[0] == 0


def test_without_a_log_records_are_404(client: TestClient) -> None:
    assert "--record-store" in is_problem(client.get("/v1/records/1"), 404, "no-decision-log")["detail"]


# --- authoring: validate, test, diff ---------------------------------------------------------------


def test_validate_a_good_draft(client: TestClient) -> None:
    text = (RULES / "roskilde" / "roskilde-2020-01.yaml").read_text(encoding="utf-8")
    body = post(client, "/v1/validate", {"ruleset": "roskilde", "filename": "roskilde-2020-01.yaml", "text": text}).json()
    assert body["ok"] is True, body
    assert all(f["severity"] == "warning" for f in body["findings"])


def test_validate_a_broken_draft_gives_line_and_column(client: TestClient) -> None:
    text = (RULES / "roskilde" / "roskilde-2020-01.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines) if "quote:" in line)
    lines[number] = lines[number].replace("quote:", "quote: 'Ikke i standarden' #", 1)
    body = post(client, "/v1/validate", {"ruleset": "roskilde", "filename": "udkast.yaml", "text": "\n".join(lines)}).json()
    assert body["ok"] is False
    errors = [f for f in body["findings"] if f["severity"] == "error"]
    assert errors and errors[0]["file"] == "roskilde/udkast.yaml"
    assert any(f["line"] == number + 1 and f["column"] > 0 for f in errors), errors
    assert not (RULES / "roskilde" / "udkast.yaml").exists(), "nothing is written"
    body = post(client, "/v1/validate", {"ruleset": "roskilde", "text": "ruleset: [1,\n"}).json()
    assert body["ok"] is False and body["findings"][0]["line"] >= 1


def test_validate_refuses_paths_and_unknown_rule_sets(client: TestClient) -> None:
    is_problem(post(client, "/v1/validate", {"ruleset": "roskilde", "filename": "../x.yaml", "text": ""}), 422, "invalid-input")
    is_problem(post(client, "/v1/validate", {"ruleset": "atlantis", "text": "a: 1"}), 404, "ruleset-not-found")
    is_problem(post(client, "/v1/validate", {"ruleset": "roskilde", "text": "a: 1", "extra": 1}), 422, "invalid-input")


def test_test_runs_the_rule_sets_own_cases(client: TestClient) -> None:
    body = client.post("/v1/rulesets/roskilde/test").json()
    assert body["failed"] == 0 and body["passed"] > 5
    assert all(case["file"].startswith("roskilde/tests/") for case in body["cases"])
    assert body["coverage"][0]["ruleset"] == "roskilde"
    is_problem(client.post("/v1/rulesets/atlantis/test"), 404, "ruleset-not-found")


def test_diff_between_two_versions(client: TestClient) -> None:
    body = client.get("/v1/rulesets/gentofte/diff", params={"old": "2014-06", "new": "2022-01", "n": 50}).json()
    assert body["old"].startswith("gentofte@2014-06") or "2014-06" in body["old"]
    assert body["impact"]["population"] == 50 and body["rules"]
    is_problem(client.get("/v1/rulesets/gentofte/diff", params={"old": "2014-06", "new": "1999-01"}), 404, "ruleset-not-found")
    too_many = client.get("/v1/rulesets/gentofte/diff", params={"old": "2014-06", "new": "2022-01", "n": 99_999})
    is_problem(too_many, 422, "invalid-input")


# --- API keys and the time limit ------------------------------------------------------------------


def test_api_keys(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(api_keys=(KEY, "another-key-0123456789")))) as secured:
        assert secured.get("/healthz").status_code == 200, "health is open"
        assert secured.get("/openapi.json").status_code == 200, "the API description is open"
        response = post(secured, "/v1/rulesets/roskilde/evaluate", EXAMPLE)
        body = is_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer" and "API key" in body["detail"]
        is_problem(post(secured, "/v1/rulesets/roskilde/evaluate", EXAMPLE, authorization="Bearer " + KEY[:-1]),
                   401, "unauthorized")
        is_problem(secured.get("/v1/rulesets", headers={"x-api-key": ""}), 401, "unauthorized")
        assert post(secured, "/v1/rulesets/roskilde/evaluate", EXAMPLE, authorization="Bearer " + KEY).status_code == 200
        assert secured.get("/v1/rulesets", headers={"x-api-key": "another-key-0123456789"}).status_code == 200


def test_short_api_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="shorter than 16"):
        Settings(api_keys=("short",))


def test_a_request_over_the_time_limit_is_503() -> None:
    with TestClient(create_app(Settings(time_limit=0.05))) as hurried:
        response = hurried.get("/v1/rulesets/gentofte/diff", params={"old": "2014-06", "new": "2022-01", "n": 5000})
        body = is_problem(response, 503, "time-limit")
        assert "0.05 seconds" in body["detail"] and response.headers["retry-after"] == "1"


def test_a_broken_rule_set_on_the_server_is_503_and_the_others_are_served(rules_copy: Path) -> None:
    from .conftest import GOOD_RULE, MUNICIPAL_HEADER

    (rules_copy / "testkommune" / "testkommune-2024-01.yaml").write_text(
        MUNICIPAL_HEADER + GOOD_RULE.replace("Støtten gives som gruppeforløb.}", "Ikke i standarden.}"), encoding="utf-8")
    with TestClient(create_app(Settings(rules_dir=rules_copy))) as served:
        body = is_problem(post(served, "/v1/rulesets/testkommune/evaluate", {"assessment_date": "2024-03-01"}),
                          503, "ruleset-unavailable")
        assert "sps-rules validate" in body["detail"] and str(rules_copy) not in json.dumps(body)
        ok = post(served, "/v1/rulesets/national/evaluate", {"assessment_date": "2024-03-01"})
        assert ok.status_code == 200 and ok.headers["SPS-Ruleset-Id"] == "national"
        assert [r["id"] for r in served.get("/v1/rulesets").json()["rulesets"]] == ["national"]
        assert served.get("/healthz").json()["rulesets"] == 1


def test_serve_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from click.testing import CliRunner

    from sps_rules.cli import main

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now raises ImportError
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2 and "pip install 'sps-rules[server]'" in result.stderr

