"""Populations on Dask (the optional extra ``sps-rules[dask]``).

The chunks that ``batch`` hands to local processes go to Dask workers instead. A worker is sent the
rule set's id and each version's number and sha256, never a RuleSet: it loads and compiles each version
once from its own rule files, and refuses to evaluate if its files differ from the client's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..model.errors import SpsRulesError

#: glibc's trim threshold for LocalCluster workers. Dask sets 65536 by default, which made evaluation
#: 2.3x slower here (the decision path frees many small objects); 64 MiB keeps memory flat without it.
MALLOC_TRIM_THRESHOLD = str(64 * 1024 * 1024)


@dataclass(frozen=True)
class Pin:
    """One rule-set version as the client has it: what a worker must find in its own files."""

    id: str
    version: str
    sha256: str


def pins(ruleset_id: str) -> tuple[Pin, ...]:
    from ..engine.loader import versions

    return tuple(Pin(v.id, v.version, v.sha256) for v in versions(ruleset_id))


_verified: set[Pin] = set()


def check_pins(wanted: tuple[Pin, ...]) -> None:
    """In a worker: load each pinned version once and refuse if its sha256 differs from the client's."""
    from ..engine.registry import load_ruleset_version

    for pin in wanted:
        if pin in _verified:
            continue
        have = load_ruleset_version(pin.id, pin.version).sha256
        if have != pin.sha256:
            raise SpsRulesError(
                f"a Dask worker's rule set {pin.id}@{pin.version} differs from the client's "
                f"(sha256 {have[:12]}… against {pin.sha256[:12]}…): give every worker the same rule files")
        _verified.add(pin)


def _dask() -> tuple[Any, Any]:
    try:
        import dask
        import distributed
    except ImportError:
        raise SpsRulesError("--dask needs Dask: pip install 'sps-rules[dask]'") from None
    return dask, distributed


@contextmanager
def client(address: str, *, workers: int | None = None) -> Iterator[Any]:
    """A Dask client: ``local`` starts a LocalCluster sized to the machine (one process per core,
    one thread each); ``tcp://HOST:PORT`` connects to a running scheduler."""
    dask, distributed = _dask()
    if address == "local":
        n = workers or os.cpu_count() or 1
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": MALLOC_TRIM_THRESHOLD,
                              "distributed.worker.daemon": False}):
            with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                          dashboard_address=None, host="127.0.0.1") as cluster:
                with distributed.Client(cluster) as c:
                    yield c
        return
    if not address.startswith(("tcp://", "tls://")):
        raise SpsRulesError(f"--dask takes 'local' or a scheduler address such as tcp://HOST:PORT, not {address!r}")
    try:
        c = distributed.Client(address, timeout="10s")
    except OSError as exc:
        raise SpsRulesError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with c:
        yield c


@contextmanager
def dask_executor(fn: Callable[[Any], Any], address: str, *,
                  workers: int | None = None) -> Iterator[tuple[Callable[[Any], Callable[[], Any]], int]]:
    """(submit, in-flight bound) backed by a Dask cluster: four tasks in flight per worker."""
    with client(address, workers=workers) as c:
        size = max(1, len(c.scheduler_info().get("workers", {})))

        def submit(task: Any) -> Callable[[], Any]:
            future = c.submit(fn, task, pure=False)
            return lambda: _result(future)

        yield submit, size * 4


def _result(future: Any) -> Any:
    try:
        return future.result()
    except SpsRulesError:
        raise
    except Exception as exc:  # a worker died or the cluster went away: say so, once
        raise SpsRulesError(f"the Dask cluster failed: {type(exc).__name__}: {str(exc)[:200]}") from None
