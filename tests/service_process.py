"""Starting ``sps-rules serve`` as a real process on 127.0.0.1, for the process tests and the benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

STARTUP_LIMIT = 30.0  # seconds; a bound on waiting, not a timing assertion


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, args: list[str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-m", "sps_rules", "serve", "--host", "127.0.0.1", "--port", str(self.port), *args]
        with open(log, "ab") as err:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        self.started = self.wait_ready()

    def wait_ready(self) -> float:
        begin = time.perf_counter()
        while time.perf_counter() - begin < STARTUP_LIMIT:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return time.perf_counter() - begin
            except httpx.TransportError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"the server did not answer within {STARTUP_LIMIT} s")

    def stop(self) -> int:
        """SIGTERM, then wait (bounded) for a clean exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)


@contextmanager
def serving(args: list[str], log: Path) -> Iterator[Server]:
    server = Server(args, log)
    try:
        yield server
    finally:
        server.kill()
