"""The task-run actor: the shell around one task run's `TaskRunMachine`.

A `LightActor`: it has no thread; its handlers run on the thread that messages it (the
flow body when submitting, a backend thread when reporting, the clock's thread) or on the
system's actor pool. Every message becomes an event for the machine, stamped with the
clock's time; the shell carries out the machine's instructions (publish a state, hand an
attempt to the backend, start a timer, write a line, resolve the future). It holds no
rule of its own.

Thread rules: only the actor's handlers touch its fields. The one entry point for other
threads is `take_inline()`, for the thread that submitted an inline run (it is guarded by
`_inline_lock`).
"""

from __future__ import annotations

import functools
import threading
from logging import INFO
from typing import TYPE_CHECKING, Any, Final, Protocol

from pykka import ActorDeadError

from actorflow._annotations import resolve_upstreams
from actorflow._context import TaskCall
from actorflow._exceptions import SystemShutDownError, TaskRunnerError
from actorflow._logging import after_console, emit, task_run_logger
from actorflow.actors.dispatch import handles
from actorflow.actors.light import LightActor
from actorflow.actors.messages import TaskRunFinished, TaskRunSubmitted
from actorflow.actors.tell import post_if_alive, tell_if_alive
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
    Upstream,
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
from actorflow.core.lines import FINISHED_LINE, SUBMITTED_LINE
from actorflow.core.task_run_machine import TaskRunMachine
from actorflow.journal._entries import LOG, TASK_CREATED, TASK_STATE, TYPE_VALUES
from actorflow.journal._parameters import summarize, summarize_kwargs

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykka import ActorRef

    from actorflow._context import FlowRunContext, TaskRunRequest
    from actorflow.actors.light import ActorPool
    from actorflow.core.clock import Clock, TimerHandle
    from actorflow.futures import TaskFuture, TaskFutureWriter
    from actorflow.runners.base import Backend
    from actorflow.states import State

__all__ = ["TaskRunActor", "TaskRunServices"]


class TaskRunServices(Protocol):
    """What a flow run shares with its task runs (`ActorRunPort` is one)."""

    @property
    def flow_run_id(self) -> str: ...
    @property
    def ledger_ref(self) -> ActorRef[Any]: ...
    @property
    def backend(self) -> Backend | None: ...
    @property
    def pool(self) -> ActorPool: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def journal(self) -> Callable[[tuple[Any, ...]], None] | None: ...


# A task run's "submitting" and "finished" lines are not journaled: the journal's readers
# rebuild them, word for word, from its `TaskRunCreated` and final-state records.
_REBUILT_LINES: Final = frozenset({SUBMITTED_LINE, FINISHED_LINE})

# Guards every task run's `_parked` and `_inline_taken` (held for a few instructions, by
# an inline submitter and its task run's handlers only: one lock for all is cheaper than
# one per run).
_inline_lock: Final = threading.Lock()


def _tell_when_done(ref: ActorRef[Any], task_run_id: str, future: TaskFuture[Any]) -> None:
    """A done-callback of an upstream's future: tell the downstream task run."""
    state = future.state
    assert state is not None
    tell_if_alive(
        ref,
        UpstreamFinished(
            task_run_id=task_run_id, upstream_task_run_id=future.task_run_id, state=state
        ),
    )


class TaskRunActor(LightActor):
    """Feeds its run's machine and carries out what it says; see the module docs."""

    def __init__(
        self,
        *,
        task_run_id: str,
        task_run_name: str,
        request: TaskRunRequest,
        port: TaskRunServices,
        flow_run: FlowRunContext,
        future: TaskFutureWriter[Any],
    ) -> None:
        """Runs in the submitting thread."""
        super().__init__(pool=port.pool)
        self.task_run_id = task_run_id
        self.task_run_name = task_run_name
        self._fn = request.fn
        self._task_name = request.task_name
        self._upstreams = request.upstreams
        self._args = request.args
        self._kwargs = request.kwargs
        self._port = port
        self._flow_run = flow_run
        self._future = future
        self._clock = port.clock
        self._machine = TaskRunMachine(
            task_run_id=task_run_id,
            task_run_name=task_run_name,
            policy=request.policy,
            inline=request.inline is not None,
            created_at=self._clock.now(),
        )
        self._journal = journal = port.journal
        if journal is not None:  # created, in its first state (Pending)
            args, kwargs = request.args, request.kwargs
            journal(
                (
                    TASK_CREATED,
                    task_run_id,
                    task_run_name,
                    request.task_name,
                    port.flow_run_id,
                    request.fn if args else None,  # (for the parameters' names)
                    summarize(args) if args else None,
                    summarize_kwargs(kwargs) if kwargs else None,
                    self._machine.state.timestamp,
                )
            )
        future.set_state(self._machine.state)
        self._call: TaskCall | None = None
        self._timer: TimerHandle | None = None
        self._report = self.ref.offer
        # Guarded by _inline_lock: see take_inline.
        self._parked: TaskCall | None = None
        self._inline_taken = False
        # Events raised while instructions run wait here, so the machine sees one at a time.
        self._feeding = False
        self._backlog: list[object] = []

    # -- events in ----------------------------------------------------------------------

    def on_start(self) -> None:
        try:
            self._port.ledger_ref.tell(
                TaskRunSubmitted(
                    flow_run_id=self._port.flow_run_id,
                    task_run_id=self.task_run_id,
                    task_run_name=self.task_run_name,
                    task_name=self._task_name,
                    task_run_ref=self.actor_ref,
                    future=self._future,
                )
            )
        except (ActorDeadError, SystemShutDownError):  # the flow run has ended: never starts
            self._feed(
                CancelTaskRun(task_run_id=self.task_run_id, message="Its flow run has ended")
            )
            return
        upstreams = (
            tuple(
                Upstream(
                    task_run_id=upstream_id,
                    task_run_name=future.task_run_name,
                    allowed_to_fail=allowed,
                    state=future.state if future.done() else None,
                )
                for upstream_id, (future, allowed) in self._upstreams.items()
            )
            if self._upstreams
            else ()
        )
        self._feed(TaskRunCreated(task_run_id=self.task_run_id, upstreams=upstreams))
        for upstream in upstreams:
            if upstream.state is None:
                future, _allowed = self._upstreams[upstream.task_run_id]
                future.add_done_callback(
                    functools.partial(_tell_when_done, self.actor_ref, self.task_run_id)
                )

    def on_failure(self, *exc_info: Any) -> None:
        # A handler raised: the run cannot go on. The machine ends it Crashed (unless it
        # has ended already and let go of its machine: see _publish).
        if "_machine" not in vars(self):
            return
        self._feeding = False
        self._backlog.clear()
        self._feed(ActorCrashed(run_id=self.task_run_id, error=exc_info[1]))

    @handles(
        TaskStarted,
        TaskOutcome,
        UpstreamFinished,
        SubmitRefused,
        InlineDeclined,
        RetryDue,
        TimeoutDue,
        CancelTaskRun,
    )
    def _feed(self, event: object) -> None:
        """Feed one event to the machine and carry out what it says (also the handler of
        every event message)."""
        if self._feeding:
            self._backlog.append(event)
            return
        self._feeding = True
        try:
            now = self._clock.now
            self._execute(self._machine.handle(event, now()))
            while self._backlog:
                self._execute(self._machine.handle(self._backlog.pop(0), now()))
        finally:
            self._feeding = False

    # -- instructions out ---------------------------------------------------------------

    def _execute(self, instructions: list[Any]) -> None:
        for instruction in instructions:
            kind = type(instruction)
            if kind is RecordState:
                self._future.set_state(instruction.state)
                if self._journal is not None:
                    self._journal_state(instruction.state)
            elif kind is Log:
                self._log(instruction)
            elif kind is SubmitAttempt:
                self._submit_attempt(instruction)
            elif kind is FinishTaskRun:
                self._finish(instruction)
            elif kind is StartTimer:
                self._start_timer(instruction)
            elif kind is CancelTimer:
                self._cancel_timer()
            elif kind is AbandonAttempt:
                self._abandon()
            else:  # pragma: no cover - a machine instruction this shell does not know
                msg = f"TaskRunActor cannot carry out {instruction!r}"
                raise TypeError(msg)

    def _journal_state(self, state: State) -> None:
        self._journal(  # type: ignore[misc]  # (only called with a journal)
            (TASK_STATE, self.task_run_id, self._port.flow_run_id, TYPE_VALUES[state.type], state.name,
             state.message, state.timestamp)
        )  # fmt: skip

    def _log(self, instruction: Log) -> None:
        """Write the line, and record it in the journal (at INFO and above)."""
        msg = instruction.msg
        text = emit(task_run_logger, instruction.level, msg, *instruction.args)
        if self._journal is None or instruction.level < INFO or msg in _REBUILT_LINES:
            return
        if text is None:  # the console did not format it
            text = msg % instruction.args if instruction.args else msg
        self._journal(
            (LOG, self._port.flow_run_id, self.task_run_id, self._clock.now(), instruction.level,
             task_run_logger.name, text, None)
        )  # fmt: skip

    def _submit_attempt(self, instruction: SubmitAttempt) -> None:
        attempt = instruction.attempt
        if attempt == 1 and self._upstreams:
            try:
                self._args = resolve_upstreams(self._args)
                self._kwargs = resolve_upstreams(self._kwargs)
            except Exception as error:
                self._feed(SubmitRefused(task_run_id=self.task_run_id, attempt=1, error=error))
                return
        call = self._call
        if call is None or call.attempt != attempt:
            call = self._call = TaskCall(
                task_run_id=self.task_run_id,
                task_run_name=self.task_run_name,
                task_name=self._task_name,
                fn=self._fn,
                args=self._args,
                kwargs=self._kwargs,
                report=self._report,
                flow_run=self._flow_run,
                attempt=attempt,
                may_time_out=self._machine.policy.timeout_seconds is not None,
            )
        if instruction.park:
            with _inline_lock:
                if not self._inline_taken:
                    self._parked = call  # the submitter takes it: see take_inline
                    return
        backend = self._port.backend
        try:
            if backend is None:
                msg = "the task runner of this flow run is not running"
                raise TaskRunnerError(msg)  # noqa: TRY301
            backend.submit(call)
        except Exception as error:
            self._feed(SubmitRefused(task_run_id=self.task_run_id, attempt=attempt, error=error))

    def take_inline(self) -> TaskCall | None:
        """For the thread that submitted an inline run, once `start()` returned: the first
        attempt's call, parked for it, or None if it was not ready (the backend gets it
        then). That thread runs the call itself, or tells `InlineDeclined`. Safe from any
        thread."""
        with _inline_lock:
            self._inline_taken = True
            call, self._parked = self._parked, None
        return call

    def _start_timer(self, instruction: StartTimer) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._clock.call_later(
            instruction.delay, functools.partial(post_if_alive, self.actor_ref, instruction.message)
        )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _abandon(self) -> None:
        """Stop the current attempt from starting, or let the backend drop it if running."""
        call = self._call
        if call is None or call.claim():
            return  # never started, and now it never will
        backend = self._port.backend
        if backend is not None:
            backend.abandon(call)

    def _finish(self, instruction: FinishTaskRun) -> None:
        if self._journal is not None:
            self._journal_state(instruction.state)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # Its arguments go now, not when a GC pass finds the actor and its call (a cycle).
        # Only this actor's handlers ever set `_parked`, so reading it without the lock sees
        # this thread's own write; the lock (shared by every run) is taken only to clear it.
        if self._parked is not None:  # an inline run's call, never taken (cancelled)
            with _inline_lock:
                self._parked = None
        self._call = None
        self._args, self._kwargs, self._upstreams = (), {}, {}
        # After the line is on the console (see `console_held`): the ledger and the future.
        after_console(self._publish, instruction.state, instruction.history)
        self.stop_now()

    def _publish(self, state: State, history: tuple[State, ...]) -> None:
        port = self._port
        tell_if_alive(
            port.ledger_ref,
            TaskRunFinished(
                flow_run_id=port.flow_run_id,
                task_run_id=self.task_run_id,
                task_run_name=self.task_run_name,
                state=state,
                history=history,
            ),
        )
        self._future.resolve(state)
        # The actor and its ref form a cycle that only a GC pass frees, and a long-lived
        # object may wait long for one: it lets go of the result now (the future keeps it
        # for as long as the user holds the future).
        fields = vars(self)
        del fields["_future"], fields["_machine"]  # (its history holds the result too)
