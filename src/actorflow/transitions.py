"""The one rule book for state transitions.

Every actor that changes a run's state asks [`decide`][actorflow.transitions.decide]
first; nothing else decides. The rules, as a table (rows: current state type, or
none for a run that has no state yet; a mark: the proposed type is accepted):

| current \\ proposed | SCHEDULED | PENDING | RUNNING | COMPLETED | FAILED | CRASHED | CANCELLING | CANCELLED | PAUSED |
|---|---|---|---|---|---|---|---|---|---|
| (none)     | x | x |   |   |   |   |   |   |   |
| SCHEDULED  |   | x | x |   | x | x | x | x | x |
| PENDING    | x |   | x |   | x | x | x | x | x |
| RUNNING    | x |   |   | x | x | x | x | x | x |
| PAUSED     | x | x |   |   | x | x | x | x |   |
| CANCELLING |   |   |   |   | x | x |   | x |   |
| final      |   |   |   |   |   |   |   |   |   |

Read as rules: a final state (COMPLETED, FAILED, CRASHED, CANCELLED) accepts nothing;
RUNNING is reached only from PENDING or SCHEDULED (a retry goes RUNNING -> SCHEDULED
`AwaitingRetry` -> RUNNING `Retrying`); COMPLETED only from RUNNING, so a run cannot
complete without having run. Besides the table, a proposed state whose timestamp is
earlier than the current one is rejected, so a run's history never goes back in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from actorflow.states import State, StateType

__all__ = ["ALLOWED_TRANSITIONS", "INITIAL_STATE_TYPES", "Decision", "decide"]

_S = StateType

INITIAL_STATE_TYPES: Final = frozenset({_S.SCHEDULED, _S.PENDING})
"""The state types a run may start in."""

_ENDINGS: Final = frozenset({_S.FAILED, _S.CRASHED, _S.CANCELLING, _S.CANCELLED})

ALLOWED_TRANSITIONS: Final[dict[StateType, frozenset[StateType]]] = {
    _S.SCHEDULED: _ENDINGS | {_S.PENDING, _S.RUNNING, _S.PAUSED},
    _S.PENDING: _ENDINGS | {_S.SCHEDULED, _S.RUNNING, _S.PAUSED},
    _S.RUNNING: _ENDINGS | {_S.SCHEDULED, _S.COMPLETED, _S.PAUSED},
    _S.PAUSED: _ENDINGS | {_S.SCHEDULED, _S.PENDING},
    _S.CANCELLING: frozenset({_S.FAILED, _S.CRASHED, _S.CANCELLED}),
    _S.COMPLETED: frozenset(),
    _S.FAILED: frozenset(),
    _S.CRASHED: frozenset(),
    _S.CANCELLED: frozenset(),
}
"""For each current state type, the state types it may move to."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer of [`decide`][actorflow.transitions.decide]."""

    accepted: bool
    """Whether the proposed state becomes the run's state."""
    reason: str = ""
    """Why a proposal was rejected (empty when accepted)."""

    def __bool__(self) -> bool:
        return self.accepted


_ACCEPT: Final = Decision(accepted=True)


def decide(current: State | None, proposed: State) -> Decision:
    """Decide whether a run in state `current` may move to `proposed`.

    Pure: no side effects, no clock, no locks; safe from any thread.
    """
    if current is None:
        if proposed.type in INITIAL_STATE_TYPES:
            return _ACCEPT
        return Decision(
            accepted=False,
            reason=f"a run must start SCHEDULED or PENDING, not {proposed.type.value}",
        )
    allowed = ALLOWED_TRANSITIONS[current.type]
    if proposed.type not in allowed:
        if not allowed:
            return Decision(
                accepted=False, reason=f"{current} is final and accepts no further state"
            )
        return Decision(
            accepted=False, reason=f"{current.type.value} cannot move to {proposed.type.value}"
        )
    if proposed.timestamp < current.timestamp:
        return Decision(accepted=False, reason="the proposed state is older than the current state")
    return _ACCEPT
