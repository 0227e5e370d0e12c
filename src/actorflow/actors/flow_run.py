"""The flow-run actor: the shell around one flow run's `FlowRunMachine`.

It owns the run's children: the ledger (a light actor that accounts for its task runs and
subflow runs), the runner actor and the body threads. Every message becomes an event for
the machine, stamped with the clock's time; the shell carries out the machine's
instructions. It holds no rule of its own.

Thread rules: `__init__` runs in the starting thread; everything else on the actor's own
thread. The body runs on threads of its own and talks to this actor only by `tell`; the
one piece of state they share is the attempt's `cancelled` event (through the body's
`FlowRunContext`). The run's handle is written only here.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from logging import INFO
from typing import TYPE_CHECKING, Any, Protocol

from pykka import ActorDeadError

from actorflow._context import FlowRunContext
from actorflow._logging import emit, flow_run_logger
from actorflow.actors.base import ThreadActor, join_actor
from actorflow.actors.dispatch import handles
from actorflow.actors.flow_body import run_body
from actorflow.actors.handle import JOIN_TIMEOUT, FlowRunHandle
from actorflow.actors.ledger import LedgerActor
from actorflow.actors.messages import (
    CancelPending,
    ChildFlowRunFinished,
    ChildFlowRunStarted,
    ReopenLedger,
    SealLedger,
    StopRunner,
)
from actorflow.actors.run_port import ActorRunPort
from actorflow.actors.runner import RunnerActor
from actorflow.actors.tell import tell_if_alive
from actorflow.core import instructions as ins
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
from actorflow.core.flow_run_machine import FlowRunMachine
from actorflow.journal._entries import FLOW_CREATED, FLOW_ENDED, FLOW_STATE, LOG
from actorflow.journal._parameters import summarize, summarize_kwargs

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykka import ActorRef

    from actorflow.actors.journal import JournalActor
    from actorflow.actors.light import ActorPool
    from actorflow.core.clock import Clock, TimerHandle
    from actorflow.core.policy import RetryPolicy
    from actorflow.runners.base import Backend, TaskRunner
    from actorflow.states import State

__all__ = ["FlowDefinition", "FlowRunActor", "set_task_runner_override"]


class FlowDefinition(Protocol):
    """What the runtime needs of a flow (`actorflow.Flow` is one)."""

    @property
    def fn(self) -> Callable[..., Any]: ...
    @property
    def name(self) -> str: ...
    @property
    def task_runner(self) -> TaskRunner: ...
    @property
    def policy(self) -> RetryPolicy: ...


_task_runner_override: TaskRunner | None = None
"""When set (by `actorflow.testing.use_task_runner`), every flow run started uses this task
runner instead of its flow's own. Read once per flow run; replaced as a whole."""


def set_task_runner_override(runner: TaskRunner | None) -> TaskRunner | None:
    """Make every flow run started from now on use `runner` (None: each its own flow's);
    returns the previous setting. For tests: see `actorflow.testing.use_task_runner`."""
    global _task_runner_override
    previous, _task_runner_override = _task_runner_override, runner
    return previous


class FlowRunActor(ThreadActor):
    """Feeds its run's machine and carries out what it says; see the module docs.

    Reports to the parent's ledger, if any, with `ChildFlowRunStarted` /
    `ChildFlowRunFinished`.
    """

    thread_name = "flow-run"

    def __init__(
        self,
        *,
        handle: FlowRunHandle,
        flow: FlowDefinition,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        pool: ActorPool,
        clock: Clock,
        start_flow: Callable[..., FlowRunHandle],
        parent: FlowRunContext | None,
        journal: JournalActor | None = None,
        keep_task_runs: int | None = None,
    ) -> None:
        """Runs on the starting thread."""
        super().__init__()
        self._handle = handle
        self._id = handle.flow_run_id
        self._fn = flow.fn
        self._args = args
        self._kwargs = kwargs
        self._task_runner = (_task_runner_override or flow.task_runner).duplicate()
        self._pool = pool
        self._clock = clock
        self._start_flow = start_flow
        self._parent = parent
        self._machine = FlowRunMachine(
            flow_run_id=self._id,
            flow_run_name=handle.flow_run_name,
            flow_name=handle.flow_name,
            policy=flow.policy,
            subflow=parent is not None,
        )
        self._runner_ref: ActorRef[Any] | None = None
        self._ledger_ref: ActorRef[Any] | None = None
        self._backend: Backend | None = None
        self._context: FlowRunContext | None = None
        self._body: threading.Thread | None = None  # the current attempt's body
        self._timer: TimerHandle | None = None
        self._cancelled = threading.Event()  # shared with the body, through its context
        self._feeding = False  # see _feed
        self._backlog: list[object] = []
        self._journal = journal
        self._record = None if journal is None else journal.record
        self._keep_task_runs = keep_task_runs
        if self._record is not None:
            self._record(
                (
                    FLOW_CREATED,
                    self._id,
                    handle.flow_run_name,
                    handle.flow_name,
                    None if parent is None else parent.flow_run_id,
                    type(self._task_runner).__name__,
                    self._fn,
                    summarize(args),
                    summarize_kwargs(kwargs),
                    self._clock.now(),
                )
            )

    # -- events in ----------------------------------------------------------------------

    def on_start(self) -> None:
        self._feed(FlowRunCreated(flow_run_id=self._id))
        self._ledger_ref = LedgerActor.start(
            flow_run_id=self._id,
            flow_run_ref=self.actor_ref,
            pool=self._pool,
            keep_finished=self._keep_task_runs,
        )
        self._handle.set_ledger(self._ledger_ref)
        if self._parent is not None:
            self._parent_ledger().tell(
                ChildFlowRunStarted(
                    flow_run_id=self._parent.flow_run_id,
                    child_flow_run_id=self._id,
                    child_flow_run_ref=self.actor_ref,
                )
            )
        self._runner_ref = RunnerActor.start(
            flow_run_id=self._id,
            task_runner=self._task_runner,
            parent=self.actor_ref,
            journal=self._record,
        )

    @handles(RunnerStarted)
    def _on_runner_started(self, message: RunnerStarted) -> None:
        assert self._ledger_ref is not None
        self._backend = message.backend
        port = ActorRunPort(
            flow_run_id=self._id,
            ledger_ref=self._ledger_ref,
            backend=message.backend,
            pool=self._pool,
            clock=self._clock,
            start_flow=self._start_flow,
            journal=self._record,
        )
        self._context = FlowRunContext(
            flow_run_id=self._id,
            flow_run_name=self._handle.flow_run_name,
            flow_name=self._handle.flow_name,
            port=port,
            backend=message.backend,
            cancelled=self._cancelled,
        )
        self._feed(message)

    @handles(LedgerFailed)
    def _on_ledger_failed(self, message: LedgerFailed) -> None:
        self._ledger_ref = None  # it is gone: nothing more to tell it
        self._feed(message)

    @handles(AllRunsFinished)
    def _on_all_runs_finished(self, message: AllRunsFinished) -> None:
        self._handle.set_task_runs(message.snapshots)
        self._feed(message)

    @handles(RunnerFailed, RunnerStopped, BodyFinished, FlowTimeoutDue, FlowRetryDue, CancelFlowRun)
    def _on_event(self, event: object) -> None:
        self._feed(event)

    def on_stop(self) -> None:
        self._cancel_timer()
        if self._runner_ref is not None:
            join_actor(self._runner_ref, JOIN_TIMEOUT)
        body = self._body
        # An abandoned body is not waited on, nor one that never started.
        if body is not None and self._machine.interrupted is None and body.ident is not None:
            body.join(JOIN_TIMEOUT)
        self._feed(ActorStopped(run_id=self._id))  # ends it Crashed, unless it has ended
        state = self._machine.state
        assert state is not None
        if self._journal is not None:  # the run's last record, written now (not in 0.1 s)
            self._journal.record((FLOW_ENDED, self._id))
            self._journal.wake()
        self._handle.resolve(state)

    def on_failure(self, *exc_info: Any) -> None:
        self._feeding = False  # a handler raised mid-feed: what was queued is moot now
        self._backlog.clear()
        self._feed(ActorCrashed(run_id=self._id, error=exc_info[1]))
        for ref in (self._runner_ref, self._ledger_ref):
            if ref is not None:
                try:  # noqa: SIM105
                    ref.stop(block=False)
                except ActorDeadError:
                    pass
        state = self._machine.state
        assert state is not None
        self._report_to_parent(state)
        self.on_stop()

    def _feed(self, event: object) -> None:
        """Feed one event to the machine and carry out what it says. An event raised while
        instructions run (the runner found gone when told to stop) waits for them to end:
        the machine sees one event at a time."""
        if self._feeding:
            self._backlog.append(event)
            return
        self._feeding = True
        try:
            pending: list[object] = [event]
            while pending:
                for instruction in self._machine.handle(pending.pop(0), self._clock.now()):
                    self._execute(instruction)
                pending.extend(self._backlog)
                self._backlog.clear()
        finally:
            self._feeding = False

    # -- instructions out ---------------------------------------------------------------

    def _execute(self, instruction: Any) -> None:
        kind = type(instruction)
        if kind is ins.RecordState:
            state = instruction.state
            if self._record is not None:
                self._record(
                    (
                        FLOW_STATE,
                        self._id,
                        state.type.value,
                        state.name,
                        state.message,
                        state.timestamp,
                    )
                )
            self._handle.set_state(state)
        elif kind is ins.Log:
            text = emit(flow_run_logger, instruction.level, instruction.msg, *instruction.args)
            if self._record is not None and instruction.level >= INFO:
                if text is None:  # the console did not format it
                    text = (
                        instruction.msg % instruction.args if instruction.args else instruction.msg
                    )
                self._record(
                    (LOG, self._id, None, self._clock.now(), instruction.level,
                     flow_run_logger.name, text, None)
                )  # fmt: skip
        else:
            _EXECUTORS[kind](self, instruction)

    @on(ins.StartTimer)
    def _start_timer(self, instruction: ins.StartTimer) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._clock.call_later(
            instruction.delay, functools.partial(tell_if_alive, self.actor_ref, instruction.message)
        )

    @on(ins.CancelTimer)
    def _cancel_timer(self, _instruction: object = None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    @on(ins.SignalCancelled)
    def _signal_cancelled(self, _instruction: object) -> None:
        self._cancelled.set()

    @on(ins.CancelChildren)
    def _cancel_children(self, instruction: ins.CancelChildren) -> None:
        self._tell_ledger(CancelPending(flow_run_id=self._id, message=instruction.message))

    @on(ins.SealLedger)
    def _seal_ledger(self, _instruction: object) -> None:
        self._tell_ledger(SealLedger(flow_run_id=self._id))

    @on(ins.ReopenLedger)
    def _reopen_ledger(self, _instruction: object) -> None:
        self._tell_ledger(ReopenLedger(flow_run_id=self._id))

    @on(ins.StartBody)
    def _start_body(self, instruction: ins.StartBody) -> None:
        attempt = instruction.attempt
        context = self._context
        assert context is not None
        if attempt > 1:  # a retry: a fresh context, so the old body stays refused
            self._cancelled = threading.Event()
            context = self._context = dataclasses.replace(context, cancelled=self._cancelled)
        self._body = threading.Thread(
            target=run_body,
            args=(
                context,
                self.actor_ref,
                attempt,
                functools.partial(self._fn, *self._args, **self._kwargs),
            ),
            name=f"actorflow-flow-body-{self._handle.flow_run_name}",
            daemon=True,
        )
        self._body.start()  # if no thread can be started, the actor crashes: the run ends Crashed
        self._handle.add_thread(self._body)

    def _tell_ledger(self, message: object) -> None:
        if self._ledger_ref is not None:  # None: it crashed, and the run is ending Crashed
            self._ledger_ref.tell(message)

    @on(ins.StopRunner)
    def _stop_runner(self, _instruction: object = None) -> None:
        ref = self._runner_ref
        if ref is None or not tell_if_alive(ref, StopRunner(flow_run_id=self._id)):
            self._feed(RunnerStopped(flow_run_id=self._id))  # already gone: nothing to stop

    @on(ins.FinishFlowRun)
    def _finish(self, instruction: ins.FinishFlowRun) -> None:
        state = instruction.state
        if self._ledger_ref is not None:
            self._ledger_ref.stop(block=False)
        self._report_to_parent(state)
        self.stop()

    def _parent_ledger(self) -> ActorRef[Any]:
        assert self._parent is not None
        port = self._parent.port
        assert isinstance(port, ActorRunPort)
        return port.ledger_ref

    def _report_to_parent(self, state: State) -> None:
        if self._parent is not None:
            tell_if_alive(
                self._parent_ledger(),
                ChildFlowRunFinished(
                    flow_run_id=self._parent.flow_run_id, child_flow_run_id=self._id, state=state
                ),
            )


_EXECUTORS: dict[type, Callable[..., None]] = handler_table(FlowRunActor)
"""How the shell carries out each instruction its machine gives (besides the two
commonest, handled inline)."""
