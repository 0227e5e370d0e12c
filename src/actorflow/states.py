"""Run states: what a flow run or task run is doing, and how it ended.

A [`State`][actorflow.states.State] is an immutable value. Every run moves through a
sequence of states; which moves are allowed is decided by one pure function,
[`actorflow.transitions.decide`][actorflow.transitions.decide].
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Final

from actorflow._exceptions import RunNotCompletedError, StateNotFinalError
from actorflow._results import RemoteResult
from actorflow.core.clock import wall_now

__all__ = [
    "FINAL_STATE_TYPES",
    "State",
    "StateType",
    "aggregate_states",
    "now",
]


class StateType(enum.Enum):
    """The kind of a state. Four kinds are final: see `FINAL_STATE_TYPES`."""

    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CRASHED = "CRASHED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    PAUSED = "PAUSED"

    # Members are singletons compared by identity, so identity hashing is exact, and it runs
    # in C: state types are dict and set keys on every transition.
    __hash__ = object.__hash__

    @property
    def title(self) -> str:
        """The default state name for this type, e.g. `Completed`."""
        return self.value.title()


FINAL_STATE_TYPES: Final = frozenset(
    {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}
)
"""A run in a state of one of these types has ended; it accepts no further state."""


def now() -> float:
    """Seconds since the Unix epoch, never decreasing within this process: the real clock.

    The default timestamp of a `State` built by hand. The runtime stamps the states it
    proposes with its system's clock instead (see `actorflow.clocks`).
    """
    return wall_now()


_NO_DATA: Final = object()
_TITLES: Final = {t: t.title for t in StateType}


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    """One state of a run. Immutable.

    `str(state)` is `Name(message=<repr of message>, type=<TYPE>)`, for example
    `Completed(message=None, type=COMPLETED)`.
    """

    type: StateType
    """The kind of state; decides whether it is final."""
    name: str = ""
    """Display name; defaults to the type's title. Named variants (`AwaitingRetry`,
    `Retrying`, `TimedOut`, `NotReady`) keep their base type."""
    message: str | None = None
    """Why the run is in this state, for people."""
    timestamp: float = field(default_factory=wall_now)
    """When the state was proposed, in seconds since the epoch (see `now`)."""
    data: Any = field(default=_NO_DATA, repr=False, compare=False)
    """The run's return value (for a completed run) or the exception that ended it."""

    def __post_init__(self) -> None:
        if not self.name:
            try:
                title = _TITLES[self.type]
            except (KeyError, TypeError):
                msg = f"State(type=...) must be a StateType such as StateType.COMPLETED, got {self.type!r}"
                raise TypeError(msg) from None
            object.__setattr__(self, "name", title)
        elif not isinstance(self.type, StateType):
            msg = f"State(type=...) must be a StateType such as StateType.COMPLETED, got {self.type!r}"
            raise TypeError(msg)

    def __str__(self) -> str:
        return f"{self.name}(message={self.message!r}, type={self.type.value})"

    # -- predicates -------------------------------------------------------------------

    def is_scheduled(self) -> bool:
        return self.type is StateType.SCHEDULED

    def is_pending(self) -> bool:
        return self.type is StateType.PENDING

    def is_running(self) -> bool:
        return self.type is StateType.RUNNING

    def is_completed(self) -> bool:
        return self.type is StateType.COMPLETED

    def is_failed(self) -> bool:
        return self.type is StateType.FAILED

    def is_crashed(self) -> bool:
        return self.type is StateType.CRASHED

    def is_cancelling(self) -> bool:
        return self.type is StateType.CANCELLING

    def is_cancelled(self) -> bool:
        return self.type is StateType.CANCELLED

    def is_paused(self) -> bool:
        return self.type is StateType.PAUSED

    def is_final(self) -> bool:
        return self.type in FINAL_STATE_TYPES

    @property
    def has_data(self) -> bool:
        """Whether the state carries a result or an exception."""
        return self.data is not _NO_DATA

    def result(self, *, raise_on_failure: bool = True) -> Any:
        """The run's result.

        For a completed state, the value the run returned. For a failed, crashed or
        cancelled state, the exception that ended it is raised (or returned when
        `raise_on_failure=False`). A state that is not final raises
        [`StateNotFinalError`][actorflow.StateNotFinalError].

        With the Dask runner, a large result may still be on the worker that computed it
        (see "Data locality" in the Dask docs): it is fetched now, once. That raises
        [`ResultNotAvailableError`][actorflow.ResultNotAvailableError] after the flow run
        has ended.
        """
        if not self.is_final():
            msg = f"{self} is not final and has no result yet; wait for the run to end"
            raise StateNotFinalError(msg)
        if self.type is StateType.COMPLETED:
            data = self.data
            if data is _NO_DATA:
                return None
            if isinstance(data, RemoteResult):  # left on a Dask worker: fetch it now
                return data.fetch()
            return data
        error = self.data if isinstance(self.data, BaseException) else None
        if error is None:
            error = RunNotCompletedError(str(self))
        if raise_on_failure:
            raise error
        return error


class StatesTally:
    """What `aggregate_states` needs of many final states, in constant space: counts, and
    the first failed (or crashed) and the first cancelled state. A flow run's ledger keeps
    one instead of every state (and the results they carry). Not thread-safe."""

    __slots__ = ("cancelled", "failed", "first_cancelled", "first_failed", "total", "unfinished")

    def __init__(self) -> None:
        self.total = 0
        self.failed = 0
        self.cancelled = 0
        self.unfinished = 0
        self.first_failed: State | None = None
        self.first_cancelled: State | None = None

    def add(self, state: State) -> None:
        self.total += 1
        kind = state.type
        if kind is StateType.FAILED or kind is StateType.CRASHED:
            self.failed += 1
            if self.first_failed is None:
                self.first_failed = state
        elif kind is StateType.CANCELLED:
            self.cancelled += 1
            if self.first_cancelled is None:
                self.first_cancelled = state
        elif kind not in FINAL_STATE_TYPES:
            self.unfinished += 1

    def aggregate(self, *, timestamp: float | None = None) -> State:
        """The state `aggregate_states` gives for the states added (see there)."""
        at = wall_now() if timestamp is None else timestamp
        n = self.total
        if self.first_failed is not None:
            data = self.first_failed.data
            return State(
                type=StateType.FAILED,
                message=f"{self.failed}/{n} states failed.",
                data=data if isinstance(data, BaseException) else _NO_DATA,
                timestamp=at,
            )
        if self.first_cancelled is not None:
            data = self.first_cancelled.data
            return State(
                type=StateType.CANCELLED,
                message=f"{self.cancelled}/{n} states cancelled.",
                data=data if isinstance(data, BaseException) else _NO_DATA,
                timestamp=at,
            )
        if self.unfinished:
            return State(
                type=StateType.FAILED,
                message=f"{self.unfinished}/{n} states did not finish.",
                timestamp=at,
            )
        return State(
            type=StateType.COMPLETED, message="All states completed.", data=None, timestamp=at
        )


def aggregate_states(states: list[State], *, timestamp: float | None = None) -> State:
    """The final state of a flow run that returned nothing, or returned these states.

    - every state completed (or none at all): `Completed(message='All states completed.')`;
    - some FAILED or CRASHED: `Failed(message='<k>/<n> states failed.')`;
    - none failed but some CANCELLED: `Cancelled(message='<k>/<n> states cancelled.')`;
    - otherwise (some not final): `Failed(message='<k>/<n> states did not finish.')`.

    The state is stamped `timestamp` (the real clock's time when not given).
    """
    tally = StatesTally()
    for state in states:
        tally.add(state)
    return tally.aggregate(timestamp=timestamp)


def without_data(state: State) -> State:
    """`state` without its result or exception (the same state otherwise)."""
    if state.data is _NO_DATA:
        return state
    return make_state(state.type, state.timestamp, state.name, state.message)


def make_state(
    state_type: StateType,
    timestamp: float,
    name: str = "",
    message: str | None = None,
    data: Any = _NO_DATA,
) -> State:
    """The runtime's constructor for the states it proposes: the same value as
    `State(type=..., timestamp=..., ...)`, built about twice as fast (states are made three
    times per task run). `state_type` must be a `StateType`; nothing is checked."""
    state = object.__new__(State)
    _set_type(state, state_type)
    _set_name(state, name or _TITLES[state_type])
    _set_message(state, message)
    _set_timestamp(state, timestamp)
    _set_data(state, data)
    return state


# Slot setters for make_state: a frozen dataclass forbids `setattr`, but its slots'
# descriptors set values directly, as the generated __init__ does through object.__setattr__.
_set_type = State.__dict__["type"].__set__
_set_name = State.__dict__["name"].__set__
_set_message = State.__dict__["message"].__set__
_set_timestamp = State.__dict__["timestamp"].__set__
_set_data = State.__dict__["data"].__set__
