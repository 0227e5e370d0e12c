"""actorflow: Prefect-style flows and tasks on an actor runtime.

```python
from actorflow import flow, task, get_run_logger
```
"""

import importlib
from typing import TYPE_CHECKING, Any

from actorflow._annotations import allow_failure, unmapped
from actorflow._context import get_run_logger
from actorflow._exceptions import (
    ActorflowError,
    FlowRunCancelled,
    FlowRunTimeoutError,
    ForeignFutureError,
    MissingContextError,
    RemoteTaskError,
    ResultNotAvailableError,
    RunNotCompletedError,
    StateNotFinalError,
    SystemShutDownError,
    TaskRunnerError,
    TaskRunTimeoutError,
    WorkerLostError,
)
from actorflow._sleep import sleep
from actorflow.core.supervision import Backoff, Child, Group
from actorflow.flows import Flow, flow
from actorflow.futures import TaskFuture, as_completed, wait
from actorflow.states import State, StateType
from actorflow.tasks import Task, task

__all__ = [
    "ActorSystem",
    "ActorflowError",
    "Backoff",
    "Child",
    "Flow",
    "FlowRunCancelled",
    "FlowRunRef",
    "FlowRunTimeoutError",
    "ForeignFutureError",
    "Group",
    "MissingContextError",
    "RemoteTaskError",
    "ResultNotAvailableError",
    "RunNotCompletedError",
    "State",
    "StateNotFinalError",
    "StateType",
    "Supervisor",
    "SystemShutDownError",
    "Task",
    "TaskFuture",
    "TaskRunSnapshot",
    "TaskRunTimeoutError",
    "TaskRunnerError",
    "WorkerLostError",
    "allow_failure",
    "as_completed",
    "flow",
    "get_run_logger",
    "sleep",
    "task",
    "unmapped",
    "wait",
]

__version__ = "0.1.0"

# The actor runtime loads on first use (the first flow run, or one of these names):
# `import actorflow` stays light for scripts that only define flows. Type checkers see
# the names through the TYPE_CHECKING imports.
_LAZY = {
    "ActorSystem": "actorflow.system",
    "FlowRunRef": "actorflow.actors.handle",
    "Supervisor": "actorflow.actors.supervisor",
    "TaskRunSnapshot": "actorflow.actors.messages",
}

if TYPE_CHECKING:
    from actorflow.actors.handle import FlowRunRef
    from actorflow.actors.messages import TaskRunSnapshot
    from actorflow.actors.supervisor import Supervisor
    from actorflow.system import ActorSystem


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'actorflow' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
