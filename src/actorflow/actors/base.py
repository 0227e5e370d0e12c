"""`ThreadActor`: a Pykka threading actor whose thread can be joined by its parent."""

from __future__ import annotations

import itertools
import sys
import threading
import weakref
from typing import Any, ClassVar

import pykka

from actorflow.actors.dispatch import Dispatching

__all__ = ["ThreadActor", "join_actor"]

_threads: weakref.WeakValueDictionary[str, threading.Thread] = weakref.WeakValueDictionary()
_threads_lock = threading.Lock()
_counter = itertools.count()


class ThreadActor(Dispatching, pykka.ThreadingActor):
    """A long-lived actor on a thread of its own (flow runs, runners).

    `__init__` runs in the creating thread; `on_start`, the handlers and `on_stop` run in
    the actor's thread. The thread is named `actorflow-<thread_name>-<n>`.
    """

    thread_name: ClassVar[str] = "actor"
    use_daemon_thread = True  # an orderly shutdown joins them; a stray one never blocks exit

    def _actor_loop_setup(self) -> None:
        # Unlike Pykka, a failing on_start also reaches on_failure, so the actor can report
        # its death (resolve its run, tell its parent) instead of dying silently.
        try:
            self.on_start()
        except Exception:
            exc_info = sys.exc_info()
            self._handle_failure(*exc_info)
            try:
                self.on_failure(*exc_info)
            except Exception:
                self._handle_failure(*sys.exc_info())

    def _start_actor_loop(self) -> None:
        thread = threading.Thread(
            target=self._actor_loop,
            name=f"actorflow-{self.thread_name}-{next(_counter)}",
            daemon=self.use_daemon_thread,
        )
        with _threads_lock:
            _threads[self.actor_urn] = thread
        thread.start()


def join_actor(ref: pykka.ActorRef[Any], timeout: float | None) -> bool:
    """Wait until the thread of a stopping `ThreadActor` has exited.

    For a parent waiting on a child it stopped, or a caller on the run it started. Returns
    False on timeout. Joining one's own thread returns False at once.
    """
    with _threads_lock:
        thread = _threads.get(ref.actor_urn)
    if thread is None:
        return True
    if thread is threading.current_thread():
        return False
    thread.join(timeout)
    return not thread.is_alive()
