"""Histories for assertions: is a sequence of states a path through the transition table?

`check_history` is the check the runtime makes one state at a time (`transitions.decide`),
made over a whole recorded history, with a message that says which step is wrong and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actorflow.actors.handle import FlowRunRef
from actorflow.transitions import decide

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from actorflow.states import State

__all__ = ["assert_history", "check_history", "history_of"]


def check_history(states: Iterable[State]) -> None:
    """Check that `states`, in order, is a path through the transition table: it starts
    SCHEDULED or PENDING, each state is one the state before it may move to, and time
    never goes back.

    Raises:
        AssertionError: the first step that is not allowed, with the whole history and
            the reason.
    """
    history = list(states)
    if not history:
        msg = "an empty history: a run has at least its first state (SCHEDULED or PENDING)"
        raise AssertionError(msg)
    current: State | None = None
    for step, state in enumerate(history):
        decision = decide(current, state)
        if not decision:
            move = state.name if current is None else f"{current.name} -> {state.name}"
            msg = (
                f"step {step + 1} of the history ({move}) is not allowed: {decision.reason}\n"
                f"  history: {_path(history)}"
            )
            raise AssertionError(msg)
        current = state


def history_of(run: Any, timeout: float | None = 10.0) -> tuple[State, ...]:
    """The recorded states of `run`, oldest first: a `TaskRunSnapshot` (from
    `FlowRunRef.task_runs()`), a `FlowRunRef` (its flow run's states, read from the
    journal), a `FlowRunDetail` or `TaskRunHistory` (from `actorflow.journal`), or a
    sequence of states.

    Raises:
        TypeError: `run` is none of these.
        JournalError: a `FlowRunRef` of a system without a journal.
    """
    if isinstance(run, FlowRunRef):
        return run._history(timeout).history  # noqa: SLF001  (the one reader of it)
    history = getattr(run, "history", None)
    if isinstance(history, tuple):
        return history
    if isinstance(run, list | tuple):
        return tuple(run)
    msg = (
        "history_of() takes a FlowRunRef, a TaskRunSnapshot, a FlowRunDetail, a "
        f"TaskRunHistory or a sequence of states, got {type(run).__name__}"
    )
    raise TypeError(msg)


def assert_history(run: Any, *names: str, timeout: float | None = 10.0) -> None:
    """Assert that `run` (see `history_of`) went through exactly these states, by name
    (`"AwaitingRetry"`) or type (`"SCHEDULED"`), in order, and that its history is a
    legal path (`check_history`).

        assert_history(snapshot, "Pending", "Running", "AwaitingRetry", "Retrying", "Completed")

    Raises:
        AssertionError: with the expected and the actual path side by side.
    """
    history = history_of(run, timeout)
    actual = [s.name for s in history]
    wanted = list(names)
    matches = len(actual) == len(wanted) and all(
        want in (state.name, state.type.value) for want, state in zip(wanted, history, strict=True)
    )
    if not matches:
        msg = (
            "the run's history differs from the one expected\n"
            f"  expected: {' -> '.join(wanted)}\n"
            f"  actual:   {_path(history)}"
        )
        raise AssertionError(msg)
    check_history(history)


def _path(history: Sequence[State]) -> str:
    return " -> ".join(state.name for state in history)
