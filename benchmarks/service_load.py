"""Loopback load on `sps-rules serve`: requests/s and p50/p99 latency of evaluate at 1, 8 and 32
concurrent clients, against the in-process library figure for the same citizens.

    .venv/bin/python benchmarks/service_load.py [--requests N] [--seconds S] [--record-store]

Bounded: at most N requests and S seconds per level, 127.0.0.1 only. The client is a minimal
keep-alive HTTP/1.1 client on asyncio streams, so its own cost stays small next to the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

import sps_rules
from sps_rules.model.population import citizens

HOST = "127.0.0.1"
MUNICIPALITY = "roskilde"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def start(port: int, extra: list[str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "sps_rules", "serve", "--host", HOST, "--port", str(port), *extra]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    begin = time.perf_counter()
    while time.perf_counter() - begin < 30:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                print(f"server listening after {time.perf_counter() - begin:.2f} s")
                return process
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise SystemExit("the server did not start within 30 s")


def request(path: str, body: bytes) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("ascii") + body


async def client(port: int, payloads: list[bytes], next_index: list[int], limit: int, deadline: float,
                 latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while next_index[0] < limit and time.perf_counter() < deadline:
            i = next_index[0]
            next_index[0] += 1
            start = time.perf_counter()
            writer.write(payloads[i % len(payloads)])
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if status != 200:
                raise SystemExit(f"unexpected status {status}")
    finally:
        writer.close()


async def level(port: int, payloads: list[bytes], clients: int, limit: int, seconds: float) -> tuple[float, list[float]]:
    latencies: list[float] = []
    next_index = [0]
    begin = time.perf_counter()
    await asyncio.gather(*(client(port, payloads, next_index, limit, begin + seconds, latencies) for _ in range(clients)))
    return time.perf_counter() - begin, latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def library_figure(people: list[dict[str, object]], n: int) -> list[float]:
    """The same work in process: validate the facts, evaluate, write the decision's JSON."""
    ruleset = sps_rules.load_ruleset(MUNICIPALITY)
    times = []
    for i in range(n):
        start = time.perf_counter()
        ruleset.evaluate(people[i % len(people)]).model_dump_json()
        times.append(time.perf_counter() - start)
    return times


def app_figure(raws: list[bytes], n: int, *, inline: bool = False) -> list[float]:
    """The app called directly as ASGI (no socket, no HTTP parsing): the service's own cost per decision.

    With ``inline``, the hand-off to a worker thread is replaced by a plain call (in this process
    only, never in the service), to show what that hand-off costs on this machine.
    """
    from sps_rules.service import create_app

    if inline:
        async def run_sync(work: Any, *args: Any, **_: Any) -> Any:
            return work(*args)

        anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]
    app = create_app()
    path = f"/v1/rulesets/{MUNICIPALITY}/evaluate"

    async def call(body: bytes) -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
                 "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "state": {},
                 "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
                 "client": (HOST, 1), "server": (HOST, 80)}
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, object]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start" and message["status"] != 200:
                raise SystemExit(f"unexpected status {message['status']}")

        await app(scope, receive, send)

    async def run() -> list[float]:
        for body in raws[:200]:
            await call(body)
        times = []
        for i in range(n):
            start = time.perf_counter()
            await call(raws[i % len(raws)])
            times.append(time.perf_counter() - start)
        return times

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per concurrency level (max)")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds per concurrency level (max)")
    parser.add_argument("--record-store", action="store_true", help="serve with a decision log (in a temporary folder)")
    args = parser.parse_args()
    people = list(citizens(500, seed=11))
    path = f"/v1/rulesets/{MUNICIPALITY}/evaluate"
    payloads = [request(path, json.dumps(p).encode()) for p in people]

    library_figure(people, 500)  # warm-up
    lib = library_figure(people, args.requests)
    lib_p50 = pct(lib, 0.5)
    print(f"in-process library: p50 {lib_p50:.3f} ms  p99 {pct(lib, 0.99):.3f} ms  ({len(lib) / sum(lib):,.0f} decisions/s, one thread)")

    raws = [json.dumps(p).encode() for p in people]
    for inline in (False, True):
        app = app_figure(raws, args.requests, inline=inline)
        how = "inline call instead of a worker thread" if inline else "worker thread"
        print(f"in-process app (ASGI, {how}, no socket): p50 {pct(app, 0.5):.3f} ms  p99 {pct(app, 0.99):.3f} ms  "
              f"(p50 - library {pct(app, 0.5) - lib_p50:.3f} ms)")

    with tempfile.TemporaryDirectory() as folder:
        extra = ["--record-store", str(Path(folder) / "decisions.db")] if args.record_store else []
        port = free_port()
        server = start(port, extra)
        try:
            asyncio.run(level(port, payloads, 4, 400, 30))  # warm-up: compile, caches, connections
            print(f"{'clients':>7} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p50 - library':>14}")
            for clients in (1, 8, 32):
                elapsed, latencies = asyncio.run(level(port, payloads, clients, args.requests, args.seconds))
                p50 = pct(latencies, 0.5)
                print(f"{clients:>7} {len(latencies):>8} {len(latencies) / elapsed:>8,.0f} {p50:>8.3f} "
                      f"{pct(latencies, 0.99):>8.3f} {p50 - lib_p50:>11.3f} ms")
        finally:
            os.kill(server.pid, signal.SIGTERM)
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
