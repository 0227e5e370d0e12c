"""In-process execution: a queue of ready task calls and the threads that run them.

Shared by `SequentialTaskRunner` (one thread) and `ConcurrentTaskRunner` (a bounded pool).
The runner actor owns the backend: it starts it and shuts it down. `submit` is the one entry
point used from other threads — a thread-safe queue put — so handing a task to the backend
costs one hand-off, not a trip through the runner actor's mailbox first.

Three things make blocking safe:

- **helping** — a task that waits on a future (its own submissions) runs queued calls of
  the same backend on its thread while it waits (`help_until`), so even one worker never
  deadlocks on a task that waits for a task behind it;
- **claiming** — a call runs only if its `claim()` succeeds, so a call cancelled or timed
  out before it started never starts;
- **abandoning** — Python cannot stop a thread. When a running call times out, its thread
  is abandoned: a new thread takes its place at once, and the old one exits when the call
  returns (its result is ignored: the task run has moved on).
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from typing import TYPE_CHECKING, Final

from actorflow._exceptions import TaskRunnerError
from actorflow.runners.base import Backend

if TYPE_CHECKING:
    from collections.abc import Callable

    from actorflow.actors.task_call import TaskCall

__all__ = ["ExecutorBackend"]

_STOP: Final = None
_HELP_POLL: Final = 0.005
_names = itertools.count()


class _Worker:
    """One executor thread's bookkeeping."""

    __slots__ = ("abandoned", "current", "thread")

    def __init__(self) -> None:
        self.abandoned = False
        self.current: TaskCall | None = None  # the call it runs now (innermost, if helping)
        self.thread: threading.Thread | None = None


class ExecutorBackend(Backend):
    """Runs calls on up to `max_workers` threads, in submission order of the queue."""

    def __init__(self, *, max_workers: int, name: str) -> None:
        self._max_workers = max_workers
        self._name = name
        self._queue: queue.SimpleQueue[TaskCall | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        # Guarded by _lock: the live (not abandoned) workers, how many wait for work, and
        # how many calls are queued. Invariant: a thread is spawned whenever more calls are
        # queued than workers are idle, up to max_workers.
        self._workers: list[_Worker] = []
        self._idle = 0
        self._queued = 0
        self._closed = False
        self._local = threading.local()
        self._prefix = f"actorflow-worker-{next(_names)}"

    # -- runner actor thread ---------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._spawn_locked()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._workers)
        for _ in workers:
            self._queue.put(_STOP)
        for worker in workers:
            if worker.thread is not None and worker.thread is not threading.current_thread():
                worker.thread.join()

    # -- any thread ------------------------------------------------------------------------

    def submit(self, call: TaskCall) -> None:
        if self._closed:
            msg = f"the {self._name} of this flow run is shut down"
            raise TaskRunnerError(msg)
        with self._lock:
            self._queued += 1
            if self._queued > self._idle and len(self._workers) < self._max_workers:
                self._spawn_locked()
        self._queue.put(call)

    def abandon(self, call: TaskCall) -> None:
        """`call` timed out while running: replace its thread, let the old one go."""
        worker = call.worker
        if not isinstance(worker, _Worker):
            return
        with self._lock:
            if worker.current is not call or worker.abandoned or worker not in self._workers:
                return
            worker.abandoned = True
            self._workers.remove(worker)
            if not self._closed:
                self._spawn_locked()

    def help_until(self, done: Callable[[], bool], timeout: float | None) -> bool:
        """On a thread running one of this backend's calls: run queued calls until `done()`.

        Returns `done()`. Called by a task that waits on a future (see `TaskFuture.wait`).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not done():
            if deadline is not None and time.monotonic() >= deadline:
                break
            try:
                call = self._queue.get(timeout=_HELP_POLL)
            except queue.Empty:
                continue
            if call is _STOP:  # shutting down: give it back to a worker
                self._queue.put(_STOP)
                time.sleep(_HELP_POLL)
                continue
            with self._lock:
                self._queued -= 1
            self._execute(call, getattr(self._local, "worker", None))
        return done()

    def runs_on_this_thread(self) -> bool:
        """Whether the current thread is one of this backend's workers."""
        return getattr(self._local, "worker", None) is not None

    # -- internals -------------------------------------------------------------------------

    def _spawn_locked(self) -> None:
        worker = _Worker()
        thread = threading.Thread(
            target=self._work,
            args=(worker,),
            name=f"{self._prefix}-{len(self._workers)}",
            daemon=True,
        )
        worker.thread = thread
        self._workers.append(worker)
        thread.start()

    def _work(self, worker: _Worker) -> None:
        self._local.worker = worker
        get = self._queue.get
        while True:
            with self._lock:
                self._idle += 1
            call = get()
            with self._lock:
                self._idle -= 1
                if call is not _STOP:
                    self._queued -= 1
            if call is _STOP:
                return
            self._execute(call, worker)
            if worker.abandoned:
                return

    @staticmethod
    def _execute(call: TaskCall, worker: _Worker | None) -> None:
        if not call.claim():
            return  # cancelled or timed out before it started
        call.worker = worker
        if worker is None:
            call.run_and_report()
            return
        outer, worker.current = worker.current, call
        try:
            call.run_and_report()
        finally:
            worker.current = outer


def default_max_workers() -> int:
    """`ConcurrentTaskRunner`'s default: as `concurrent.futures.ThreadPoolExecutor`."""
    import os

    return min(32, (os.cpu_count() or 1) + 4)
