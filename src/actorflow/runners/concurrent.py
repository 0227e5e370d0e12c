"""`ConcurrentTaskRunner`: tasks run concurrently on a bounded pool of threads."""

from __future__ import annotations

from dataclasses import dataclass

from actorflow.runners.base import Backend, TaskRunner
from actorflow.runners.executor import ExecutorBackend, default_max_workers

__all__ = ["ConcurrentTaskRunner"]


@dataclass(frozen=True, kw_only=True)
class ConcurrentTaskRunner(TaskRunner):
    """Runs tasks concurrently on a pool of threads owned by the flow run's runner.

    Args:
        max_workers: the most threads running tasks at once. The default, as for
            `concurrent.futures.ThreadPoolExecutor`, is `min(32, os.cpu_count() + 4)`.
            Threads start as tasks need them and stop when the flow run ends.

    Threads suit tasks that wait (I/O, subprocesses, network) or release the GIL; for
    CPU-bound Python, use `DaskTaskRunner` with processes. A task waiting on a future it
    submitted runs queued tasks meanwhile, so waiting never deadlocks the pool, even with
    `max_workers=1`.
    """

    max_workers: int | None = None

    def __post_init__(self) -> None:
        if self.max_workers is not None and (
            isinstance(self.max_workers, bool)
            or not isinstance(self.max_workers, int)
            or self.max_workers < 1
        ):
            msg = f"ConcurrentTaskRunner(max_workers=...) must be a positive int or None, got {self.max_workers!r}"
            raise ValueError(msg)

    def create_backend(self) -> Backend:
        return ExecutorBackend(
            max_workers=self.max_workers or default_max_workers(), name=self.name
        )
