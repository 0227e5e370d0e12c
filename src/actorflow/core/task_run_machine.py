"""The task-run state machine: every rule of a task run's life, and nothing else.

Pure: no threads, no locks, no clock reads, no actors. `TaskRunMachine.handle(event, at)`
takes one event (see `actorflow.core.events`) stamped with the clock's time and returns
the instructions (see `actorflow.core.instructions`) for the shell, `TaskRunActor`, to
carry out. Every state change goes through `_record`, which asks `transitions.decide`.

| state | event | what happens |
|---|---|---|
| PENDING | `TaskRunCreated` | "Submitting" line; wait for unfinished upstreams, else ready |
| PENDING | `UpstreamFinished` (last one) | ready: an upstream that did not complete (and is not allowed to fail) ends the run `NotReady` (CANCELLED); else attempt 1 is submitted (parked for an inline submitter) |
| PENDING | `InlineDeclined` | attempt 1 goes to the backend instead |
| PENDING, SCHEDULED | `TaskStarted` | RUNNING (`Retrying` after the first attempt); a timeout timer |
| RUNNING | `TaskOutcome` returned | COMPLETED |
| RUNNING | `TaskOutcome` raised | `AwaitingRetry` (SCHEDULED) and a retry timer, if retries are left and it is an `Exception`; else FAILED (CRASHED for a `BaseException` or a lost runner) |
| RUNNING | `TimeoutDue` | the attempt is abandoned; a retry, else `TimedOut` (FAILED) |
| SCHEDULED | `RetryDue` | the next attempt is submitted |
| any live attempt | `SubmitRefused` | FAILED (CRASHED if the runner is gone); no retry |
| not final | `CancelTaskRun` | the attempt is abandoned; CANCELLED |
| not final | `ActorCrashed` | CRASHED |
| final | anything | ignored (an abandoned attempt's late report, say) |

Events about another attempt than the current one are ignored.
"""

from __future__ import annotations

from dataclasses import replace
from logging import INFO, WARNING
from typing import TYPE_CHECKING, Final

from actorflow._exceptions import TaskRunnerError
from actorflow.core.dispatch import handler_table, on
from actorflow.core.events import (
    ActorCrashed,
    CancelTaskRun,
    InlineDeclined,
    RetryDue,
    SubmitRefused,
    TaskOutcome,
    TaskRunCreated,
    TaskStarted,
    TimeoutDue,
    UpstreamFinished,
)
from actorflow.core.instructions import (
    AbandonAttempt,
    CancelTimer,
    FinishTaskRun,
    Log,
    RecordState,
    StartTimer,
    SubmitAttempt,
)
from actorflow.core.lines import FINISHED_LINE, SUBMITTED_LINE, finished_level
from actorflow.core.policy import failure_state, safe_repr, safe_str, timed_out_state
from actorflow.states import State, StateType, make_state
from actorflow.transitions import decide

if TYPE_CHECKING:
    from actorflow.core.events import Upstream
    from actorflow.core.instructions import Instruction
    from actorflow.core.policy import RetryPolicy

__all__ = ["TaskRunMachine"]

_LOGGER: Final = "task_runs"
_CANCEL_TIMER: Final = CancelTimer()
_ABANDON: Final = AbandonAttempt()


class TaskRunMachine:
    """One task run's state, driven by events. Not thread-safe: its shell feeds it from
    one thread at a time (the actor's handlers)."""

    __slots__ = (
        "_live",
        "_timer",
        "_upstreams",
        "_waiting",
        "attempt",
        "history",
        "inline",
        "policy",
        "stimuli",
        "task_run_id",
        "task_run_name",
    )

    def __init__(
        self,
        *,
        task_run_id: str,
        task_run_name: str,
        policy: RetryPolicy,
        inline: bool,
        created_at: float,
        record: bool = False,
    ) -> None:
        self.task_run_id = task_run_id
        self.task_run_name = task_run_name
        self.policy = policy
        self.inline = inline
        """The submitter blocks on the result and may run attempt 1 itself."""
        self.history: list[State] = [make_state(StateType.PENDING, created_at)]
        self.attempt = 0
        """The current attempt's number; 0 before the first is submitted."""
        self.stimuli: list[tuple[object, float]] | None = [] if record else None
        """Every `(event, at)` handled, when recording: enough to rebuild this machine."""
        # Invariants: _live is True while the current attempt is submitted and neither
        # ended nor abandoned; _timer is True while a timer of this run is pending.
        self._live = False
        self._timer = False
        self._upstreams: tuple[Upstream, ...] = ()
        self._waiting: set[str] = set()

    @property
    def state(self) -> State:
        return self.history[-1]

    def handle(self, event: object, at: float) -> list[Instruction]:
        """Apply one event, stamped `at` (the clock's time); return what the shell must do."""
        if self.stimuli is not None:
            self.stimuli.append((event, at))
        out: list[Instruction] = []
        if self.history[-1].type not in _FINAL:
            _HANDLERS[type(event)](self, event, at, out)
        return out

    # -- the one place the state changes ------------------------------------------------

    def _record(self, state: State, out: list[Instruction], *, publish: bool = True) -> bool:
        if not decide(self.history[-1], state).accepted:
            return False
        self.history.append(state)
        if publish:  # a final state is published by `FinishTaskRun`, which carries it
            out.append(RecordState(state))
        return True

    # -- upstreams ----------------------------------------------------------------------

    @on(TaskRunCreated)
    def _on_created(self, event: TaskRunCreated, at: float, out: list[Instruction]) -> None:
        out.append(Log(_LOGGER, INFO, SUBMITTED_LINE, (self.task_run_name,)))
        self._upstreams = event.upstreams
        if event.upstreams:
            self._waiting = {
                u.task_run_id
                for u in event.upstreams
                if u.state is None or u.state.type not in _FINAL
            }
        if not self._waiting:
            self._ready(at, out)

    @on(UpstreamFinished)
    def _on_upstream_finished(
        self, event: UpstreamFinished, at: float, out: list[Instruction]
    ) -> None:
        upstream_id = event.upstream_task_run_id
        if upstream_id not in self._waiting:
            return
        self._waiting.discard(upstream_id)
        self._upstreams = tuple(
            u if u.task_run_id != upstream_id else replace(u, state=event.state)
            for u in self._upstreams
        )
        if not self._waiting and self.attempt == 0:
            self._ready(at, out)

    def _ready(self, at: float, out: list[Instruction]) -> None:
        for upstream in self._upstreams:
            state = upstream.state
            if not upstream.allowed_to_fail and (state is None or state.type is not _COMPLETED):
                message = (
                    f"Upstream task run {upstream.task_run_name!r} did not reach a "
                    "'COMPLETED' state."
                )
                self._end(make_state(StateType.CANCELLED, at, "NotReady", message), out)
                return
        self._submit(out, park=self.inline)

    def _submit(self, out: list[Instruction], *, park: bool) -> None:
        self.attempt += 1
        self._live = True
        out.append(SubmitAttempt(self.attempt, park and self.attempt == 1))

    @on(InlineDeclined)
    def _on_inline_declined(self, event: InlineDeclined, at: float, out: list[Instruction]) -> None:
        del at
        if event.attempt == self.attempt and self._live and self.history[-1].type is _PENDING:
            out.append(SubmitAttempt(self.attempt, park=False))

    # -- attempts -----------------------------------------------------------------------

    @on(TaskStarted)
    def _on_started(self, event: TaskStarted, at: float, out: list[Instruction]) -> None:
        if event.attempt != self.attempt or not self._live:
            return
        name = "Retrying" if event.attempt > 1 else ""
        if not self._record(make_state(StateType.RUNNING, at, name), out):
            return
        timeout = self.policy.timeout_seconds
        if timeout is not None:
            self._timer = True
            out.append(
                StartTimer(TimeoutDue(task_run_id=self.task_run_id, attempt=self.attempt), timeout)
            )

    @on(TaskOutcome)
    def _on_outcome(self, event: TaskOutcome, at: float, out: list[Instruction]) -> None:
        if event.attempt != self.attempt or self.history[-1].type is not _RUNNING:
            # An abandoned attempt's late outcome (it timed out: the run waits for its
            # retry under the same attempt number): never recorded.
            return
        self._live = False
        if not event.raised:
            self._end(make_state(_COMPLETED, at, data=event.value), out)
            return
        error: BaseException = event.value
        if isinstance(error, Exception) and self._retry(error, at, out):
            return
        self._end(failure_state("Task", error, at), out)

    @on(SubmitRefused)
    def _on_refused(self, event: SubmitRefused, at: float, out: list[Instruction]) -> None:
        if event.attempt != self.attempt or not self._live:
            return
        self._live = False
        error = event.error
        if isinstance(error, TaskRunnerError):  # the runner is gone: not the task's doing
            message = f"Task run could not be submitted: {safe_str(error)}"
            self._end(make_state(StateType.CRASHED, at, message=message, data=error), out)
        else:  # e.g. arguments the backend cannot ship
            self._end(failure_state("Task", error, at), out)

    @on(TimeoutDue)
    def _on_timeout(self, event: TimeoutDue, at: float, out: list[Instruction]) -> None:
        if event.attempt != self.attempt or self.history[-1].type is not _RUNNING:
            return
        self._timer = False
        self._abandon(out)
        timed_out = timed_out_state("Task", self.policy.timeout_seconds, at)
        if self._retry(timed_out.data, at, out):
            return
        self._end(timed_out, out)

    def _retry(self, error: BaseException, at: float, out: list[Instruction]) -> bool:
        """Schedule the next attempt if retries are left; False if none are."""
        retry = self.attempt  # the number of this retry, 1-based
        policy = self.policy
        awaiting = policy.awaiting_retry(retry, at)
        if awaiting is None:
            return False
        self._cancel_timer(out)
        if not self._record(awaiting, out):
            return False
        delay = policy.delay_before(retry)
        out.append(
            Log(
                _LOGGER,
                WARNING,
                "Task run %r failed with %s - retry %d/%d in %s second(s)",
                (self.task_run_name, safe_repr(error), retry, policy.retries, delay),
            )
        )
        if delay > 0:
            self._timer = True
            out.append(StartTimer(RetryDue(task_run_id=self.task_run_id, attempt=retry + 1), delay))
        else:
            self._submit(out, park=False)
        return True

    @on(RetryDue)
    def _on_retry_due(self, event: RetryDue, at: float, out: list[Instruction]) -> None:
        del at
        if event.attempt == self.attempt + 1 and self.history[-1].type is StateType.SCHEDULED:
            self._timer = False
            self._submit(out, park=False)

    # -- endings ------------------------------------------------------------------------

    @on(CancelTaskRun)
    def _on_cancel(self, event: CancelTaskRun, at: float, out: list[Instruction]) -> None:
        self._abandon(out)
        self._end(make_state(StateType.CANCELLED, at, message=event.message), out)

    @on(ActorCrashed)
    def _on_crashed(self, event: ActorCrashed, at: float, out: list[Instruction]) -> None:
        error = event.error
        message = f"Task run actor crashed: {safe_repr(error)}"
        self._end(make_state(StateType.CRASHED, at, message=message, data=error), out)

    def _abandon(self, out: list[Instruction]) -> None:
        if self._live:
            self._live = False
            out.append(_ABANDON)

    def _cancel_timer(self, out: list[Instruction]) -> None:
        if self._timer:
            self._timer = False
            out.append(_CANCEL_TIMER)

    def _end(self, state: State, out: list[Instruction]) -> None:
        """Enter the final state: the "finished" line, then the shell publishes and stops."""
        if not self._record(state, out, publish=False):
            return
        self._live = False
        if self._timer:
            self._cancel_timer(out)
        out.append(
            Log(_LOGGER, finished_level(state.type), FINISHED_LINE, (self.task_run_name, state))
        )
        out.append(FinishTaskRun(state, tuple(self.history)))


_FINAL: Final = frozenset(
    {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}
)
_PENDING: Final = StateType.PENDING
_RUNNING: Final = StateType.RUNNING
_COMPLETED: Final = StateType.COMPLETED


_HANDLERS: Final = handler_table(TaskRunMachine)
"""The handler of each event type: one dict lookup per event."""
