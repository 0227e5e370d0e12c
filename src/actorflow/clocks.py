"""Clocks for an `ActorSystem`: the real one, and a manual one that tests move by hand.

```python
from actorflow import ActorSystem
from actorflow.clocks import ManualClock

clock = ManualClock()
with ActorSystem(clock=clock) as system:
    run = system.launch(flaky_flow)       # a task with retry_delay_seconds=3600
    clock.advance(3600)                   # the retry is due now: no hour of waiting
```

Both implement [`Clock`][actorflow.core.clock.Clock]. Timer callbacks are always short
`tell`s to actors: a clock never runs user code.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import threading
from typing import TYPE_CHECKING, Final

from actorflow._exceptions import SystemShutDownError
from actorflow.core.clock import Clock, TimerHandle, wall_now

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Clock", "ManualClock", "RealClock", "TimerHandle"]

logger = logging.getLogger("actorflow.clocks")

# The longest single wait the platform's condition variables accept; longer waits are
# made of several of these.
_MAX_WAIT: Final = min(threading.TIMEOUT_MAX, 86_400.0)


class _Timer:
    """A scheduled callback; `cancel()` stops it from running, if it has not yet."""

    __slots__ = ("callback", "cancelled", "deadline")

    def __init__(self, deadline: float, callback: Callable[[], object]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        self.callback = _nothing  # lets go of what the callback holds (an actor, its run)


def _nothing() -> None:
    """A cancelled timer's callback."""


def _check_delay(delay: float) -> float:
    if isinstance(delay, bool) or not isinstance(delay, int | float) or math.isnan(delay):
        msg = f"call_later(delay=...) must be a number of seconds, got {delay!r}"
        raise ValueError(msg)
    return max(float(delay), 0.0)


_COMPACT_FROM: Final = 1024


def _compact_locked(heap: list[tuple[float, int, _Timer]]) -> None:
    """Drop cancelled timers once the heap has doubled since it was last compact: a task
    run's timeout is cancelled when the run ends, and must not stay queued until its
    deadline (an hour, say). Amortized O(1) per timer; the caller holds the clock's lock."""
    size = len(heap)
    if size < _COMPACT_FROM or size & (size - 1):  # only at powers of two
        return
    live = [entry for entry in heap if not entry[2].cancelled]
    if len(live) < size:
        heap[:] = live
        heapq.heapify(heap)


def _fire(timer: _Timer) -> None:
    """Run one due callback; an error in it is logged and never stops the clock."""
    if timer.cancelled:
        return
    try:
        timer.callback()
    except BaseException:
        logger.exception("A timer callback failed")


class RealClock:
    """The system's clocks; timers fire on one thread (`actorflow-timer`), started on first
    use. Safe from any thread.

    Thread rules: `call_later` and `shutdown` may be called from any thread; callbacks run
    on the timer thread, which never blocks on anything but its own condition.
    """

    def __init__(self, *, name: str = "actorflow-timer") -> None:
        self._name = name
        # Guarded by _cond: the heap of (deadline, order, timer), the thread, _closed.
        self._heap: list[tuple[float, int, _Timer]] = []
        self._order = itertools.count()
        self._cond = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._closed = False

    now = staticmethod(wall_now)
    """The real clock's time (`wall_now`): seconds since the epoch, never decreasing."""

    def call_later(self, delay: float, callback: Callable[[], object]) -> TimerHandle:
        delay = _check_delay(delay)
        timer = _Timer(wall_now() + delay, callback)
        if math.isinf(delay):
            return timer  # never due: nothing to keep
        with self._cond:
            if self._closed:
                msg = f"{self._name} is shut down: its actor system starts nothing any more"
                raise SystemShutDownError(msg)
            heapq.heappush(self._heap, (timer.deadline, next(self._order), timer))
            _compact_locked(self._heap)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            elif self._heap[0][2] is timer:
                self._cond.notify()
        return timer

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    if self._heap:
                        wait = self._heap[0][0] - wall_now()
                        if wait <= 0:
                            timer = heapq.heappop(self._heap)[2]
                            break
                        self._cond.wait(min(wait, _MAX_WAIT))
                    else:
                        self._cond.wait()
            _fire(timer)
            del timer

    def shutdown(self, *, timeout: float | None = None) -> None:
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)


class ManualClock:
    """A clock that moves only when told to: for tests of retries, timeouts and backoff.

    `now()` starts at `start` (the real time by default) and moves by `advance()`; timers
    fire during `advance()`, on the advancing thread, in deadline order, each with `now()`
    set to its deadline. Safe from any thread.
    """

    def __init__(self, *, start: float | None = None) -> None:
        self._lock = threading.Lock()
        # Guarded by _lock:
        self._now = wall_now() if start is None else float(start)
        self._heap: list[tuple[float, int, _Timer]] = []
        self._order = itertools.count()
        self._closed = False

    def now(self) -> float:
        with self._lock:
            return self._now

    def call_later(self, delay: float, callback: Callable[[], object]) -> TimerHandle:
        delay = _check_delay(delay)
        with self._lock:
            timer = _Timer(self._now + delay, callback)
            if self._closed:
                msg = "this ManualClock is shut down: its actor system starts nothing any more"
                raise SystemShutDownError(msg)
            if not math.isinf(delay):
                heapq.heappush(self._heap, (timer.deadline, next(self._order), timer))
                _compact_locked(self._heap)
        return timer

    def next_deadline(self) -> float | None:
        """When the earliest pending timer is due, or None if none is."""
        with self._lock:
            while self._heap and self._heap[0][2].cancelled:
                heapq.heappop(self._heap)
            return self._heap[0][0] if self._heap else None

    def advance(self, seconds: float) -> int:
        """Move time forward by `seconds`, firing every timer that falls due, in order.

        Timers scheduled by the callbacks themselves fire too if they fall due within
        the same advance. Returns how many callbacks ran.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            msg = f"ManualClock.advance(seconds=...) must be a number >= 0, got {seconds!r}"
            raise ValueError(msg)
        with self._lock:
            target = self._now + seconds
        fired = 0
        while True:
            with self._lock:
                if not self._heap or self._heap[0][0] > target:
                    self._now = max(self._now, target)
                    return fired
                deadline, _, timer = heapq.heappop(self._heap)
                self._now = max(self._now, deadline)
            if not timer.cancelled:
                fired += 1
                _fire(timer)

    def advance_to_next(self) -> bool:
        """Advance to the next pending timer's deadline and fire what is due then.
        False if no timer is pending."""
        deadline = self.next_deadline()
        if deadline is None:
            return False
        self.advance(max(deadline - self.now(), 0.0))
        return True

    def shutdown(self, *, timeout: float | None = None) -> None:
        del timeout
        with self._lock:
            self._closed = True
            self._heap.clear()
