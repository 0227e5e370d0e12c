"""The clock protocol: how run logic learns the time and waits for it.

Run logic never reads the wall or monotonic clock itself. Each `ActorSystem` has one
[`Clock`][actorflow.core.clock.Clock]; its actors stamp every event they feed to a state
machine with `clock.now()` and ask `clock.call_later` for retry delays, timeouts and
supervisor backoff. The real clock (`actorflow.clocks.RealClock`) reads the system's
clocks and fires timers on a thread; a manual clock (`actorflow.clocks.ManualClock`) moves
only when a test advances it, so a one-hour retry delay takes no real time at all.

This module is part of the pure core: it defines the protocol and the one function that
reads the real clock (`wall_now`, the default timestamp of a `State` built by hand).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Clock", "TimerHandle", "wall_now"]

# Wall-clock time that never goes backwards within a process: anchored to `time.time()`
# once, advanced by `time.monotonic()`.
_EPOCH: Final = time.time() - time.monotonic()
_monotonic: Final = time.monotonic


def wall_now() -> float:
    """Seconds since the Unix epoch, never decreasing within this process: the real
    clock, as `RealClock.now()` reads it."""
    return _EPOCH + _monotonic()


class TimerHandle(Protocol):
    """A callback scheduled with `Clock.call_later`."""

    def cancel(self) -> None:
        """Stop the callback from running, if it has not run yet. Safe from any thread."""


class Clock(Protocol):
    """Time as run logic sees it. Every method is safe from any thread."""

    def now(self) -> float:
        """Seconds since the Unix epoch; never decreases."""

    def call_later(self, delay: float, callback: Callable[[], object]) -> TimerHandle:
        """Run `callback` once `delay` seconds have passed on this clock.

        `callback` must be quick and must not block: in actorflow it is always a `tell`
        to an actor. A delay of `math.inf` never fires.
        """

    def shutdown(self, *, timeout: float | None = None) -> None:
        """Drop pending callbacks and release what the clock holds (its thread). Idempotent."""
