"""actorflow: Prefect-style flows and tasks on an actor runtime.

```python
from actorflow import flow, task, get_run_logger
```
"""

from typing import TYPE_CHECKING, Any

from actorflow._annotations import allow_failure, unmapped
from actorflow._context import get_run_logger
from actorflow._exceptions import (
    ActorflowError,
    FlowRunCancelled,
    ForeignFutureError,
    MissingContextError,
    ResultNotAvailableError,
    RunNotCompletedError,
    StateNotFinalError,
    SystemShutDownError,
    TaskRunnerError,
    WorkerLostError,
)
from actorflow._sleep import sleep
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
    "ForeignFutureError",
    "Group",
    "MissingContextError",
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

# The actor-system API loads on first use: `import actorflow` stays light for scripts that
# only call flows. Type checkers see the names through the TYPE_CHECKING imports.
_LAZY = {
    "ActorSystem": "actorflow.actors.system",
    "Backoff": "actorflow._supervision",
    "Child": "actorflow._supervision",
    "Group": "actorflow._supervision",
    "FlowRunRef": "actorflow._runs",
    "Supervisor": "actorflow._supervision",
    "TaskRunSnapshot": "actorflow._runs",
}

if TYPE_CHECKING:
    from actorflow._runs import FlowRunRef, TaskRunSnapshot
    from actorflow._supervision import Backoff, Child, Group, Supervisor
    from actorflow.actors.system import ActorSystem


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'actorflow' has no attribute {name!r}"
        raise AttributeError(msg)
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
