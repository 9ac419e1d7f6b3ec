"""Where chunks of citizens are evaluated: local worker processes, or a Dask cluster.

Both give a ``submit(task) -> wait()`` function and a bound on tasks in flight; ``ordered`` keeps that
many at the workers and yields their results in the order the tasks were given, at constant memory.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
Submit = Callable[[Any], Callable[[], Any]]


def ordered(submit: Submit, tasks: Iterable[Any], inflight: int) -> Iterator[Any]:
    """The result of every task, in task order, with at most ``inflight`` tasks at the workers."""
    pending: deque[Callable[[], Any]] = deque()
    for task in tasks:
        pending.append(submit(task))
        if len(pending) >= inflight:
            yield pending.popleft()()
    while pending:
        yield pending.popleft()()


@contextmanager
def local(fn: Callable[[Any], Any], workers: int | None = None) -> Iterator[tuple[Submit, int]]:
    """Worker processes on this machine (fork where the platform has it)."""
    n = workers or os.cpu_count() or 1
    context = multiprocessing.get_context("spawn" if os.name != "posix" else "fork")
    with context.Pool(n) as pool:
        def submit(task: Any) -> Callable[[], Any]:
            return pool.apply_async(fn, (task,)).get

        yield submit, n * 4


@contextmanager
def executor(fn: Callable[[Any], Any], *, dask: str | None = None,
             workers: int | None = None) -> Iterator[tuple[Submit, int]]:
    """Local processes, or Dask when ``dask`` is ``"local"`` or a scheduler address."""
    if dask is None:
        with local(fn, workers) as pair:
            yield pair
        return
    from .cluster import dask_executor

    with dask_executor(fn, dask, workers=workers) as pair:
        yield pair
