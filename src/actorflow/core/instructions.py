"""Instructions: what a state machine tells its actor shell to do.

A machine's `handle(event, at)` returns a list of these; the shell carries them out in
order. They are `NamedTuple`s, not dataclasses: a task run makes a handful per run, on the
per-task path, and a tuple is built in a third of the time of a frozen dataclass.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from actorflow.states import State  # noqa: TC001  (NamedTuple fields are evaluated)

__all__ = [
    "AbandonAttempt",
    "CancelChild",
    "CancelChildren",
    "CancelTimer",
    "CountRestart",
    "FinishFlowRun",
    "FinishTaskRun",
    "GiveUp",
    "Instruction",
    "Log",
    "RecordState",
    "ReopenLedger",
    "SealLedger",
    "SignalCancelled",
    "StartBody",
    "StartChild",
    "StartTimer",
    "StopRunner",
    "SubmitAttempt",
    "SupervisorDone",
]


# --- any machine -----------------------------------------------------------------------


class RecordState(NamedTuple):
    """The run entered `state` (accepted by `transitions.decide`): publish it."""

    state: State


class Log(NamedTuple):
    """Write `msg % args` at `level` to the `actorflow.<logger>` logger (the console)."""

    logger: str
    level: int
    msg: str
    args: tuple[Any, ...]


class StartTimer(NamedTuple):
    """Deliver `message` to this actor once `delay` seconds have passed on the clock.
    A machine has at most one timer at a time: this replaces any earlier one."""

    message: Any
    delay: float


class CancelTimer(NamedTuple):
    """Cancel the machine's pending timer, if any."""


# --- a task run ------------------------------------------------------------------------


class SubmitAttempt(NamedTuple):
    """Build attempt `attempt` (resolving upstream futures in the arguments first, for
    attempt 1) and hand it to the backend; with `park`, leave it for the submitting thread
    to run itself, if that thread has not given up on it yet (caller runs)."""

    attempt: int
    park: bool


class AbandonAttempt(NamedTuple):
    """The current attempt must not start; if it runs already, let the backend drop it."""


class FinishTaskRun(NamedTuple):
    """The run ended in `state` (recorded, and published by this instruction: no
    `RecordState` comes before it): release its arguments, report to the ledger, resolve the
    future (after the console line), and stop the actor."""

    state: State
    history: tuple[State, ...]


# --- a flow run ------------------------------------------------------------------------


class StartBody(NamedTuple):
    """Start attempt `attempt` of the flow function on a new body thread."""

    attempt: int


class SignalCancelled(NamedTuple):
    """Set the current attempt's cancelled flag: its body raises `FlowRunCancelled` at its
    next call into actorflow."""


class CancelChildren(NamedTuple):
    """Have the ledger cancel every task run and subflow run still pending."""

    message: str


class SealLedger(NamedTuple):
    """The attempt is over: the ledger reports `AllRunsFinished` once nothing is pending."""


class ReopenLedger(NamedTuple):
    """A new attempt of the body starts: the ledger forgets the last one's states."""


class StopRunner(NamedTuple):
    """Nothing can use the runner any more: shut the backend down."""


class FinishFlowRun(NamedTuple):
    """The run ended in `state`: stop the ledger, report to the parent, stop the actor."""

    state: State


# --- a supervisor ----------------------------------------------------------------------


class StartChild(NamedTuple):
    """Start (or restart) child number `child`: a new run, generation `generation`."""

    child: int
    generation: int


class CancelChild(NamedTuple):
    """Cancel the current run of child number `child`."""

    child: int
    message: str


class CountRestart(NamedTuple):
    """A restart happened: count it on the supervisor's handle."""


class GiveUp(NamedTuple):
    """Restart intensity exceeded: the supervisor's status becomes `gave_up`."""


class SupervisorDone(NamedTuple):
    """Every child has ended: mark the supervisor stopped (with `status`) and stop."""

    status: str


Instruction = (
    RecordState
    | Log
    | StartTimer
    | CancelTimer
    | SubmitAttempt
    | AbandonAttempt
    | FinishTaskRun
    | StartBody
    | SignalCancelled
    | CancelChildren
    | SealLedger
    | ReopenLedger
    | StopRunner
    | FinishFlowRun
    | StartChild
    | CancelChild
    | CountRestart
    | GiveUp
    | SupervisorDone
)
"""Every instruction type."""
