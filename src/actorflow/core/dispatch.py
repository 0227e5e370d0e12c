"""`@on(EventType)`: how a machine names the method that handles each event.

A machine's module builds its table once, with `handler_table(MachineClass)`; handling an
event is then one dict lookup on its type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["handler_table", "on"]

F = TypeVar("F", bound="Callable[..., Any]")


def on(*event_types: type) -> Callable[[F], F]:
    """Mark a machine method as the handler of these event types."""

    def mark(method: F) -> F:
        method.__machine_events__ = event_types  # type: ignore[attr-defined]
        return method

    return mark


def handler_table(cls: type) -> dict[type, Callable[..., None]]:
    """Event type -> handler, for every `@on` method of `cls`."""
    table: dict[type, Callable[..., None]] = {}
    for attribute in vars(cls).values():
        for event_type in getattr(attribute, "__machine_events__", ()):
            table[event_type] = attribute
    return table
