"""`TaskFuture`: the handle to a task run's eventual final state."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from actorflow._exceptions import ActorflowError

if TYPE_CHECKING:
    from actorflow.states import State

__all__ = ["TaskFuture"]

R = TypeVar("R")


class TaskFuture(Generic[R]):
    """The eventual outcome of one task run.

    Resolved exactly once, by the task-run actor, when the run reaches a final state.
    `wait()` and `result()` block the calling thread (a flow body or another user thread),
    always with an optional timeout; they are safe from any thread.
    """

    __slots__ = ("_latch", "_state", "flow_run_id", "task_run_id", "task_run_name")

    def __init__(self, *, task_run_id: str, task_run_name: str, flow_run_id: str) -> None:
        self.task_run_id = task_run_id
        self.task_run_name = task_run_name
        self.flow_run_id = flow_run_id
        # A lock held until the run ends: waiting is acquiring it (then passing it on at
        # once, so every waiter gets through). Cheaper to create than a threading.Event.
        self._latch = threading.Lock()
        self._latch.acquire()
        self._state: State | None = None

    def __repr__(self) -> str:
        state = self._state
        return f"<TaskFuture {self.task_run_name!r} {state if state is not None else 'pending'}>"

    @property
    def state(self) -> State | None:
        """The final state, or None while the run has not ended."""
        return self._state

    def done(self) -> bool:
        return self._state is not None

    def wait(self, timeout: float | None = None) -> State | None:
        """Block until the run ends; its final state, or None if `timeout` passed first."""
        state = self._state
        if state is not None:
            return state
        if self._latch.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            self._latch.release()
        return self._state

    def result(self, timeout: float | None = None, *, raise_on_failure: bool = True) -> Any:
        """The run's return value; raises its exception if it did not complete.

        Raises:
            TimeoutError: the run did not end within `timeout` seconds.
        """
        state = self.wait(timeout)
        if state is None:
            msg = f"task run {self.task_run_name!r} did not finish within {timeout} second(s)"
            raise TimeoutError(msg)
        return state.result(raise_on_failure=raise_on_failure)

    def _resolve(self, state: State) -> None:
        """Set the final state. Called once, by the owning task-run actor."""
        if self._state is not None:
            msg = f"{self!r} is already resolved"
            raise ActorflowError(msg)
        self._state = state
        self._latch.release()
