"""``sps-rules serve`` as a real uvicorn process on 127.0.0.1: the decision answers, concurrency,
the access log, API keys from a file, a clean SIGTERM stop, and a decision log that survives kill -9."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from pathlib import Path
import pytest

pytest.importorskip("uvicorn")

import httpx  # noqa: E402

import sps_rules  # noqa: E402
from sps_rules.model.population import citizens  # noqa: E402
from sps_rules.service.logbook import verify  # noqa: E402
from sps_rules.service.store import SQLiteStore  # noqa: E402

from .conftest import ROOT  # noqa: E402
from .service_process import serving  # noqa: E402

EXAMPLE = json.loads((ROOT / "examples" / "roskilde-citizen.json").read_text(encoding="utf-8"))
JSON = {"content-type": "application/json"}
#: uvicorn shuts down gracefully on SIGTERM, then re-raises the signal so the exit status says how it ended
STOPPED = (0, -signal.SIGTERM)


def test_serves_logs_one_line_per_request_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with serving([], log) as server:
        response = httpx.post(server.url + "/v1/rulesets/roskilde/evaluate?explain=text", content=json.dumps(EXAMPLE),
                              headers=JSON, timeout=30)
        assert response.status_code == 200
        assert response.json()["decision"] == sps_rules.evaluate("roskilde", EXAMPLE).model_dump(mode="json")
        assert response.headers["SPS-Ruleset-Version"] == "2020-01"
        bad = httpx.post(server.url + "/v1/rulesets/roskilde/evaluate", content=b'{"birth_date": "1991-09-14"}',
                         headers=JSON, timeout=30)
        assert bad.status_code == 422
        assert server.stop() in STOPPED
    text = log.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "sps_rules.service" in line]
    assert len(lines) >= 3  # healthz (while waiting), the decision, the refusal
    assert any("POST /v1/rulesets/roskilde/evaluate 200" in line and "roskilde@2020-01" in line for line in lines)
    assert any("POST /v1/rulesets/roskilde/evaluate 422" in line for line in lines)
    assert "Shutting down" in text and "Application shutdown complete" in text and "Finished server process" in text
    for value in ("1991-09-14", "daily_structure", "explain=text"):
        assert value not in text, "no fact value and no query string in the log"


async def _all(url: str, bodies: list[bytes], clients: int) -> list[bytes]:
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        gate = asyncio.Semaphore(clients)

        async def one(body: bytes) -> bytes:
            async with gate:
                response = await client.post(url, content=body, headers=JSON)
                assert response.status_code == 200, response.text
                return response.content

        return list(await asyncio.gather(*(one(b) for b in bodies)))


def test_concurrent_requests_give_exactly_the_sequential_answers(tmp_path: Path) -> None:
    people = [facts for facts in citizens(60, seed=7)]
    expected = [sps_rules.evaluate("roskilde", facts).model_dump_json().encode() for facts in people]
    with serving([], tmp_path / "server.log") as server:
        url = server.url + "/v1/rulesets/roskilde/evaluate"
        answers = asyncio.run(_all(url, [json.dumps(f).encode() for f in people], clients=16))
        server.stop()
    assert answers == expected


def test_api_key_file(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("# case system\nabcdefghijklmnop-0123\n\n", encoding="utf-8")
    with serving(["--api-key-file", str(keys)], tmp_path / "server.log") as server:
        assert httpx.get(server.url + "/v1/rulesets", timeout=10).status_code == 401
        ok = httpx.get(server.url + "/v1/rulesets", headers={"authorization": "Bearer abcdefghijklmnop-0123"}, timeout=10)
        assert ok.status_code == 200
        server.stop()


def test_bad_start_options_fail_with_one_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sps_rules.cli import main

    empty = tmp_path / "keys.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--api-key-file", str(empty)])
    assert result.exit_code == 2 and "holds no keys" in result.stderr
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"x" * 4096)
    result = CliRunner().invoke(main, ["serve", "--record-store", str(junk)])
    assert result.exit_code == 2 and "not a decision log" in result.stderr


def test_the_decision_log_survives_kill_9_during_a_load(tmp_path: Path) -> None:
    store = tmp_path / "decisions.db"
    people = [json.dumps(f).encode() for f in citizens(40, seed=3)]
    answered: list[int] = []
    stop = threading.Event()

    def load(url: str, offset: int) -> None:
        with httpx.Client(timeout=10) as client:
            i = offset
            while not stop.is_set():
                try:
                    response = client.post(url, content=people[i % len(people)], headers=JSON)
                except httpx.TransportError:
                    return  # the server is gone
                if response.status_code == 200:
                    answered.append(int(response.headers["SPS-Record-Id"]))
                i += 1

    with serving(["--record-store", str(store)], tmp_path / "server.log") as server:
        url = server.url + "/v1/rulesets/roskilde/evaluate"
        workers = [threading.Thread(target=load, args=(url, k * 10)) for k in range(4)]
        for worker in workers:
            worker.start()
        try:
            for _ in range(600):  # bounded: at most ~60 s
                if len(answered) >= 40:
                    break
                stop.wait(0.1)
            server.kill()  # SIGKILL mid-load
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=30)
    assert len(answered) >= 40
    with serving(["--record-store", str(store)], tmp_path / "server.log") as again:
        response = httpx.post(again.url + "/v1/rulesets/roskilde/evaluate", content=people[0], headers=JSON, timeout=30)
        assert response.status_code == 200
        after = int(response.headers["SPS-Record-Id"])
        assert again.stop() in STOPPED
    result = verify(store, sample=20)
    assert result.ok, (result.chain, result.not_reproduced)
    assert result.entries == after and after > max(answered), "every answered decision was stored before the kill"
    log = SQLiteStore(store, readonly=True)
    try:
        stored = {e.id for e in log.entries()}
    finally:
        log.close()
    assert set(answered) <= stored




def test_a_body_that_trickles_in_slower_than_the_time_limit_is_408(tmp_path: Path) -> None:
    import socket

    with serving(["--time-limit", "1"], tmp_path / "server.log") as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as conn:
            conn.sendall(b"POST /v1/rulesets/roskilde/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"assessment_date\": ")
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = conn.recv(65536)  # the server answers while the rest of the body never comes
                if not chunk:
                    break
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"did not arrive within the service's limit of 1 seconds" in answer
        server.stop()
