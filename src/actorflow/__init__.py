"""actorflow: Prefect-style flows and tasks on an actor runtime.

```python
from actorflow import flow, task, get_run_logger
```
"""

import importlib
from typing import TYPE_CHECKING, Any

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

# Every name loads on first use: `import actorflow` costs almost nothing, so the
# `actorflow` command (which reads the journal only) starts fast, and the actor runtime
# loads with the first flow run. Type checkers see the names through the TYPE_CHECKING
# imports.
_LAZY = {
    "ActorSystem": "actorflow.system",
    "ActorflowError": "actorflow._exceptions",
    "Backoff": "actorflow.core.supervision",
    "Child": "actorflow.core.supervision",
    "Flow": "actorflow.flows",
    "FlowRunCancelled": "actorflow._exceptions",
    "FlowRunRef": "actorflow.actors.handle",
    "FlowRunTimeoutError": "actorflow._exceptions",
    "ForeignFutureError": "actorflow._exceptions",
    "Group": "actorflow.core.supervision",
    "MissingContextError": "actorflow._exceptions",
    "RemoteTaskError": "actorflow._exceptions",
    "ResultNotAvailableError": "actorflow._exceptions",
    "RunNotCompletedError": "actorflow._exceptions",
    "State": "actorflow.states",
    "StateNotFinalError": "actorflow._exceptions",
    "StateType": "actorflow.states",
    "Supervisor": "actorflow.actors.supervisor",
    "SystemShutDownError": "actorflow._exceptions",
    "Task": "actorflow.tasks",
    "TaskFuture": "actorflow.futures",
    "TaskRunSnapshot": "actorflow.actors.messages",
    "TaskRunTimeoutError": "actorflow._exceptions",
    "TaskRunnerError": "actorflow._exceptions",
    "WorkerLostError": "actorflow._exceptions",
    "allow_failure": "actorflow._annotations",
    "as_completed": "actorflow.futures",
    "flow": "actorflow.flows",
    "get_run_logger": "actorflow._context",
    "sleep": "actorflow._sleep",
    "task": "actorflow.tasks",
    "unmapped": "actorflow._annotations",
    "wait": "actorflow.futures",
}

if TYPE_CHECKING:
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
    from actorflow.actors.handle import FlowRunRef
    from actorflow.actors.messages import TaskRunSnapshot
    from actorflow.actors.supervisor import Supervisor
    from actorflow.core.supervision import Backoff, Child, Group
    from actorflow.flows import Flow, flow
    from actorflow.futures import TaskFuture, as_completed, wait
    from actorflow.states import State, StateType
    from actorflow.system import ActorSystem
    from actorflow.tasks import Task, task


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
