"""The messages actors exchange. Each is a frozen, slotted dataclass naming the runs it
concerns; see `docs/design.md` for who sends what to whom. The events a state machine
handles are defined with the machines (`actorflow.core.events`) and re-exported here:
together they are every message.

Fields hold plain data (ids, names, states) except where a docstring says *by reference*:
results, exceptions and callables stay Python objects in this process and are never
serialized (see `actorflow.actors.codec`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actorflow.core.events import (
    ActorCrashed,
    ActorStopped,
    AllRunsFinished,
    BodyFinished,
    CancelFlowRun,
    CancelTaskRun,
    ChildRunEnded,
    FlowRetryDue,
    FlowRunCreated,
    FlowTimeoutDue,
    InlineDeclined,
    LedgerFailed,
    RestartDue,
    RetryDue,
    RunnerFailed,
    RunnerStarted,
    RunnerStopped,
    StopSupervisor,
    SubmitRefused,
    SupervisorStarted,
    TaskOutcome,
    TaskRunCreated,
    TaskStarted,
    TimeoutDue,
    UpstreamFinished,
)
from actorflow.states import State  # noqa: TC001  (resolved at run time by get_type_hints users)

__all__ = [
    "ActorCrashed",
    "ActorStopped",
    "AllRunsFinished",
    "BodyFinished",
    "CancelFlowRun",
    "CancelPending",
    "CancelTaskRun",
    "ChildFlowRunFinished",
    "ChildFlowRunStarted",
    "ChildRunEnded",
    "FlowRetryDue",
    "FlowRunCreated",
    "FlowTimeoutDue",
    "InlineDeclined",
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
    "SubmitRefused",
    "SupervisorStarted",
    "TaskOutcome",
    "TaskRunCreated",
    "TaskRunFinished",
    "TaskRunSnapshot",
    "TaskRunSubmitted",
    "TaskStarted",
    "TimeoutDue",
    "UpstreamFinished",
]


# --- to a flow run's ledger --------------------------------------------------------------


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


# --- to a runner actor -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StopRunner:
    """Flow run -> runner: every task run has ended; shut the backend down."""

    flow_run_id: str


# --- replies -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRunSnapshot:
    """One task run of a flow run, as it was when the snapshot was taken (the ledger's
    reply to `SnapshotTaskRuns`). A finished run's states carry no result or exception: a
    flow run does not keep them (the run's `TaskFuture` does, while the user holds it)."""

    task_run_id: str
    task_run_name: str
    task_name: str
    state: State | None
    history: tuple[State, ...]
    """Every state the run went through so far (only the current one while it runs)."""


Message = (
    ActorCrashed
    | ActorStopped
    | AllRunsFinished
    | BodyFinished
    | CancelFlowRun
    | CancelPending
    | CancelTaskRun
    | ChildFlowRunFinished
    | ChildFlowRunStarted
    | ChildRunEnded
    | FlowRetryDue
    | FlowRunCreated
    | FlowTimeoutDue
    | InlineDeclined
    | LedgerFailed
    | ReopenLedger
    | RestartDue
    | RetryDue
    | RunnerFailed
    | RunnerStarted
    | RunnerStopped
    | SealLedger
    | SnapshotTaskRuns
    | StopRunner
    | StopSupervisor
    | SubmitRefused
    | SupervisorStarted
    | TaskOutcome
    | TaskRunCreated
    | TaskRunFinished
    | TaskRunSnapshot
    | TaskRunSubmitted
    | TaskStarted
    | TimeoutDue
    | UpstreamFinished
)
"""Every message type."""
