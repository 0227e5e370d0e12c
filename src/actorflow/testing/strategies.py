"""Hypothesis strategies for states, transitions and histories.

Importing this module imports Hypothesis (the `actorflow[testing]` extra installs it);
the rest of `actorflow.testing` does not need it.

```python
from hypothesis import given
from actorflow.testing import check_history
from actorflow.testing.strategies import histories

@given(histories())
def test_my_state_log_accepts_every_legal_history(history):
    my_log = MyStateLog()
    for state in history:
        my_log.record(state)          # your code under test
    check_history(my_log.states())
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from hypothesis import strategies as st

from actorflow.states import FINAL_STATE_TYPES, State, StateType
from actorflow.testing._graphs import ALWAYS_FAILS, Dependency, GraphNode, TaskGraph
from actorflow.transitions import ALLOWED_TRANSITIONS, INITIAL_STATE_TYPES, decide

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "histories",
    "illegal_transitions",
    "state_types",
    "states",
    "task_graphs",
    "transitions",
]

_DEPENDENCIES: Final[list[Dependency]] = ["data", "wait_for", "allow"]
_TIMES: Final = st.floats(min_value=0.0, max_value=4e9, allow_nan=False, allow_infinity=False)
_NAMES: Final[dict[StateType, tuple[str, ...]]] = {
    StateType.SCHEDULED: ("Scheduled", "AwaitingRetry"),
    StateType.RUNNING: ("Running", "Retrying"),
    StateType.FAILED: ("Failed", "TimedOut"),
    StateType.CANCELLED: ("Cancelled", "TimedOut"),
}


def state_types() -> st.SearchStrategy[StateType]:
    """Any state type."""
    return st.sampled_from(list(StateType))


def states(
    types: st.SearchStrategy[StateType] | None = None,
    *,
    timestamps: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[State]:
    """States of any type (or of `types`), named as the runtime names them (`Running`,
    `Retrying`, `AwaitingRetry`...), with or without a message."""

    @st.composite
    def build(draw: st.DrawFn) -> State:
        kind = draw(types if types is not None else state_types())
        name = draw(st.sampled_from(_NAMES.get(kind, (kind.title,))))
        message = draw(st.none() | st.text(max_size=40))
        at = draw(timestamps if timestamps is not None else _TIMES)
        return State(type=kind, name=name, message=message, timestamp=at)

    return build()


def transitions(
    table: Mapping[StateType, frozenset[StateType]] = ALLOWED_TRANSITIONS,
) -> st.SearchStrategy[tuple[State | None, State]]:
    """Legal moves `(current, proposed)` of `table` (the runtime's by default): `current`
    None stands for a run with no state yet; time never goes back."""

    @st.composite
    def build(draw: st.DrawFn) -> tuple[State | None, State]:
        starts = [None, *(t for t, allowed in table.items() if allowed)]
        start = draw(st.sampled_from(starts))
        if start is None:
            proposed = draw(states(st.sampled_from(sorted(INITIAL_STATE_TYPES, key=_order))))
            return None, proposed
        current = draw(states(st.just(start), timestamps=st.floats(0.0, 2e9)))
        allowed = sorted(table[start], key=_order)
        later = st.floats(min_value=current.timestamp, max_value=4e9)
        return current, draw(states(st.sampled_from(allowed), timestamps=later))

    return build()


def illegal_transitions() -> st.SearchStrategy[tuple[State | None, State]]:
    """Moves the runtime refuses: a type the table does not allow from the current one,
    a first state that is neither SCHEDULED nor PENDING, or a state older than the
    current one."""
    return st.tuples(st.none() | states(), states()).filter(lambda pair: not decide(*pair))


def histories(
    *,
    max_size: int = 12,
    table: Mapping[StateType, frozenset[StateType]] = ALLOWED_TRANSITIONS,
    final: bool | None = None,
) -> st.SearchStrategy[tuple[State, ...]]:
    """Legal sequences of states, as a run records them: paths through `table` (the
    runtime's by default) from SCHEDULED or PENDING, in time order, at most `max_size`
    long. `final=True` only histories that end in a final state; False only ones that
    do not; None either."""

    @st.composite
    def build(draw: st.DrawFn) -> tuple[State, ...]:
        at = draw(st.floats(0.0, 1e9))
        kind = draw(st.sampled_from(sorted(INITIAL_STATE_TYPES, key=_order)))
        history = [draw(states(st.just(kind), timestamps=st.just(at)))]
        while len(history) < max_size:
            allowed = sorted(table.get(kind, frozenset()), key=_order)
            if not allowed or (final is not True and draw(st.booleans()) and len(history) > 1):
                break
            kind = draw(st.sampled_from(allowed))
            at = draw(st.floats(min_value=at, max_value=at + 3600.0))
            history.append(draw(states(st.just(kind), timestamps=st.just(at))))
        return tuple(history)

    strategy = build()
    if final is not None:
        strategy = strategy.filter(lambda h: (h[-1].type in FINAL_STATE_TYPES) == final)
    return strategy


def task_graphs(*, max_nodes: int = 10) -> st.SearchStrategy[TaskGraph]:
    """Random DAGs of tasks (`TaskGraph`): up to `max_nodes` tasks, each depending on up to
    three earlier ones (by data, `wait_for`, or `allow_failure`), some failing once, twice
    or always, with 0-2 retries. `graph.run(task_runner)` runs one;
    `graph.expected_types()` says what each task run must end as."""

    @st.composite
    def build(draw: st.DrawFn) -> TaskGraph:
        size = draw(st.integers(1, max_nodes))
        nodes = []
        for i in range(size):
            deps = (
                draw(
                    st.lists(
                        st.tuples(st.integers(0, i - 1), st.sampled_from(_DEPENDENCIES)),
                        max_size=min(i, 3),
                        unique_by=lambda d: d[0],
                    )
                )
                if i
                else []
            )
            nodes.append(
                GraphNode(
                    deps=tuple(deps),
                    fail_attempts=draw(st.sampled_from([0, 0, 1, 2, ALWAYS_FAILS])),
                    retries=draw(st.integers(0, 2)),
                )
            )
        return TaskGraph(tuple(nodes))

    return build()


def _order(kind: StateType) -> str:
    return kind.value
