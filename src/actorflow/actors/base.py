"""`ThreadActor`: an actor with a thread of its own, which its parent can join."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from actorflow.actors._pykka_compat import ThreadActorBase, thread_of
from actorflow.actors.dispatch import Dispatching

if TYPE_CHECKING:
    import pykka

__all__ = ["ThreadActor", "join_actor"]


class ThreadActor(Dispatching, ThreadActorBase):
    """A long-lived actor on a thread of its own (flow runs, runners).

    `__init__` runs in the creating thread; `on_start`, the handlers and `on_stop` run in
    the actor's thread, named `actorflow-<thread_name>-<n>`. Not registered in Pykka's
    global `ActorRegistry`; a failing `on_start` reaches `on_failure`.
    """


def join_actor(ref: pykka.ActorRef[Any], timeout: float | None) -> bool:
    """Wait until the thread of a stopping `ThreadActor` has exited.

    For a parent waiting on a child it stopped, or a caller on the run it started. Returns
    False on timeout. Joining one's own thread returns False at once.
    """
    thread = thread_of(ref)
    if thread is None:
        return True
    if thread is threading.current_thread():
        return False
    thread.join(timeout)
    return not thread.is_alive()
