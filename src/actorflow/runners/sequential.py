"""`SequentialTaskRunner`: one task at a time, in submission order."""

from __future__ import annotations

from dataclasses import dataclass

from actorflow.runners.base import Backend, TaskRunner
from actorflow.runners.executor import ExecutorBackend

__all__ = ["SequentialTaskRunner"]


@dataclass(frozen=True)
class SequentialTaskRunner(TaskRunner):
    """Runs tasks one at a time, in the order they become ready to run.

    The flow run's runner owns one executor thread; every task run executes there, so
    there is no parallelism: the cheapest runner per task, and the default. A task that
    waits on a future it submitted runs the queued tasks itself meanwhile, so it does not
    deadlock; a task that times out is abandoned on its thread and a fresh thread carries
    on with the tasks after it.
    """

    def create_backend(self) -> Backend:
        return ExecutorBackend(max_workers=1, name=self.name)
