"""The flow-run state machine: every rule of a flow run's life, and nothing else.

Pure: no threads, no locks, no clock reads, no actors. `FlowRunMachine.handle(event, at)`
takes one event (see `actorflow.core.events`) stamped with the clock's time and returns
the instructions for the shell, `FlowRunActor`. Every state change goes through `_record`,
which asks `transitions.decide`.

| state | event | what happens |
|---|---|---|
| (none) | `FlowRunCreated` | "Beginning" line; PENDING |
| PENDING | `RunnerStarted` | RUNNING, body attempt 1, a timeout timer (or, if cancelled meanwhile, the ledger is sealed) |
| RUNNING | `BodyFinished` | the ledger is sealed; the outcome waits for `AllRunsFinished` |
| RUNNING | `FlowTimeoutDue` | interrupted: `TimedOut` (FAILED) once the ledger has cancelled what is pending |
| not final | `CancelFlowRun` | interrupted: CANCELLED, likewise (at once if the body never started) |
| RUNNING | `AllRunsFinished` | the attempt's outcome: a retry (`AwaitingRetry`, a timer, the ledger reopened), or the final state is decided and the runner stopped |
| SCHEDULED | `FlowRetryDue` | RUNNING (`Retrying`), the next body attempt |
| any | `RunnerFailed`, `LedgerFailed` | the run will end CRASHED (once the runner is gone) |
| any | `RunnerStopped` | the final state is recorded and the "finished" line written |
| not final | `ActorCrashed`, `ActorStopped` | CRASHED |
"""

from __future__ import annotations

from logging import ERROR, INFO, WARNING
from typing import TYPE_CHECKING, Any, Final

from actorflow.core.dispatch import handler_table, on
from actorflow.core.events import (
    ActorCrashed,
    ActorStopped,
    AllRunsFinished,
    BodyFinished,
    CancelFlowRun,
    FlowRetryDue,
    FlowRunCreated,
    FlowTimeoutDue,
    LedgerFailed,
    RunnerFailed,
    RunnerStarted,
    RunnerStopped,
)
from actorflow.core.instructions import (
    CancelChildren,
    CancelTimer,
    FinishFlowRun,
    Log,
    RecordState,
    ReopenLedger,
    SealLedger,
    SignalCancelled,
    StartBody,
    StartTimer,
    StopRunner,
)
from actorflow.core.policy import failure_state, safe_repr, timed_out_state
from actorflow.states import FINAL_STATE_TYPES, State, StateType, aggregate_states, make_state
from actorflow.transitions import decide

if TYPE_CHECKING:
    from actorflow.core.instructions import Instruction
    from actorflow.core.policy import RetryPolicy

__all__ = ["FlowRunMachine"]

_LOGGER: Final = "flow_runs"
_CANCEL_TIMER: Final = CancelTimer()


class FlowRunMachine:
    """One flow run's state, driven by events. Not thread-safe: its shell feeds it from
    the actor's thread only."""

    def __init__(
        self,
        *,
        flow_run_id: str,
        flow_run_name: str,
        flow_name: str,
        policy: RetryPolicy,
        subflow: bool,
        record: bool = False,
    ) -> None:
        self.flow_run_id = flow_run_id
        self.flow_run_name = flow_run_name
        self.flow_name = flow_name
        self.policy = policy
        self.kind = "Subflow" if subflow else "Flow"
        self.history: list[State] = []
        self.attempt = 0
        self.stimuli: list[tuple[object, float]] | None = [] if record else None
        """Every `(event, at)` handled, when recording: enough to rebuild this machine."""
        self.runner_up = False
        self.body_outcome: BodyFinished | None = None
        self.interrupted: State | None = None
        """TimedOut or Cancelled, once decided for the current attempt."""
        self.crash: tuple[str, BaseException] | None = None
        self.outcome: State | None = None
        """The final state, once decided (recorded when the runner has stopped)."""
        self._timer = False

    @property
    def state(self) -> State | None:
        return self.history[-1] if self.history else None

    def handle(self, event: object, at: float) -> list[Instruction]:
        """Apply one event, stamped `at` (the clock's time); return what the shell must do."""
        if self.stimuli is not None:
            self.stimuli.append((event, at))
        out: list[Instruction] = []
        state = self.state
        if state is None or state.type not in FINAL_STATE_TYPES:
            _HANDLERS[type(event)](self, event, at, out)
        return out

    # -- the one place the state changes ------------------------------------------------

    def _record(self, state: State, out: list[Instruction], *, force: bool = False) -> bool:
        if not decide(self.state, state).accepted and not force:
            return False
        self.history.append(state)
        out.append(RecordState(state))
        return True

    def _is(self, state_type: StateType) -> bool:
        state = self.state
        return state is not None and state.type is state_type

    # -- start --------------------------------------------------------------------------

    @on(FlowRunCreated)
    def _on_created(self, event: FlowRunCreated, at: float, out: list[Instruction]) -> None:
        del event
        out.append(
            Log(
                _LOGGER,
                INFO,
                "Beginning %s run %r for flow %r...",
                (self.kind.lower(), self.flow_run_name, self.flow_name),
            )
        )
        self._record(make_state(StateType.PENDING, at), out)

    @on(RunnerStarted)
    def _on_runner_started(self, event: RunnerStarted, at: float, out: list[Instruction]) -> None:
        del event
        self.runner_up = True
        if self.interrupted is not None:  # cancelled while the runner was starting
            out.append(SealLedger())
            return
        self._start_attempt(at, out)

    def _start_attempt(self, at: float, out: list[Instruction]) -> None:
        self.attempt += 1
        self.body_outcome = None
        self.interrupted = None
        name = "Retrying" if self.attempt > 1 else ""
        self._record(make_state(StateType.RUNNING, at, name), out)
        out.append(StartBody(self.attempt))
        timeout = self.policy.timeout_seconds
        if timeout is not None:
            self._timer = True
            due = FlowTimeoutDue(flow_run_id=self.flow_run_id, attempt=self.attempt)
            out.append(StartTimer(due, timeout))

    # -- the body -----------------------------------------------------------------------

    @on(BodyFinished)
    def _on_body_finished(self, event: BodyFinished, at: float, out: list[Instruction]) -> None:
        del at
        if event.attempt != self.attempt or self.interrupted is not None:
            return  # an abandoned attempt's body: ignored
        self._cancel_timer(out)
        self.body_outcome = event
        out.append(SealLedger())

    @on(FlowTimeoutDue)
    def _on_timeout(self, event: FlowTimeoutDue, at: float, out: list[Instruction]) -> None:
        if event.attempt != self.attempt or self.body_outcome is not None:
            return
        if self.interrupted is not None or not self._is(StateType.RUNNING):
            return
        self._timer = False
        self._interrupt(timed_out_state("Flow", self.policy.timeout_seconds, at), out)

    @on(CancelFlowRun)
    def _on_cancel(self, event: CancelFlowRun, at: float, out: list[Instruction]) -> None:
        if self.outcome is not None or self.interrupted is not None:
            return
        out.append(SignalCancelled())
        cancelled = make_state(StateType.CANCELLED, at, message=event.message)
        if not self.runner_up:  # the runner is still starting: cancel once it reports
            self.interrupted = cancelled
            return
        self._interrupt(cancelled, out)

    def _interrupt(self, state: State, out: list[Instruction]) -> None:
        """End the current attempt early: abandon its body, cancel what it left pending."""
        self.interrupted = state
        out.append(SignalCancelled())
        self._cancel_timer(out)
        out.append(CancelChildren(state.message or ""))
        out.append(SealLedger())

    # -- the attempt's end --------------------------------------------------------------

    @on(AllRunsFinished)
    def _on_all_finished(self, event: AllRunsFinished, at: float, out: list[Instruction]) -> None:
        if self.outcome is not None:
            return
        if self.crash is None:  # a crash decides the end already
            outcome = self._attempt_outcome(event.summary, at)
            if outcome.type is StateType.FAILED and self._retry(outcome, at, out):
                return
            self.outcome = outcome
        out.append(StopRunner())

    def _attempt_outcome(self, children: State, at: float) -> State:  # noqa: PLR0911  (one return per rule)
        """The state this attempt of the body ends in, by the rules of the final state."""
        if self.interrupted is not None:
            return self.interrupted
        body = self.body_outcome
        if body is None:  # pragma: no cover - the ledger is sealed only after the body
            return make_state(StateType.CRASHED, at, message="Flow run ended without an outcome")
        if body.raised:
            return failure_state("Flow", body.value, at)
        value = body.value
        if value is None:  # what the child runs add up to, stamped now
            return make_state(children.type, at, children.name, children.message, children.data)
        if isinstance(value, State):
            return _aggregate_returned([value], value.data if value.has_data else None, at)
        if isinstance(value, list | tuple) and value and all(isinstance(v, State) for v in value):
            data = [v.data if v.has_data else None for v in value]
            return _aggregate_returned(list(value), data, at)
        return make_state(StateType.COMPLETED, at, data=value)

    def _retry(self, failed: State, at: float, out: list[Instruction]) -> bool:
        retry = self.attempt
        policy = self.policy
        awaiting = policy.awaiting_retry(retry, at)
        if awaiting is None or not self._record(awaiting, out):
            return False
        delay = policy.delay_before(retry)
        out.append(
            Log(
                _LOGGER,
                WARNING,
                "%s run %r failed with %s - retry %d/%d in %s second(s)",
                (self.kind, self.flow_run_name, failed, retry, policy.retries, delay),
            )
        )
        out.append(ReopenLedger())
        if delay > 0:
            self._timer = True
            due = FlowRetryDue(flow_run_id=self.flow_run_id, attempt=retry + 1)
            out.append(StartTimer(due, delay))
        else:
            self._start_attempt(at, out)
        return True

    @on(FlowRetryDue)
    def _on_retry_due(self, event: FlowRetryDue, at: float, out: list[Instruction]) -> None:
        if event.attempt == self.attempt + 1 and self._is(StateType.SCHEDULED):
            self._timer = False
            self._start_attempt(at, out)

    # -- failures and the end -----------------------------------------------------------

    @on(RunnerFailed)
    def _on_runner_failed(self, event: RunnerFailed, at: float, out: list[Instruction]) -> None:
        self.crash = (event.message, event.error)
        if self.attempt == 0:  # the body never started: nothing to wait for
            self._finish(at, out)

    @on(LedgerFailed)
    def _on_ledger_failed(self, event: LedgerFailed, at: float, out: list[Instruction]) -> None:
        del at
        # Without its ledger the run cannot tell when its task runs have ended.
        self.crash = (event.message, event.error)
        out.append(SignalCancelled())
        self._cancel_timer(out)
        out.append(StopRunner())

    @on(RunnerStopped)
    def _on_runner_stopped(self, event: RunnerStopped, at: float, out: list[Instruction]) -> None:
        del event
        self._finish(at, out)

    def _finish(self, at: float, out: list[Instruction]) -> None:
        self._cancel_timer(out)
        if self.crash is not None:
            message, error = self.crash
            state = make_state(StateType.CRASHED, at, message=message, data=error)
        elif self.outcome is not None:
            state = self.outcome
        elif self.interrupted is not None:  # cancelled before the body started
            state = self.interrupted
        else:
            state = make_state(StateType.CRASHED, at, message="Flow run ended without an outcome")
        self._record(state, out)
        final = self.state or state
        level = INFO if final.type is StateType.COMPLETED else ERROR
        out.append(
            Log(
                _LOGGER,
                level,
                "%s run %r finished in state %s",
                (self.kind, self.flow_run_name, final),
            )
        )
        out.append(FinishFlowRun(final))

    @on(ActorCrashed)
    def _on_crashed(self, event: ActorCrashed, at: float, out: list[Instruction]) -> None:
        error = event.error
        out.append(SignalCancelled())
        self._cancel_timer(out)
        state = make_state(
            StateType.CRASHED, at, message=f"Flow run actor crashed: {safe_repr(error)}", data=error
        )
        self._record(state, out, force=True)  # even before PENDING: the run must end somewhere

    @on(ActorStopped)
    def _on_stopped(self, event: ActorStopped, at: float, out: list[Instruction]) -> None:
        del event
        self._cancel_timer(out)
        message = "Flow run actor stopped before the run ended"
        self._record(make_state(StateType.CRASHED, at, message=message), out, force=True)

    def _cancel_timer(self, out: list[Instruction]) -> None:
        if self._timer:
            self._timer = False
            out.append(_CANCEL_TIMER)


def _aggregate_returned(states: list[State], data: Any, at: float) -> State:
    aggregate = aggregate_states(states, timestamp=at)
    if aggregate.type is StateType.COMPLETED:
        return make_state(StateType.COMPLETED, at, message=aggregate.message, data=data)
    return aggregate


_HANDLERS: Final = handler_table(FlowRunMachine)
"""The handler of each event type: one dict lookup per event."""
