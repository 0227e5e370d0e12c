"""The flow-run actor: owns one flow run's state, its runner actor and its body thread."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from pykka import ActorDeadError

from actorflow._context import FlowRunContext, reset_current, set_current
from actorflow._logging import ensure_console_logging, flow_run_logger
from actorflow._names import flow_run_slug, new_id
from actorflow.actors.base import ThreadActor, join_actor
from actorflow.actors.dispatch import handles
from actorflow.actors.ledger import LedgerActor
from actorflow.actors.messages import (
    AllRunsFinished,
    BodyFinished,
    ChildFlowRunFinished,
    ChildFlowRunStarted,
    RunnerFailed,
    RunnerStarted,
    RunnerStopped,
    SealLedger,
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
    from actorflow.runners.base import TaskRunner

__all__ = ["FlowRunActor", "FlowRunHandle", "start_flow_run"]

# How long a stopping actor waits for a child's thread, or a caller for a run's thread.
JOIN_TIMEOUT = 30.0


class FlowRunHandle:
    """What the starter of a flow run holds: its identity and its eventual final state.

    Safe from any thread. `wait()` blocks the calling (user) thread, with a timeout.
    """

    __slots__ = ("_event", "_state", "actor_ref", "flow_name", "flow_run_id", "flow_run_name")

    def __init__(self, *, flow_run_id: str, flow_run_name: str, flow_name: str) -> None:
        self.flow_run_id = flow_run_id
        self.flow_run_name = flow_run_name
        self.flow_name = flow_name
        self.actor_ref: ActorRef[Any] | None = None
        self._event = threading.Event()
        self._state: State | None = None

    def wait(self, timeout: float | None = None) -> State | None:
        """The final state once the run has ended and its threads are gone; None on timeout."""
        if not self._event.wait(timeout):
            return None
        if self.actor_ref is not None:
            join_actor(self.actor_ref, JOIN_TIMEOUT)
        return self._state

    def _resolve(self, state: State) -> None:
        self._state = state
        self._event.set()


def start_flow_run(
    *,
    system: ActorSystem,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    flow_name: str,
    task_runner: TaskRunner,
    parent: FlowRunContext | None,
) -> FlowRunHandle:
    """Start a flow run's actor; returns at once. The body starts once the runner is up."""
    ensure_console_logging()
    handle = FlowRunHandle(flow_run_id=new_id(), flow_run_name=flow_run_slug(), flow_name=flow_name)
    handle.actor_ref = FlowRunActor.start(
        handle=handle,
        system=system,
        fn=fn,
        args=args,
        kwargs=kwargs,
        task_runner=task_runner.duplicate(),
        parent=parent,
    )
    return handle


class FlowRunActor(ThreadActor):
    """Drives one flow run: PENDING -> runner up -> RUNNING (body) -> tasks drain -> final.

    Children: the ledger (a light actor that counts task runs and subflow runs), the runner
    actor (started in `on_start`, stopped by `StopRunner` once the body has finished and the
    ledger reports `AllRunsFinished`) and the body thread. Reports to the parent flow run, if any, with `ChildFlowRunStarted` /
    `ChildFlowRunFinished`. Thread rules: all fields are touched only on this actor's thread;
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
        self._parent = parent
        self._kind = "Subflow" if parent is not None else "Flow"
        self._history: list[State] = []
        self._runner_ref: ActorRef[Any] | None = None
        self._body: threading.Thread | None = None
        self._body_outcome: BodyFinished | None = None
        self._crash: RunnerFailed | None = None
        self._ledger_ref: ActorRef[Any] | None = None
        self._child_states: tuple[State, ...] | None = None  # set by AllRunsFinished

    # -- lifecycle -------------------------------------------------------------------------

    def on_start(self) -> None:
        handle = self._handle
        flow_run_logger.info(
            "Beginning %s run %r for flow %r...",
            self._kind.lower(),
            handle.flow_run_name,
            handle.flow_name,
        )
        self._propose(State(type=StateType.PENDING))
        self._ledger_ref = LedgerActor.start(
            flow_run_id=self._id, flow_run_ref=self.actor_ref, pool=self._system.pool
        )
        if self._parent is not None:
            self._parent.ledger_ref.tell(
                ChildFlowRunStarted(
                    flow_run_id=self._parent.flow_run_id, child_flow_run_id=self._id
                )
            )
        self._runner_ref = RunnerActor.start(
            flow_run_id=self._id, task_runner=self._task_runner, parent=self.actor_ref
        )

    @handles(RunnerStarted)
    def _on_runner_started(self, _message: RunnerStarted) -> None:
        self._start_body()

    @handles(BodyFinished)
    def _on_body_finished(self, message: BodyFinished) -> None:
        self._body_outcome = message
        assert self._ledger_ref is not None
        self._ledger_ref.tell(SealLedger(flow_run_id=self._id))

    @handles(AllRunsFinished)
    def _on_all_runs_finished(self, message: AllRunsFinished) -> None:
        self._child_states = message.states
        assert self._runner_ref is not None
        try:
            self._runner_ref.tell(StopRunner(flow_run_id=self._id))
        except ActorDeadError:  # the runner is already gone: nothing left to shut down
            self._finish()

    @handles(RunnerStopped)
    def _on_runner_stopped(self, _message: RunnerStopped) -> None:
        self._finish()

    @handles(RunnerFailed)
    def _on_runner_failed(self, message: RunnerFailed) -> None:
        self._crash = message
        if self._body is None:  # never started: nothing to wait for
            self._finish()

    def on_stop(self) -> None:
        if self._runner_ref is not None:
            join_actor(self._runner_ref, JOIN_TIMEOUT)
        if self._body is not None:
            self._body.join(JOIN_TIMEOUT)
        state = self._state
        if state is None or not state.is_final():  # stopped from outside before the end
            state = State(
                type=StateType.CRASHED, message="Flow run actor stopped before the run ended"
            )
            self._propose(state)
        self._handle._resolve(state)

    def on_failure(self, *exc_info: Any) -> None:
        error = exc_info[1]
        self._propose(
            State(type=StateType.CRASHED, message=f"Flow run actor crashed: {error!r}", data=error)
        )
        if self._runner_ref is not None:
            self._runner_ref.stop(block=False)
        self.on_stop()

    # -- steps -----------------------------------------------------------------------------

    @property
    def _state(self) -> State | None:
        return self._history[-1] if self._history else None

    def _propose(self, state: State) -> bool:
        decision = decide(self._state, state)
        if not decision:
            flow_run_logger.debug("Flow run %r rejected %s: %s", self._id, state, decision.reason)
            return False
        self._history.append(state)
        return True

    def _start_body(self) -> None:
        assert self._runner_ref is not None
        assert self._ledger_ref is not None
        self._propose(State(type=StateType.RUNNING))
        context = FlowRunContext(
            flow_run_id=self._id,
            flow_run_name=self._handle.flow_run_name,
            flow_name=self._handle.flow_name,
            flow_run_ref=self.actor_ref,
            ledger_ref=self._ledger_ref,
            runner_ref=self._runner_ref,
            task_runner=self._task_runner,
            pool=self._system.pool,
        )
        self._body = threading.Thread(
            target=_run_body,
            args=(context, self._fn, self._args, self._kwargs),
            name=f"actorflow-flow-body-{self._handle.flow_run_name}",
            daemon=True,
        )
        self._body.start()

    def _finish(self) -> None:
        state = self._final_state()
        self._propose(state)
        level = logging.INFO if state.type is StateType.COMPLETED else logging.ERROR
        flow_run_logger.log(
            level, "%s run %r finished in state %s", self._kind, self._handle.flow_run_name, state
        )
        if self._ledger_ref is not None:
            self._ledger_ref.stop(block=False)
        if self._parent is not None:
            self._parent.ledger_ref.tell(
                ChildFlowRunFinished(
                    flow_run_id=self._parent.flow_run_id, child_flow_run_id=self._id, state=state
                )
            )
        self.stop()

    def _final_state(self) -> State:
        if self._crash is not None:
            return State(
                type=StateType.CRASHED, message=self._crash.message, data=self._crash.error
            )
        outcome = self._body_outcome
        assert outcome is not None
        if outcome.raised:
            error: BaseException = outcome.value
            kind = StateType.FAILED if isinstance(error, Exception) else StateType.CRASHED
            return State(type=kind, message=failure_message("Flow", error), data=error)
        value = outcome.value
        if value is None:
            return aggregate_states(list(self._child_states or ()))
        if isinstance(value, State):
            return _aggregate_returned([value], value.data if value.has_data else None)
        if isinstance(value, list | tuple) and value and all(isinstance(v, State) for v in value):
            return _aggregate_returned(list(value), [v.data if v.has_data else None for v in value])
        return State(type=StateType.COMPLETED, data=value)


def _aggregate_returned(states: list[State], data: Any) -> State:
    aggregate = aggregate_states(states)
    if aggregate.type is StateType.COMPLETED:
        return State(type=StateType.COMPLETED, message=aggregate.message, data=data)
    return aggregate


def _run_body(
    context: FlowRunContext,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    """The body thread: call the flow function in its run context, then tell the actor."""
    token = set_current(context)
    try:
        value = fn(*args, **kwargs)
    except BaseException as error:
        outcome = BodyFinished(flow_run_id=context.flow_run_id, raised=True, value=error)
    else:
        outcome = BodyFinished(flow_run_id=context.flow_run_id, raised=False, value=value)
    finally:
        reset_current(token)
    context.flow_run_ref.tell(outcome)
