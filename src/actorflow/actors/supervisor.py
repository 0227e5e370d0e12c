"""The supervisor actor: the shell around a `SupervisorMachine`, and `Supervisor`, the
handle users hold.

A light actor. Each supervised run's handle tells it `ChildRunEnded` (with a random draw
for the backoff's jitter); restart delays are `RestartDue` messages from the system's
clock, never a sleeping thread.

Thread rules: only the actor's handlers touch its fields and write its `Supervisor`
handle; the handle's public methods are safe from any thread.
"""

from __future__ import annotations

import collections
import functools
import logging
import random
import threading
from typing import TYPE_CHECKING, Any, Protocol

from actorflow._exceptions import SystemShutDownError
from actorflow.actors.dispatch import handles
from actorflow.actors.handle import FlowRunRef
from actorflow.actors.light import LightActor
from actorflow.actors.tell import post_if_alive, tell_if_alive
from actorflow.core import instructions as ins
from actorflow.core.events import (
    ActorCrashed,
    ChildRunEnded,
    RestartDue,
    StopSupervisor,
    SupervisorStarted,
)
from actorflow.core.supervision import Child, Group
from actorflow.core.supervisor_machine import SupervisorMachine
from actorflow.states import State, StateType

if TYPE_CHECKING:
    from pykka import ActorRef

    from actorflow.actors.handle import FlowRunHandle
    from actorflow.actors.light import ActorPool
    from actorflow.core.clock import Clock, TimerHandle
    from actorflow.core.supervision import Backoff, Strategy, SupervisorStatus

__all__ = ["Supervisor", "SupervisorActor", "SupervisorServices", "SupervisorWriter"]


class SupervisorServices(Protocol):
    """What a supervisor needs of its system (`actorflow.actors.runtime.Runtime` is one)."""

    @property
    def pool(self) -> ActorPool: ...
    @property
    def clock(self) -> Clock: ...
    def start_flow_run(
        self, flow: Any, args: tuple[Any, ...], kwargs: dict[str, Any], *, parent: None
    ) -> FlowRunHandle: ...
    def start_supervisor(
        self,
        *,
        strategy: Strategy,
        children: list[Child | Group],
        max_restarts: int,
        within_seconds: float,
        backoff: Backoff | None,
    ) -> SupervisorWriter: ...


logger = logging.getLogger("actorflow.supervisors")


class Supervisor:
    """A running supervisor. Read from any thread; `stop()` waits, with a timeout."""

    def __init__(self, *, supervisor_id: str, children: int, keep_runs: int = 10) -> None:
        self.id = supervisor_id
        self._lock = threading.Lock()
        # Guarded by _lock; written only by the supervisor's actor. Only the last runs are
        # kept (each holds its final state, exception and traceback): a supervisor that
        # restarts for weeks stays in flat memory.
        self._runs: collections.deque[FlowRunRef] = collections.deque(maxlen=keep_runs)
        self._run_count = 0
        self._current: list[FlowRunRef | None] = [None] * children
        self._restarts = 0
        self._status: SupervisorStatus = "running"
        self._on_stopped: list[Any] = []
        self._stopped = threading.Event()
        self.children: list[Supervisor | None] = [None] * children
        """The nested supervisors of `Group` children, once started."""
        self.actor_ref: ActorRef[Any] | None = None

    def __repr__(self) -> str:
        return f"<Supervisor {self.status}: {self.restarts} restart(s), {len(self.runs)} run(s)>"

    @property
    def runs(self) -> list[FlowRunRef]:
        """The last runs the supervisor started (`keep_runs` of them at most), oldest first."""
        with self._lock:
            return list(self._runs)

    @property
    def run_count(self) -> int:
        """How many runs the supervisor started, in all."""
        with self._lock:
            return self._run_count

    @property
    def current(self) -> FlowRunRef | None:
        """The latest run of the first child (the only one, for `ActorSystem.supervise`)."""
        with self._lock:
            return self._current[0]

    def current_runs(self) -> tuple[FlowRunRef | None, ...]:
        """The latest run of each child, in child order."""
        with self._lock:
            return tuple(self._current)

    @property
    def restarts(self) -> int:
        with self._lock:
            return self._restarts

    @property
    def status(self) -> SupervisorStatus:
        with self._lock:
            return self._status

    def stop(self, timeout: float | None = None) -> bool:
        """Stop restarting and cancel the children (last started first); wait until they
        have ended. Returns False if `timeout` passed first."""
        ref = self.actor_ref
        if ref is not None:
            tell_if_alive(ref, StopSupervisor(supervisor_id=self.id))
        return self._stopped.wait(timeout)

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Wait until the supervisor has stopped or given up and its children have ended."""
        return self._stopped.wait(timeout)

    def done(self) -> bool:
        """Whether the supervisor has stopped or given up and its children have ended."""
        return self._stopped.is_set()


class SupervisorWriter(Supervisor):
    """The runtime's side of a `Supervisor`: its actor is the one writer, and users see a
    plain `Supervisor`. Thread rules: these methods are called only by that actor's
    handlers (`add_stopped_callback` also by a parent supervisor's)."""

    def started(self, index: int, run: FlowRunRef) -> None:
        with self._lock:
            self._runs.append(run)
            self._run_count += 1
            self._current[index] = run

    def restarted(self) -> None:
        with self._lock:
            self._restarts += 1

    def set_status(self, status: SupervisorStatus) -> None:
        with self._lock:
            self._status = status

    def add_stopped_callback(self, fn: Any) -> None:
        with self._lock:
            if not self._stopped.is_set():
                self._on_stopped.append(fn)
                return
        fn(self)

    def mark_stopped(self) -> None:
        with self._lock:
            self._stopped.set()
            callbacks, self._on_stopped = self._on_stopped, []
        for fn in callbacks:
            fn(self)


def _group_state(supervisor: Supervisor) -> State:
    """A nested group's end, as its parent sees it: a child run that failed or was stopped."""
    if supervisor.status == "gave_up":
        return State(type=StateType.FAILED, message="The supervisor group gave up")
    return State(type=StateType.CANCELLED, message="The supervisor group was stopped")


class SupervisorActor(LightActor):
    """Feeds its supervisor's machine and carries out what it says; see the module docs."""

    def __init__(
        self,
        *,
        supervisor: SupervisorWriter,
        runtime: SupervisorServices,
        children: list[Child | Group],
        strategy: Strategy,
        max_restarts: int,
        within_seconds: float,
        backoff: Backoff,
    ) -> None:
        super().__init__(pool=runtime.pool)
        self._supervisor = supervisor
        self._runtime = runtime
        self._clock = runtime.clock
        self._children = children
        self._machine = SupervisorMachine(
            supervisor_id=supervisor.id,
            restarts=[c.restart for c in children],
            strategy=strategy,
            max_restarts=max_restarts,
            within_seconds=within_seconds,
            backoff=backoff,
        )
        # What each child runs now: a flow run's handle, or a nested group's supervisor.
        self._current: list[FlowRunHandle | Supervisor | None] = [None] * len(children)
        self._timer: TimerHandle | None = None
        self._rng = random.Random()  # noqa: S311  (jitter, not secrets)
        self._feeding = False
        self._backlog: list[object] = []

    def on_start(self) -> None:
        self._feed(SupervisorStarted(supervisor_id=self._supervisor.id))

    @handles(ChildRunEnded, RestartDue, StopSupervisor)
    def _on_event(self, event: object) -> None:
        self._feed(event)

    def on_failure(self, *exc_info: Any) -> None:
        # Never die silently: whoever waits on the supervisor must hear of it.
        self._feeding = False
        self._backlog.clear()
        self._feed(ActorCrashed(run_id=self._supervisor.id, error=exc_info[1]))

    def _feed(self, event: object) -> None:
        if self._feeding:
            self._backlog.append(event)
            return
        self._feeding = True
        try:
            for instruction in self._machine.handle(event, self._clock.now()):
                self._execute(instruction)
            while self._backlog:
                queued = self._backlog.pop(0)
                for instruction in self._machine.handle(queued, self._clock.now()):
                    self._execute(instruction)
        finally:
            self._feeding = False

    def _execute(self, instruction: Any) -> None:  # noqa: C901  (one branch per instruction)
        kind = type(instruction)
        if kind is ins.StartChild:
            self._start_child(instruction.child, instruction.generation)
        elif kind is ins.CancelChild:
            self._cancel_child(instruction.child, instruction.message)
        elif kind is ins.StartTimer:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._clock.call_later(
                instruction.delay,
                functools.partial(post_if_alive, self.actor_ref, instruction.message),
            )
        elif kind is ins.CancelTimer:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        elif kind is ins.CountRestart:
            self._supervisor.restarted()
        elif kind is ins.GiveUp:
            self._supervisor.set_status("gave_up")
        elif kind is ins.Log:
            logger.log(instruction.level, instruction.msg, *instruction.args)
        elif kind is ins.SupervisorDone:
            self._supervisor.set_status(instruction.status)
            self._supervisor.mark_stopped()
            self.stop_now()
        else:  # pragma: no cover - a machine instruction this shell does not know
            msg = f"SupervisorActor cannot carry out {instruction!r}"
            raise TypeError(msg)

    def _start_child(self, index: int, generation: int) -> None:
        child = self._children[index]
        ended = functools.partial(self._tell_ended, index, generation)
        try:
            if isinstance(child, Group):
                nested = self._runtime.start_supervisor(
                    strategy=child.strategy,
                    children=list(child.children),
                    max_restarts=child.max_restarts,
                    within_seconds=child.within_seconds,
                    backoff=child.backoff,
                )
                self._current[index] = nested
                self._supervisor.children[index] = nested
                nested.add_stopped_callback(lambda s: ended(_group_state(s), s.id))
                return
            handle = self._runtime.start_flow_run(child.flow, child.args, child.kwargs, parent=None)
        except SystemShutDownError:  # the system is shutting down: so do we
            self._feed(StopSupervisor(supervisor_id=self._supervisor.id))
            self._feed(
                ChildRunEnded(
                    supervisor_id=self._supervisor.id,
                    index=index,
                    generation=generation,
                    flow_run_id="",
                    state=None,
                )
            )
            return
        self._current[index] = handle
        self._supervisor.started(index, FlowRunRef(handle))
        handle.add_done_callback(lambda h: ended(h.state, h.flow_run_id))

    def _tell_ended(self, index: int, generation: int, state: State | None, run_id: str) -> None:
        """A child's done-callback, on whichever thread ended it: tell this actor."""
        tell_if_alive(
            self.actor_ref,
            ChildRunEnded(
                supervisor_id=self._supervisor.id,
                index=index,
                generation=generation,
                flow_run_id=run_id,
                state=state,
                jitter=self._rng.random(),
            ),
        )

    def _cancel_child(self, index: int, message: str) -> None:
        current = self._current[index]
        if isinstance(current, Supervisor):
            ref = current.actor_ref
            if ref is not None:
                tell_if_alive(ref, StopSupervisor(supervisor_id=current.id))
        elif current is not None:
            current.cancel(message)
