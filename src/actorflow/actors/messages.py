"""The messages actors exchange. Each is a frozen, slotted dataclass naming the runs it
concerns; see `docs/design.md` for who sends what to whom.

Fields hold plain data (ids, names, states) except where a docstring says *by reference*:
results, exceptions and callables stay Python objects in this process and are never
serialized (see `actorflow.actors.codec`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actorflow.states import State  # noqa: TC001  (resolved at run time by get_type_hints users)

__all__ = [
    "AllRunsFinished",
    "BodyFinished",
    "CancelFlowRun",
    "CancelPending",
    "CancelTaskRun",
    "ChildFlowRunFinished",
    "ChildFlowRunStarted",
    "ChildRunEnded",
    "FlowRetryDue",
    "FlowTimeoutDue",
    "LedgerFailed",
    "Message",
    "ReopenLedger",
    "RestartDue",
    "RetryDue",
    "RunnerFailed",
    "RunnerStarted",
    "RunnerStopped",
    "SealLedger",
    "SnapshotTaskRuns",
    "StopRunner",
    "StopSupervisor",
    "SubmitAttempt",
    "SubmitRefused",
    "TaskOutcome",
    "TaskRunFinished",
    "TaskRunSubmitted",
    "TaskStarted",
    "TimeoutDue",
    "UpstreamFinished",
]


# --- to a flow-run actor -----------------------------------------------------------------


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
class LedgerFailed:
    """Ledger -> flow run: the ledger crashed; the run cannot account for its task runs."""

    flow_run_id: str
    message: str
    error: BaseException
    """The exception that crashed the ledger (by reference)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnerStopped:
    """Runner -> flow run: the backend is shut down; the runner actor is stopping."""

    flow_run_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRunSubmitted:
    """Task run -> flow run's ledger: a task run of this flow run exists and will report its end."""

    flow_run_id: str
    task_run_id: str
    task_run_name: str
    task_name: str
    task_run_ref: Any
    """The task run's actor, to cancel it if the flow run must end early (by reference)."""
    future: Any
    """The run's `TaskFuture`, whose current state snapshots show (by reference)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRunFinished:
    """Task run -> flow run's ledger: the task run reached its final state."""

    flow_run_id: str
    task_run_id: str
    task_run_name: str
    state: State
    history: tuple[State, ...]
    """Every state the run went through, the final one last."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildFlowRunStarted:
    """Subflow run -> parent's ledger: a subflow run of this flow run exists."""

    flow_run_id: str
    child_flow_run_id: str
    child_flow_run_ref: Any
    """The subflow run's actor, to cancel it if the parent must end early (by reference)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildFlowRunFinished:
    """Subflow run -> parent's ledger: the subflow run reached its final state."""

    flow_run_id: str
    child_flow_run_id: str
    state: State


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
    states: tuple[State, ...]
    """The final state of each task run and subflow run, in the order they ended."""


# --- to a flow run's ledger --------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SealLedger:
    """Flow run -> its ledger: the body has finished; report once nothing is pending."""

    flow_run_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelPending:
    """Flow run -> its ledger: cancel every task run still pending, with this message."""

    flow_run_id: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotTaskRuns:
    """Anyone -> a flow run's ledger (with `ask`): reply with snapshots of its task runs."""

    flow_run_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReopenLedger:
    """Flow run -> its ledger: a new attempt of the body starts; forget the last one's runs."""

    flow_run_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowTimeoutDue:
    """Timer -> flow run: the deadline of this attempt of the body has passed."""

    flow_run_id: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelFlowRun:
    """Parent's ledger (or a user) -> flow run: end now, cancelled, with this message."""

    flow_run_id: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowRetryDue:
    """Timer -> flow run: the delay before this retry of the body has passed."""

    flow_run_id: str
    attempt: int


# --- to a runner actor -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StopRunner:
    """Flow run -> runner: every task run has ended; shut the backend down."""

    flow_run_id: str


# --- to a task-run actor -----------------------------------------------------------------


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
    """Backend -> task run: the backend could not take this attempt after all (e.g. its
    arguments cannot be shipped): the run ends, without retries."""

    task_run_id: str
    attempt: int
    error: BaseException


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamFinished:
    """An upstream's future -> task run: that upstream task run reached its final state."""

    task_run_id: str
    upstream_task_run_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitAttempt:
    """Submitter -> task run: it could not run the parked first attempt itself; submit it."""

    task_run_id: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryDue:
    """Timer -> task run: the delay before this attempt has passed."""

    task_run_id: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeoutDue:
    """Timer -> task run: the deadline of this attempt has passed."""

    task_run_id: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelTaskRun:
    """Ledger -> task run: end now, cancelled, with this message (if not ended already)."""

    task_run_id: str
    message: str


# --- to a supervisor ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildRunEnded:
    """A supervised run's handle -> its supervisor: that run of child `index` ended."""

    supervisor_id: str
    index: int
    generation: int
    flow_run_id: str
    state: State


@dataclass(frozen=True, slots=True, kw_only=True)
class RestartDue:
    """Timer -> supervisor: the backoff delay before restarting these children has passed."""

    supervisor_id: str
    indexes: tuple[int, ...]
    generation: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StopSupervisor:
    """Anyone -> supervisor: stop restarting; cancel the children, last started first."""

    supervisor_id: str


Message = (
    AllRunsFinished
    | SealLedger
    | RunnerStarted
    | RunnerFailed
    | RunnerStopped
    | LedgerFailed
    | TaskRunSubmitted
    | TaskRunFinished
    | ChildFlowRunStarted
    | ChildFlowRunFinished
    | BodyFinished
    | CancelPending
    | ReopenLedger
    | SnapshotTaskRuns
    | FlowTimeoutDue
    | FlowRetryDue
    | CancelFlowRun
    | UpstreamFinished
    | SubmitAttempt
    | RetryDue
    | TimeoutDue
    | CancelTaskRun
    | ChildRunEnded
    | RestartDue
    | StopSupervisor
    | StopRunner
    | TaskStarted
    | TaskOutcome
    | SubmitRefused
)
"""Every message type."""
