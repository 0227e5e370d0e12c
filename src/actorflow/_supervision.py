"""Supervision settings and handles: `Backoff`, `Child`, `Supervisor`."""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pykka import ActorRef

    from actorflow._runs import FlowRunRef
    from actorflow.flows import Flow

__all__ = ["Backoff", "Child", "Group", "Restart", "Strategy", "Supervisor", "SupervisorStatus"]

Restart = Literal["permanent", "transient", "temporary"]
"""When a supervised run is restarted: `permanent` whenever it ends, `transient` only when it
ends Failed or Crashed, `temporary` never."""
Strategy = Literal["one_for_one", "one_for_all", "rest_for_one"]
"""Which children a group restarts when one must be: that one; all of them; or that one and
those started after it (OTP's strategies)."""
SupervisorStatus = Literal["running", "stopped", "gave_up"]

_RESTARTS = ("permanent", "transient", "temporary")
_STRATEGIES = ("one_for_one", "one_for_all", "rest_for_one")


@dataclass(frozen=True, kw_only=True)
class Backoff:
    """Delays between restarts: `min(maximum, initial * factor**n)` seconds for the n-th
    consecutive restart (n from 0), times a random factor in `[1, 1 + jitter)`. The count
    starts over once a run has survived longer than `maximum`."""

    initial: float = 0.1
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        for name in ("initial", "maximum", "factor", "jitter"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                msg = f"Backoff({name}=...) must be a finite number >= 0, got {value!r}"
                raise ValueError(msg)
        if self.factor < 1:
            msg = f"Backoff(factor=...) must be >= 1, got {self.factor!r}"
            raise ValueError(msg)

    def delay(self, n: int, rng: random.Random | None = None) -> float:
        """The delay before the n-th consecutive restart (n from 0)."""
        try:
            grown = self.initial * self.factor**n
        except OverflowError:  # long past the maximum
            grown = math.inf
        base = min(self.maximum, grown)
        return base * (1 + self.jitter * (rng or random).random())


@dataclass(frozen=True, kw_only=True)
class Child:
    """One child of a supervisor group: a flow, its arguments, and its restart policy."""

    flow: Flow[Any, Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    restart: Restart = "permanent"

    def __post_init__(self) -> None:
        check_restart(self.restart)


@dataclass(frozen=True, kw_only=True)
class Group:
    """A supervisor group used as the child of another supervisor (supervision trees).

    When the group gives up, its parent sees that child fail and applies its own `restart`
    policy and strategy to it; when the parent stops, it stops the group (and so the group's
    children, last started first).
    """

    children: list[Child | Group]
    strategy: Strategy = "one_for_one"
    max_restarts: int = 3
    within_seconds: float = 60.0
    backoff: Backoff | None = None
    restart: Restart = "permanent"

    def __post_init__(self) -> None:
        check_restart(self.restart)
        check_strategy(self.strategy)
        if not self.children:
            msg = "Group(children=...) takes a non-empty list of Child or Group"
            raise TypeError(msg)


def check_restart(restart: object) -> None:
    if restart not in _RESTARTS:
        msg = f"restart=... must be one of {', '.join(map(repr, _RESTARTS))}, got {restart!r}"
        raise ValueError(msg)


def check_strategy(strategy: object) -> None:
    if strategy not in _STRATEGIES:
        msg = f"strategy=... must be one of {', '.join(map(repr, _STRATEGIES))}, got {strategy!r}"
        raise ValueError(msg)


class Supervisor:
    """A running supervisor. Read from any thread; `stop()` waits, with a timeout."""

    def __init__(self, *, supervisor_id: str, children: int) -> None:
        self.id = supervisor_id
        self._lock = threading.Lock()
        self._runs: list[FlowRunRef] = []
        self._current: list[FlowRunRef | None] = [None] * children
        self._restarts = 0
        self._status: SupervisorStatus = "running"
        self._stopped = threading.Event()
        self._on_stopped: list[Any] = []  # callbacks, guarded by _lock
        self.children: list[Supervisor | None] = [None] * children  # nested groups, if any
        self.actor_ref: ActorRef[Any] | None = None

    def __repr__(self) -> str:
        return f"<Supervisor {self.status}: {self.restarts} restart(s), {len(self.runs)} run(s)>"

    @property
    def runs(self) -> list[FlowRunRef]:
        """Every run the supervisor started, oldest first."""
        with self._lock:
            return list(self._runs)

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
        from actorflow.actors.messages import StopSupervisor

        ref = self.actor_ref
        if ref is not None and ref.is_alive():
            ref.tell(StopSupervisor(supervisor_id=self.id))
        return self._stopped.wait(timeout)

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Wait until the supervisor has stopped or given up and its children have ended."""
        return self._stopped.wait(timeout)

    # -- for the supervisor actor ----------------------------------------------------------

    def _started(self, index: int, run: FlowRunRef) -> None:
        with self._lock:
            self._runs.append(run)
            self._current[index] = run

    def _restarted(self) -> None:
        with self._lock:
            self._restarts += 1

    def _set_status(self, status: SupervisorStatus) -> None:
        with self._lock:
            self._status = status

    def _add_stopped_callback(self, fn: Any) -> None:
        with self._lock:
            if not self._stopped.is_set():
                self._on_stopped.append(fn)
                return
        fn(self)

    def _mark_stopped(self) -> None:
        with self._lock:
            self._stopped.set()
            callbacks, self._on_stopped = self._on_stopped, []
        for fn in callbacks:
            fn(self)
