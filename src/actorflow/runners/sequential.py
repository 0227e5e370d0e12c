"""`SequentialTaskRunner`: one task at a time, in submission order, on the runner's thread."""

from __future__ import annotations

from dataclasses import dataclass

from actorflow.runners.base import Backend, TaskCall, TaskRunner

__all__ = ["SequentialTaskRunner"]


@dataclass(frozen=True)
class SequentialTaskRunner(TaskRunner):
    """Runs tasks one at a time, in the order they were submitted.

    Each task executes on the thread of the flow run's runner actor, so there is no
    parallelism and no thread pool: the cheapest runner per task, and the default.
    """

    def create_backend(self) -> Backend:
        return _SequentialBackend()


class _SequentialBackend(Backend):
    """Executes each call right away on the runner actor's thread (hence in order)."""

    def submit(self, call: TaskCall) -> None:
        call.run_and_report()
