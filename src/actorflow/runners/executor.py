"""In-process execution: a queue of ready task calls and the threads that run them.

Shared by `SequentialTaskRunner` (one call at a time) and `ConcurrentTaskRunner` (a
bounded pool). The runner actor owns the backend: it starts it and shuts it down. Other
threads use these thread-safe entry points (and `abandon`, for a timed-out call):

- `submit(call)` queues a call (one hand-off to a worker thread);
- `run_here(call)` lets the thread that is about to block on a call's result run it
  itself, when the runner has a free slot and nothing was queued before it ("caller
  runs"): a task called from a flow body then costs no hand-off at all;
- `help_until(done, timeout)` lets a task that waits on futures run queued calls
  meanwhile, so waiting never deadlocks the runner, even with one slot. With nothing it may
  run, it sleeps until woken, never polls: by a call queued, or by
- `wake_helpers()`, which the waiter's done-callbacks call once what it waits for has
  happened (a future resolved, a countdown reached zero).

`max_workers` bounds the calls *running* at once (waiting ones, helping, do not count
twice); it is 1 for the sequential runner, so calls run one at a time, in queue order.
A call runs only if its `claim()` succeeds, so a call cancelled or timed out before it
started never starts. Python cannot stop a thread: when a running call times out, its
worker is *abandoned* — its slot is freed and a new thread takes over at once, and the old
one exits when the call returns (the task run has moved on and ignores its result).
"""

from __future__ import annotations

import collections
import itertools
import os
import threading
import time
from typing import TYPE_CHECKING

from actorflow._exceptions import TaskRunnerError
from actorflow.runners.base import Backend

if TYPE_CHECKING:
    from collections.abc import Callable

    from actorflow._context import TaskCall

__all__ = ["ExecutorBackend", "default_max_workers"]

_names = itertools.count()


def default_max_workers() -> int:
    """`ConcurrentTaskRunner`'s default, as `concurrent.futures.ThreadPoolExecutor`'s."""
    return min(32, (os.cpu_count() or 1) + 4)


class _Worker:
    """One executor thread's bookkeeping. Fields change under the backend's lock."""

    __slots__ = ("abandoned", "running", "thread")

    def __init__(self) -> None:
        self.abandoned = False
        self.running: list[TaskCall] = []  # the calls it runs now, outermost first (helping)
        self.thread: threading.Thread | None = None


class ExecutorBackend(Backend):
    """Runs calls on up to `max_workers` slots, in queue order."""

    def __init__(self, *, max_workers: int, name: str) -> None:
        self._max_workers = max_workers
        self._name = name
        # `with self._lock` where only the lock is needed: entering the Condition costs a
        # Python-level call, on the per-task path.
        self._lock = lock = threading.Lock()
        self._cond = threading.Condition(lock)  # idle workers wait here
        self._help_cond = threading.Condition(lock)  # helping threads wait here
        # Guarded by the lock. Invariants: _running <= _max_workers counts calls executing
        # at top level (on workers or callers, abandoned ones excluded); _idle counts idle
        # workers not yet notified; a worker is notified or spawned whenever calls are
        # queued and a slot is free.
        self._queue: collections.deque[TaskCall] = collections.deque()
        self._running = 0
        self._workers: list[_Worker] = []
        self._idle = 0
        self._helpers = 0
        self._closed = False
        self._local = threading.local()  # .depth: calls of this backend running on a thread
        self._prefix = f"actorflow-worker-{next(_names)}"

    # -- runner actor thread ---------------------------------------------------------------

    def start(self) -> None:
        """Nothing to start: workers are spawned when calls are queued."""

    def shutdown(self) -> None:
        with self._cond:
            self._closed = True
            workers = [w for w in self._workers if not w.abandoned]
            self._idle = 0
            self._cond.notify_all()
        for worker in workers:
            if worker.thread is not None and worker.thread is not threading.current_thread():
                worker.thread.join()

    # -- any thread ------------------------------------------------------------------------

    def submit(self, call: TaskCall) -> None:
        with self._lock:
            if self._closed:
                msg = f"the {self._name} of this flow run is shut down"
                raise TaskRunnerError(msg)
            self._queue.append(call)
            self._wake_locked()

    def run_here(self, call: TaskCall) -> bool:
        """Run `call` on this thread now, if a slot is free and nothing is queued before it.

        For a thread about to block on this call's result. False: queue it instead.
        """
        with self._lock:
            if self._closed or self._queue or self._running >= self._max_workers:
                return False
            self._running += 1
        try:
            self._execute(call, None)
        finally:
            with self._lock:
                self._running -= 1
                self._wake_locked()
        return True

    def abandon(self, call: TaskCall) -> None:
        """`call` timed out while running on a worker: free its slot, replace the thread."""
        worker = call.worker
        if not isinstance(worker, _Worker):
            return
        with self._cond:
            if call not in worker.running or worker.abandoned:
                return
            worker.abandoned = True
            self._running -= 1
            self._workers.remove(worker)
            self._wake_locked()

    def help_until(self, done: Callable[[], bool], timeout: float | None) -> bool:
        """On a thread running one of this backend's calls: run queued calls until `done()`.

        The thread already holds a slot, so the calls it runs meanwhile take no other (and
        it runs none that may time out: see `_helpable_locked`). With none to run, it sleeps
        until a call is queued, or `wake_helpers()` is called, or `timeout` seconds (None:
        no limit) have passed since the call. Returns `done()`: False on timeout.

        Whatever makes `done()` true must then call `wake_helpers()` (typically a
        done-callback of the awaited future), or this thread sleeps on. `done()` is
        evaluated with the backend's lock held, so a wake-up cannot slip in between the check
        and the sleep: it must be a quick read that takes no lock and never calls into the
        backend (`TaskFuture.done`, `Event.is_set`, `SimpleQueue.empty`).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        worker = getattr(self._local, "worker", None)
        cond = self._help_cond
        while True:
            with cond:
                if done():
                    return True
                remaining = None
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                call = self._helpable_locked()
                if call is None:
                    self._helpers += 1
                    try:
                        cond.wait(remaining)
                    finally:
                        self._helpers -= 1
                    continue
            self._execute(call, worker)
            del call  # not held (with its arguments) while this thread sleeps

    def wake_helpers(self) -> None:
        """Wake the threads sleeping in `help_until`, to evaluate their `done()` again.

        Any thread; quick; never blocks beyond the backend's lock, so it may be called from a
        done-callback. Call it after making a helper's `done()` true, not before.
        """
        with self._lock:
            if self._helpers:
                self._help_cond.notify_all()

    def runs_on_this_thread(self) -> bool:
        """Whether the current thread is running one of this backend's calls."""
        return getattr(self._local, "depth", 0) > 0

    # -- internals -------------------------------------------------------------------------

    def _helpable_locked(self) -> TaskCall | None:
        """The first queued call a helping thread may run, taken off the queue. A call that
        may time out is left to a worker: a helping thread could not be abandoned."""
        for index, call in enumerate(self._queue):
            if not call.may_time_out:
                del self._queue[index]
                return call
        return None

    def _wake_locked(self) -> None:
        if not self._queue:
            return
        if self._helpers:
            self._help_cond.notify_all()
        if self._running >= self._max_workers:
            return
        if self._idle:
            self._idle -= 1  # this notification is spoken for: count it once
            self._cond.notify()
        elif len(self._workers) < self._max_workers and not self._closed:
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
        cond = self._cond
        while True:
            with cond:
                while not (self._queue and self._running < self._max_workers):
                    if self._closed:
                        return
                    self._idle += 1  # the notifier takes it back off (see _wake_locked)
                    cond.wait()
                call = self._queue.popleft()
                self._running += 1
            self._execute(call, worker)
            del call  # not held (with its arguments) while this thread waits for the next
            with self._lock:
                if worker.abandoned:
                    return
                self._running -= 1
                self._wake_locked()

    def _execute(self, call: TaskCall, worker: _Worker | None) -> None:
        flow_run = call.flow_run
        if flow_run is not None and flow_run.cancelled.is_set():
            # Its flow run was cancelled (or timed out) while the call waited in the queue:
            # it never starts. Its task run hears of the cancel from the flow run's ledger
            # and ends Cancelled (that claim succeeds, as nobody claimed the call here).
            return
        if not call.claim():
            return  # cancelled or timed out before it started
        local = self._local
        depth = getattr(local, "depth", 0)
        local.depth = depth + 1
        call.worker = worker
        if worker is not None:
            worker.running.append(call)
        try:
            call.run_and_report()
        finally:
            local.depth = depth
            if worker is not None:
                worker.running.pop()
