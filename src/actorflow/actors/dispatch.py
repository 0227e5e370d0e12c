"""Typed message dispatch: `@handles(MessageType)` on actor methods.

Pykka hands every message to `on_receive`, which then walks an `isinstance` chain. Here a
class maps message types to handler methods once, when the class is created, and a
message costs one dict lookup. Messages of other types (and Pykka's own stop and proxy
messages) fall through to Pykka's usual handling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import pykka

from actorflow.actors._pykka_compat import UNHANDLED

__all__ = ["Dispatching", "handles"]

F = TypeVar("F", bound=Callable[..., Any])


def handles(*message_types: type[Any]) -> Callable[[F], F]:
    """Mark a method as the handler of these message types."""

    def mark(method: F) -> F:
        method.__actorflow_handles__ = message_types  # type: ignore[attr-defined]
        return method

    return mark


class Dispatching(pykka.Actor):
    """Mixin for Pykka actors: routes messages to their `@handles` methods."""

    _handlers: ClassVar[dict[type[Any], Callable[[Any, Any], Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers = dict(cls._handlers)
        for attribute in vars(cls).values():
            for message_type in getattr(attribute, "__actorflow_handles__", ()):
                handlers[message_type] = attribute
        cls._handlers = handlers

    def dispatch(self, message: Any) -> Any:
        """Run the message's `@handles` method; `UNHANDLED` if it has none."""
        handler = self._handlers.get(type(message))
        if handler is not None:
            return handler(self, message)
        return UNHANDLED
