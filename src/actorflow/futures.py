"""`TaskFuture`, the handle on a task run, and the functions that wait on several.

```python
fut = my_task.submit(1)            # returns at once
fut.result(timeout=None)           # the value, or the task's exception raised
fut.wait(timeout=None)             # the final State, or None on timeout
done, not_done = wait(futures, timeout=None)
for fut in as_completed(futures, timeout=None): ...
```
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from actorflow._context import TaskRunContext, current_flow_run, current_run
from actorflow._exceptions import ActorflowError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from actorflow.states import State

__all__ = ["TaskFuture", "TaskFutureWriter", "as_completed", "wait"]

R = TypeVar("R")
logger = logging.getLogger("actorflow.futures")


def _check_cancelled() -> None:
    flow_run = current_flow_run()
    if flow_run is not None:
        flow_run.check_cancelled()


def _helping_backend() -> Any:
    """The backend whose worker the current thread is, if a task runs here and may help."""
    run = current_run()
    if isinstance(run, TaskRunContext) and run.flow_run is not None:
        backend = run.flow_run.backend
        if backend is not None and backend.runs_on_this_thread():
            return backend
    return None


def _waker(backend: Any) -> Callable[[object], None] | None:
    """A done-callback that wakes `backend`'s helping threads (`help_until` sleeps until
    woken, never polls): to register, on a future or countdown the thread helps until, after
    whatever makes its `done()` true. None for a backend that has no `wake_helpers()`."""
    wake_helpers: Callable[[], object] | None = getattr(backend, "wake_helpers", None)
    if wake_helpers is None:
        return None

    def wake(_done: object) -> None:
        wake_helpers()

    return wake


class TaskFuture(Generic[R]):
    """The eventual outcome of one task run.

    Updated by the task-run actor as the run moves, and resolved exactly once, when it
    reaches a final state. `wait()`, `result()` and the module's `wait()`/`as_completed()`
    block the calling thread — a flow body or another user thread — always with an optional
    timeout. A task that waits on futures runs its runner's queued tasks meanwhile, so waiting
    inside a task never deadlocks its runner; with none to run it sleeps until a done-callback
    wakes it (see `ExecutorBackend.help_until`). Everything here is safe from any thread.
    """

    __slots__ = (
        "_callbacks",
        "_final",
        "_latch",
        "_lock",
        "_state",
        "flow_run_id",
        "task_run_id",
        "task_run_name",
    )

    def __init__(self, *, task_run_id: str, task_run_name: str, flow_run_id: str) -> None:
        self.task_run_id = task_run_id
        self.task_run_name = task_run_name
        self.flow_run_id = flow_run_id
        # A lock held until the run ends: waiting is acquiring it (and passing it on at
        # once, so every waiter gets through). Cheaper to create than a threading.Event.
        self._latch = threading.Lock()
        self._latch.acquire()
        self._lock = threading.Lock()
        self._state: State | None = None
        self._final = False
        self._callbacks: list[Callable[[TaskFuture[R]], object]] | None = None

    def __repr__(self) -> str:
        return f"<TaskFuture {self.task_run_name!r} {self._state}>"

    @property
    def state(self) -> State | None:
        """The run's current state (final once `done()`); None before it has one."""
        return self._state

    def done(self) -> bool:
        """Whether the run has reached its final state."""
        return self._final

    def wait(self, timeout: float | None = None) -> State | None:
        """Block until the run ends; its final state, or None if `timeout` passed first.

        Raises:
            FlowRunCancelled: called in a flow run that was cancelled.
        """
        _check_cancelled()
        if self._final:
            return self._state
        backend = _helping_backend()
        if backend is not None:
            wake = _waker(backend)
            if wake is not None and (timeout is None or timeout > 0):
                self.add_done_callback(wake)  # runs once `_final` is set: `done()` holds
            backend.help_until(self.done, timeout)
        elif self._latch.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            self._latch.release()
        return self._state if self._final else None

    def result(self, timeout: float | None = None, *, raise_on_failure: bool = True) -> R:
        """The run's return value; raises its exception if it did not complete.

        With `raise_on_failure=False`, the exception is returned instead of raised.

        Raises:
            TimeoutError: the run did not end within `timeout` seconds.
        """
        state = self.wait(timeout)
        if state is None:
            msg = f"task run {self.task_run_name!r} did not finish within {timeout} second(s)"
            raise TimeoutError(msg)
        result: R = state.result(raise_on_failure=raise_on_failure)
        return result

    def add_done_callback(self, fn: Callable[[TaskFuture[R]], object]) -> None:
        """Call `fn(future)` once the run has ended: at once, in this thread, if it has;
        otherwise on the thread that ends it: the thread that reported the task's outcome
        (a runner's worker thread, the flow body that ran it, the Dask runner's reporter) or
        one of the actor system's pool threads (after a timeout, a retry delay or a
        cancellation) — never the clock's thread. `fn` must be quick and must not block:
        those threads run other task runs' bookkeeping. An exception in `fn` is logged."""
        with self._lock:
            if not self._final:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(fn)
                return
        _run_callback(fn, self)


class TaskFutureWriter(TaskFuture[R]):
    """The runtime's side of a `TaskFuture`: the task-run actor that creates one is its one
    writer, and users see it as a plain `TaskFuture`. Thread rules: `set_state` and
    `resolve` are called only by that actor's handlers."""

    __slots__ = ()

    def set_state(self, state: State) -> None:
        """Publish the run's current state."""
        self._state = state

    def resolve(self, state: State) -> None:
        """Set the final state and run the callbacks. Called once."""
        with self._lock:
            if self._final:
                msg = f"{self!r} is already resolved"
                raise ActorflowError(msg)
            self._state = state
            self._final = True
            callbacks, self._callbacks = self._callbacks, None
        self._latch.release()
        if callbacks:
            for fn in callbacks:
                _run_callback(fn, self)


def _run_callback(fn: Callable[[TaskFuture[Any]], object], future: TaskFuture[Any]) -> None:
    try:
        fn(future)
    except BaseException:  # even SystemExit: it must not take down the thread that ran it
        logger.exception("A done-callback of %r raised", future)


def wait(
    futures: Iterable[TaskFuture[Any]], timeout: float | None = None
) -> tuple[set[TaskFuture[Any]], set[TaskFuture[Any]]]:
    """Wait until every future is done, or `timeout` seconds pass.

    Returns `(done, not_done)`, two sets. Never raises for a failed task run.
    """
    pending = list(futures)
    remaining = _Countdown(len(pending), _helping_backend())
    for future in pending:
        future.add_done_callback(remaining.count_down)
    remaining.wait(timeout)
    done = {f for f in pending if f.done()}
    return done, set(pending) - done


def as_completed(
    futures: Iterable[TaskFuture[Any]], timeout: float | None = None
) -> Iterator[TaskFuture[Any]]:
    """Yield the futures as their runs end, first finished first.

    Raises:
        TimeoutError: `timeout` seconds passed (counted from the call) before all ended.
    """
    pending = list(dict.fromkeys(futures))
    finished: queue.SimpleQueue[TaskFuture[Any]] = queue.SimpleQueue()
    backend = _helping_backend()
    wake = None if backend is None else _waker(backend)
    on_done = finished.put if wake is None else _then(finished.put, wake)
    for future in pending:
        future.add_done_callback(on_done)
    deadline = None if timeout is None else time.monotonic() + timeout
    for _ in range(len(pending)):
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        if backend is not None:
            backend.help_until(lambda: not finished.empty(), remaining)
        try:
            yield finished.get(timeout=remaining) if backend is None else finished.get_nowait()
        except queue.Empty:
            left = sum(not f.done() for f in pending)
            msg = f"{left} of {len(pending)} task runs did not finish within {timeout} second(s)"
            raise TimeoutError(msg) from None


def _then(
    first: Callable[[TaskFuture[Any]], object], then: Callable[[object], None]
) -> Callable[[TaskFuture[Any]], None]:
    """A done-callback that calls `first`, then `then` (a waker: once `done()` holds)."""

    def both(future: TaskFuture[Any]) -> None:
        first(future)
        then(future)

    return both


class _Countdown:
    """Released when `count_down` has been called `n` times.

    `backend`: the backend whose worker waits (helping it meanwhile), or None. Its helpers
    are woken when the count reaches zero, after the release.
    """

    def __init__(self, n: int, backend: Any = None) -> None:
        self._left = n
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._backend = backend
        self._wake = None if backend is None else _waker(backend)
        if n == 0:
            self._event.set()

    def count_down(self, _future: object) -> None:
        with self._lock:
            self._left -= 1
            if self._left != 0:
                return
            self._event.set()
        if self._wake is not None:
            self._wake(None)

    def wait(self, timeout: float | None) -> bool:
        if self._backend is not None:
            return bool(self._backend.help_until(self._event.is_set, timeout))
        return self._event.wait(timeout)
