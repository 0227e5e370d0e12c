"""The actor system: the shared resources every run of a process uses.

It holds the pool that drains light actors' mailboxes and the timer that delivers
delayed messages. A default system is created on first use and shut down when the
interpreter exits.
"""

from __future__ import annotations

import atexit
import threading

from actorflow.actors.light import ActorPool
from actorflow.actors.timer import Timer

__all__ = ["ActorSystem", "default_system"]


class ActorSystem:
    """Shared, per-process actor resources. Safe to use from any thread."""

    def __init__(self, *, pool_threads: int = 2) -> None:
        self.pool = ActorPool(max_threads=pool_threads)
        self.timer = Timer()
        self._closed = False

    def shutdown(self, *, timeout: float | None = 10.0) -> None:
        """Stop the pool's threads. A second call does nothing."""
        if self._closed:
            return
        self._closed = True
        self.timer.shutdown(timeout=timeout)
        self.pool.shutdown(timeout=timeout)


_default: ActorSystem | None = None
_default_lock = threading.Lock()


def default_system() -> ActorSystem:
    """The process's default system, created on first use."""
    global _default  # noqa: PLW0603  (the one lazily created default)
    system = _default
    if system is not None:
        return system
    with _default_lock:
        if _default is None:
            _default = ActorSystem()
            atexit.register(_default.shutdown)
        return _default
