"""Events: what happens to a run, as its state machine is told.

Each event is a frozen, slotted, keyword-only dataclass naming the run it concerns. The
actor shells receive most of them as messages (`TaskStarted` from a backend, `RetryDue`
from the clock, `CancelFlowRun` from a user...) and feed them, stamped with the clock's
time, to the run's machine: `machine.handle(event, at)`. A machine's `(event, at)` stream
is all it takes to rebuild its state.

Fields hold plain data (ids, names, states) except where a docstring says *by
reference*: results, exceptions and backends stay Python objects in this process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actorflow.states import State  # noqa: TC001  (resolved at run time by get_type_hints users)

__all__ = [
    "ActorCrashed",
    "ActorStopped",
    "AllRunsFinished",
    "BodyFinished",
    "CancelFlowRun",
    "CancelTaskRun",
    "ChildRunEnded",
    "FlowRetryDue",
    "FlowRunCreated",
    "FlowTimeoutDue",
    "InlineDeclined",
    "LedgerFailed",
    "RestartDue",
    "RetryDue",
    "RunnerFailed",
    "RunnerStarted",
    "RunnerStopped",
    "StopSupervisor",
    "SubmitRefused",
    "SupervisorStarted",
    "TaskOutcome",
    "TaskRunCreated",
    "TaskStarted",
    "TimeoutDue",
    "Upstream",
    "UpstreamFinished",
]


# --- any run ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ActorCrashed:
    """The run's actor raised in a handler: the run cannot go on and ends Crashed."""

    run_id: str
    error: BaseException
    """What the handler raised (by reference)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ActorStopped:
    """The run's actor is stopping; a run that has not ended by now ends Crashed."""

    run_id: str


# --- a task run ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Upstream:
    """A task run that this task run waits for (a future among its arguments)."""

    task_run_id: str
    task_run_name: str
    allowed_to_fail: bool
    """Wrapped in `allow_failure(...)`: the downstream runs whatever its end."""
    state: State | None
    """Its final state if it has ended, else None."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRunCreated:
    """The task run exists (PENDING); it waits for the upstreams that have not ended."""

    task_run_id: str
    upstreams: tuple[Upstream, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamFinished:
    """An upstream's future -> task run: that upstream task run reached its final state."""

    task_run_id: str
    upstream_task_run_id: str
    state: State


@dataclass(frozen=True, slots=True, kw_only=True)
class InlineDeclined:
    """Submitter -> task run: it could not run the parked first attempt itself (the runner
    had no free slot); submit it to the backend."""

    task_run_id: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskStarted:
    """Backend -> task run: this attempt of the task's function is starting."""

    task_run_id: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskOutcome:
    """Backend -> task run: this attempt of the task's function returned or raised."""

    task_run_id: str
    attempt: int
    raised: bool
    value: Any
    """The returned value, or the exception raised (by reference)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitRefused:
    """Backend -> task run: the backend could not take this attempt (its runner is gone, or
    its arguments cannot be shipped): the run ends, without retries."""

    task_run_id: str
    attempt: int
    error: BaseException
    """Why (by reference)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryDue:
    """Clock -> task run: the delay before this attempt has passed."""

    task_run_id: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeoutDue:
    """Clock -> task run: the deadline of this attempt has passed."""

    task_run_id: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelTaskRun:
    """Ledger -> task run: end now, cancelled, with this message (if not ended already)."""

    task_run_id: str
    message: str


# --- a flow run ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowRunCreated:
    """The flow run's actor has started; its runner is starting."""

    flow_run_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnerStarted:
    """Runner -> flow run: the backend is up; the body may start."""

    flow_run_id: str
    backend: Any
    """The started `Backend`, which task runs submit calls to (by reference)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnerFailed:
    """Runner -> flow run: the backend could not start or broke; the run crashes."""

    flow_run_id: str
    message: str
    """What went wrong, for the crashed state's message."""
    error: BaseException
    """The exception raised by the backend (by reference)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnerStopped:
    """Runner -> flow run: the backend is shut down; the runner actor is stopping."""

    flow_run_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerFailed:
    """Ledger -> flow run: the ledger crashed; the run cannot account for its task runs."""

    flow_run_id: str
    message: str
    error: BaseException
    """The exception that crashed the ledger (by reference)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyFinished:
    """Body thread -> its flow run: this attempt of the flow function returned or raised."""

    flow_run_id: str
    attempt: int
    raised: bool
    value: Any
    """The returned value, or the exception raised (by reference)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AllRunsFinished:
    """Ledger -> flow run: sealed, and every task run and subflow run has ended."""

    flow_run_id: str
    summary: State
    """What the final states of this attempt's task runs and subflow runs add up to, as
    `aggregate_states` gives it (counts and the first failure: the ledger keeps no more).
    Its timestamp is not the run's time: the machine stamps its own state."""
    snapshots: tuple[Any, ...] = ()
    """`TaskRunSnapshot`s of every task run so far, for the run's handle."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowTimeoutDue:
    """Clock -> flow run: the deadline of this attempt of the body has passed."""

    flow_run_id: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowRetryDue:
    """Clock -> flow run: the delay before this retry of the body has passed."""

    flow_run_id: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelFlowRun:
    """Parent's ledger (or a user) -> flow run: end now, cancelled, with this message."""

    flow_run_id: str
    message: str


# --- a supervisor ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SupervisorStarted:
    """The supervisor's actor has started: start the children, in order."""

    supervisor_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildRunEnded:
    """A supervised run's handle -> its supervisor: that run of child `index` ended."""

    supervisor_id: str
    index: int
    generation: int
    flow_run_id: str
    state: State | None
    jitter: float = 0.0
    """A random draw in [0, 1) for the backoff's jitter, made by the shell, so that the
    machine stays deterministic."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RestartDue:
    """Clock -> supervisor: the backoff delay before restarting these children has passed."""

    supervisor_id: str
    indexes: tuple[int, ...]
    generation: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StopSupervisor:
    """Anyone -> supervisor: stop restarting; cancel the children, last started first."""

    supervisor_id: str
