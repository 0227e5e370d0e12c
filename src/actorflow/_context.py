"""Which run the current code belongs to.

A `ContextVar` holds the innermost run: a flow body's thread holds its `FlowRunContext`;
the thread that executes a task holds a `TaskRunContext` for the duration of the call.
Each context is an immutable snapshot of ids and names plus references to the owning
actors, so reading it is safe from any thread.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from actorflow._exceptions import FlowRunCancelled, MissingContextError
from actorflow._logging import flow_run_logger, task_run_logger

if TYPE_CHECKING:
    from pykka import ActorRef

    from actorflow.actors.light import ActorPool
    from actorflow.actors.system import ActorSystem
    from actorflow.actors.timer import Timer
    from actorflow.runners.base import Backend, TaskRunner

__all__ = [
    "FlowRunContext",
    "RemoteTaskRunContext",
    "TaskRunContext",
    "current_run",
    "get_run_logger",
]


@dataclass(slots=True, kw_only=True, eq=False)
class FlowRunContext:
    """The flow run that the current thread works for."""

    flow_run_id: str
    flow_run_name: str
    flow_name: str
    flow_run_ref: ActorRef[Any]
    ledger_ref: ActorRef[Any]
    runner_ref: ActorRef[Any]
    task_runner: TaskRunner
    backend: Backend | None
    """The started backend task runs submit to (None if the runner is gone)."""
    pool: ActorPool
    timer: Timer
    cancelled: threading.Event
    """Set by the flow-run actor when the run is cancelled; read by the body's calls."""
    system: ActorSystem
    # Per task key, the counter behind `<task>-<key>-<n>` run names. `next()` on an
    # itertools.count is atomic under the GIL, so any thread of the run may draw from it.
    task_counters: dict[str, itertools.count[int]] = field(default_factory=dict)
    _counters_lock: threading.Lock = field(default_factory=threading.Lock)

    def check_cancelled(self) -> None:
        """Raise `FlowRunCancelled` if this run was cancelled. Safe from any thread."""
        if self.cancelled.is_set():
            msg = f"flow run {self.flow_run_name!r} was cancelled"
            raise FlowRunCancelled(msg)

    def next_task_index(self, key: str) -> int:
        counter = self.task_counters.get(key)
        if counter is None:
            with self._counters_lock:
                counter = self.task_counters.setdefault(key, itertools.count())
        return next(counter)


class TaskRunContext:
    """The task run whose body the current thread is executing.

    In the flow's process this is the `TaskCall` being executed (no extra object per run);
    on a Dask worker, a `RemoteTaskRunContext`.
    """

    __slots__ = ()

    task_run_id: str
    task_run_name: str
    task_name: str
    flow_run: FlowRunContext | None
    """The owning flow run, when the task executes in the flow's process."""

    @property
    def flow_run_name(self) -> str:
        """The owning flow run's name."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteTaskRunContext(TaskRunContext):
    """A task run executing away from its flow run's actors (on a Dask worker)."""

    task_run_id: str
    task_run_name: str
    task_name: str
    flow_run: FlowRunContext | None = None
    flow_run_name: str = ""


_current: contextvars.ContextVar[FlowRunContext | TaskRunContext | None] = contextvars.ContextVar(
    "actorflow_current_run", default=None
)


def current_run() -> FlowRunContext | TaskRunContext | None:
    return _current.get()


def current_flow_run() -> FlowRunContext | None:
    """The flow run of the current code, whether in the flow body or in one of its tasks."""
    run = _current.get()
    if isinstance(run, TaskRunContext):
        return run.flow_run
    return run


def set_current(run: FlowRunContext | TaskRunContext | None) -> contextvars.Token[Any]:
    return _current.set(run)


def reset_current(token: contextvars.Token[Any]) -> None:
    _current.reset(token)


def get_run_logger() -> logging.LoggerAdapter[logging.Logger]:
    """A logger for the current flow run or task run.

    Its lines go through the same console output as actorflow's own lines
    (`HH:MM:SS.mmm | message`) and carry the run's names as `extra` fields
    (`flow_run_name`, `task_run_name`) for users' own formatters.

    Raises:
        MissingContextError: when called outside a flow run or task run.
    """
    run = _current.get()
    if run is None:
        msg = (
            "get_run_logger() was called outside a flow run or task run; call it inside a "
            "function decorated with @flow or @task, or use logging.getLogger() elsewhere"
        )
        raise MissingContextError(msg)
    if isinstance(run, TaskRunContext):
        extra = {"task_run_name": run.task_run_name, "flow_run_name": run.flow_run_name}
        return logging.LoggerAdapter(task_run_logger, extra)
    return logging.LoggerAdapter(
        flow_run_logger, {"flow_run_name": run.flow_run_name, "task_run_name": None}
    )
