"""Supervision settings: `Backoff`, `Child`, `Group`, and the restart vocabulary.

Pure values, checked when built. The supervisor's rules are in
`actorflow.core.supervisor_machine`; the handle users hold is `actorflow.Supervisor`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Backoff", "Child", "Group", "Restart", "Strategy", "SupervisorStatus"]

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

    def delay(self, n: int, draw: float) -> float:
        """The delay before the n-th consecutive restart (n from 0), for a random `draw`
        in [0, 1) (the jitter's share)."""
        try:
            grown = self.initial * self.factor**n
        except OverflowError:  # long past the maximum
            grown = math.inf
        base = min(self.maximum, grown)
        return base * (1 + self.jitter * draw)


@dataclass(frozen=True, kw_only=True)
class Child:
    """One child of a supervisor group: a flow, its arguments, and its restart policy."""

    flow: Any
    """The flow to run: a function decorated with `@flow`."""
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
