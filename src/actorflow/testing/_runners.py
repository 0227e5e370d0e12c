"""Running the same flow tests on every task runner, without editing them."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Final

from actorflow.actors.flow_run import set_task_runner_override
from actorflow.runners.base import TaskRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["RUNNER_KINDS", "make_task_runner", "use_task_runner"]


def _sequential() -> TaskRunner:
    from actorflow.task_runners import SequentialTaskRunner  # noqa: PLC0415  (public API, loaded late)

    return SequentialTaskRunner()


def _concurrent() -> TaskRunner:
    from actorflow.task_runners import ConcurrentTaskRunner  # noqa: PLC0415

    return ConcurrentTaskRunner()


def _dask() -> TaskRunner:
    from actorflow.task_runners import DaskTaskRunner  # noqa: PLC0415

    return DaskTaskRunner()


RUNNER_KINDS: Final[dict[str, Callable[[], TaskRunner]]] = {
    "sequential": _sequential,
    "concurrent": _concurrent,
    "dask": _dask,
}
"""The task runners `--actorflow-runner` can name, and how each is made."""


def make_task_runner(kind: str) -> TaskRunner:
    """A fresh task runner of a kind `RUNNER_KINDS` names.

    Raises:
        ValueError: an unknown kind (the message lists the known ones).
    """
    try:
        return RUNNER_KINDS[kind]()
    except KeyError:
        known = ", ".join(RUNNER_KINDS)
        msg = f"unknown task runner {kind!r}: choose one of {known}"
        raise ValueError(msg) from None


@contextlib.contextmanager
def use_task_runner(runner: TaskRunner) -> Iterator[TaskRunner]:
    """Within the block, every flow run started in this process (subflows included, on
    any system) uses `runner` instead of its flow's own task runner.

    Raises:
        TypeError: `runner` is not a task runner.
    """
    if not isinstance(runner, TaskRunner):
        msg = f"use_task_runner() takes a task runner, such as ConcurrentTaskRunner(), got {type(runner).__name__}"
        raise TypeError(msg)
    previous = set_task_runner_override(runner)
    try:
        yield runner
    finally:
        set_task_runner_override(previous)
