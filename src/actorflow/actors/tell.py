"""Telling an actor that may have stopped: the one way actors report to one another
when the receiver's life is not theirs to know (a child to its parent, a timer to its run)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pykka import ActorDeadError

from actorflow._exceptions import SystemShutDownError

if TYPE_CHECKING:
    from pykka import ActorRef

__all__ = ["post_if_alive", "tell_if_alive"]


def tell_if_alive(ref: ActorRef[Any], message: object) -> bool:
    """`ref.tell(message)`; False, and nothing else, if the actor has stopped (or its
    system is shut down)."""
    try:
        ref.tell(message)
    except (ActorDeadError, SystemShutDownError):
        return False
    return True


def post_if_alive(ref: ActorRef[Any], message: object) -> None:
    """For the clock's callbacks: deliver `message` to a light actor through the actor
    pool, so that neither its handlers nor the user callbacks they may run (a future's
    done-callbacks) ever run on the clock's thread. A `ThreadActor` gets a plain `tell`."""
    post = getattr(ref, "post", None)
    try:
        if post is not None:
            post(message)
        else:
            ref.tell(message)
    except (ActorDeadError, SystemShutDownError):
        return
