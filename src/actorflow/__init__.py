"""actorflow: Prefect-style flows and tasks on an actor runtime.

```python
from actorflow import flow, task, get_run_logger
```
"""

from actorflow._annotations import allow_failure, unmapped
from actorflow._context import get_run_logger
from actorflow._exceptions import (
    ActorflowError,
    ForeignFutureError,
    MissingContextError,
    RunNotCompletedError,
    StateNotFinalError,
    TaskRunnerError,
    WorkerLostError,
)
from actorflow.flows import Flow, flow
from actorflow.futures import TaskFuture, as_completed, wait
from actorflow.states import State, StateType
from actorflow.tasks import Task, task

__all__ = [
    "ActorflowError",
    "Flow",
    "ForeignFutureError",
    "MissingContextError",
    "RunNotCompletedError",
    "State",
    "StateNotFinalError",
    "StateType",
    "Task",
    "TaskFuture",
    "TaskRunnerError",
    "WorkerLostError",
    "allow_failure",
    "as_completed",
    "flow",
    "get_run_logger",
    "task",
    "unmapped",
    "wait",
]

__version__ = "0.1.0"
