"""The exceptions actorflow raises.

    ActorflowError                 root: catch this to catch anything actorflow raises
    ├── MissingContextError        a run-only API was used outside a flow or task run
    ├── StateNotFinalError         a result was asked of a state that has not ended
    ├── SystemShutDownError        an ActorSystem that was shut down was asked to start a run
    ├── RunNotCompletedError       a run ended without completing and had no exception
    ├── ResultNotAvailableError    a result left on a Dask cluster that has shut down
    ├── TaskRunnerError            a task runner could not start or do its work
    │   └── WorkerLostError        the process running a task died (the run crashes)
    ├── TaskRunTimeoutError        a task run exceeded its timeout_seconds (a TimeoutError)
    ├── FlowRunTimeoutError        a flow run exceeded its timeout_seconds (a TimeoutError)
    ├── ForeignFutureError         a future from another flow run was passed to a task
    └── RemoteTaskError            a task's exception that could not travel back from a Dask
                                   worker as itself (its type, message and traceback, as text)

    FlowRunCancelled (BaseException) the flow run was cancelled: raised in its body at
                                   its next call into actorflow; `except Exception` does
                                   not catch it, so the body unwinds

User code's own exceptions are never wrapped: a task that raises `ValueError` makes the
caller see that `ValueError`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ActorflowError",
    "FlowRunCancelled",
    "FlowRunTimeoutError",
    "ForeignFutureError",
    "MissingContextError",
    "RemoteTaskError",
    "ResultNotAvailableError",
    "RunNotCompletedError",
    "StateNotFinalError",
    "SystemShutDownError",
    "TaskRunTimeoutError",
    "TaskRunnerError",
    "WorkerLostError",
]


class ActorflowError(Exception):
    """Root of every exception actorflow raises itself."""


class MissingContextError(ActorflowError, RuntimeError):
    """An API that needs a running flow or task was called outside one."""


class StateNotFinalError(ActorflowError):
    """`State.result()` was called on a state that is not final."""


class RunNotCompletedError(ActorflowError):
    """A run ended in a non-completed state that carries no exception of its own."""


class ResultNotAvailableError(ActorflowError):
    """A task's result stayed on the Dask cluster that computed it, and can no longer be
    fetched: the flow run (and its cluster or client) ended, or the workers lost it.

    Ask for results while the flow run is running (`future.result()`, or return the
    value from the flow), or pass the future to a downstream task.
    """


class TaskRunnerError(ActorflowError):
    """A task runner failed: it could not start its backend, or lost it."""


class ForeignFutureError(ActorflowError, ValueError):
    """A future that belongs to another flow run was passed to a task."""


class WorkerLostError(TaskRunnerError):
    """The worker process running a task died, or lost the task; the task run crashes.

    A task's `retries` apply to it, as to any failed attempt.
    """


class TaskRunTimeoutError(ActorflowError, TimeoutError):
    """A task run's attempt exceeded the task's `timeout_seconds`.

    Its own type, so that a caller can tell it from a `TimeoutError` of its own waits
    (`future.result(timeout=...)` raises the builtin `TimeoutError`).
    """


class FlowRunTimeoutError(ActorflowError, TimeoutError):
    """A flow run's body exceeded the flow's `timeout_seconds`."""


class RemoteTaskError(ActorflowError):
    """A task on a Dask worker raised an exception that cannot be pickled (or unpickled),
    so it could not travel back as itself: this carries what can, as text.

    `str()` is `<type name>: <message>`; `type_name`, `message` and `traceback` (the
    formatted traceback from the worker) are attributes.
    """

    def __init__(self, type_name: str, message: str, traceback: str) -> None:
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name
        self.message = message
        self.traceback = traceback

    def __reduce__(self) -> tuple[Any, ...]:
        return (RemoteTaskError, (self.type_name, self.message, self.traceback))


class FlowRunCancelled(BaseException):
    """The flow run was cancelled. Raised in the flow body at its next call into actorflow
    (a task call, `submit`, `map`, waiting on a future, `actorflow.sleep`).

    A `BaseException`, like `KeyboardInterrupt`: `except Exception` in user code does not
    swallow it. Catch it only to clean up, and re-raise it.
    """


class SystemShutDownError(ActorflowError, RuntimeError):
    """The actor system was shut down; it starts nothing any more."""
