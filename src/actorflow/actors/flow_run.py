"""The flow-run actor: owns one flow run's state, its runner actor and its body thread."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from logging import ERROR, INFO, WARNING
from typing import TYPE_CHECKING, Any

import pykka
from pykka import ActorDeadError

from actorflow._context import FlowRunContext, reset_current, set_current
from actorflow._logging import emit, ensure_console_logging, flow_run_logger
from actorflow._names import flow_run_slug, new_id
from actorflow._policy import NO_RETRIES, RetryPolicy
from actorflow._results import RemoteResult
from actorflow.actors.base import ThreadActor, join_actor
from actorflow.actors.dispatch import handles
from actorflow.actors.ledger import LedgerActor
from actorflow.actors.messages import (
    AllRunsFinished,
    BodyFinished,
    CancelFlowRun,
    CancelPending,
    ChildFlowRunFinished,
    ChildFlowRunStarted,
    FlowRetryDue,
    FlowTimeoutDue,
    LedgerFailed,
    ReopenLedger,
    RunnerFailed,
    RunnerStarted,
    RunnerStopped,
    SealLedger,
    SnapshotTaskRuns,
    StopRunner,
)
from actorflow.actors.runner import RunnerActor
from actorflow.actors.task_run import failure_message
from actorflow.states import State, StateType, aggregate_states
from actorflow.transitions import decide

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykka import ActorRef

    from actorflow.actors.system import ActorSystem
    from actorflow.actors.timer import TimerHandle
    from actorflow.runners.base import TaskRunner

__all__ = ["FlowRunActor", "FlowRunHandle", "start_flow_run"]

# How long a stopping actor waits for a child's thread, or a caller for a run's thread.
JOIN_TIMEOUT = 30.0


class FlowRunHandle:
    """What the starter of a flow run holds: its identity, its state, its eventual end.

    The flow-run actor writes `state` on every transition and resolves the handle once,
    when the run has ended; everything here is safe to read from any thread. `wait()`
    blocks the calling (user) thread, with a timeout.
    """

    __slots__ = (
        "_callbacks",
        "_event",
        "_final",
        "_ledger_ref",
        "_state",
        "_task_runs",
        "_threads",
        "actor_ref",
        "flow_name",
        "flow_run_id",
        "flow_run_name",
    )

    def __init__(self, *, flow_run_id: str, flow_run_name: str, flow_name: str) -> None:
        self.flow_run_id = flow_run_id
        self.flow_run_name = flow_run_name
        self.flow_name = flow_name
        self.actor_ref: ActorRef[Any] | None = None
        self._event = threading.Event()
        self._state: State | None = None  # the current state
        self._final: State | None = None
        self._task_runs: tuple[Any, ...] | None = None  # snapshots, once the run has ended
        self._ledger_ref: ActorRef[Any] | None = None
        self._threads: list[threading.Thread] = []  # body threads, appended by the actor
        self._callbacks: list[Callable[[FlowRunHandle], object]] = []  # guarded by the GIL+event

    @property
    def state(self) -> State | None:
        return self._state

    def done(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> State | None:
        """The final state once the run has ended and its threads are gone; None on timeout."""
        if not self._event.wait(timeout):
            return None
        if self.actor_ref is not None:
            join_actor(self.actor_ref, JOIN_TIMEOUT)
        return self._final

    def cancel(self, message: str) -> None:
        """Ask the run to end Cancelled. Returns at once."""
        if self.actor_ref is not None and not self.done():
            with contextlib.suppress(ActorDeadError):
                self.actor_ref.tell(CancelFlowRun(flow_run_id=self.flow_run_id, message=message))

    def join_threads(self, timeout: float | None) -> bool:
        """Wait for the run's body threads, abandoned ones included, to exit."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in list(self._threads):
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if thread is not threading.current_thread():
                thread.join(remaining)
        return not any(t.is_alive() for t in self._threads)

    def task_run_snapshots(self, timeout: float | None) -> tuple[Any, ...] | None:
        """Snapshots of the task runs: asked of the ledger while the run lives."""
        ledger_ref = self._ledger_ref  # the ledger lets go of it when it stops
        if self._task_runs is None and ledger_ref is not None:
            try:
                snapshots: tuple[Any, ...] = ledger_ref.ask(
                    SnapshotTaskRuns(flow_run_id=self.flow_run_id), block=True, timeout=timeout
                )
            except (ActorDeadError, pykka.Timeout):
                pass  # ended meanwhile: the ledger left its last snapshot on the handle
            else:
                return snapshots
        if self._task_runs is None:
            self._event.wait(timeout)
        return self._task_runs

    def add_done_callback(self, fn: Callable[[FlowRunHandle], object]) -> None:
        """Call `fn(handle)` once the run has ended (at once if it has), on the thread that
        ends it. `fn` must be quick: a `tell` to an actor."""
        with _callbacks_lock:
            if not self._event.is_set():
                self._callbacks.append(fn)
                return
        fn(self)

    def _resolve(self, state: State) -> None:
        self._state = self._final = state
        with _callbacks_lock:
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            try:
                fn(self)
            except Exception:
                flow_run_logger.exception(
                    "A done-callback of flow run %r failed", self.flow_run_name
                )


_callbacks_lock = threading.Lock()


def start_flow_run(
    *,
    system: ActorSystem,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    flow_name: str,
    task_runner: TaskRunner,
    policy: RetryPolicy = NO_RETRIES,
    parent: FlowRunContext | None,
) -> FlowRunHandle:
    """Start a flow run's actor; returns at once. The body starts once the runner is up."""
    ensure_console_logging()
    handle = FlowRunHandle(flow_run_id=new_id(), flow_run_name=flow_run_slug(), flow_name=flow_name)
    if parent is None:
        system._register(handle)  # refuses if the system is shut down
    handle.actor_ref = FlowRunActor.start(
        handle=handle,
        system=system,
        fn=fn,
        args=args,
        kwargs=kwargs,
        task_runner=task_runner.duplicate(),
        policy=policy,
        parent=parent,
    )
    return handle


class FlowRunActor(ThreadActor):
    """Drives one flow run.

    PENDING -> runner up -> RUNNING, body thread -> body returns, ledger sealed -> every
    task run and subflow run ended (`AllRunsFinished`) -> final state, or AwaitingRetry and
    a new attempt of the body. A timeout (`FlowTimeoutDue`) or `CancelFlowRun` abandons the
    body, has the ledger cancel what is pending, and ends TimedOut or Cancelled.

    Children: the ledger (a light actor that accounts for task runs and subflow runs), the
    runner actor (stopped with `StopRunner` once nothing can use it) and the body threads.
    Reports to the parent's ledger, if any, with `ChildFlowRunStarted` /
    `ChildFlowRunFinished`. Thread rules: every field is touched only on this actor's thread;
    the body runs on its own thread and talks to this actor only by `tell`.
    """

    thread_name = "flow-run"

    def __init__(
        self,
        *,
        handle: FlowRunHandle,
        system: ActorSystem,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        task_runner: TaskRunner,
        policy: RetryPolicy,
        parent: FlowRunContext | None,
    ) -> None:
        super().__init__()
        self._handle = handle
        self._id = handle.flow_run_id
        self._system = system
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._task_runner = task_runner
        self._policy = policy
        self._parent = parent
        self._kind = "Subflow" if parent is not None else "Flow"
        self._history: list[State] = []
        self._runner_ref: ActorRef[Any] | None = None
        self._ledger_ref: ActorRef[Any] | None = None
        self._context: FlowRunContext | None = None
        self._attempt = 0
        self._body: threading.Thread | None = None  # the current attempt's body
        self._body_outcome: BodyFinished | None = None
        self._interrupted: State | None = None  # TimedOut / Cancelled, once decided
        self._timer: TimerHandle | None = None
        self._crash: RunnerFailed | None = None
        self._final: State | None = None
        self._cancelled = threading.Event()  # shared with the body, through its context

    # -- lifecycle -------------------------------------------------------------------------

    def on_start(self) -> None:
        handle = self._handle
        emit(
            flow_run_logger,
            INFO,
            "Beginning %s run %r for flow %r...",
            self._kind.lower(),
            handle.flow_run_name,
            handle.flow_name,
        )
        self._propose(State._new(StateType.PENDING))
        self._ledger_ref = LedgerActor.start(
            flow_run_id=self._id,
            flow_run_ref=self.actor_ref,
            handle=self._handle,
            pool=self._system.pool,
        )
        self._handle._ledger_ref = self._ledger_ref
        if self._parent is not None:
            self._parent.ledger_ref.tell(
                ChildFlowRunStarted(
                    flow_run_id=self._parent.flow_run_id,
                    child_flow_run_id=self._id,
                    child_flow_run_ref=self.actor_ref,
                )
            )
        self._runner_ref = RunnerActor.start(
            flow_run_id=self._id, task_runner=self._task_runner, parent=self.actor_ref
        )

    def on_stop(self) -> None:
        self._cancel_timer()
        if self._runner_ref is not None:
            join_actor(self._runner_ref, JOIN_TIMEOUT)
        body = self._body
        if body is not None and self._interrupted is None:  # an abandoned body is not waited on
            body.join(JOIN_TIMEOUT)
        state = self._state
        if state is None or not state.is_final():  # stopped from outside before the end
            state = State(
                type=StateType.CRASHED, message="Flow run actor stopped before the run ended"
            )
            self._propose(state)
        self._handle._resolve(self._state or state)

    def on_failure(self, *exc_info: Any) -> None:
        error = exc_info[1]
        self._cancelled.set()
        state = State(
            type=StateType.CRASHED, message=f"Flow run actor crashed: {error!r}", data=error
        )
        if not self._propose(state) and (self._state is None or not self._state.is_final()):
            self._history.append(state)  # even before PENDING: the run must end somewhere
            self._handle._state = state
        if self._runner_ref is not None:
            with contextlib.suppress(ActorDeadError):
                self._runner_ref.stop(block=False)
        if self._ledger_ref is not None:
            with contextlib.suppress(ActorDeadError):
                self._ledger_ref.stop(block=False)
        self._report_to_parent(self._state or state)
        self.on_stop()

    # -- the runner ------------------------------------------------------------------------

    @handles(RunnerStarted)
    def _on_runner_started(self, message: RunnerStarted) -> None:
        assert self._runner_ref is not None
        assert self._ledger_ref is not None
        self._context = FlowRunContext(
            flow_run_id=self._id,
            flow_run_name=self._handle.flow_run_name,
            flow_name=self._handle.flow_name,
            flow_run_ref=self.actor_ref,
            ledger_ref=self._ledger_ref,
            runner_ref=self._runner_ref,
            task_runner=self._task_runner,
            backend=message.backend,
            pool=self._system.pool,
            timer=self._system.timer,
            cancelled=self._cancelled,
            system=self._system,
        )
        if self._interrupted is not None:  # cancelled while the runner was starting
            self._seal_ledger()
            return
        self._start_attempt()

    @handles(RunnerFailed)
    def _on_runner_failed(self, message: RunnerFailed) -> None:
        self._crash = message
        if self._body is None:  # never started: nothing to wait for
            self._finish()

    @handles(LedgerFailed)
    def _on_ledger_failed(self, message: LedgerFailed) -> None:
        # Death-watch: without its ledger the run cannot tell when its task runs have ended.
        self._crash = RunnerFailed(
            flow_run_id=self._id, message=message.message, error=message.error
        )
        self._cancelled.set()
        self._cancel_timer()
        self._ledger_ref = None
        try:
            assert self._runner_ref is not None
            self._runner_ref.tell(StopRunner(flow_run_id=self._id))
        except (ActorDeadError, AssertionError):
            self._finish()

    @handles(RunnerStopped)
    def _on_runner_stopped(self, _message: RunnerStopped) -> None:
        self._finish()

    # -- attempts of the body --------------------------------------------------------------

    def _start_attempt(self) -> None:
        context = self._context
        assert context is not None
        if self._attempt > 0:  # a retry: a fresh context, so the old body stays refused
            self._cancelled = threading.Event()
            context = self._context = dataclasses.replace(context, cancelled=self._cancelled)
        self._attempt += 1
        self._body_outcome = None
        self._interrupted = None
        name = "Retrying" if self._attempt > 1 else ""
        self._propose(State._new(StateType.RUNNING, name))
        self._body = threading.Thread(
            target=_run_body,
            args=(context, self._attempt, self._fn, self._args, self._kwargs),
            name=f"actorflow-flow-body-{self._handle.flow_run_name}",
            daemon=True,
        )
        self._handle._threads.append(self._body)
        self._body.start()
        timeout = self._policy.timeout_seconds
        if timeout is not None:
            due = FlowTimeoutDue(flow_run_id=self._id, attempt=self._attempt)
            self._timer = self._system.timer.call_later(timeout, lambda: self._tell_self(due))

    @handles(BodyFinished)
    def _on_body_finished(self, message: BodyFinished) -> None:
        if message.attempt != self._attempt or self._interrupted is not None:
            return  # an abandoned attempt's body: ignored
        self._cancel_timer()
        self._body_outcome = message
        self._seal_ledger()

    @handles(FlowTimeoutDue)
    def _on_timeout(self, message: FlowTimeoutDue) -> None:
        if message.attempt != self._attempt or self._body_outcome is not None:
            return
        if self._interrupted is not None or not self._state_is(StateType.RUNNING):
            return
        text = f"Flow run exceeded timeout of {float(self._policy.timeout_seconds or 0)} second(s)"
        self._interrupt(
            State(type=StateType.FAILED, name="TimedOut", message=text, data=TimeoutError(text))
        )

    @handles(CancelFlowRun)
    def _on_cancel(self, message: CancelFlowRun) -> None:
        if self._final is not None or self._interrupted is not None:
            return
        self._cancelled.set()  # the body raises FlowRunCancelled at its next actorflow call
        if self._context is None:  # the runner is still starting: cancel once it reports
            self._interrupted = State(type=StateType.CANCELLED, message=message.message)
            return
        self._interrupt(State(type=StateType.CANCELLED, message=message.message))

    def _interrupt(self, state: State) -> None:
        """End the current attempt early: abandon its body, cancel what it left pending."""
        self._interrupted = state
        self._cancelled.set()  # the abandoned body is refused at its next call
        self._cancel_timer()
        if self._ledger_ref is not None:
            self._ledger_ref.tell(CancelPending(flow_run_id=self._id, message=state.message or ""))
        self._seal_ledger()

    def _seal_ledger(self) -> None:
        if self._ledger_ref is None:  # the ledger crashed: the run is ending Crashed anyway
            return
        self._ledger_ref.tell(SealLedger(flow_run_id=self._id))

    @handles(AllRunsFinished)
    def _on_all_runs_finished(self, message: AllRunsFinished) -> None:
        outcome = self._attempt_outcome(list(message.states))
        if outcome.type is StateType.FAILED and self._retry(outcome):
            return
        self._final = outcome
        assert self._runner_ref is not None
        try:
            self._runner_ref.tell(StopRunner(flow_run_id=self._id))
        except ActorDeadError:  # the runner is already gone: nothing left to shut down
            self._finish()

    def _retry(self, failed: State) -> bool:
        retry = self._attempt
        policy = self._policy
        awaiting = policy.awaiting_retry(retry)
        if awaiting is None or not self._propose(awaiting):
            return False
        delay = policy.delay_before(retry)
        emit(
            flow_run_logger,
            WARNING,
            "%s run %r failed with %s - retry %d/%d in %s second(s)",
            self._kind,
            self._handle.flow_run_name,
            failed,
            retry,
            policy.retries,
            delay,
        )
        assert self._ledger_ref is not None
        self._ledger_ref.tell(ReopenLedger(flow_run_id=self._id))
        due = FlowRetryDue(flow_run_id=self._id, attempt=self._attempt + 1)
        if delay > 0:
            self._timer = self._system.timer.call_later(delay, lambda: self._tell_self(due))
        else:
            self._start_attempt()
        return True

    @handles(FlowRetryDue)
    def _on_retry_due(self, message: FlowRetryDue) -> None:
        if message.attempt == self._attempt + 1 and self._state_is(StateType.SCHEDULED):
            self._timer = None
            self._start_attempt()

    # -- the end ---------------------------------------------------------------------------

    def _finish(self) -> None:
        state = self._final_state()
        self._propose(state)
        final = self._state or state
        level = INFO if final.type is StateType.COMPLETED else ERROR
        emit(
            flow_run_logger,
            level,
            "%s run %r finished in state %s",
            self._kind,
            self._handle.flow_run_name,
            final,
        )
        if self._ledger_ref is not None:
            self._ledger_ref.stop(block=False)
        self._report_to_parent(final)
        self.stop()

    def _report_to_parent(self, state: State) -> None:
        if self._parent is not None:
            with contextlib.suppress(ActorDeadError):  # the parent may have ended already
                self._parent.ledger_ref.tell(
                    ChildFlowRunFinished(
                        flow_run_id=self._parent.flow_run_id,
                        child_flow_run_id=self._id,
                        state=state,
                    )
                )

    def _final_state(self) -> State:
        if self._crash is not None:
            return State(
                type=StateType.CRASHED, message=self._crash.message, data=self._crash.error
            )
        if self._final is not None:
            return self._final
        if self._interrupted is not None:  # cancelled before the body started
            return self._interrupted
        return State(type=StateType.CRASHED, message="Flow run ended without an outcome")

    def _attempt_outcome(self, child_states: list[State]) -> State:
        """The state this attempt of the body ends in, by the rules of the final state."""
        if self._interrupted is not None:
            return self._interrupted
        outcome = self._body_outcome
        assert outcome is not None
        if outcome.raised:
            error: BaseException = outcome.value
            kind = StateType.FAILED if isinstance(error, Exception) else StateType.CRASHED
            return State(type=kind, message=failure_message("Flow", error), data=error)
        value = outcome.value
        if value is None:
            return aggregate_states(child_states)
        if isinstance(value, State):
            return _aggregate_returned([value], value.data if value.has_data else None)
        if isinstance(value, list | tuple) and value and all(isinstance(v, State) for v in value):
            return _aggregate_returned(list(value), [v.data if v.has_data else None for v in value])
        return State(type=StateType.COMPLETED, data=value)

    # -- helpers ---------------------------------------------------------------------------

    @property
    def _state(self) -> State | None:
        return self._history[-1] if self._history else None

    def _state_is(self, state_type: StateType) -> bool:
        state = self._state
        return state is not None and state.type is state_type

    def _propose(self, state: State) -> bool:
        decision = decide(self._state, state)
        if not decision:
            flow_run_logger.debug("Flow run %r rejected %s: %s", self._id, state, decision.reason)
            return False
        self._history.append(state)
        self._handle._state = state
        return True

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tell_self(self, message: object) -> None:
        with contextlib.suppress(ActorDeadError):
            self.actor_ref.tell(message)


def _aggregate_returned(states: list[State], data: Any) -> State:
    aggregate = aggregate_states(states)
    if aggregate.type is StateType.COMPLETED:
        return State(type=StateType.COMPLETED, message=aggregate.message, data=data)
    return aggregate


def _run_body(
    context: FlowRunContext,
    attempt: int,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    """A body thread: call the flow function in its run context, then tell the actor."""
    token = set_current(context)
    try:
        value = _fetch_returned_results(fn(*args, **kwargs))
    except BaseException as error:
        outcome = BodyFinished(
            flow_run_id=context.flow_run_id, attempt=attempt, raised=True, value=error
        )
    else:
        outcome = BodyFinished(
            flow_run_id=context.flow_run_id, attempt=attempt, raised=False, value=value
        )
    finally:
        reset_current(token)
    with contextlib.suppress(ActorDeadError):  # an abandoned body may outlive its run
        context.flow_run_ref.tell(outcome)


def _fetch_returned_results(value: Any) -> Any:
    """The body's return value, with the results of the states it returns fetched here:
    they become the flow's result, which must outlive the task runner (a Dask cluster
    that holds them closes with the run). Runs on the body thread, which may block."""
    if isinstance(value, State):
        return _with_fetched_result(value)
    if isinstance(value, list | tuple) and any(isinstance(v, State) for v in value):
        items = [_with_fetched_result(v) if isinstance(v, State) else v for v in value]
        kind: Any = type(value)
        if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple
            return kind(*items)
        return kind(items)
    return value


def _with_fetched_result(state: State) -> State:
    if state.is_completed() and isinstance(state.data, RemoteResult):
        return dataclasses.replace(state, data=state.data.fetch())
    return state
