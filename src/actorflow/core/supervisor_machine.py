"""The supervisor state machine: OTP-style restart rules, and nothing else.

Pure: no threads, no locks, no clock reads, no randomness (the shell draws the backoff's
jitter and sends it with `ChildRunEnded`). `SupervisorMachine.handle(event, at)` returns
the instructions for the shell, `SupervisorActor`.

| situation | event | what happens |
|---|---|---|
| starting | `SupervisorStarted` | every child starts, in order |
| running | `ChildRunEnded` (current generation) | by the child's `restart` policy: nothing, or a restart of the children the strategy names after the backoff delay (those still running are cancelled first); more than `max_restarts` restarts within `within_seconds`: give up |
| running | `RestartDue` | the named children start again |
| running | `StopSupervisor` | stop: the children are cancelled one at a time, last started first |
| stopping | `ChildRunEnded` | the next child is cancelled; when none is left, done |
| any | `ActorCrashed` | give up at once: cancel every running child |
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Final

from actorflow.core.dispatch import handler_table, on
from actorflow.core.events import (
    ActorCrashed,
    ChildRunEnded,
    RestartDue,
    StopSupervisor,
    SupervisorStarted,
)
from actorflow.core.instructions import (
    CancelChild,
    CancelTimer,
    CountRestart,
    GiveUp,
    Log,
    StartChild,
    StartTimer,
    SupervisorDone,
)
from actorflow.states import StateType

if TYPE_CHECKING:
    from actorflow.core.instructions import Instruction
    from actorflow.core.supervision import Backoff, Restart, Strategy
    from actorflow.states import State

__all__ = ["SupervisorMachine"]

_LOGGER: Final = "supervisors"
_ERROR: Final = 40


class _Child:
    __slots__ = ("consecutive", "generation", "running", "started_at")

    def __init__(self) -> None:
        self.running = False
        self.generation = 0
        self.started_at = 0.0
        self.consecutive = 0  # restarts in a row, for the backoff


class SupervisorMachine:
    """One supervisor's restart bookkeeping, driven by events. Not thread-safe: its shell
    feeds it from one thread at a time."""

    def __init__(
        self,
        *,
        supervisor_id: str,
        restarts: list[Restart],
        strategy: Strategy,
        max_restarts: int,
        within_seconds: float,
        backoff: Backoff,
        record: bool = False,
    ) -> None:
        self.supervisor_id = supervisor_id
        self.stimuli: list[tuple[object, float]] | None = [] if record else None
        """Every `(event, at)` handled, when recording: enough to rebuild this machine."""
        self.restarts = restarts
        self.strategy = strategy
        self.max_restarts = max_restarts
        self.within = within_seconds
        self.backoff = backoff
        self.children = [_Child() for _ in restarts]
        self.restart_times: collections.deque[float] = collections.deque()
        self.stopping = False
        self.status = "running"
        self.done = False

    def handle(self, event: object, at: float) -> list[Instruction]:
        """Apply one event, stamped `at` (the clock's time); return what the shell must do."""
        if self.stimuli is not None:
            self.stimuli.append((event, at))
        out: list[Instruction] = []
        if not self.done:
            _HANDLERS[type(event)](self, event, at, out)
        return out

    def _start(self, index: int, at: float, out: list[Instruction]) -> None:
        child = self.children[index]
        child.generation += 1
        child.running = True
        child.started_at = at
        out.append(StartChild(index, child.generation))

    @on(SupervisorStarted)
    def _on_started(self, event: SupervisorStarted, at: float, out: list[Instruction]) -> None:
        del event
        for index in range(len(self.children)):
            self._start(index, at, out)

    @on(ChildRunEnded)
    def _on_child_ended(self, event: ChildRunEnded, at: float, out: list[Instruction]) -> None:
        child = self.children[event.index]
        if event.generation != child.generation:
            return  # a run this supervisor already replaced
        child.running = False
        if self.stopping:
            self._stop_next(out)
            return
        if not _needs_restart(self.restarts[event.index], event.state):
            return
        if at - child.started_at > self.backoff.maximum:
            child.consecutive = 0  # it ran long enough: start the backoff over
        self.restart_times.append(at)
        while self.restart_times and at - self.restart_times[0] > self.within:
            self.restart_times.popleft()
        if len(self.restart_times) > self.max_restarts:
            self._give_up(out)
            return
        indexes = self._to_restart(event.index)
        for index in indexes:
            other = self.children[index]
            if index != event.index:  # stopped so that it restarts with the others
                other.generation += 1  # its coming end is expected, not a failure
                if other.running:
                    other.running = False
                    out.append(CancelChild(index, "Restarted by its supervisor"))
        delay = self.backoff.delay(child.consecutive, event.jitter)
        child.consecutive += 1
        due = RestartDue(
            supervisor_id=self.supervisor_id, indexes=indexes, generation=child.generation
        )
        out.append(StartTimer(due, delay))

    def _to_restart(self, index: int) -> tuple[int, ...]:
        if self.strategy == "one_for_all":
            return tuple(range(len(self.children)))
        if self.strategy == "rest_for_one":
            return tuple(range(index, len(self.children)))
        return (index,)

    @on(RestartDue)
    def _on_restart_due(self, event: RestartDue, at: float, out: list[Instruction]) -> None:
        if self.stopping:
            return
        out.append(CountRestart())
        for index in event.indexes:
            if not self.children[index].running:
                self._start(index, at, out)

    @on(StopSupervisor)
    def _on_stop(self, event: StopSupervisor, at: float, out: list[Instruction]) -> None:
        del event, at
        if self.stopping:
            return
        self.status = "stopped"
        self._stop_children(out)

    @on(ActorCrashed)
    def _on_crashed(self, event: ActorCrashed, at: float, out: list[Instruction]) -> None:
        del at
        out.append(
            Log(_LOGGER, _ERROR, "Supervisor %s crashed: %r", (self.supervisor_id, event.error))
        )
        self.status = "gave_up"
        self.stopping = True
        for index, child in enumerate(self.children):
            if child.running:
                out.append(CancelChild(index, "Its supervisor crashed"))
        self.done = True
        out.append(SupervisorDone(self.status))

    def _give_up(self, out: list[Instruction]) -> None:
        out.append(
            Log(
                _LOGGER,
                _ERROR,
                "Supervisor %s gave up: more than %d restart(s) within %s second(s)",
                (self.supervisor_id, self.max_restarts, self.within),
            )
        )
        self.status = "gave_up"
        out.append(GiveUp())
        self._stop_children(out)

    def _stop_children(self, out: list[Instruction]) -> None:
        self.stopping = True
        out.append(CancelTimer())
        self._stop_next(out)

    def _stop_next(self, out: list[Instruction]) -> None:
        """Stop the children one at a time, last started first, as OTP does: cancel the
        latest one still running; its `ChildRunEnded` brings us back here for the next."""
        for index in reversed(range(len(self.children))):
            if self.children[index].running:
                out.append(CancelChild(index, "Stopped by its supervisor"))
                return
        self.done = True
        out.append(SupervisorDone(self.status))


def _needs_restart(restart: str, final: State | None) -> bool:
    if restart == "permanent":
        return True
    if restart == "transient":
        return final is not None and final.type in (StateType.FAILED, StateType.CRASHED)
    return False


_HANDLERS: Final = handler_table(SupervisorMachine)
"""The handler of each event type: one dict lookup per event."""
