"""actorflow: Prefect-style flows and tasks on an actor runtime.

```python
from actorflow import flow, task, get_run_logger
```
"""

from actorflow._annotations import allow_failure, unmapped
from actorflow._context import get_run_logger
from actorflow._exceptions import (
    ActorflowError,
    FlowRunCancelled,
    ForeignFutureError,
    MissingContextError,
    RunNotCompletedError,
    StateNotFinalError,
    SystemShutDownError,
    TaskRunnerError,
    WorkerLostError,
)
from actorflow._runs import FlowRunRef, TaskRunSnapshot
from actorflow._sleep import sleep
from actorflow._supervision import Backoff, Child, Supervisor
from actorflow.actors.system import ActorSystem
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
    "MissingContextError",
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
