"""The task-run actor: owns one task run's state, from submission to its final state.

A `LightActor`: it has no thread; its handlers run on the thread that messages it (the
flow body when submitting, a backend thread when reporting, the timer) or on the system's
actor pool. It waits for its upstreams by receiving messages, never by blocking a thread.
"""

from __future__ import annotations

import functools
from logging import ERROR, INFO, WARNING
from typing import TYPE_CHECKING, Any

from pykka import ActorDeadError

from actorflow._annotations import resolve_upstreams
from actorflow._exceptions import TaskRunnerError
from actorflow._logging import after_console, emit, task_run_logger
from actorflow.actors.dispatch import handles
from actorflow.actors.light import LightActor
from actorflow.actors.messages import (
    CancelTaskRun,
    RetryDue,
    SubmitAttempt,
    SubmitRefused,
    TaskOutcome,
    TaskRunFinished,
    TaskRunSubmitted,
    TaskStarted,
    TimeoutDue,
    UpstreamFinished,
)
from actorflow.actors.task_call import TaskCall
from actorflow.states import State, StateType
from actorflow.transitions import decide

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykka import ActorRef

    from actorflow._context import FlowRunContext
    from actorflow._policy import RetryPolicy
    from actorflow.actors.timer import TimerHandle
    from actorflow.futures import TaskFuture

__all__ = ["TaskRunActor", "failure_message"]


def failure_message(kind: str, error: BaseException) -> str:
    """`<Kind> run encountered an exception: <ExcType>: <message>`."""
    return f"{kind} run encountered an exception: {type(error).__name__}: {error}"


def _tell_if_alive(ref: ActorRef[Any], message: object) -> None:
    try:  # noqa: SIM105  (contextlib.suppress costs ~1 µs per task run)
        ref.tell(message)
    except ActorDeadError:
        pass


def _tell_when_done(ref: ActorRef[Any], message: object, _future: object) -> None:
    """A done-callback of an upstream's future: tell the downstream task run."""
    _tell_if_alive(ref, message)


class TaskRunActor(LightActor):
    """Proposes each state of its run through `decide`, and reports the end.

    PENDING (created) -> waits for `UpstreamFinished` from each unfinished upstream ->
    submits attempt 1 to the backend -> `TaskStarted`: RUNNING -> `TaskOutcome`: COMPLETED,
    or FAILED, or a retry: AwaitingRetry (SCHEDULED), `RetryDue` from the timer, next
    attempt, `TaskStarted`: Retrying (RUNNING)... An upstream that did not complete ends the
    run `NotReady` (CANCELLED) without running it. A `TimeoutDue` for the running attempt
    abandons it: TimedOut (FAILED), or a retry. `CancelTaskRun` ends it CANCELLED. The final
    state goes to the ledger (`TaskRunFinished`) and to the `TaskFuture`; then the actor
    stops, and messages about older attempts are refused.
    """

    def __init__(
        self,
        *,
        task_run_id: str,
        task_run_name: str,
        task_name: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        upstreams: dict[str, tuple[TaskFuture[Any], bool]],
        policy: RetryPolicy,
        flow_run: FlowRunContext,
        future: TaskFuture[Any],
        inline: bool,
    ) -> None:
        """Runs in the submitting thread. With `inline`, the submitter, which blocks on the
        result, may take the first attempt and run it itself: see `take_inline`."""
        super().__init__(pool=flow_run.pool)
        self.task_run_id = task_run_id
        self.task_run_name = task_run_name
        self._task_name = task_name
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._upstreams = upstreams
        self._waiting: set[str] = set()
        self._policy = policy
        self._flow_run = flow_run
        self._future = future
        self._call: TaskCall | None = None
        self._attempt = 0
        self._timer: TimerHandle | None = None
        self._inline = inline
        self._inline_taken = False  # guarded by the inbox lock: see take_inline
        state = State._new(StateType.PENDING)
        self._history: list[State] = [state]
        future._set_state(state)

    # -- the state -------------------------------------------------------------------------

    @property
    def _state(self) -> State:
        return self._history[-1]

    def _propose(self, state: State) -> bool:
        decision = decide(self._state, state)
        if not decision:
            task_run_logger.debug(
                "Task run %r rejected %s: %s", self.task_run_name, state, decision.reason
            )
            return False
        self._history.append(state)
        self._future._set_state(state)
        return True

    # -- submission and upstreams ----------------------------------------------------------

    def on_start(self) -> None:
        flow_run = self._flow_run
        flow_run.ledger_ref.tell(
            TaskRunSubmitted(
                flow_run_id=flow_run.flow_run_id,
                task_run_id=self.task_run_id,
                task_run_name=self.task_run_name,
                task_name=self._task_name,
                task_run_ref=self.actor_ref,
                future=self._future,
            )
        )
        emit(task_run_logger, INFO, "Submitting task run %r to task runner...", self.task_run_name)
        for upstream_id, (upstream, _allowed) in self._upstreams.items():
            if not upstream.done():
                self._waiting.add(upstream_id)
        for upstream_id in list(self._waiting):
            message = UpstreamFinished(
                task_run_id=self.task_run_id, upstream_task_run_id=upstream_id
            )
            self._upstreams[upstream_id][0].add_done_callback(
                functools.partial(_tell_when_done, self.actor_ref, message)
            )
        if not self._waiting:
            self._ready()

    @handles(UpstreamFinished)
    def _on_upstream_finished(self, message: UpstreamFinished) -> None:
        self._waiting.discard(message.upstream_task_run_id)
        if not self._waiting and not self._state.is_final():
            self._ready()

    def _ready(self) -> None:
        for upstream, allowed in self._upstreams.values():
            state = upstream.state
            if not allowed and (state is None or not state.is_completed()):
                self._end(
                    State(
                        type=StateType.CANCELLED,
                        name="NotReady",
                        message=f"Upstream task run {upstream.task_run_name!r} did not reach a "
                        "'COMPLETED' state.",
                    )
                )
                return
        if self._upstreams:
            try:
                self._args = resolve_upstreams(self._args)
                self._kwargs = resolve_upstreams(self._kwargs)
            except Exception as error:
                self._end(self._failed(error))
                return
        self._submit_attempt()

    def _submit_attempt(self) -> None:
        self._attempt += 1
        call = TaskCall(
            task_run_id=self.task_run_id,
            task_run_name=self.task_run_name,
            task_name=self._task_name,
            fn=self._fn,
            args=self._args,
            kwargs=self._kwargs,
            task_run_ref=self.actor_ref,
            flow_run=self._flow_run,
            attempt=self._attempt,
        )
        self._call = call
        if self._inline and self._attempt == 1:
            with self.actor_inbox._lock:  # type: ignore[attr-defined]
                if not self._inline_taken:
                    return  # the submitter takes it: see take_inline
        self._submit_to_backend(call)

    def _submit_to_backend(self, call: TaskCall) -> None:
        backend = self._flow_run.backend
        try:
            if backend is None:
                msg = "the task runner of this flow run is not running"
                raise TaskRunnerError(msg)  # noqa: TRY301
            backend.submit(call)
        except Exception as error:
            self._refused(error)

    def _refused(self, error: BaseException) -> None:
        """The backend could not take the current attempt: no retry."""
        if isinstance(error, TaskRunnerError):  # the runner is gone: not the task's doing
            message = f"Task run could not be submitted: {error}"
            self._end(State(type=StateType.CRASHED, message=message, data=error))
        else:  # e.g. arguments the backend cannot ship
            self._end(self._failed(error))

    @handles(SubmitRefused)
    def _on_submit_refused(self, message: SubmitRefused) -> None:
        if message.attempt == self._attempt and self._state.is_running():
            self._cancel_timer()
            self._refused(message.error)

    def take_inline(self) -> TaskCall | None:
        """For the submitter of an inline run, once `start()` returned: the first attempt's
        call, parked for it, or None if it was not ready (the backend gets it then). The
        submitter runs the call itself, or sends `SubmitAttempt` to have it submitted."""
        with self.actor_inbox._lock:  # type: ignore[attr-defined]
            self._inline_taken = True
            return self._call if self._attempt == 1 and not self._state.is_final() else None

    # -- attempts --------------------------------------------------------------------------

    @handles(TaskStarted)
    def _on_started(self, message: TaskStarted) -> None:
        if message.attempt != self._attempt or self._state.is_final():
            return
        name = "Retrying" if message.attempt > 1 else ""
        if not self._propose(State._new(StateType.RUNNING, name)):
            return
        timeout = self._policy.timeout_seconds
        if timeout is not None:
            due = TimeoutDue(task_run_id=self.task_run_id, attempt=message.attempt)
            self._timer = self._flow_run.timer.call_later(
                timeout, lambda: _tell_if_alive(self.actor_ref, due)
            )

    @handles(TaskOutcome)
    def _on_outcome(self, outcome: TaskOutcome) -> None:
        if outcome.attempt != self._attempt or not self._state.is_running():
            # An abandoned attempt's late outcome (it timed out: the run is final, or
            # waits for its retry under the same attempt number): never recorded.
            return
        self._cancel_timer()
        if not outcome.raised:
            self._end(State._new(StateType.COMPLETED, data=outcome.value))
            return
        error: BaseException = outcome.value
        if isinstance(error, Exception) and self._retry(error):
            return
        self._end(self._failed(error))

    @handles(TimeoutDue)
    def _on_timeout(self, message: TimeoutDue) -> None:
        if message.attempt != self._attempt or not self._state.is_running():
            return
        self._abandon()
        seconds = float(self._policy.timeout_seconds or 0.0)
        text = f"Task run exceeded timeout of {seconds} second(s)"
        error = TimeoutError(text)
        if self._retry(error):
            return
        self._end(State(type=StateType.FAILED, name="TimedOut", message=text, data=error))

    def _retry(self, error: BaseException) -> bool:
        """Schedule the next attempt if retries are left; False if none are."""
        retry = self._attempt  # the number of this retry, 1-based
        policy = self._policy
        awaiting = policy.awaiting_retry(retry)
        if awaiting is None or not self._propose(awaiting):
            return False
        delay = policy.delay_before(retry)
        emit(
            task_run_logger,
            WARNING,
            "Task run %r failed with %r - retry %d/%d in %s second(s)",
            self.task_run_name,
            error,
            retry,
            policy.retries,
            delay,
        )
        if delay > 0:
            due = RetryDue(task_run_id=self.task_run_id, attempt=self._attempt + 1)
            self._timer = self._flow_run.timer.call_later(
                delay, lambda: _tell_if_alive(self.actor_ref, due)
            )
        else:
            self._submit_attempt()
        return True

    @handles(SubmitAttempt)
    def _on_submit_attempt(self, message: SubmitAttempt) -> None:
        call = self._call
        if message.attempt == self._attempt and call is not None and not self._state.is_final():
            self._submit_to_backend(call)

    @handles(RetryDue)
    def _on_retry_due(self, message: RetryDue) -> None:
        if message.attempt == self._attempt + 1 and self._state.is_scheduled():
            self._timer = None
            self._submit_attempt()

    @handles(CancelTaskRun)
    def _on_cancel(self, message: CancelTaskRun) -> None:
        if self._state.is_final():
            return
        self._abandon()
        self._end(State(type=StateType.CANCELLED, message=message.message))

    # -- the end ---------------------------------------------------------------------------

    def _abandon(self) -> None:
        """Stop the current attempt from starting, or let the backend drop it if running."""
        call = self._call
        if call is None or call.claim():
            return  # never started, and now it never will
        backend = self._flow_run.backend
        if backend is not None:
            backend.abandon(call)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    @staticmethod
    def _failed(error: BaseException) -> State:
        if isinstance(error, TaskRunnerError):  # the runner lost it: not the task's doing
            return State(type=StateType.CRASHED, message=f"Task run crashed: {error}", data=error)
        kind = StateType.FAILED if isinstance(error, Exception) else StateType.CRASHED
        return State(type=kind, message=failure_message("Task", error), data=error)

    def on_failure(self, *exc_info: Any) -> None:
        # A handler raised: the run cannot go on. Record it as crashed so nothing waits forever.
        error = exc_info[1]
        self._end(
            State(type=StateType.CRASHED, message=f"Task run actor crashed: {error!r}", data=error)
        )

    def _end(self, state: State) -> None:
        """Enter the final state, report it to the ledger and the future, and stop."""
        if not self._propose(state):
            return
        self._cancel_timer()
        # Its arguments go now, not when a GC pass finds the actor and its call (a cycle).
        self._call = None
        self._args, self._kwargs = (), {}
        name = self.task_run_name
        level = INFO if state.type is StateType.COMPLETED else ERROR
        emit(task_run_logger, level, "Task run %r finished in state %s", name, state)
        # After the line is on the console (see `console_held`): the ledger and the future.
        after_console(self._publish, state, tuple(self._history))
        self._stop()

    def _publish(self, state: State, history: tuple[State, ...]) -> None:
        flow_run = self._flow_run
        try:  # noqa: SIM105  (contextlib.suppress costs ~1 µs on every task run)
            flow_run.ledger_ref.tell(
                TaskRunFinished(
                    flow_run_id=flow_run.flow_run_id,
                    task_run_id=self.task_run_id,
                    task_run_name=self.task_run_name,
                    state=state,
                    history=history,
                )
            )
        except ActorDeadError:
            pass
        self._future._resolve(state)
