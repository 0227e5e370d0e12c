"""The timer: delivers messages later. Retry delays and timeouts are timer messages.

One thread per actor system keeps a heap of deadlines and, when one passes, runs its
callback — always a `tell` to an actor, so the thread never runs user code and never
blocks on anything but its own condition. Nothing sleeps in a pool thread waiting for a
delay to pass.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Timer", "TimerHandle"]

logger = logging.getLogger("actorflow.actors")


class TimerHandle:
    """A scheduled callback; `cancel()` stops it from running, if it has not yet."""

    __slots__ = ("callback", "cancelled", "deadline")

    def __init__(self, deadline: float, callback: Callable[[], object]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Timer:
    """Runs short callbacks at deadlines, on one thread started on first use.

    `call_later` and `shutdown` are safe from any thread.
    """

    def __init__(self, *, name: str = "actorflow-timer") -> None:
        self._name = name
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._order = itertools.count()
        self._cond = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._closed = False

    def call_later(self, delay: float, callback: Callable[[], object]) -> TimerHandle:
        """Run `callback` on the timer thread once `delay` seconds have passed."""
        handle = TimerHandle(time.monotonic() + max(delay, 0.0), callback)
        with self._cond:
            if self._closed:
                msg = f"{self._name} is shut down"
                raise RuntimeError(msg)
            heapq.heappush(self._heap, (handle.deadline, next(self._order), handle))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            elif self._heap[0][2] is handle:
                self._cond.notify()
        return handle

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    if self._heap:
                        wait = self._heap[0][0] - time.monotonic()
                        if wait <= 0:
                            handle = heapq.heappop(self._heap)[2]
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
            if handle.cancelled:
                continue
            try:
                handle.callback()
            except Exception:
                logger.exception("A timer callback failed")

    def shutdown(self, *, timeout: float | None = None) -> None:
        """Drop pending callbacks and stop the thread. Idempotent."""
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
