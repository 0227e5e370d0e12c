"""Which run the current code belongs to, and the runtime's entry points for it.

A `ContextVar` holds the innermost run: a flow body's thread holds its `FlowRunContext`;
the thread that executes a task holds a `TaskRunContext` (the `TaskCall` being executed)
for the duration of the call. A context is a snapshot of ids and names plus the run's
*port*: the one documented, thread-safe way into the actor runtime for this run (see
`FlowRunPort`). The decorators (`@task`, `@flow`) talk to the runtime only through it.

This module sits below the backends and the actors: it imports neither.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

from actorflow._exceptions import FlowRunCancelled, MissingContextError
from actorflow._logging import flow_run_logger, task_run_logger
from actorflow.core.events import SubmitRefused, TaskOutcome, TaskStarted
from actorflow.journal._entries import LOG as _LOG_ENTRY

if TYPE_CHECKING:
    from collections.abc import Callable

    from actorflow.core.policy import RetryPolicy
    from actorflow.states import State

__all__ = [
    "FlowRunContext",
    "FlowRunPort",
    "HelpingBackend",
    "RemoteTaskRunContext",
    "RunHandle",
    "TaskCall",
    "TaskRunContext",
    "TaskRunRequest",
    "current_flow_run",
    "current_run",
    "get_run_logger",
]


class HelpingBackend(Protocol):
    """What a waiting task needs of the backend that runs it (see `TaskFuture.wait`)."""

    def runs_on_this_thread(self) -> bool:
        """Whether the current thread executes this backend's calls (and so may help)."""

    def help_until(self, done: Callable[[], bool], timeout: float | None) -> bool:
        """Run queued calls on this thread until `done()` or the timeout; returns `done()`."""


class RunHandle(Protocol):
    """A started flow run, as the thread that started it sees it."""

    def wait(self, timeout: float | None = None) -> State | None:
        """The final state, once the run has ended; None if `timeout` passed first."""

    def cancel(self, message: str) -> None:
        """Ask the run to end Cancelled; returns at once."""


class TaskRunRequest(NamedTuple):
    """What `@task` asks the runtime for: one task run of `fn` with these arguments.

    A `NamedTuple` (immutable, and built in half the time of a frozen dataclass: one is made
    per task run)."""

    fn: Callable[..., Any]
    task_name: str
    task_key: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    upstreams: dict[str, tuple[Any, bool]]
    """The futures this run waits for: task run id -> (`TaskFuture`, allowed to fail)."""
    policy: RetryPolicy
    inline: Literal["nested", "caller"] | None
    """The submitter blocks on the result and may take the first attempt: "nested" (a
    task calling a task) runs it right there; "caller" (the flow body) runs it there if
    the runner has a free slot. None: the backend runs it."""


class FlowRunPort(Protocol):
    """The runtime's entry points for one flow run. Every method is safe from any thread;
    they are the only way the decorators reach the actors."""

    def start_task_run(self, request: TaskRunRequest, flow_run: FlowRunContext) -> Any:
        """Start a task run and return its `TaskFuture`. With `request.inline`, the calling
        thread may run the first attempt before this returns."""

    def start_subflow(
        self, flow: Any, args: tuple[Any, ...], kwargs: dict[str, Any], parent: FlowRunContext
    ) -> RunHandle:
        """Start a run of `flow` (a `Flow`) as a subflow of `parent`; returns at once."""


@dataclass(slots=True, kw_only=True, eq=False)
class FlowRunContext:
    """The flow run that the current thread works for. Safe to read from any thread."""

    flow_run_id: str
    flow_run_name: str
    flow_name: str
    port: FlowRunPort
    """The runtime's entry points for this run."""
    backend: HelpingBackend | None
    """The started backend (None if the runner is gone), for waiting tasks that help."""
    cancelled: threading.Event
    """Set by the flow-run actor when the run is cancelled; read by the body's calls."""
    # Per task key, the counter behind `<task>-<key>-<n>` run names. `next()` on an
    # itertools.count is atomic under the GIL, so any thread of the run may draw from it.
    task_counters: dict[str, itertools.count[int]] = field(default_factory=dict)
    _counters_lock: threading.Lock = field(default_factory=threading.Lock)

    def check_cancelled(self) -> None:
        """Raise `FlowRunCancelled` if this run was cancelled. Safe from any thread."""
        if self.cancelled.is_set():
            msg = f"flow run {self.flow_run_name!r} was cancelled"
            raise FlowRunCancelled(msg)

    def next_task_index(self, key: str) -> int:
        counter = self.task_counters.get(key)
        if counter is None:
            with self._counters_lock:
                counter = self.task_counters.setdefault(key, itertools.count())
        return next(counter)


class TaskRunContext:
    """The task run whose body the current thread is executing.

    In the flow's process this is the `TaskCall` being executed (no extra object per run);
    on a Dask worker, a `RemoteTaskRunContext`.
    """

    __slots__ = ()

    task_run_id: str
    task_run_name: str
    task_name: str
    flow_run: FlowRunContext | None
    """The owning flow run, when the task executes in the flow's process."""

    @property
    def flow_run_name(self) -> str:
        """The owning flow run's name."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteTaskRunContext(TaskRunContext):
    """A task run executing away from its flow run's actors (on a Dask worker)."""

    task_run_id: str
    task_run_name: str
    task_name: str
    flow_run: FlowRunContext | None = None
    flow_run_name: str = ""


@dataclass(slots=True, eq=False, kw_only=True)
class TaskCall(TaskRunContext):
    """One attempt at a task's function, the unit a backend executes.

    Carries the function and its resolved arguments by reference, the attempt number, and
    `report`, which delivers the attempt's events to its task run (the runtime gives it;
    it returns False once the task run has ended). A call runs at most once: whoever runs
    it must `claim()` it first. While it runs, it is also the thread's `TaskRunContext`.

    Thread rules: every method is safe from any thread.
    """

    task_run_id: str
    task_run_name: str
    task_name: str
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    report: Callable[[object], bool]
    flow_run: FlowRunContext | None
    attempt: int = 1
    may_time_out: bool = False
    """The task has a timeout: the call must run on a thread that can be abandoned (a
    backend's worker), never on a thread that helps while it waits (see `help_until`)."""
    worker: object = None
    """Set by a backend to what runs the call (to abandon it on timeout); the Dask
    backend clears it once the outcome is in."""
    _claim: threading.Lock = field(default_factory=threading.Lock)

    def claim(self) -> bool:
        """True exactly once: for the first caller, who must then run the call."""
        return self._claim.acquire(blocking=False)

    @property
    def flow_run_name(self) -> str:
        return self.flow_run.flow_run_name if self.flow_run is not None else ""

    def run(self) -> Any:
        """Call the function in the current thread, inside the task run's context.

        Raises:
            RecursionError: task runs already nest too deep on this thread (a task calling
                itself as a task, say): refused while the stack has room left for the
                runtime to end every run of the chain in order.
        """
        depth: int = getattr(_nesting, "depth", 0)
        if depth >= _NESTING_CHEAP and depth >= max_nesting():
            msg = (
                f"task run {self.task_run_name!r} would make {depth + 1} task runs nested on "
                "one thread (a task calling tasks that call tasks...); actorflow stops at "
                f"{max_nesting()} to keep room on the stack (sys.getrecursionlimit() is "
                f"{sys.getrecursionlimit()}): submit the deeper work instead of nesting calls"
            )
            raise RecursionError(msg)
        _nesting.depth = depth + 1
        token = _current.set(self)
        try:
            return self.fn(*self.args, **self.kwargs)
        finally:
            _current.reset(token)
            _nesting.depth = depth

    def report_started(self) -> bool:
        """Tell the task run that its function is starting. False if the task run has
        ended meanwhile (cancelled or timed out): then the function must not run."""
        return self.report(TaskStarted(task_run_id=self.task_run_id, attempt=self.attempt))

    def report_outcome(self, value: Any, *, raised: bool) -> None:
        """Tell the task run what its function returned or raised; a task run that has
        ended meanwhile ignores it."""
        self.report(
            TaskOutcome(
                task_run_id=self.task_run_id, attempt=self.attempt, raised=raised, value=value
            )
        )

    def report_refused(self, error: BaseException) -> None:
        """Tell the task run that the backend could not take this attempt after all (it
        was accepted by `submit` and turned down later)."""
        self.report(SubmitRefused(task_run_id=self.task_run_id, attempt=self.attempt, error=error))

    def run_and_report(self) -> None:
        """Report start, run in this thread, report the outcome. Never raises."""
        if not self.report_started():
            return
        try:
            value = self.run()
        except BaseException as error:
            outcome, raised = error, True
        else:
            outcome, raised = value, False
        self.report_outcome(outcome, raised=raised)


_nesting = threading.local()  # .depth: task runs executing on this thread, nested
_FRAMES_PER_NESTED_RUN = 12  # a task calling a task: its call, the run's start, the wait
_FRAMES_KEPT_FREE = 250  # for the runtime to end every run of a chain, and to log it
_NESTING_CHEAP = 16  # below this, no need to ask the recursion limit (it is never that low)


def max_nesting() -> int:
    """How many task runs may nest on one thread, from the interpreter's recursion limit."""
    return max((sys.getrecursionlimit() - _FRAMES_KEPT_FREE) // _FRAMES_PER_NESTED_RUN, 1)


_current: contextvars.ContextVar[FlowRunContext | TaskRunContext | None] = contextvars.ContextVar(
    "actorflow_current_run", default=None
)


def current_run() -> FlowRunContext | TaskRunContext | None:
    return _current.get()


def current_flow_run() -> FlowRunContext | None:
    """The flow run of the current code, whether in the flow body or in one of its tasks."""
    run = _current.get()
    if isinstance(run, TaskRunContext):
        return run.flow_run
    return run


def set_current(run: FlowRunContext | TaskRunContext | None) -> contextvars.Token[Any]:
    return _current.set(run)


def reset_current(token: contextvars.Token[Any]) -> None:
    _current.reset(token)


def get_run_logger() -> logging.LoggerAdapter[logging.Logger]:
    """A logger for the current flow run or task run.

    Its lines go through the same console output as actorflow's own lines
    (`HH:MM:SS.mmm | message`) and carry the run's names as `extra` fields
    (`flow_run_name`, `task_run_name`) for users' own formatters.

    Raises:
        MissingContextError: when called outside a flow run or task run.
    """
    run = _current.get()
    if run is None:
        msg = (
            "get_run_logger() was called outside a flow run or task run; call it inside a "
            "function decorated with @flow or @task, or use logging.getLogger() elsewhere"
        )
        raise MissingContextError(msg)
    if isinstance(run, TaskRunContext):
        extra = {"task_run_name": run.task_run_name, "flow_run_name": run.flow_run_name}
        flow_run = run.flow_run
        return _RunLogger(
            task_run_logger,
            extra,
            journal=None if flow_run is None else getattr(flow_run.port, "journal", None),
            flow_run_id="" if flow_run is None else flow_run.flow_run_id,
            task_run_id=run.task_run_id,
        )
    return _RunLogger(
        flow_run_logger,
        {"flow_run_name": run.flow_run_name, "task_run_name": None},
        journal=getattr(run.port, "journal", None),
        flow_run_id=run.flow_run_id,
        task_run_id=None,
    )


class _RunLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A run's logger: its records go to the logging system as usual and, at INFO and
    above, to the run journal of its system, naming the run."""

    def __init__(
        self,
        logger: logging.Logger,
        extra: dict[str, Any],
        *,
        journal: Callable[[tuple[Any, ...]], None] | None,
        flow_run_id: str,
        task_run_id: str | None,
    ) -> None:
        super().__init__(logger, extra)
        self._journal = journal
        self._ids = (flow_run_id, task_run_id)

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        """As `LoggerAdapter.log`; the journal gets records at INFO and above whatever the
        logging configuration shows on the console."""
        if self.isEnabledFor(level):
            kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 1  # the caller, not this
            super().log(level, msg, *args, **kwargs)
        if self._journal is not None and level >= logging.INFO:
            exc_info = kwargs.get("exc_info")
            exc_text = None
            if exc_info:
                if isinstance(exc_info, BaseException):
                    exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
                elif not isinstance(exc_info, tuple):
                    exc_info = sys.exc_info()
                if exc_info[0] is not None:
                    exc_text = "".join(traceback.format_exception(*exc_info)).rstrip()
            flow_run_id, task_run_id = self._ids
            values: object = args
            if len(args) == 1 and isinstance(args[0], Mapping) and args[0]:
                values = args[0]  # as LogRecord.getMessage does: "%(name)s" formats
            try:
                text = str(msg) % values if args else str(msg)
            except Exception:  # logging reports the bad format itself; journal it as given
                text = f"{msg!r} % {args!r}"
            self._journal(
                (_LOG_ENTRY, flow_run_id, task_run_id, time.time(), level, self.logger.name,
                 text, exc_text)
            )  # fmt: skip
