"""When a run was created, started running and ended, from its state history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from actorflow.states import StateType

if TYPE_CHECKING:
    from collections.abc import Sequence

    from actorflow.states import State

__all__ = ["Span", "span"]

_RUNNING = StateType.RUNNING


@dataclass(frozen=True, slots=True)
class Span:
    created: float
    """Its first state's time."""
    started: float | None
    """Its first `Running` state's time; None if it never ran."""
    ended: float | None
    """Its final state's time; None while it goes on."""

    @property
    def duration(self) -> float | None:
        """Running time: from the first `Running` to the final state (None if not both)."""
        if self.started is None or self.ended is None:
            return None
        return max(self.ended - self.started, 0.0)


def span(history: Sequence[State]) -> Span | None:
    """The span of a run with these states, in order; None for no states."""
    if not history:
        return None
    started = None
    for state in history:
        if state.type is _RUNNING:
            started = state.timestamp
            break
    last = history[-1]
    return Span(history[0].timestamp, started, last.timestamp if last.is_final() else None)
