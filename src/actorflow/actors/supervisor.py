"""The supervisor actor: restarts flow runs as OTP supervisors do, with backoff.

A light actor. Each supervised run's handle tells it `ChildRunEnded`; restart delays are
`RestartDue` messages from the timer, never a sleeping thread. Restart intensity (more than
`max_restarts` restarts within `within_seconds`) makes it give up: it cancels its children
and stops, keeping the last runs' states.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import logging
import random
import time
from typing import TYPE_CHECKING, Any

from pykka import ActorDeadError

from actorflow._exceptions import SystemShutDownError
from actorflow._runs import FlowRunRef
from actorflow._supervision import Group
from actorflow.actors.dispatch import handles
from actorflow.actors.light import LightActor
from actorflow.actors.messages import ChildRunEnded, RestartDue, StopSupervisor
from actorflow.states import StateType

if TYPE_CHECKING:
    from actorflow._supervision import Backoff, Child, Strategy, Supervisor
    from actorflow.actors.flow_run import FlowRunHandle
    from actorflow.actors.system import ActorSystem
    from actorflow.actors.timer import TimerHandle

__all__ = ["SupervisorActor"]

logger = logging.getLogger("actorflow.supervisors")


class _ChildState:
    __slots__ = ("consecutive", "generation", "handle", "started_at")

    def __init__(self) -> None:
        self.handle: FlowRunHandle | None = None
        self.generation = 0
        self.started_at = 0.0
        self.consecutive = 0  # restarts in a row, for the backoff


class SupervisorActor(LightActor):
    """Starts its children in order and restarts them by their policy and its strategy."""

    def __init__(
        self,
        *,
        supervisor: Supervisor,
        system: ActorSystem,
        children: list[Child | Group],
        strategy: Strategy,
        max_restarts: int,
        within_seconds: float,
        backoff: Backoff,
    ) -> None:
        super().__init__(pool=system.pool)
        self._supervisor = supervisor
        self._system = system
        self._children = children
        self._states = [_ChildState() for _ in children]
        self._strategy = strategy
        self._max_restarts = max_restarts
        self._within = within_seconds
        self._backoff = backoff
        self._restart_times: collections.deque[float] = collections.deque()
        self._timer: TimerHandle | None = None
        self._stopping = False
        self._rng = random.Random()  # noqa: S311  (jitter, not secrets)

    def on_start(self) -> None:
        for index in range(len(self._children)):
            self._start_child(index)

    def _start_child(self, index: int) -> None:
        child, state = self._children[index], self._states[index]
        if isinstance(child, Group):
            self._start_group(index, child)
            return
        bound = child.flow.bind(*child.args, **child.kwargs)
        handle = child.flow.start(bound, system=self._system, parent=None)
        state.handle = handle
        state.generation += 1
        state.started_at = time.monotonic()
        self._supervisor._started(index, FlowRunRef(handle, system=self._system))
        message = ChildRunEnded(
            supervisor_id=self._supervisor.id,
            index=index,
            generation=state.generation,
            flow_run_id=handle.flow_run_id,
            state=handle.state or _PENDING,
        )
        handle.add_done_callback(functools.partial(_tell_ended, self.actor_ref, message))

    def _start_group(self, index: int, group: Group) -> None:
        state = self._states[index]
        nested = self._system.supervisor(
            strategy=group.strategy,
            children=list(group.children),
            max_restarts=group.max_restarts,
            within_seconds=group.within_seconds,
            backoff=group.backoff,
        )
        run = _GroupRun(nested)
        state.handle = run  # type: ignore[assignment]
        state.generation += 1
        state.started_at = time.monotonic()
        self._supervisor.children[index] = nested
        message = ChildRunEnded(
            supervisor_id=self._supervisor.id,
            index=index,
            generation=state.generation,
            flow_run_id=nested.id,
            state=_PENDING,
        )
        nested._add_stopped_callback(
            lambda _s: _tell_ended(self.actor_ref, message, run)  # type: ignore[arg-type]
        )

    @handles(ChildRunEnded)
    def _on_child_ended(self, message: ChildRunEnded) -> None:
        state = self._states[message.index]
        if message.generation != state.generation:
            return  # a run this supervisor already replaced
        final = state.handle.state if state.handle is not None else None
        state.handle = None
        if self._stopping:
            self._stop_next()
            return
        if not self._needs_restart(self._children[message.index].restart, final):
            return
        now = time.monotonic()
        if now - state.started_at > self._backoff.maximum:
            state.consecutive = 0  # it ran long enough: start the backoff over
        self._restart_times.append(now)
        while self._restart_times and now - self._restart_times[0] > self._within:
            self._restart_times.popleft()
        if len(self._restart_times) > self._max_restarts:
            self._give_up()
            return
        indexes = self._to_restart(message.index)
        for index in indexes:
            if index != message.index:  # stopped so that it restarts with the others
                other = self._states[index]
                other.generation += 1  # its coming end is expected, not a failure
                if other.handle is not None:
                    other.handle.cancel("Restarted by its supervisor")
                    other.handle = None
        delay = self._backoff.delay(state.consecutive, self._rng)
        state.consecutive += 1
        due = RestartDue(
            supervisor_id=self._supervisor.id,
            indexes=indexes,
            generation=state.generation,
        )
        self._timer = self._system.timer.call_later(
            delay, functools.partial(_tell, self.actor_ref, due)
        )

    @staticmethod
    def _needs_restart(restart: str, final: Any) -> bool:
        if restart == "permanent":
            return True
        if restart == "transient":
            return final is not None and final.type in (StateType.FAILED, StateType.CRASHED)
        return False

    def _to_restart(self, index: int) -> tuple[int, ...]:
        if self._strategy == "one_for_all":
            return tuple(range(len(self._children)))
        if self._strategy == "rest_for_one":
            return tuple(range(index, len(self._children)))
        return (index,)

    @handles(RestartDue)
    def _on_restart_due(self, message: RestartDue) -> None:
        self._timer = None
        if self._stopping:
            return
        self._supervisor._restarted()
        try:
            for index in message.indexes:
                if self._states[index].handle is None:
                    self._start_child(index)
        except SystemShutDownError:  # the system is shutting down: so do we
            self._supervisor._set_status("stopped")
            self._stop_children()

    def on_failure(self, *exc_info: Any) -> None:
        # Never die silently: whoever waits on the supervisor must hear of it.
        logger.error("Supervisor %s crashed", self._supervisor.id, exc_info=exc_info)
        self._supervisor._set_status("gave_up")
        for state in self._states:
            if state.handle is not None:
                state.handle.cancel("Its supervisor crashed")
        self._supervisor._mark_stopped()

    def _give_up(self) -> None:
        logger.error(
            "Supervisor %s gave up: more than %d restart(s) within %s second(s)",
            self._supervisor.id,
            self._max_restarts,
            self._within,
        )
        self._supervisor._set_status("gave_up")
        self._stop_children()

    @handles(StopSupervisor)
    def _on_stop(self, _message: StopSupervisor) -> None:
        if self._stopping:
            return
        self._supervisor._set_status("stopped")
        self._stop_children()

    def _stop_children(self) -> None:
        self._stopping = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._stop_next()

    def _stop_next(self) -> None:
        """Stop the children one at a time, last started first, as OTP does: cancel the
        latest one still running; its `ChildRunEnded` brings us back here for the next."""
        for state in reversed(self._states):
            if state.handle is not None and not state.handle.done():
                state.handle.cancel("Stopped by its supervisor")
                return
        self._supervisor._mark_stopped()
        self._stop()


class _GroupRun:
    """A nested group, seen by its parent supervisor as one child run."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.flow_run_id = supervisor.id

    @property
    def state(self) -> Any:
        from actorflow.states import State

        if not self.supervisor._stopped.is_set():
            return State(type=StateType.RUNNING)
        if self.supervisor.status == "gave_up":
            return State(type=StateType.FAILED, message="The supervisor group gave up")
        return State(type=StateType.CANCELLED, message="The supervisor group was stopped")

    def done(self) -> bool:
        return self.supervisor._stopped.is_set()

    def cancel(self, message: str) -> None:
        del message
        ref = self.supervisor.actor_ref
        if ref is not None:
            _tell(ref, StopSupervisor(supervisor_id=self.supervisor.id))


def _tell(ref: Any, message: object) -> None:
    with contextlib.suppress(ActorDeadError):
        ref.tell(message)


def _tell_ended(ref: Any, message: ChildRunEnded, handle: FlowRunHandle) -> None:
    """A supervised run's done-callback: report its end, with its final state."""
    import dataclasses

    final = handle.state or message.state
    _tell(ref, dataclasses.replace(message, state=final))


def _pending() -> Any:
    from actorflow.states import State

    return State(type=StateType.PENDING)


_PENDING = _pending()
